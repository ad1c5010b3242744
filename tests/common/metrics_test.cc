// MetricsRegistry: the exact text format, escaping, histogram buckets, concurrency, callbacks,
// ToProto, and the rendered text read back by an independent parser (Python prometheus_client).

#include "common/metrics.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::common {
namespace {

namespace pb = ::tweetstream::connector::v1;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(MetricsTest, RendersTheExactTextFormat) {
  MetricsRegistry registry;
  // Registered out of order on purpose: the output is sorted by family name, then by labels.
  Counter* get_500 = registry.AddCounter("tweetstream_test_requests_total", "Requests \"served\".",
                                         {{"method", "GET"}, {"code", "500"}});
  Counter* get_200 = registry.AddCounter("tweetstream_test_requests_total", "Requests \"served\".",
                                         {{"method", "GET"}, {"code", "200"}});
  Histogram* latency = registry.AddHistogram("tweetstream_test_latency_seconds", "Latency.", {0.125, 1, 10});
  Gauge* lag = registry.AddGauge("tweetstream_test_lag", "Lag.\nSecond line \\ backslash");
  Counter* events = registry.AddCounter("tweetstream_test_events", "Events seen.");

  events->Inc(3);
  get_200->Inc(2);
  get_500->Inc();
  lag->Set(-2.5);
  for (double v : {0.0625, 0.125, 0.5, 20.0}) latency->Observe(v);  // 0.125 is on a bound: le is <=

  const std::string expected =
      "# HELP tweetstream_test_events_total Events seen.\n"
      "# TYPE tweetstream_test_events_total counter\n"
      "tweetstream_test_events_total 3\n"
      "# HELP tweetstream_test_lag Lag.\\nSecond line \\\\ backslash\n"
      "# TYPE tweetstream_test_lag gauge\n"
      "tweetstream_test_lag -2.5\n"
      "# HELP tweetstream_test_latency_seconds Latency.\n"
      "# TYPE tweetstream_test_latency_seconds histogram\n"
      "tweetstream_test_latency_seconds_bucket{le=\"0.125\"} 2\n"
      "tweetstream_test_latency_seconds_bucket{le=\"1\"} 3\n"
      "tweetstream_test_latency_seconds_bucket{le=\"10\"} 3\n"
      "tweetstream_test_latency_seconds_bucket{le=\"+Inf\"} 4\n"
      "tweetstream_test_latency_seconds_sum 20.6875\n"
      "tweetstream_test_latency_seconds_count 4\n"
      "# HELP tweetstream_test_requests_total Requests \"served\".\n"
      "# TYPE tweetstream_test_requests_total counter\n"
      "tweetstream_test_requests_total{method=\"GET\",code=\"200\"} 2\n"
      "tweetstream_test_requests_total{method=\"GET\",code=\"500\"} 1\n";
  EXPECT_EQ(registry.RenderText(), expected);
  EXPECT_EQ(registry.RenderText(), expected) << "rendering twice gives the same text";
}

TEST(MetricsTest, HistogramWithLabelsPutsLeLastAndBucketsAreCumulative) {
  MetricsRegistry registry;
  Histogram* h = registry.AddHistogram("batch_size", "Records per batch.", {1, 10, 100}, {{"topic", "tweets"}});
  EXPECT_EQ(registry.RenderText(),
            "# HELP batch_size Records per batch.\n"
            "# TYPE batch_size histogram\n"
            "batch_size_bucket{topic=\"tweets\",le=\"1\"} 0\n"
            "batch_size_bucket{topic=\"tweets\",le=\"10\"} 0\n"
            "batch_size_bucket{topic=\"tweets\",le=\"100\"} 0\n"
            "batch_size_bucket{topic=\"tweets\",le=\"+Inf\"} 0\n"
            "batch_size_sum{topic=\"tweets\"} 0\n"
            "batch_size_count{topic=\"tweets\"} 0\n");

  for (double v : {0.0, 1.0, 5.0, 10.0, 11.0, 100.0, 1000.0, kInf}) h->Observe(v);
  h->Observe(kNaN);  // into +Inf only, as in the Go client
  const HistogramSnapshot s = h->Snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 10, 100}));
  EXPECT_EQ(s.cumulative_counts, (std::vector<uint64_t>{2, 4, 6, 9}));
  EXPECT_EQ(s.count, 9u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain \xF0\x9F\x90\xA6 tab\t"), "plain \xF0\x9F\x90\xA6 tab\t");
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");  // HELP leaves quotes alone

  MetricsRegistry registry;
  registry.AddGauge("g", "", {{"path", "C:\\tmp\\\"x\"\n"}})->Set(1);
  EXPECT_EQ(registry.RenderText(),
            "# HELP g\n"
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\tmp\\\\\\\"x\\\"\\n\"} 1\n");
}

