#pragma once
// `tweetctl dashboard`: one web page that shows the whole pipeline live. It follows both connectors'
// control planes (WatchStatus streams, and GetMetrics + GetDeadLetterStats of the sink once per
// sample interval) into a DashboardModel, and serves over HTTP (cpp-httplib):
//
//   GET /                  the page (index.html), its dashboard.js / dashboard.css and the vendored
//                          uPlot (/vendor/uPlot.iife.min.js, /vendor/uPlot.min.css), all built into
//                          the binary (dashboard_assets.cmake): the page needs no internet
//   GET /api/snapshot      the model's snapshot, JSON (DashboardModel::SnapshotJson)
//   GET /events            Server-Sent Events: one `data: <snapshot>` per sample interval
//   GET /healthz           200 "ok"
//
// The control token and TLS settings are tweetctl's own (the Connections'); the page never sees the
// token. The HTTP side has no authentication: it listens on 127.0.0.1 unless told otherwise.
//
// Lifecycle: Start() binds, starts the followers and serving before it returns; the destructor
// cancels the streams, ends the event streams and joins every thread. Thread-safety: port() and
// model() from any thread.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/tweetctl/client.h"
#include "tools/tweetctl/dashboard/dashboard_model.h"

namespace tweetstream::tweetctl::dashboard {

struct DashboardOptions {
  std::string listen = "127.0.0.1:8088";             // host:port of the page; port 0 = any free port
  absl::Duration sample_interval = absl::Seconds(1);  // WatchStatus interval, metrics polls, chart points
  DashboardModelOptions model;                        // window of the series, staleness
};

class DashboardServer {
 public:
  // `source` and `sink` are not owned and must outlive the server. Returns:
  //   INVALID_ARGUMENT  a malformed --listen address or a non-positive interval
  //   UNAVAILABLE       the address cannot be bound (in use, not a local address), naming it
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(const DashboardOptions& options, Connection* source,
                                                                Connection* sink);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  int port() const;
  const DashboardModel& model() const;

 private:
  struct Impl;
  explicit DashboardServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tweetstream::tweetctl::dashboard
