#pragma once
// The sink's honest status: its state (RUNNING, DEGRADED while it retries a transient failure,
// FAILED with the reason when retrying cannot help, STOPPED), since when, counters, a small ring of
// the last errors, flow figures (pending records, bulks in flight, paused). Rendered as JSON for the
// --status-file (rewritten atomically every second and on every state change) until the gRPC
// control plane serves it.
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sink-connector/sink_counters.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::sink {

enum class SinkState { kStarting, kRunning, kDegraded, kFailed, kStopping, kStopped };
const char* SinkStateName(SinkState state);

class SinkStatus {
 public:
  SinkStatus();
  SinkCounters& counters() { return counters_; }

  SinkState state() const;
  // A state change, with its cause (logged once).
  void SetState(SinkState state, const std::string& cause = "");
  // Enters DEGRADED with `cause` (from RUNNING), or leaves it (back to RUNNING) when `cause` is empty.
  void SetDegraded(const std::string& cause);
  // One failing part of the sink (a bulk worker, the dead-letter topic, ...) names its cause under
  // its own key; DEGRADED lasts while any key has a cause (the status shows the latest), and clears
  // by itself when the last one is cleared: a stale cause cannot outlive its failure.
  void SetFault(const std::string& key, const std::string& cause);
  void ClearFault(const std::string& key);
  // Adds to the ring of recent errors (the last 16 are kept).
  void RecordError(const std::string& message);
  void SetFlow(int64_t pending_records, int in_flight_bulks, bool paused);

  std::string ToJson(const std::string& connector_name) const;
  // The control API's view: degraded/cause, counters, last errors and the flow part of the sink detail.
  void FillProto(connector::v1::ConnectorStatus* out) const;
  // Writes ToJson() to `path` atomically (temp file + rename); a failure is logged once.
  void WriteFile(const std::string& path, const std::string& connector_name) const;

 private:
  void SetDegradedLocked(const std::string& cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable absl::Mutex mu_;
  SinkState state_ ABSL_GUARDED_BY(mu_) = SinkState::kStarting;
  absl::Time since_ ABSL_GUARDED_BY(mu_);
  std::string cause_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> errors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<int64_t, std::string>> faults_ ABSL_GUARDED_BY(mu_);  // key -> (order, cause)
  int64_t fault_order_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t pending_records_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_bulks_ ABSL_GUARDED_BY(mu_) = 0;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  const absl::Time started_;
  SinkCounters counters_;
  mutable std::atomic<bool> write_failed_logged_{false};
};

}  // namespace tweetstream::sink
