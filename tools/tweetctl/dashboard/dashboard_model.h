#pragma once
// What `tweetctl dashboard` shows: the two control planes' answers (WatchStatus updates, GetMetrics,
// GetDeadLetterStats) joined into one JSON snapshot for the page, with ring-buffered series of the
// last 15 minutes (delivered/s into Kafka, indexed/s into Elasticsearch, total lag, end-to-end
// latency percentiles). No I/O: the server (dashboard_server.h) feeds it and the unit tests drive it
// with hand-made messages and their own times.
//
// Thread-safety: every method may be called from any thread (one mutex).

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tweetstream/connector/v1/control.pb.h"
#include "tweetstream/connector/v1/sink.pb.h"

namespace tweetstream::tweetctl::dashboard {

enum class Side { kSource, kSink };

// The q-quantile (0 < q <= 1) of the observations between two cumulative snapshots of one histogram
// (`now` minus `before`; `before` may be empty = all of `now`), interpolated linearly inside the
// bucket, Prometheus' histogram_quantile() way. nullopt when nothing was observed in between, or the
// bounds differ. Observations in the +Inf bucket count as the highest finite bound.
std::optional<double> DeltaQuantile(const connector::v1::HistogramValue& before,
                                    const connector::v1::HistogramValue& now, double q);

struct DashboardModelOptions {
  absl::Duration window = absl::Minutes(15);  // how far back the series reach
  absl::Duration stale_after = absl::Seconds(5);  // no status update for this long: "stale" on the page
};

class DashboardModel {
 public:
  explicit DashboardModel(DashboardModelOptions options = {});

  // Where each connector's control plane is (shown on the page).
  void SetAddress(Side side, const std::string& address);
  // A status update (WatchStatus or GetStatus) received at `now`: the connector is reachable.
  void OnStatus(Side side, const connector::v1::ConnectorStatus& status, absl::Time now);
  // The control plane did not answer (or the stream broke): `error` says why ("UNAVAILABLE: ...").
  // The last status is kept (dimmed on the page) but the connector shows as UNREACHABLE.
  void OnUnreachable(Side side, const std::string& error, absl::Time now);
  // The sink's GetMetrics answer at `now`: the end-to-end latency histogram
  // (tweetstream_sink_latency_since_ingested_seconds) since the previous answer gives the
  // percentiles of the next Sample().
  void OnSinkMetrics(const connector::v1::GetMetricsResponse& metrics, absl::Time now);
  // GetMetrics or GetDeadLetterStats failed (shown beside the sink; the series get no latency).
  void OnSinkMetricsError(const std::string& error);
  void OnDeadLetterStats(const connector::v1::DeadLetterStats& stats);

  // Appends one point at `now` to every series: rates from the counters' change since the previous
  // point (null at the first point and while a connector is unreachable), the sink's total lag, and
  // the latency percentiles of what was indexed since the previous metrics answer (null when nothing
  // was). Points older than the window are dropped.
  void Sample(absl::Time now);

  // The whole picture as one JSON object (see README.md "Snapshot"). `now` dates it and decides
  // staleness.
  std::string SnapshotJson(absl::Time now) const;

  // How many points the series hold (tests).
  size_t SeriesSize() const;

 private:
  struct Connector {
    std::string address;
    bool has_status = false;
    connector::v1::ConnectorStatus status;
    absl::Time status_at = absl::InfinitePast();
    bool reachable = false;  // the last call or stream answered
    std::string error;       // why not, when !reachable
    absl::Time error_at = absl::InfinitePast();
  };
  struct Point {
    absl::Time time;
    std::optional<double> delivered_per_s, indexed_per_s, lag, p50_ms, p95_ms, p99_ms;
  };
  // The counter a rate is taken of, at the previous point.
  struct RateBase {
    bool set = false;
    int64_t value = 0;
    absl::Time time;
  };

  Connector& Get(Side side) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return side == Side::kSource ? source_ : sink_;
  }
  static std::optional<double> Rate(RateBase& base, const Connector& c, int64_t value, absl::Time now);

  const DashboardModelOptions options_;
  mutable absl::Mutex mu_;
  Connector source_ ABSL_GUARDED_BY(mu_);
  Connector sink_ ABSL_GUARDED_BY(mu_);
  bool has_dlq_ ABSL_GUARDED_BY(mu_) = false;
  connector::v1::DeadLetterStats dlq_ ABSL_GUARDED_BY(mu_);
  // The latency histogram at the previous metrics answer, and the percentiles since then (consumed
  // by the next Sample()).
  bool has_latency_ ABSL_GUARDED_BY(mu_) = false;
  connector::v1::HistogramValue latency_ ABSL_GUARDED_BY(mu_);
  std::optional<double> pending_p50_ ABSL_GUARDED_BY(mu_), pending_p95_ ABSL_GUARDED_BY(mu_),
      pending_p99_ ABSL_GUARDED_BY(mu_);
  std::string metrics_error_ ABSL_GUARDED_BY(mu_);
  RateBase delivered_base_ ABSL_GUARDED_BY(mu_), indexed_base_ ABSL_GUARDED_BY(mu_);
  std::deque<Point> series_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tweetstream::tweetctl::dashboard
