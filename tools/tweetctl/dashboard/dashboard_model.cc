#include "tools/tweetctl/dashboard/dashboard_model.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <google/protobuf/util/json_util.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/rfc3339.h"

namespace tweetstream::tweetctl::dashboard {

namespace v1 = tweetstream::connector::v1;

namespace {

constexpr char kLatencyFamily[] = "tweetstream_sink_latency_since_ingested_seconds";

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void String(JsonWriter& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Raw(JsonWriter& w, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) json = "{}";
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void Number(JsonWriter& w, const std::optional<double>& value) {
  if (value.has_value() && std::isfinite(*value)) w.Double(*value);
  else w.Null();
}

// The sum of every sample of the latency family (one per label set; the sink has one), or nullopt.
std::optional<v1::HistogramValue> LatencyHistogram(const v1::GetMetricsResponse& metrics) {
  for (const v1::MetricFamily& family : metrics.families()) {
    if (family.name() != kLatencyFamily || family.type() != v1::MetricFamily::TYPE_HISTOGRAM) continue;
    std::optional<v1::HistogramValue> sum;
    for (const v1::MetricSample& sample : family.samples()) {
      const v1::HistogramValue& h = sample.histogram();
      if (!sum.has_value()) {
        sum = h;
        continue;
      }
      if (h.bounds_size() != sum->bounds_size() || h.bucket_counts_size() != sum->bucket_counts_size()) continue;
      for (int i = 0; i < h.bucket_counts_size(); ++i) {
        sum->set_bucket_counts(i, sum->bucket_counts(i) + h.bucket_counts(i));
      }
      sum->set_count(sum->count() + h.count());
      sum->set_sum(sum->sum() + h.sum());
    }
    return sum;
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> DeltaQuantile(const v1::HistogramValue& before, const v1::HistogramValue& now, double q) {
  const int n = now.bucket_counts_size();
  if (n == 0 || n != now.bounds_size() + 1 || q <= 0 || q > 1) return std::nullopt;
  // A different shape, or fewer observations than before (the sink restarted): all of `now`.
  bool use_before = before.bucket_counts_size() == n && before.count() <= now.count();
  for (int i = 0; use_before && i < now.bounds_size(); ++i) use_before = before.bounds(i) == now.bounds(i);
  auto delta = [&](int i) -> double {
    const uint64_t b = use_before ? before.bucket_counts(i) : 0;
    return now.bucket_counts(i) >= b ? static_cast<double>(now.bucket_counts(i) - b) : 0.0;
  };
  const double total = delta(n - 1);
  if (total <= 0) return std::nullopt;
  const double rank = q * total;
  double below = 0;  // cumulative count of the buckets before i
  for (int i = 0; i < n - 1; ++i) {
    const double cumulative = delta(i);
    if (cumulative >= rank) {
      const double lower = i == 0 ? 0.0 : now.bounds(i - 1);
      const double upper = now.bounds(i);
      const double in_bucket = cumulative - below;
      if (in_bucket <= 0) return upper;
      return lower + (upper - lower) * (rank - below) / in_bucket;
    }
    below = cumulative;
  }
  return now.bounds_size() > 0 ? std::optional<double>(now.bounds(now.bounds_size() - 1)) : std::nullopt;
}

DashboardModel::DashboardModel(DashboardModelOptions options) : options_(options) {}

void DashboardModel::SetAddress(Side side, const std::string& address) {
  absl::MutexLock lock(&mu_);
  Get(side).address = address;
}

void DashboardModel::OnStatus(Side side, const v1::ConnectorStatus& status, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Connector& c = Get(side);
  c.has_status = true;
  c.status = status;
  c.status_at = now;
  c.reachable = true;
  c.error.clear();
}

void DashboardModel::OnUnreachable(Side side, const std::string& error, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Connector& c = Get(side);
  c.reachable = false;
  c.error = error;
  c.error_at = now;
}

void DashboardModel::OnSinkMetrics(const v1::GetMetricsResponse& metrics, absl::Time /*now*/) {
  absl::MutexLock lock(&mu_);
  metrics_error_.clear();
  std::optional<v1::HistogramValue> h = LatencyHistogram(metrics);
  if (!h.has_value()) return;
  const v1::HistogramValue before = has_latency_ ? latency_ : v1::HistogramValue();
  if (has_latency_) {
    // Seconds on the wire, milliseconds on the page.
    auto ms = [](std::optional<double> s) { return s.has_value() ? std::optional<double>(*s * 1000.0) : s; };
    pending_p50_ = ms(DeltaQuantile(before, *h, 0.50));
    pending_p95_ = ms(DeltaQuantile(before, *h, 0.95));
    pending_p99_ = ms(DeltaQuantile(before, *h, 0.99));
  }
  latency_ = *std::move(h);
  has_latency_ = true;
}

void DashboardModel::OnSinkMetricsError(const std::string& error) {
  absl::MutexLock lock(&mu_);
  metrics_error_ = error;
}

void DashboardModel::OnDeadLetterStats(const v1::DeadLetterStats& stats) {
  absl::MutexLock lock(&mu_);
  dlq_ = stats;
  has_dlq_ = true;
}

std::optional<double> DashboardModel::Rate(RateBase& base, const Connector& c, int64_t value, absl::Time now) {
  if (!c.has_status || !c.reachable) {
    base.set = false;
    return std::nullopt;
  }
  std::optional<double> rate;
  const double seconds = absl::ToDoubleSeconds(now - base.time);
  // A counter that went down is a restarted connector: start again from its new value.
  if (base.set && seconds > 0 && value >= base.value) rate = static_cast<double>(value - base.value) / seconds;
  base = {true, value, now};
  return rate;
}

void DashboardModel::Sample(absl::Time now) {
  absl::MutexLock lock(&mu_);
  Point p;
  p.time = now;
  p.delivered_per_s = Rate(delivered_base_, source_, source_.status.counters().produced(), now);
  p.indexed_per_s = Rate(indexed_base_, sink_, sink_.status.counters().indexed(), now);
  if (sink_.has_status && sink_.reachable && sink_.status.has_sink()) {
    p.lag = static_cast<double>(sink_.status.sink().total_lag());
  }
  p.p50_ms = std::exchange(pending_p50_, std::nullopt);
  p.p95_ms = std::exchange(pending_p95_, std::nullopt);
  p.p99_ms = std::exchange(pending_p99_, std::nullopt);
  series_.push_back(p);
  while (!series_.empty() && series_.front().time < now - options_.window) series_.pop_front();
}

size_t DashboardModel::SeriesSize() const {
  absl::MutexLock lock(&mu_);
  return series_.size();
}

std::string DashboardModel::SnapshotJson(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("now");
  String(w, common::Rfc3339Millis(now));
  auto connector = [&](const char* key, const Connector& c) {
    w.Key(key);
    w.StartObject();
    w.Key("address");
    String(w, c.address);
    // UNREACHABLE (the control plane does not answer), STALE (it answered once, nothing new for a
    // while), LIVE, or WAITING (nothing yet).
    std::string view = "WAITING";
    if (!c.reachable && !c.error.empty()) view = "UNREACHABLE";
    else if (c.has_status && now - c.status_at > options_.stale_after) view = "STALE";
    else if (c.has_status) view = "LIVE";
    w.Key("view");
    String(w, view);
    w.Key("error");
    String(w, c.error);
    w.Key("age_seconds");
    if (c.has_status) w.Double(absl::ToDoubleSeconds(now - c.status_at));
    else w.Null();
    w.Key("status");
    if (c.has_status) Raw(w, c.status);
    else w.Null();
    w.EndObject();
  };
  connector("source", source_);
  connector("sink", sink_);
  w.Key("dlq");
  if (has_dlq_) Raw(w, dlq_);
  else w.Null();
  w.Key("metrics_error");
  String(w, metrics_error_);
  // Columns, the shape uPlot takes: t in Unix seconds, one array per series, null = no value.
  w.Key("series");
  w.StartObject();
  w.Key("window_seconds");
  w.Int64(absl::ToInt64Seconds(options_.window));
  auto column = [&](const char* key, std::optional<double> Point::*field) {
    w.Key(key);
    w.StartArray();
    for (const Point& p : series_) Number(w, p.*field);
    w.EndArray();
  };
  w.Key("t");
  w.StartArray();
  for (const Point& p : series_) w.Double(absl::ToDoubleSeconds(p.time - absl::UnixEpoch()));
  w.EndArray();
  column("delivered_per_s", &Point::delivered_per_s);
  column("indexed_per_s", &Point::indexed_per_s);
  column("lag", &Point::lag);
  column("latency_p50_ms", &Point::p50_ms);
  column("latency_p95_ms", &Point::p95_ms);
  column("latency_p99_ms", &Point::p99_ms);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace tweetstream::tweetctl::dashboard