TEST(MetricsTest, FormatsValuesAsPrometheusExpects) {
  EXPECT_EQ(FormatMetricValue(kNaN), "NaN");
  EXPECT_EQ(FormatMetricValue(kInf), "+Inf");
  EXPECT_EQ(FormatMetricValue(-kInf), "-Inf");
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(42), "42");
  EXPECT_EQ(FormatMetricValue(-7), "-7");
  EXPECT_EQ(FormatMetricValue(123456789012.0), "123456789012");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(-2.5), "-2.5");
  EXPECT_EQ(FormatMetricValue(1.5e-7), "1.5e-07");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(std::stod(FormatMetricValue(0.1 + 0.2)), 0.1 + 0.2) << "round trips exactly";

  MetricsRegistry registry;
  registry.AddGauge("a_nan", "n")->Set(kNaN);
  registry.AddGauge("b_pos_inf", "p")->Set(kInf);
  registry.AddGauge("c_neg_inf", "m")->Set(-kInf);
  EXPECT_EQ(registry.RenderText(),
            "# HELP a_nan n\n# TYPE a_nan gauge\na_nan NaN\n"
            "# HELP b_pos_inf p\n# TYPE b_pos_inf gauge\nb_pos_inf +Inf\n"
            "# HELP c_neg_inf m\n# TYPE c_neg_inf gauge\nc_neg_inf -Inf\n");
}

