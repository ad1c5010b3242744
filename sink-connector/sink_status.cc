#include "sink-connector/sink_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <fstream>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/rfc3339.h"
#include "common/secrets.h"
#include "google/protobuf/util/time_util.h"

namespace tweetstream::sink {
namespace {


void Str(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

const char* SinkStateName(SinkState state) {
  switch (state) {
    case SinkState::kStarting: return "STARTING";
    case SinkState::kRunning: return "RUNNING";
    case SinkState::kDegraded: return "DEGRADED";
    case SinkState::kFailed: return "FAILED";
    case SinkState::kStopping: return "STOPPING";
    case SinkState::kStopped: return "STOPPED";
  }
  return "UNKNOWN";
}

SinkStatus::SinkStatus() : since_(absl::Now()), started_(absl::Now()) {}

SinkState SinkStatus::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

void SinkStatus::SetState(SinkState state, const std::string& cause) {
  absl::MutexLock lock(&mu_);
  if (state_ == state && cause_ == cause) return;
  if (state_ == SinkState::kFailed && state != SinkState::kStopped) return;  // FAILED stays
  state_ = state;
  cause_ = cause;
  since_ = absl::Now();
  TS_LOG(INFO) << "state " << SinkStateName(state) << (cause.empty() ? "" : ": ") << cause;
}

void SinkStatus::SetDegraded(const std::string& cause) {
  absl::MutexLock lock(&mu_);
  SetDegradedLocked(cause);
}

void SinkStatus::SetFault(const std::string& key, const std::string& cause) {
  absl::MutexLock lock(&mu_);
  faults_[key] = {++fault_order_, cause};
  SetDegradedLocked(cause);
}

void SinkStatus::ClearFault(const std::string& key) {
  absl::MutexLock lock(&mu_);
  if (faults_.erase(key) == 0) return;
  const std::pair<int64_t, std::string>* latest = nullptr;
  for (const auto& [k, f] : faults_) {
    if (latest == nullptr || f.first > latest->first) latest = &f;
  }
  SetDegradedLocked(latest == nullptr ? std::string() : latest->second);
}

void SinkStatus::SetDegradedLocked(const std::string& cause) {
  if (!cause.empty()) {
    if (state_ == SinkState::kRunning || state_ == SinkState::kDegraded) {
      if (state_ != SinkState::kDegraded) {
        since_ = absl::Now();
        TS_LOG(WARNING) << "state DEGRADED";
      }
      state_ = SinkState::kDegraded;
      if (cause_ != cause) TS_LOG(WARNING) << "degraded: " << cause;  // each new cause once
      cause_ = cause;
    }
  } else if (state_ == SinkState::kDegraded) {
    state_ = SinkState::kRunning;
    cause_.clear();
    since_ = absl::Now();
    TS_LOG(INFO) << "state RUNNING: recovered";
  }
}

void SinkStatus::RecordError(const std::string& message) {
  absl::MutexLock lock(&mu_);
  errors_.emplace_back(absl::Now(), message);
  while (errors_.size() > 16) errors_.pop_front();
}

void SinkStatus::SetFlow(int64_t pending_records, int in_flight_bulks, bool paused) {
  absl::MutexLock lock(&mu_);
  pending_records_ = pending_records;
  in_flight_bulks_ = in_flight_bulks;
  paused_ = paused;
}

std::string SinkStatus::ToJson(const std::string& connector_name) const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  w.StartObject();
  w.Key("connector"); Str(w, connector_name);
  w.Key("state"); w.String(SinkStateName(state_));
  w.Key("since"); Str(w, common::Rfc3339Millis(since_));
  w.Key("cause"); Str(w, cause_);
  w.Key("uptime_seconds"); w.Int64(absl::ToInt64Seconds(now - started_));
  w.Key("updated_at"); Str(w, common::Rfc3339Millis(now));
  w.Key("counters");
  w.StartObject();
#define TWEETSTREAM_SINK_COUNTER_JSON(name, where, field, metric, help) \
  w.Key(#name);                                                        \
  w.Int64(counters_.name.load());
  TWEETSTREAM_SINK_COUNTERS(TWEETSTREAM_SINK_COUNTER_JSON)
#undef TWEETSTREAM_SINK_COUNTER_JSON
  w.EndObject();
  w.Key("pending_records"); w.Int64(pending_records_);
  w.Key("in_flight_bulks"); w.Int(in_flight_bulks_);
  w.Key("paused"); w.Bool(paused_);
  w.Key("last_errors");
  w.StartArray();
  for (const auto& [time, message] : errors_) {
    w.StartObject();
    w.Key("time"); Str(w, common::Rfc3339Millis(time));
    w.Key("message"); Str(w, message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

void SinkStatus::WriteFile(const std::string& path, const std::string& connector_name) const {
  absl::Status s = common::WriteFileAtomically(path, ToJson(connector_name) + "\n");
  if (!s.ok() && !write_failed_logged_.exchange(true)) TS_LOG(WARNING) << "status file: " << s.message();
}

void SinkStatus::FillProto(connector::v1::ConnectorStatus* out) const {
  FillCounters(counters_, out);
  absl::MutexLock lock(&mu_);
  out->set_degraded(state_ == SinkState::kDegraded);
  if (state_ == SinkState::kDegraded || state_ == SinkState::kFailed) out->set_cause(cause_);
  for (const auto& [time, message] : errors_) {
    connector::v1::ErrorEntry* e = out->add_last_errors();
    *e->mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
    e->set_message(message);
  }
  connector::v1::SinkDetail* detail = out->mutable_sink();
  detail->set_in_flight_bulks(in_flight_bulks_);
  detail->set_pending_records(pending_records_);
  detail->set_backpressure_paused(paused_);
}

}  // namespace tweetstream::sink
