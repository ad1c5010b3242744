#include "source-connector/source_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <fstream>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/rfc3339.h"
#include "common/secrets.h"
#include "google/protobuf/util/time_util.h"

namespace tweetstream::source {
namespace {


void Str(rapidjson::Writer<rapidjson::StringBuffer>& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

SourceStatus::SourceStatus() : since_(absl::Now()) {}

void SourceStatus::SetState(const std::string& state, const std::string& cause) {
  absl::MutexLock lock(&mu_);
  if (state_ == state && cause_ == cause) return;
  if (state_ == "FAILED" && state != "STOPPED") return;
  if (state_ != state) TS_LOG(INFO) << "state " << state << (cause.empty() ? "" : ": ") << cause;
  if (state_ != state) since_ = absl::Now();
  state_ = state;
  cause_ = cause;
}

std::string SourceStatus::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

void SourceStatus::RecordError(const std::string& message) {
  absl::MutexLock lock(&mu_);
  errors_.emplace_back(absl::Now(), message);
  while (errors_.size() > 16) errors_.pop_front();
}

void SourceStatus::SetCursor(const std::string& key, const std::string& newest_id) {
  absl::MutexLock lock(&mu_);
  cursor_key_ = key;
  cursor_ = newest_id;
}

void SourceStatus::SetRateLimit(int64_t limit, int64_t remaining, int64_t reset_epoch_seconds) {
  absl::MutexLock lock(&mu_);
  rl_limit_ = limit;
  rl_remaining_ = remaining;
  rl_reset_ = reset_epoch_seconds;
}

void SourceStatus::SetGap(const std::string& description) {
  absl::MutexLock lock(&mu_);
  gap_ = description;
}

void SourceStatus::SetRules(int64_t owned, int64_t shared, const std::vector<Rule>& foreign) {
  absl::MutexLock lock(&mu_);
  rules_owned_ = owned;
  rules_shared_ = shared;
  rules_foreign_ = static_cast<int64_t>(foreign.size());
  foreign_rules_.assign(foreign.begin(), foreign.begin() + std::min<size_t>(foreign.size(), 20));
}

void SourceStatus::SetStream(const StreamCounters& c) {
  absl::MutexLock lock(&mu_);
  stream_.outstanding = c.outstanding;
  stream_.recoveries = c.recoveries;
  stream_.recovered = c.recovered;
  stream_.recovery_requests = c.recovery_requests;
  stream_.gaps = c.gaps;
  stream_.gap_seconds = c.gap_seconds;
}

void SourceStatus::SetStreamReader(const StreamCounters& c) {
  absl::MutexLock lock(&mu_);
  stream_.messages = c.messages;
  stream_.connects = c.connects;
  stream_.queued = c.queued;
  stream_.queue_full_waits = c.queue_full_waits;
}

void SourceStatus::SetBacklog(const std::string& description) {
  absl::MutexLock lock(&mu_);
  backlog_ = description;
}

void SourceStatus::SetSearchCounters(int64_t bad_pages, int64_t window_gaps, int64_t window_gap_seconds) {
  absl::MutexLock lock(&mu_);
  bad_pages_ = bad_pages;
  window_gaps_ = window_gaps;
  window_gap_seconds_ = window_gap_seconds;
}

void SourceStatus::SetCounters(const SourceCounters& counters) {
  absl::MutexLock lock(&mu_);
  counters_ = counters;
}

std::string SourceStatus::ToJson(const std::string& connector_name) const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  absl::MutexLock lock(&mu_);
  w.StartObject();
  w.Key("connector"); Str(w, connector_name);
  w.Key("state"); Str(w, state_);
  w.Key("since"); Str(w, common::Rfc3339Millis(since_));
  w.Key("cause"); Str(w, cause_);
  w.Key("updated_at"); Str(w, common::Rfc3339Millis(absl::Now()));
  w.Key("counters");
  w.StartObject();
#define TWEETSTREAM_SOURCE_COUNTER_JSON(name, where, field, help) \
  w.Key(#name);                                                   \
  w.Int64(counters_.name);
  TWEETSTREAM_SOURCE_COUNTERS(TWEETSTREAM_SOURCE_COUNTER_JSON)
#undef TWEETSTREAM_SOURCE_COUNTER_JSON
  w.EndObject();
  w.Key("cursor");
  w.StartObject();
  w.Key("key"); Str(w, cursor_key_);
  w.Key("newest_id"); Str(w, cursor_);
  w.EndObject();
  w.Key("rate_limit");
  w.StartObject();
  w.Key("limit"); w.Int64(rl_limit_);
  w.Key("remaining"); w.Int64(rl_remaining_);
  w.Key("reset"); Str(w, rl_reset_ >= 0 ? common::Rfc3339Millis(absl::FromUnixSeconds(rl_reset_)) : "");
  w.EndObject();
  w.Key("gap"); Str(w, gap_);
  w.Key("rules");
  w.StartObject();
  w.Key("owned"); w.Int64(rules_owned_);
  w.Key("shared"); w.Int64(rules_shared_);
  w.Key("foreign"); w.Int64(rules_foreign_);
  w.Key("foreign_rules");
  w.StartArray();
  for (const Rule& r : foreign_rules_) {
    w.StartObject();
    w.Key("id"); Str(w, r.id);
    w.Key("value"); Str(w, r.value);
    w.Key("tag"); Str(w, r.tag);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Key("search");
  w.StartObject();
  w.Key("bad_pages"); w.Int64(bad_pages_);
  w.Key("window_gaps"); w.Int64(window_gaps_);
  w.Key("window_gap_seconds"); w.Int64(window_gap_seconds_);
  w.Key("backlog"); Str(w, backlog_);
  w.EndObject();
  w.Key("stream");
  w.StartObject();
  for (const auto& [name, value] :
       {std::pair<const char*, int64_t>{"messages", stream_.messages}, {"connects", stream_.connects},
        {"queued", stream_.queued}, {"queue_full_waits", stream_.queue_full_waits},
        {"outstanding", stream_.outstanding}, {"recoveries", stream_.recoveries}, {"recovered", stream_.recovered},
        {"recovery_requests", stream_.recovery_requests}, {"gaps", stream_.gaps},
        {"gap_seconds", stream_.gap_seconds}}) {
    w.Key(name);
    w.Int64(value);
  }
  w.EndObject();
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

void SourceStatus::WriteFile(const std::string& path, const std::string& connector_name) const {
  absl::Status s = common::WriteFileAtomically(path, ToJson(connector_name) + "\n");
  if (!s.ok() && !write_failed_logged_.exchange(true)) TS_LOG(WARNING) << "status file: " << s.message();
}

void SourceStatus::FillProto(connector::v1::ConnectorStatus* out) const {
  absl::MutexLock lock(&mu_);
  FillCounters(counters_, out);
  out->set_degraded(state_ == "DEGRADED");
  if (state_ == "DEGRADED" || state_ == "FAILED") out->set_cause(cause_);
  for (const auto& [time, message] : errors_) {
    connector::v1::ErrorEntry* e = out->add_last_errors();
    *e->mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
    e->set_message(message);
  }
  connector::v1::SourceDetail* d = out->mutable_source();
  d->set_cursor_key(cursor_key_);
  d->set_cursor(cursor_);
  d->mutable_rate_limit()->set_limit(rl_limit_);
  d->mutable_rate_limit()->set_remaining(rl_remaining_);
  if (rl_reset_ >= 0) d->mutable_rate_limit()->mutable_reset()->set_seconds(rl_reset_);
  d->set_gap(gap_);
  d->set_bad_pages(bad_pages_);
  d->set_window_gaps(window_gaps_);
  d->set_window_gap_seconds(window_gap_seconds_);
  d->set_backlog(backlog_);
  d->set_stream_recoveries(stream_.recoveries);
  d->set_stream_recovered(stream_.recovered);
  d->set_stream_gaps(stream_.gaps);
  d->set_stream_gap_seconds(stream_.gap_seconds);
  d->set_stream_queue_full_waits(stream_.queue_full_waits);
  d->set_rules_owned(rules_owned_);
  d->set_rules_shared(rules_shared_);
  d->set_rules_foreign(rules_foreign_);
  for (const Rule& r : foreign_rules_) d->add_foreign_rules(absl::StrCat(r.id, " \"", r.value, "\" [", r.tag, "]"));
}

}  // namespace tweetstream::source