TEST(MetricsTest, SameNameAndLabelsReturnTheSameObject) {
  MetricsRegistry registry;
  Counter* a = registry.AddCounter("x", "h", {{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(registry.AddCounter("x", "h", {{"a", "1"}, {"b", "2"}}), a);
  EXPECT_EQ(registry.AddCounter("x_total", "h", {{"b", "2"}, {"a", "1"}}), a) << "order and _total do not matter";
  EXPECT_NE(registry.AddCounter("x", "h", {{"a", "1"}, {"b", "3"}}), a);
  EXPECT_NE(registry.AddCounter("x", "h"), a);
  Histogram* h = registry.AddHistogram("h", "h", {1, 2});
  EXPECT_EQ(registry.AddHistogram("h", "h", {1, 2, kInf}), h) << "a trailing +Inf is implied anyway";
  Gauge* g = registry.AddGauge("g", "h");
  EXPECT_EQ(registry.AddGauge("g", "h"), g);
}

TEST(MetricsTest, CounterIgnoresDecrements) {
  Counter c;
  c.Inc(2.5);
  c.Inc(-1);
  c.Inc(kNaN);
  EXPECT_EQ(c.value(), 2.5);
  Gauge g;
  g.Set(10);
  g.Add(-12.5);
  EXPECT_EQ(g.value(), -2.5);
}

TEST(MetricsTest, ConcurrentUpdatesSumExactly) {
  MetricsRegistry registry;
  Counter* counter = registry.AddCounter("c", "h");
  Gauge* gauge = registry.AddGauge("g", "h");
  Histogram* histogram = registry.AddHistogram("h", "h", {0.5, 1.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter->Inc();
        gauge->Add(t % 2 == 0 ? 1 : -1);
        histogram->Observe(1);
        if (i % 10000 == 0) (void)registry.RenderText();  // scrapes race with updates, harmlessly
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter->value(), kThreads * kPerThread);
  EXPECT_EQ(gauge->value(), 0);
  const HistogramSnapshot s = histogram->Snapshot();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative_counts, (std::vector<uint64_t>{0, s.count, s.count}));
  EXPECT_EQ(s.sum, kThreads * kPerThread);
}

TEST(MetricsTest, CallbacksAreEvaluatedAtEachScrape) {
  MetricsRegistry registry;
  std::atomic<int64_t> read{5};
  double in_flight = 1;
  registry.AddCounterFunction("src_read", "Read.", [&] { return static_cast<double>(read.load()); });
  registry.AddGaugeFunction("sink_in_flight", "In flight.", [&] { return in_flight; }, {{"pool", "a"}});
  const std::string first = registry.RenderText();
  EXPECT_NE(first.find("src_read_total 5\n"), std::string::npos) << first;
  EXPECT_NE(first.find("sink_in_flight{pool=\"a\"} 1\n"), std::string::npos) << first;

  read = 9;
  in_flight = 0;
  const std::string second = registry.RenderText();
  EXPECT_NE(second.find("src_read_total 9\n"), std::string::npos) << second;
  EXPECT_NE(second.find("sink_in_flight{pool=\"a\"} 0\n"), std::string::npos) << second;

  // Registering again replaces the callback.
  registry.AddGaugeFunction("sink_in_flight", "In flight.", [] { return 42.0; }, {{"pool", "a"}});
  EXPECT_NE(registry.RenderText().find("sink_in_flight{pool=\"a\"} 42\n"), std::string::npos);

  // Removed: the sample and then its empty family go away; the callback is never called again.
  registry.AddGaugeFunction("sink_in_flight", "In flight.", [] { return 7.0; }, {{"pool", "b"}});
  registry.RemoveFunction("sink_in_flight", {{"pool", "a"}});
  EXPECT_EQ(registry.RenderText(),
            "# HELP sink_in_flight In flight.\n# TYPE sink_in_flight gauge\nsink_in_flight{pool=\"b\"} 7\n"
            "# HELP src_read_total Read.\n# TYPE src_read_total counter\nsrc_read_total 9\n");
  registry.RemoveFunction("sink_in_flight", {{"pool", "b"}});
  registry.RemoveFunction("src_read", {});  // matched with _total appended
  registry.RemoveFunction("no_such_metric", {});
  EXPECT_EQ(registry.RenderText(), "");
  // An empty family is gone, so the name may come back with another help text.
  registry.AddGauge("sink_in_flight", "Now an object.")->Set(3);
  EXPECT_EQ(registry.RenderText(), "# HELP sink_in_flight Now an object.\n# TYPE sink_in_flight gauge\nsink_in_flight 3\n");
}

TEST(MetricsTest, FamilyFunctionSamplesComeAndGo) {
  MetricsRegistry registry;
  std::vector<int> partitions = {2, 0};
  int calls = 0;
  registry.SetGaugeFamilyFunction("sink_lag", "Lag per partition.", [&] {
    ++calls;
    MetricsRegistry::FamilySamples samples;
    for (int p : partitions) samples.push_back({{{"partition", std::to_string(p)}}, p * 10.0});
    return samples;
  });
  EXPECT_EQ(registry.RenderText(),
            "# HELP sink_lag Lag per partition.\n# TYPE sink_lag gauge\n"
            "sink_lag{partition=\"0\"} 0\n"
            "sink_lag{partition=\"2\"} 20\n");
  partitions = {1};
  EXPECT_EQ(registry.RenderText(),
            "# HELP sink_lag Lag per partition.\n# TYPE sink_lag gauge\nsink_lag{partition=\"1\"} 10\n");
  partitions = {};
  EXPECT_EQ(registry.RenderText(), "") << "a family without samples is left out";
  EXPECT_EQ(calls, 3);

  // Invalid label names and repeated label sets from a callback are dropped, not rendered.
  registry.SetCounterFamilyFunction("dlq", "Dead letters.", [] {
    return MetricsRegistry::FamilySamples{{{{"reason", "mapping"}}, 2},
                                          {{{"bad-name", "x"}}, 1},
                                          {{{"reason", "mapping"}}, 3},
                                          {{{"reason", "too_large"}}, 1}};
  });
  EXPECT_EQ(registry.RenderText(),
            "# HELP dlq_total Dead letters.\n# TYPE dlq_total counter\n"
            "dlq_total{reason=\"mapping\"} 2\n"
            "dlq_total{reason=\"too_large\"} 1\n");
  registry.ClearFamilyFunction("dlq");
  EXPECT_EQ(registry.RenderText(), "");
}

TEST(MetricsTest, ToProtoHoldsTheSameSamples) {
  MetricsRegistry registry;
  registry.AddCounter("c", "Counter help.", {{"k", "v"}})->Inc(4);
  registry.AddGaugeFunction("g", "Gauge help.", [] { return -1.5; });
  Histogram* h = registry.AddHistogram("h", "Histogram help.", {1, 2}, {{"x", "y"}});
  h->Observe(0.5);
  h->Observe(3);

  pb::GetMetricsResponse response;
  response.add_families()->set_name("stale");  // replaced, not merged
  registry.ToProto(&response);
  ASSERT_EQ(response.families_size(), 3);

  const pb::MetricFamily& c = response.families(0);
  EXPECT_EQ(c.name(), "c_total");
  EXPECT_EQ(c.help(), "Counter help.");
  EXPECT_EQ(c.type(), pb::MetricFamily::TYPE_COUNTER);
  ASSERT_EQ(c.samples_size(), 1);
  EXPECT_EQ(c.samples(0).labels().at("k"), "v");
  EXPECT_EQ(c.samples(0).value(), 4);

  const pb::MetricFamily& g = response.families(1);
  EXPECT_EQ(g.name(), "g");
  EXPECT_EQ(g.type(), pb::MetricFamily::TYPE_GAUGE);
  ASSERT_EQ(g.samples_size(), 1);
  EXPECT_TRUE(g.samples(0).labels().empty());
  EXPECT_EQ(g.samples(0).value(), -1.5);

  const pb::MetricFamily& hf = response.families(2);
  EXPECT_EQ(hf.name(), "h");
  EXPECT_EQ(hf.type(), pb::MetricFamily::TYPE_HISTOGRAM);
  ASSERT_EQ(hf.samples_size(), 1);
  const pb::HistogramValue& hv = hf.samples(0).histogram();
  EXPECT_EQ(std::vector<double>(hv.bounds().begin(), hv.bounds().end()), (std::vector<double>{1, 2}));
  EXPECT_EQ(std::vector<uint64_t>(hv.bucket_counts().begin(), hv.bucket_counts().end()),
            (std::vector<uint64_t>{1, 1, 2}));
  EXPECT_EQ(hv.count(), 2u);
  EXPECT_EQ(hv.sum(), 3.5);
}

TEST(MetricsTest, BucketHelpers) {
  EXPECT_EQ(ExponentialBuckets(0.25, 2, 4), (std::vector<double>{0.25, 0.5, 1, 2}));
  EXPECT_EQ(ExponentialBuckets(1, 2, 5), (std::vector<double>{1, 2, 4, 8, 16}));
  EXPECT_EQ(LinearBuckets(10, 5, 3), (std::vector<double>{10, 15, 20}));
}

// ---- Programming errors abort with a message naming the metric -------------------------------

class MetricsDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(MetricsDeathTest, SameNameAnotherType) {
  MetricsRegistry registry;
  registry.AddGauge("m", "h");
  EXPECT_DEATH(registry.AddHistogram("m", "h", {1}), "\"m\" registered as a gauge and now as a histogram");
  registry.AddCounter("c", "h");
  EXPECT_DEATH(registry.AddGauge("c_total", "h"), "\"c_total\" registered as a counter and now as a gauge");
  EXPECT_DEATH(registry.AddGauge("m", "other help"), "two help texts");
  EXPECT_DEATH(registry.AddGaugeFunction("m", "h", [] { return 1.0; }), "\"m\" is already an object");
}

TEST_F(MetricsDeathTest, InvalidNamesLabelsAndBounds) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.AddGauge("1abc", "h"), "invalid metric name \"1abc\"");
  EXPECT_DEATH(registry.AddGauge("a-b", "h"), "invalid metric name");
  EXPECT_DEATH(registry.AddGauge("g", "h", {{"bad label", "v"}}), "invalid label name \"bad label\"");
  EXPECT_DEATH(registry.AddGauge("g", "h", {{"__reserved", "v"}}), "invalid label name");
  EXPECT_DEATH(registry.AddGauge("g", "h", {{"a", "1"}, {"a", "2"}}), "label \"a\" given twice");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {1}, {{"le", "1"}}), "may not use the label \"le\"");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {1, 1}), "not strictly ascending");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {2, 1}), "not strictly ascending");
  EXPECT_DEATH(registry.AddHistogram("h", "h", {kNaN}), "NaN");
  registry.AddHistogram("h", "h", {1});
  EXPECT_DEATH(registry.AddHistogram("h", "h", {1, 2}), "two sets of bucket bounds");
  EXPECT_DEATH(ExponentialBuckets(0, 2, 3), "ExponentialBuckets");
}

