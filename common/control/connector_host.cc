#include "common/control/connector_host.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "google/protobuf/util/time_util.h"

namespace tweetstream::control {
namespace {

constexpr size_t kMaxErrors = 16;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

void AddCounters(const v1::Counters& from, v1::Counters* to) {
  to->set_read(to->read() + from.read());
  to->set_produced(to->produced() + from.produced());
  to->set_indexed(to->indexed() + from.indexed());
  to->set_retried(to->retried() + from.retried());
  to->set_failed(to->failed() + from.failed());
  to->set_dead_lettered(to->dead_lettered() + from.dead_lettered());
  to->set_skipped(to->skipped() + from.skipped());
  to->set_deleted(to->deleted() + from.deleted());
  to->set_requests(to->requests() + from.requests());
}

}  // namespace

std::string StateName(v1::ConnectorState state) {
  switch (state) {
    case v1::CONNECTOR_STATE_STARTING: return "STARTING";
    case v1::CONNECTOR_STATE_RUNNING: return "RUNNING";
    case v1::CONNECTOR_STATE_PAUSED: return "PAUSED";
    case v1::CONNECTOR_STATE_STOPPED: return "STOPPED";
    case v1::CONNECTOR_STATE_FAILED: return "FAILED";
    case v1::CONNECTOR_STATE_RESTARTING: return "RESTARTING";
    case v1::CONNECTOR_STATE_UNSPECIFIED: return "UNSPECIFIED";
    default: return absl::StrCat(static_cast<int>(state));  // a state newer than this build
  }
}

ConnectorHost::ConnectorHost(ConnectorHostOptions options, Factory factory)
    : options_(std::move(options)), factory_(std::move(factory)), started_(absl::Now()), since_(absl::Now()) {}

ConnectorHost::~ConnectorHost() {
  absl::MutexLock op(&op_mu_);
  StopLocked();
}

void ConnectorHost::SetState(v1::ConnectorState state, const std::string& cause) {
  if (state_ == state && cause_ == cause) return;
  if (state_ != state) {
    TS_LOG(INFO) << options_.kind << " " << options_.name << ": " << StateName(state)
                 << (cause.empty() ? "" : ": ") << cause;
    since_ = absl::Now();
  }
  state_ = state;
  cause_ = cause;
  ++generation_;
}

void ConnectorHost::NotifyListeners() {
  absl::MutexLock notify(&notify_mu_);
  std::vector<std::function<void(v1::ConnectorState)>> listeners;
  v1::ConnectorState state;
  {
    absl::MutexLock lock(&mu_);
    listeners = listeners_;
    state = state_;
  }
  for (const auto& listener : listeners) listener(state);
}

void ConnectorHost::AddStateListener(std::function<void(v1::ConnectorState)> listener) {
  absl::MutexLock notify(&notify_mu_);
  v1::ConnectorState now;
  {
    absl::MutexLock lock(&mu_);
    listeners_.push_back(listener);
    now = state_;
  }
  listener(now);
}

absl::Status ConnectorHost::Start() {
  absl::MutexLock op(&op_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (plane_ != nullptr) return absl::FailedPreconditionError("the connector already runs: use Restart");
  }
  return StartLocked();
}

absl::Status ConnectorHost::StartLocked() {
  absl::StatusOr<std::unique_ptr<DataPlane>> plane = factory_();
  if (!plane.ok()) {
    {
      absl::MutexLock lock(&mu_);
      SetState(v1::CONNECTOR_STATE_FAILED, std::string(plane.status().message()));
      v1::ErrorEntry entry;
      *entry.mutable_time() = ToProto(absl::Now());
      entry.set_message(std::string(plane.status().message()));
      retired_errors_.push_back(entry);
      if (retired_errors_.size() > kMaxErrors) retired_errors_.erase(retired_errors_.begin());
      finished_ = true;
      result_ = plane.status();
    }
    NotifyListeners();
    return plane.status();
  }
  DataPlane* raw = plane->get();
  {
    absl::MutexLock lock(&mu_);
    plane_ = std::move(*plane);
    stopping_ = false;
    finished_ = false;
    result_ = absl::OkStatus();
    SetState(v1::CONNECTOR_STATE_RUNNING, "");
  }
  thread_ = std::thread([this, raw] { OnRunEnded(raw, raw->Run()); });
  NotifyListeners();
  return absl::OkStatus();
}

void ConnectorHost::OnRunEnded(DataPlane* plane, const absl::Status& result) {
  {
    absl::MutexLock lock(&mu_);
    if (plane_.get() != plane) return;
    if (stopping_) return;  // Stop()/Restart() set the state
    finished_ = true;
    result_ = result;
    if (result.ok()) SetState(v1::CONNECTOR_STATE_STOPPED, "");
    else SetState(v1::CONNECTOR_STATE_FAILED, std::string(result.message()));
  }
  NotifyListeners();
}

void ConnectorHost::Retire(DataPlane* plane) {
  v1::ConnectorStatus final_status;
  plane->FillStatus(&final_status);
  AddCounters(final_status.counters(), &retired_counters_);
  for (const auto& e : final_status.last_errors()) retired_errors_.push_back(e);
  while (retired_errors_.size() > kMaxErrors) retired_errors_.erase(retired_errors_.begin());
  final_status.clear_counters();
  final_status.clear_last_errors();
  final_status.set_degraded(false);
  last_plane_status_ = final_status;
}

void ConnectorHost::StopLocked() {
  {
    absl::MutexLock lock(&mu_);
    if (plane_ == nullptr) return;
    stopping_ = true;
    plane_->RequestStop();
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  Retire(plane_.get());
  plane_.reset();
  stopping_ = false;
}

absl::Status ConnectorHost::Pause() {
  absl::MutexLock op(&op_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (state_ == v1::CONNECTOR_STATE_PAUSED) return absl::OkStatus();
    if (state_ != v1::CONNECTOR_STATE_RUNNING || plane_ == nullptr) {
      return absl::FailedPreconditionError("the connector is " + StateName(state_) + ", not RUNNING: nothing to pause");
    }
    plane_->SetPaused(true);
    SetState(v1::CONNECTOR_STATE_PAUSED, "");
  }
  NotifyListeners();
  return absl::OkStatus();
}

absl::Status ConnectorHost::Resume() {
  absl::MutexLock op(&op_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (state_ == v1::CONNECTOR_STATE_RUNNING) return absl::OkStatus();
    if (state_ != v1::CONNECTOR_STATE_PAUSED || plane_ == nullptr) {
      return absl::FailedPreconditionError("the connector is " + StateName(state_) +
                                           ", not PAUSED: use Restart to start it again");
    }
    plane_->SetPaused(false);
    SetState(v1::CONNECTOR_STATE_RUNNING, "");
  }
  NotifyListeners();
  return absl::OkStatus();
}

absl::Status ConnectorHost::Stop() {
  absl::MutexLock op(&op_mu_);
  StopLocked();
  {
    absl::MutexLock lock(&mu_);
    if (state_ == v1::CONNECTOR_STATE_STOPPED) return absl::OkStatus();
    SetState(v1::CONNECTOR_STATE_STOPPED, "");
  }
  NotifyListeners();
  return absl::OkStatus();
}

absl::Status ConnectorHost::Restart() {
  absl::MutexLock op(&op_mu_);
  {
    absl::MutexLock lock(&mu_);
    SetState(v1::CONNECTOR_STATE_RESTARTING, "");
  }
  NotifyListeners();
  StopLocked();
  return StartLocked();
}

v1::ConnectorState ConnectorHost::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

uint64_t ConnectorHost::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

uint64_t ConnectorHost::WaitForChange(uint64_t seen, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto changed = [this, seen]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return generation_ != seen; };
  mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  return generation_;
}

bool ConnectorHost::Finished(absl::Status* result) const {
  absl::MutexLock lock(&mu_);
  if (result != nullptr) *result = result_;
  return finished_;
}

v1::Counters ConnectorHost::Counters() const {
  v1::ConnectorStatus status;
  absl::MutexLock lock(&mu_);
  if (plane_ != nullptr) plane_->FillStatus(&status);
  v1::Counters counters = status.counters();
  AddCounters(retired_counters_, &counters);
  return counters;
}

v1::ConnectorStatus ConnectorHost::Status(bool probe) const {
  v1::ConnectorStatus status;
  {
    absl::MutexLock lock(&mu_);
    if (plane_ != nullptr) {
      plane_->FillStatus(&status);
    } else {
      status = last_plane_status_;
    }
    v1::Counters counters = status.counters();
    AddCounters(retired_counters_, &counters);
    *status.mutable_counters() = counters;
    std::vector<v1::ErrorEntry> errors = retired_errors_;
    for (const auto& e : status.last_errors()) errors.push_back(e);
    status.clear_last_errors();
    size_t first = errors.size() > kMaxErrors ? errors.size() - kMaxErrors : 0;
    for (size_t i = first; i < errors.size(); ++i) *status.add_last_errors() = errors[i];
    status.set_name(options_.name);
    status.set_kind(options_.kind);
    status.set_version(options_.version);
    status.set_state(state_);
    *status.mutable_since() = ToProto(since_);
    if (state_ == v1::CONNECTOR_STATE_FAILED) {
      status.set_degraded(false);
      status.set_cause(cause_);
    } else if (state_ != v1::CONNECTOR_STATE_RUNNING) {
      status.set_degraded(false);
      status.clear_cause();
    }
  }
  status.set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  if (probe && options_.extra_status) options_.extra_status(&status);
  *status.mutable_observed_at() = ToProto(absl::Now());
  return status;
}

}  // namespace tweetstream::control
