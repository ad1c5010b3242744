#pragma once
// The source's honest status: state (RUNNING, DEGRADED while it retries or waits out a rate limit,
// FAILED with the reason when retrying cannot help, STOPPED), counters, the cursor, the rate-limit
// window and the last errors. JSON for --status-file until the gRPC control plane serves it.
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "source-connector/source_counters.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::source {

class SourceStatus {
 public:
  SourceStatus();
  // "RUNNING", "DEGRADED", "FAILED", "STOPPED"; FAILED stays until STOPPED.
  void SetState(const std::string& state, const std::string& cause = "");
  std::string state() const;
  void RecordError(const std::string& message);
  void SetCursor(const std::string& key, const std::string& newest_id);
  void SetRateLimit(int64_t limit, int64_t remaining, int64_t reset_epoch_seconds);
  // stream: the last reconnect without backfill; search: the last range the 7-day window made unreadable.
  void SetGap(const std::string& description);
  // stream: the rules found at the last sync (see stream_rules.h): how many are owned and shared,
  // and the foreign ones (all counted, the first 20 kept for the JSON and the control API).
  struct Rule {
    std::string id, value, tag;
  };
  void SetRules(int64_t owned, int64_t shared, const std::vector<Rule>& foreign);
  // search: the rest of an interrupted poll still to be read ("" when none).
  void SetBacklog(const std::string& description);
  void SetSearchCounters(int64_t bad_pages, int64_t window_gaps, int64_t window_gap_seconds);
  // The counters (source_counters.h), set from the summary and the producer.
  void SetCounters(const SourceCounters& counters);

  // stream mode (issue 12): the connection, the queue between the socket and Kafka, recovery by recent
  // search and the gaps it could not close (their window is in `gap`).
  struct StreamCounters {
    int64_t messages = 0;          // lines read from the socket
    int64_t connects = 0;          // connections answered 2xx
    int64_t queued = 0;            // lines read, not yet produced
    int64_t queue_full_waits = 0;  // times the queue was full and the socket reader paused
    int64_t outstanding = 0;       // records produced whose delivery is not confirmed yet
    int64_t recoveries = 0;        // recoveries by recent search started
    int64_t recovered = 0;         // tweets recent search returned for them
    int64_t recovery_requests = 0;
    int64_t gaps = 0;              // windows that could not be recovered (reported)
    int64_t gap_seconds = 0;       // their length, summed
  };
  // The worker's part (outstanding, recoveries, recovered, recovery_requests, gaps, gap_seconds) and the
  // socket thread's (messages, connects, queued, queue_full_waits): each side keeps its own current, so
  // the status shows the socket being read while Kafka holds the worker up.
  void SetStream(const StreamCounters& counters);
  void SetStreamReader(const StreamCounters& counters);

  std::string ToJson(const std::string& connector_name) const;
  // The control API's view: degraded/cause, counters, last errors, the source detail.
  void FillProto(connector::v1::ConnectorStatus* out) const;
  void WriteFile(const std::string& path, const std::string& connector_name) const;

 private:
  mutable absl::Mutex mu_;
  std::string state_ ABSL_GUARDED_BY(mu_) = "STARTING";
  std::string cause_ ABSL_GUARDED_BY(mu_);
  absl::Time since_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> errors_ ABSL_GUARDED_BY(mu_);
  std::string cursor_key_ ABSL_GUARDED_BY(mu_), cursor_ ABSL_GUARDED_BY(mu_), gap_ ABSL_GUARDED_BY(mu_);
  std::string backlog_ ABSL_GUARDED_BY(mu_);
  int64_t bad_pages_ ABSL_GUARDED_BY(mu_) = 0, window_gaps_ ABSL_GUARDED_BY(mu_) = 0,
          window_gap_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rl_limit_ ABSL_GUARDED_BY(mu_) = -1, rl_remaining_ ABSL_GUARDED_BY(mu_) = -1,
          rl_reset_ ABSL_GUARDED_BY(mu_) = -1;
  SourceCounters counters_ ABSL_GUARDED_BY(mu_);
  int64_t rules_owned_ ABSL_GUARDED_BY(mu_) = 0, rules_shared_ ABSL_GUARDED_BY(mu_) = 0,
          rules_foreign_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Rule> foreign_rules_ ABSL_GUARDED_BY(mu_);
  StreamCounters stream_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<bool> write_failed_logged_{false};
};

}  // namespace tweetstream::source