TEST_F(MetricsDeathTest, SampleNameCollisionsAndMixedFamilies) {
  MetricsRegistry registry;
  registry.AddHistogram("lat", "h", {1});
  EXPECT_DEATH(registry.AddGauge("lat_count", "h"), "collides with \"lat\"");
  registry.AddGauge("q_sum", "h");
  EXPECT_DEATH(registry.AddHistogram("q", "h", {1}), "collides with \"q_sum\"");
  registry.AddGauge("fam", "h", {{"a", "1"}});
  EXPECT_DEATH(registry.SetGaugeFamilyFunction("fam", "h", [] { return MetricsRegistry::FamilySamples{}; }),
               "cannot also have a family callback");
  registry.SetGaugeFamilyFunction("fam2", "h", [] { return MetricsRegistry::FamilySamples{}; });
  EXPECT_DEATH(registry.AddGauge("fam2", "h"), "cannot also have per-label samples");
}

// ---- An independent parser reads the text back ------------------------------------------------

// One line per family ("F name type hex(help)") and per sample ("S name labels value"), labels
// sorted by name as k=hex(value) except le, which is a number; values as %.17g.
constexpr char kPythonDump[] = R"PY(
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], 'rb').read().decode('utf-8')
def num(v):
    return 'nan' if v != v else '%.17g' % v
