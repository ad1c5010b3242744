#pragma once
// The Prometheus scrape endpoint: a small HTTP server (cpp-httplib) on its own threads.
//
//   GET /metrics   200, the registry's RenderText(), Content-Type text/plain; version=0.0.4
//   GET /healthz   200 "ok" (the process is up and serving HTTP; says nothing about the connector)
//   anything else  404
//
// Lifecycle: Start() binds and starts serving before it returns; the destructor stops accepting,
// finishes or abandons the requests in flight (each bounded by 5 s read/write timeouts) and joins
// every thread. At most 4 requests are served at once; more wait in the accept queue.
// Thread-safety: port() may be called from any thread. The registry is not owned and must outlive
// the server; it is only read (scrapes run on the server's threads, so the registry's callbacks do).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics.h"

namespace tweetstream::common {

// The listen addresses of our HTTP servers (this one, tweetctl's dashboard): "host:port" or "[v6]:port",
// an empty host meaning every interface (0.0.0.0). False when malformed.
bool ParseListenAddress(const std::string& address, std::string* host, int* port);
// cpp-httplib's socket options set SO_REUSEPORT, with which a second server binds a port already in use
// and the two share its traffic silently. This sets SO_REUSEADDR alone: a restart still binds while old
// connections sit in TIME_WAIT, and "address in use" is an error again. For set_socket_options().
void ExclusiveListenSocket(int sock);

class MetricsHttpServer {
 public:
  // `address` is "host:port" ("127.0.0.1:9464", "[::1]:0", ":9464" for every interface); port 0
  // binds any free port (see port()). Returns:
  //   INVALID_ARGUMENT  a malformed address or a null registry
  //   UNAVAILABLE       the address cannot be bound (in use, not a local address), naming it
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(const std::string& address,
                                                                  const MetricsRegistry* registry);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  // The bound port (the chosen one when started with port 0).
  int port() const;

 private:
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tweetstream::common
