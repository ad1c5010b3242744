#pragma once
// The connector state machine both binaries share (Kafka Connect's states): it owns the data plane
// (the source's or the sink's app, built from the configuration of the moment by a factory), runs it
// on its own thread, and serves the control operations on it:
//   RUNNING --Pause--> PAUSED --Resume--> RUNNING       (data stops moving; connections, state kept)
//   RUNNING|PAUSED|FAILED --Stop--> STOPPED             (data plane torn down after a clean flush/commit)
//   any --Restart--> RESTARTING --> RUNNING | FAILED    (a new data plane from the current config)
//   RUNNING --the data plane ends by itself--> STOPPED (input exhausted) | FAILED (fatal error)
// Counters and the ring of last errors survive Stop/Restart: they count since the process started.
// Thread-safety: every method may be called from any thread; operations are serialized.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::control {

namespace v1 = ::tweetstream::connector::v1;

// One run of a connector's data plane.
class DataPlane {
 public:
  virtual ~DataPlane() = default;
  // Runs until RequestStop() or the end of its input (OK), or until a fatal error (returned).
  virtual absl::Status Run() = 0;
  // Makes Run() return soon, after flushing/committing what it can; any thread, also while paused.
  virtual void RequestStop() = 0;
  // true: stop moving data, keep connections and state; false: go on. Any thread.
  virtual void SetPaused(bool paused) = 0;
  // This run's part of the status: degraded/cause, counters, last_errors (oldest first), detail.
  virtual void FillStatus(v1::ConnectorStatus* status) = 0;
};

struct ConnectorHostOptions {
  std::string name;
  std::string kind;  // "source" or "sink"
  std::string version;
  // Called (outside the host's locks, whether a data plane runs or not) after the data plane's part:
  // fills what the kind can tell without one (e.g. the sink's lag from the broker).
  std::function<void(v1::ConnectorStatus* status)> extra_status;
};

class ConnectorHost {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<DataPlane>>()>;

  ConnectorHost(ConnectorHostOptions options, Factory factory);
  ~ConnectorHost();  // stops the data plane

  // Builds the first data plane and starts it. A factory error leaves the host FAILED and is returned;
  // FAILED_PRECONDITION when a data plane already runs (use Restart).
  absl::Status Start();
  // FAILED_PRECONDITION unless RUNNING / PAUSED.
  absl::Status Pause();
  absl::Status Resume();
  // Tears the data plane down (it flushes and commits); OK when already STOPPED.
  absl::Status Stop();
  // Stops what runs, then builds and starts a new data plane from the current configuration. The
  // factory's error (the host is then FAILED) is returned.
  absl::Status Restart();

  v1::ConnectorState state() const;
  // The full status; with `probe` false without the kind's extra part (no network calls).
  v1::ConnectorStatus Status(bool probe = true) const;
  // The counters since the process started (cheap: no network calls).
  v1::Counters Counters() const;
  // Increases on every state change; WaitForChange() blocks (bounded) until it differs from `seen`.
  uint64_t generation() const;
  uint64_t WaitForChange(uint64_t seen, absl::Duration timeout) const;
  // Called (outside the host's state lock, one notification at a time) on every state change, with
  // the state current at the time of the call; at registration with the current state.
  void AddStateListener(std::function<void(v1::ConnectorState)> listener);

  // True once the data plane ended by itself (not through Stop/Restart), or a Start/Restart could not
  // build one; `result` = what Run() (or the factory) returned. Cleared by a successful (re)start.
  bool Finished(absl::Status* result = nullptr) const;

 private:
  void SetState(v1::ConnectorState state, const std::string& cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  void StopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(op_mu_);
  void OnRunEnded(DataPlane* plane, const absl::Status& result);
  // Tells every listener the state as it is now. Serialized, and each call reads the state afresh, so
  // the last state a listener hears is always the current one, whatever order changes race in.
  void NotifyListeners();
  // Adds a finished plane's counters and errors to the process totals.
  void Retire(DataPlane* plane) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ConnectorHostOptions options_;
  const Factory factory_;
  const absl::Time started_;

  absl::Mutex op_mu_;      // serializes Start/Pause/Resume/Stop/Restart
  absl::Mutex notify_mu_;  // serializes listener notifications
  std::thread thread_ ABSL_GUARDED_BY(op_mu_);

  mutable absl::Mutex mu_;
  std::unique_ptr<DataPlane> plane_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  v1::ConnectorState state_ ABSL_GUARDED_BY(mu_) = v1::CONNECTOR_STATE_STARTING;
  std::string cause_ ABSL_GUARDED_BY(mu_);
  absl::Time since_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  // Totals of retired planes, and the last status a plane reported (its detail stays visible).
  v1::Counters retired_counters_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::ErrorEntry> retired_errors_ ABSL_GUARDED_BY(mu_);
  v1::ConnectorStatus last_plane_status_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(v1::ConnectorState)>> listeners_ ABSL_GUARDED_BY(mu_);
};

// The human name of a state: "RUNNING", "PAUSED", ...; the number for a value this build does not know
// (a newer peer's state, as tweetctl prints it).
std::string StateName(v1::ConnectorState state);

}  // namespace tweetstream::control