for f in text_string_to_metric_families(text):
    print('F %s %s %s' % (f.name, f.type, f.documentation.encode('utf-8').hex()))
    for s in f.samples:
        labels = ','.join('%s=%s' % (k, num(float(v)) if k == 'le' else v.encode('utf-8').hex())
                          for k, v in sorted(s.labels.items()))
        print('S %s %s %s' % (s.name, labels, num(s.value)))
)PY";

std::string Num(double v) { return std::isnan(v) ? "nan" : absl::StrFormat("%.17g", v); }

std::string Hex(const std::string& s) { return absl::BytesToHexString(s); }

// What kPythonDump should print, built from ToProto() (the parser's view of counters: the family
// name without _total, the samples with it).
std::string DumpFromProto(const pb::GetMetricsResponse& response) {
  std::string out;
  for (const pb::MetricFamily& f : response.families()) {
    std::string family_name = f.name();
    std::string type = "gauge";
    if (f.type() == pb::MetricFamily::TYPE_COUNTER) {
      type = "counter";
      family_name = family_name.substr(0, family_name.size() - 6);
    } else if (f.type() == pb::MetricFamily::TYPE_HISTOGRAM) {
      type = "histogram";
    }
    absl::StrAppend(&out, "F ", family_name, " ", type, " ", Hex(f.help()), "\n");
    for (const pb::MetricSample& s : f.samples()) {
      std::map<std::string, std::string> sorted(s.labels().begin(), s.labels().end());
      auto labels = [&](const std::string* le) {
        std::map<std::string, std::string> parts;
        for (const auto& [k, v] : sorted) parts[k] = Hex(v);
        if (le != nullptr) parts["le"] = *le;
        return absl::StrJoin(parts, ",", absl::PairFormatter("="));
      };
      if (f.type() != pb::MetricFamily::TYPE_HISTOGRAM) {
        absl::StrAppend(&out, "S ", f.name(), " ", labels(nullptr), " ", Num(s.value()), "\n");
        continue;
      }
      const pb::HistogramValue& h = s.histogram();
      for (int i = 0; i < h.bucket_counts_size(); ++i) {
        const std::string le = Num(i < h.bounds_size() ? h.bounds(i) : kInf);
        absl::StrAppend(&out, "S ", f.name(), "_bucket ", labels(&le), " ", Num(h.bucket_counts(i)), "\n");
      }
      absl::StrAppend(&out, "S ", f.name(), "_sum ", labels(nullptr), " ", Num(h.sum()), "\n");
      absl::StrAppend(&out, "S ", f.name(), "_count ", labels(nullptr), " ", Num(h.count()), "\n");
    }
  }
  return out;
}

