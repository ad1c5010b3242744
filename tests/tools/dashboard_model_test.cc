// DashboardModel: the snapshot the dashboard page renders, from hand-made control-plane messages and
// hand-picked times (no sockets, no clock).
#include "tools/tweetctl/dashboard/dashboard_model.h"

#include <rapidjson/document.h>

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace tweetstream::tweetctl::dashboard {
namespace {

namespace v1 = tweetstream::connector::v1;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  EXPECT_FALSE(d.HasParseError()) << json;
  return d;
}

v1::ConnectorStatus Source(int64_t produced) {
  v1::ConnectorStatus s;
  s.set_kind("source");
  s.set_state(v1::CONNECTOR_STATE_RUNNING);
  s.mutable_counters()->set_read(produced);
  s.mutable_counters()->set_produced(produced);
  s.mutable_source()->set_mode("synthetic");
  s.mutable_source()->set_cursor("1234");
  return s;
}

v1::ConnectorStatus Sink(int64_t indexed, int64_t lag) {
  v1::ConnectorStatus s;
  s.set_kind("sink");
  s.set_state(v1::CONNECTOR_STATE_RUNNING);
  s.mutable_counters()->set_indexed(indexed);
  s.mutable_sink()->set_total_lag(lag);
  s.mutable_sink()->set_index_document_count(indexed);
  return s;
}

// A histogram with bounds 0.1, 0.2, 0.4 s and these per-bucket (not cumulative) counts, +Inf last.
v1::HistogramValue Histogram(std::vector<uint64_t> per_bucket) {
  v1::HistogramValue h;
  for (double b : {0.1, 0.2, 0.4}) h.add_bounds(b);
  uint64_t cumulative = 0;
  for (uint64_t n : per_bucket) {
    cumulative += n;
    h.add_bucket_counts(cumulative);
  }
  h.set_count(cumulative);
  return h;
}

v1::GetMetricsResponse LatencyMetrics(const v1::HistogramValue& h) {
  v1::GetMetricsResponse m;
  v1::MetricFamily* f = m.add_families();
  f->set_name("tweetstream_sink_latency_since_ingested_seconds");
  f->set_type(v1::MetricFamily::TYPE_HISTOGRAM);
  *f->add_samples()->mutable_histogram() = h;
  return m;
}

TEST(DeltaQuantileTest, InterpolatesInsideTheBucketOfTheDifference) {
  const v1::HistogramValue before = Histogram({10, 0, 0, 0});
  const v1::HistogramValue now = Histogram({10, 4, 0, 0});  // 4 new, all in (0.1, 0.2]
  ASSERT_TRUE(DeltaQuantile(before, now, 0.5).has_value());
  EXPECT_DOUBLE_EQ(*DeltaQuantile(before, now, 0.5), 0.15);
  EXPECT_DOUBLE_EQ(*DeltaQuantile(before, now, 1.0), 0.2);
  // Everything since the start when there is no "before".
  EXPECT_DOUBLE_EQ(*DeltaQuantile(v1::HistogramValue(), now, 0.5), 0.1 * 7 / 10);
}

TEST(DeltaQuantileTest, NothingNewIsNoValueAndInfIsTheTopBound) {
  const v1::HistogramValue h = Histogram({1, 2, 3, 0});
  EXPECT_FALSE(DeltaQuantile(h, h, 0.5).has_value());
  EXPECT_DOUBLE_EQ(*DeltaQuantile(h, Histogram({1, 2, 3, 5}), 0.99), 0.4);
  // Fewer observations than before (the sink restarted): all of the new histogram.
  EXPECT_DOUBLE_EQ(*DeltaQuantile(h, Histogram({2, 0, 0, 0}), 1.0), 0.1);
}

TEST(DashboardModelTest, SnapshotHoldsBothStatusesAndRates) {
  DashboardModel model;
  model.SetAddress(Side::kSource, "127.0.0.1:50051");
  model.SetAddress(Side::kSink, "127.0.0.1:50052");
  model.OnStatus(Side::kSource, Source(100), kT0);
  model.OnStatus(Side::kSink, Sink(50, 50), kT0);
  model.Sample(kT0);
  model.OnStatus(Side::kSource, Source(300), kT0 + absl::Seconds(2));
  model.OnStatus(Side::kSink, Sink(250, 50), kT0 + absl::Seconds(2));
  model.Sample(kT0 + absl::Seconds(2));

  rapidjson::Document d = Parse(model.SnapshotJson(kT0 + absl::Seconds(2)));
  EXPECT_STREQ(d["source"]["view"].GetString(), "LIVE");
  EXPECT_STREQ(d["source"]["address"].GetString(), "127.0.0.1:50051");
  EXPECT_STREQ(d["source"]["status"]["state"].GetString(), "CONNECTOR_STATE_RUNNING");
  EXPECT_STREQ(d["source"]["status"]["source"]["cursor"].GetString(), "1234");
  EXPECT_STREQ(d["sink"]["status"]["sink"]["index_document_count"].GetString(), "250");
  const auto& s = d["series"];
  ASSERT_EQ(s["t"].Size(), 2u);
  EXPECT_DOUBLE_EQ(s["t"][1].GetDouble(), 1'800'000'002.0);
  EXPECT_TRUE(s["delivered_per_s"][0].IsNull());  // no rate before the second point
  EXPECT_DOUBLE_EQ(s["delivered_per_s"][1].GetDouble(), 100.0);
  EXPECT_DOUBLE_EQ(s["indexed_per_s"][1].GetDouble(), 100.0);
  EXPECT_DOUBLE_EQ(s["lag"][1].GetDouble(), 50.0);
}

TEST(DashboardModelTest, LatencyPercentilesAreOfWhatWasIndexedSinceTheLastAnswer) {
  DashboardModel model;
  model.OnSinkMetrics(LatencyMetrics(Histogram({100, 0, 0, 0})), kT0);  // the baseline: nothing shown
  model.Sample(kT0);
  model.OnSinkMetrics(LatencyMetrics(Histogram({100, 0, 10, 0})), kT0 + absl::Seconds(1));
  model.Sample(kT0 + absl::Seconds(1));
  model.Sample(kT0 + absl::Seconds(2));  // no metrics answer in between: no value

  rapidjson::Document d = Parse(model.SnapshotJson(kT0 + absl::Seconds(2)));
  const auto& p50 = d["series"]["latency_p50_ms"];
  ASSERT_EQ(p50.Size(), 3u);
  EXPECT_TRUE(p50[0].IsNull());
  EXPECT_DOUBLE_EQ(p50[1].GetDouble(), 300.0);  // 10 new in (200, 400] ms, the middle one at 300
  EXPECT_DOUBLE_EQ(d["series"]["latency_p99_ms"][1].GetDouble(), 398.0);
  EXPECT_TRUE(p50[2].IsNull());
}

TEST(DashboardModelTest, UnreachableAndStaleAreSaid) {
  DashboardModel model;
  rapidjson::Document d = Parse(model.SnapshotJson(kT0));
  EXPECT_STREQ(d["source"]["view"].GetString(), "WAITING");
  EXPECT_TRUE(d["source"]["status"].IsNull());

  model.OnStatus(Side::kSink, Sink(10, 0), kT0);
  d = Parse(model.SnapshotJson(kT0 + absl::Seconds(30)));
  EXPECT_STREQ(d["sink"]["view"].GetString(), "STALE");

  model.OnUnreachable(Side::kSink, "UNAVAILABLE: Connection refused", kT0 + absl::Seconds(31));
  d = Parse(model.SnapshotJson(kT0 + absl::Seconds(31)));
  EXPECT_STREQ(d["sink"]["view"].GetString(), "UNREACHABLE");
  EXPECT_STREQ(d["sink"]["error"].GetString(), "UNAVAILABLE: Connection refused");
  // The last status stays, and no rate is made up while the sink cannot be asked.
  EXPECT_STREQ(d["sink"]["status"]["kind"].GetString(), "sink");
  model.Sample(kT0 + absl::Seconds(31));
  model.Sample(kT0 + absl::Seconds(32));
  d = Parse(model.SnapshotJson(kT0 + absl::Seconds(32)));
  EXPECT_TRUE(d["series"]["indexed_per_s"][1].IsNull());
  EXPECT_TRUE(d["series"]["lag"][1].IsNull());
}

TEST(DashboardModelTest, SeriesKeepOnlyTheWindow) {
  DashboardModelOptions options;
  options.window = absl::Seconds(10);
  DashboardModel model(options);
  for (int i = 0; i <= 30; ++i) model.Sample(kT0 + absl::Seconds(i));
  EXPECT_EQ(model.SeriesSize(), 11u);  // t-10 .. t
}

TEST(DashboardModelTest, DeadLetterClassesAreInTheSnapshot) {
  DashboardModel model;
  v1::DeadLetterStats stats;
  stats.set_topic("twitter-stream-dlq");
  stats.set_dead_lettered(3);
  (*stats.mutable_by_error_class())["mapper_parsing_exception"] = 2;
  (*stats.mutable_by_error_class())["undecodable"] = 1;
  model.OnDeadLetterStats(stats);
  rapidjson::Document d = Parse(model.SnapshotJson(kT0));
  EXPECT_STREQ(d["dlq"]["dead_lettered"].GetString(), "3");
  EXPECT_STREQ(d["dlq"]["by_error_class"]["mapper_parsing_exception"].GetString(), "2");
}

}  // namespace
}  // namespace tweetstream::tweetctl::dashboard
