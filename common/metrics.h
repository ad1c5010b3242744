#pragma once
// A small Prometheus metrics library (Debian 12 packages no Prometheus client for C++).
//
//   MetricsRegistry registry;
//   Counter* indexed = registry.AddCounter("tweetstream_sink_indexed", "Documents indexed.");
//   Histogram* bulk = registry.AddHistogram("tweetstream_sink_bulk_seconds", "Bulk latency.",
//                                           ExponentialBuckets(0.001, 2, 15));
//   registry.AddGaugeFunction("tweetstream_sink_in_flight_bulks", "Bulks in flight.",
//                             [&] { return status.in_flight.load(); });
//   indexed->Inc(batch.size());           // hot path: one atomic operation, no lock
//   bulk->Observe(seconds);               // hot path: a few atomic operations, no lock
//   std::string text = registry.RenderText();  // GET /metrics (see metrics_http.h)
//
// Families and samples:
//   A family is a name, a help text, a type (counter, gauge, histogram) and samples that differ by
//   their labels. Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
//   and do not start with "__"; a histogram may not use the label "le". Counter names always end
//   with "_total": it is appended when missing, so AddCounter("x") and AddCounter("x_total") are
//   the same family, named "x_total" in the output and in ToProto().
//   Labels are ordered as given (that is how they are rendered); the identity of a sample ignores
//   the order, so {a=1,b=2} and {b=2,a=1} name the same sample.
//
// Programming errors abort the process with a message naming the metric: an invalid metric or
// label name, a label name twice in one set, the same name registered with another type, another
// help text or (histograms) other bucket bounds, bounds that are not strictly ascending or NaN,
// a name whose samples would collide with another family's (histogram "x" owns "x_bucket",
// "x_sum" and "x_count"), mixing per-label registrations and a family callback in one family.
// These happen at startup, the first time the code runs, so aborting is the loudest, cheapest fix.
//
// Callbacks (AddCounterFunction, AddGaugeFunction, Set*FamilyFunction) run at scrape time
// (RenderText, ToProto), on the scraping thread, while the registry holds a reader lock:
//   - they must not call the registry (self-deadlock), and code must not register or remove
//     metrics while holding a lock that a callback takes (lock-order inversion);
//   - once RemoveFunction / ClearFamilyFunction returns, the removed callback is not running and
//     will never run again, so it may capture objects that are destroyed right after removal;
//   - they should be cheap (read atomics or take a short lock): every scrape evaluates all of them.
// Samples returned by a family callback with an invalid label name or a label set already
// returned are dropped (and logged once per family): scrape-time data cannot abort the process.
//
// Thread-safety: everything is thread-safe. Counter/Gauge/Histogram updates are lock-free;
// registration, removal and scraping serialize on the registry's reader/writer lock. Pointers
// returned by Add* stay valid for the registry's lifetime (metric objects are never removed).
// Scrapes of a histogram that is being observed concurrently are consistent in count and buckets
// (the count is the +Inf bucket) but the sum may include an observation that the buckets miss.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tweetstream::connector::v1 {
class GetMetricsResponse;
}  // namespace tweetstream::connector::v1

namespace tweetstream::common {

// Label name/value pairs, rendered in this order.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing value (events, bytes, documents).
class Counter {
 public:
  // Adds `v`. Negative and NaN increments are ignored (a counter never goes down).
  void Inc(double v = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (queue depth, lag, in-flight requests).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// What a histogram held at one moment.
struct HistogramSnapshot {
  std::vector<double> bounds;              // finite upper bounds, ascending; +Inf implied
  std::vector<uint64_t> cumulative_counts;  // one per bound, then the +Inf bucket (== count)
  uint64_t count = 0;
  double sum = 0;
};

// Observations counted into buckets with fixed upper bounds (Prometheus "le": a value equal to a
// bound falls into that bound's bucket). NaN observations count into +Inf only (and make the sum
// NaN), as in the Go client.
class Histogram {
 public:
  // `bounds`: strictly ascending, no NaN; a trailing +Inf is dropped (it is always implied).
  // MetricsRegistry::AddHistogram validates them; constructed directly, invalid bounds abort.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double v);
  HistogramSnapshot Snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // Per bucket (not cumulative), bounds_.size() + 1 entries, the last one for +Inf.
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// `count` bounds: start, start*factor, start*factor^2, ... (start > 0, factor > 1, count >= 1;
// aborts otherwise).
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// `count` bounds: start, start+width, start+2*width, ... (width > 0, count >= 1; aborts otherwise).
std::vector<double> LinearBuckets(double start, double width, int count);

class MetricsRegistry {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  // One sample of a family callback.
  using FamilySamples = std::vector<std::pair<Labels, double>>;

  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Metric objects owned by the registry. The same name and labels return the same object.
  // Adding an object where a callback with the same labels is registered aborts.
  Counter* AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge* AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram* AddHistogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                          Labels labels = {});

  // One sample whose value is `fn()` at each scrape. Registering the same name and labels again
  // replaces the callback (so a component re-created by a restart simply registers again).
  void AddCounterFunction(const std::string& name, const std::string& help, std::function<double()> fn,
                          Labels labels = {});
  void AddGaugeFunction(const std::string& name, const std::string& help, std::function<double()> fn,
                        Labels labels = {});
  // Removes the callback sample registered with these labels (no-op when there is none; a metric
  // object is never removed). Counter names are matched with "_total" appended as in AddCounter.
  void RemoveFunction(const std::string& name, const Labels& labels);

  // A whole family from one callback that returns every sample at scrape time: samples come and go
  // (per-partition lag as partitions are assigned and revoked). Setting it again replaces the
  // callback. The family may hold no other samples.
  void SetCounterFamilyFunction(const std::string& name, const std::string& help,
                                std::function<FamilySamples()> fn);
  void SetGaugeFamilyFunction(const std::string& name, const std::string& help,
                              std::function<FamilySamples()> fn);
  // Removes the family callback (no-op when there is none).
  void ClearFamilyFunction(const std::string& name);

  // Prometheus text exposition format 0.0.4: families sorted by name, samples by labels, one
  // "# HELP" and "# TYPE" per family; families without samples are left out. Deterministic.
  std::string RenderText() const;
  // The same samples as RenderText(), as the control API's message (families replaced, not merged).
  void ToProto(tweetstream::connector::v1::GetMetricsResponse* out) const;

 private:
  struct Family;
  struct Sample;
  struct ScrapedFamily;

  Family* GetOrCreateFamily(const std::string& name, const std::string& help, Type type,
                            const std::vector<double>* bounds) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<ScrapedFamily> Scrape() const;

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
};

// Escaping of the text format, exposed for the tests: HELP text escapes backslash and newline;
// label values also escape the double quote.
std::string EscapeHelp(const std::string& help);
std::string EscapeLabelValue(const std::string& value);
// A sample value as the text format writes it: "+Inf", "-Inf", "NaN", integers without a decimal
// point, other values in the shortest form that reads back to the same double.
std::string FormatMetricValue(double v);

}  // namespace tweetstream::common