TEST(MetricsTest, PrometheusClientParsesTheTextAndAgreesWithToProto) {
  const std::string python = tweetstream::testing::SourceDir() + "/.venv/bin/python";
  ASSERT_EQ(access(python.c_str(), X_OK), 0)
      << python << " is missing: run scripts/install-python-deps.sh (it installs prometheus-client)";

  MetricsRegistry registry;
  registry.AddCounter("tweetstream_source_read", "Tweets read from the X API.")->Inc(123456789);
  registry.AddCounter("tweetstream_sink_failed_total", "Failed \\ items\nby \"reason\".",
                      {{"reason", "quote \" backslash \\ newline \n emoji \xF0\x9F\x90\xA6"}})
      ->Inc(2);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "nan"}})->Set(kNaN);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "inf"}})->Set(kInf);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "-inf"}})->Set(-kInf);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "tiny"}})->Set(1.5e-7);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "huge"}})->Set(1e20);
  registry.AddGauge("tweetstream_weird_values", "NaN and friends.", {{"v", "third"}})->Set(1.0 / 3);
  registry.AddGaugeFunction("tweetstream_uptime_seconds", "Uptime.", [] { return 12.25; });
  registry.SetGaugeFamilyFunction("tweetstream_sink_lag", "Lag per partition.", [] {
    return MetricsRegistry::FamilySamples{{{{"topic", "tweets"}, {"partition", "0"}}, 5},
                                          {{{"topic", "tweets"}, {"partition", "1"}}, 0}};
  });
  Histogram* bulk = registry.AddHistogram("tweetstream_sink_bulk_seconds", "Bulk latency.",
                                          ExponentialBuckets(0.001, 4, 6), {{"index", "tweets"}});
  for (double v : {0.0005, 0.003, 0.02, 0.02, 0.7, 9.0}) bulk->Observe(v);
  registry.AddHistogram("tweetstream_empty_seconds", "Nothing observed.", {0.1, 1});

  const std::string text = registry.RenderText();
  const std::string path = absl::StrCat(::testing::TempDir(), "/metrics_test_", getpid(), ".prom");
  {
    std::ofstream file(path, std::ios::binary);
    file << text;
    ASSERT_TRUE(file.good()) << path;
  }
  const tweetstream::testing::ProcessResult result =
      tweetstream::testing::RunProcess({python, "-c", kPythonDump, path}, {}, std::chrono::seconds(60));
  std::remove(path.c_str());
  ASSERT_EQ(result.exit_code, 0) << "the Python parser rejected the text:\n" << result.err << "\n--- text:\n" << text;

  pb::GetMetricsResponse response;
  registry.ToProto(&response);
  EXPECT_EQ(result.out, DumpFromProto(response)) << "--- text:\n" << text;
  EXPECT_EQ(result.out.find(" untyped "), std::string::npos) << "a sample outside its family:\n" << result.out;
}

}  // namespace
}  // namespace tweetstream::common
