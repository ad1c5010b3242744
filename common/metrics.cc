#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::common {
namespace {

namespace pb = ::tweetstream::connector::v1;

constexpr char kTotalSuffix[] = "_total";

[[noreturn]] void Die(const std::string& message) {
  TS_LOG(ERROR) << "metrics: programming error: " << message;
  std::abort();
}

bool IsValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsValidLabelName(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

std::string TypeName(MetricsRegistry::Type type) {
  switch (type) {
    case MetricsRegistry::Type::kCounter:
      return "counter";
    case MetricsRegistry::Type::kGauge:
      return "gauge";
    case MetricsRegistry::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string CounterName(const std::string& name) {
  return EndsWith(name, kTotalSuffix) ? name : name + kTotalSuffix;
}

// Empty when the labels are fine, else why not.
std::string LabelsProblem(const Labels& labels, bool histogram) {
  std::set<std::string> seen;
  for (const auto& [name, value] : labels) {
    if (!IsValidLabelName(name)) return absl::StrCat("invalid label name \"", name, "\"");
    if (histogram && name == "le") return "a histogram may not use the label \"le\"";
    if (!seen.insert(name).second) return absl::StrCat("label \"", name, "\" given twice");
  }
  return "";
}

// The identity of a label set: sorted by name, so the order given does not matter.
Labels CanonicalLabels(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

std::string LabelsForMessage(const Labels& labels) {
  if (labels.empty()) return "";
  return absl::StrCat("{",
                      absl::StrJoin(labels, ",",
                                    [](std::string* out, const std::pair<std::string, std::string>& l) {
                                      absl::StrAppend(out, l.first, "=\"", EscapeLabelValue(l.second), "\"");
                                    }),
                      "}");
}

// Empty when the bounds are fine (after dropping a trailing +Inf), else why not.
std::string NormalizeBounds(std::vector<double>* bounds) {
  if (!bounds->empty() && bounds->back() == INFINITY) bounds->pop_back();
  for (size_t i = 0; i < bounds->size(); ++i) {
    const double b = (*bounds)[i];
    if (std::isnan(b)) return "a bucket bound is NaN";
    if (std::isinf(b)) return "+Inf may only be the last bucket bound and -Inf none";
    if (i > 0 && !((*bounds)[i - 1] < b)) {
      return absl::StrCat("bucket bounds are not strictly ascending at ", FormatMetricValue(b));
    }
  }
  return "";
}

// The sample names a family writes; two families may not share one.
std::vector<std::string> SampleNames(const std::string& name, MetricsRegistry::Type type) {
  if (type == MetricsRegistry::Type::kHistogram) return {name + "_bucket", name + "_sum", name + "_count"};
  return {name};
}

void AppendLabels(std::string* out, const Labels& labels, const std::string* le) {
  if (labels.empty() && le == nullptr) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, name, "=\"", EscapeLabelValue(value), "\"");
  }
  if (le != nullptr) {
    if (!first) out->push_back(',');
    absl::StrAppend(out, "le=\"", *le, "\"");
  }
  out->push_back('}');
}

}  // namespace

// ---- Counter, Gauge, Histogram -----------------------------------------------------------------

void Counter::Inc(double v) {
  if (!(v >= 0)) return;  // negative or NaN
  value_.fetch_add(v, std::memory_order_relaxed);
}

void Gauge::Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_([&bounds] {
        const std::string problem = NormalizeBounds(&bounds);
        if (!problem.empty()) Die(absl::StrCat("Histogram: ", problem));
        return std::move(bounds);
      }()),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // lower_bound: the first bound >= v, i.e. the smallest bucket with v <= le.
  const size_t index = std::isnan(v) ? bounds_.size()
                                     : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                                           bounds_.begin());
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.bounds = bounds_;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1 || std::isinf(start) || std::isinf(factor)) {
    Die(absl::StrCat("ExponentialBuckets(", start, ", ", factor, ", ", count,
                     "): need start > 0, factor > 1, count >= 1"));
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) bounds.push_back(b);
  return bounds;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (!(width > 0) || count < 1 || !std::isfinite(start) || std::isinf(width)) {
    Die(absl::StrCat("LinearBuckets(", start, ", ", width, ", ", count, "): need width > 0, count >= 1"));
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (int i = 0; i < count; ++i) bounds.push_back(start + width * i);
  return bounds;
}

// ---- Formatting --------------------------------------------------------------------------------

std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Counts are the common case; print them as integers rather than "1e+06".
  if (v == std::trunc(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);  // shortest round trip
  return std::string(buffer, result.ptr);
}

// ---- MetricsRegistry ---------------------------------------------------------------------------

struct MetricsRegistry::Family {
  struct Child {
    Labels labels;  // as given: the rendering order
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> fn;  // a callback sample instead of an object
    bool is_object() const { return counter || gauge || histogram; }
  };

  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<double> bounds;  // histograms
  std::map<Labels, Child> children;  // keyed by CanonicalLabels
  std::function<FamilySamples()> family_fn;
  mutable std::atomic<bool> warned_dropped{false};
};

struct MetricsRegistry::Sample {
  Labels labels;
  double value = 0;
  HistogramSnapshot histogram;
};

struct MetricsRegistry::ScrapedFamily {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<Sample> samples;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family* MetricsRegistry::GetOrCreateFamily(const std::string& name, const std::string& help,
                                                            Type type, const std::vector<double>* bounds) {
  if (!IsValidMetricName(name)) Die(absl::StrCat("invalid metric name \"", name, "\""));
  auto it = families_.find(name);
  if (it != families_.end()) {
    Family* family = it->second.get();
    if (family->type != type) {
      Die(absl::StrCat("metric \"", name, "\" registered as a ", TypeName(family->type), " and now as a ",
                       TypeName(type)));
    }
    if (family->help != help) {
      Die(absl::StrCat("metric \"", name, "\" registered with two help texts: \"", family->help, "\" and \"",
                       help, "\""));
    }
    if (bounds != nullptr && *bounds != family->bounds) {
      Die(absl::StrCat("histogram \"", name, "\" registered with two sets of bucket bounds"));
    }
    return family;
  }
  const std::vector<std::string> mine = SampleNames(name, type);
  for (const auto& [other_name, other] : families_) {
    for (const std::string& theirs : SampleNames(other_name, other->type)) {
      if (std::find(mine.begin(), mine.end(), theirs) != mine.end()) {
        Die(absl::StrCat("metric \"", name, "\" (", TypeName(type), ") collides with \"", other_name, "\" (",
                         TypeName(other->type), ") on the sample name \"", theirs, "\""));
      }
    }
  }
  auto family = std::make_unique<Family>();
  family->name = name;
  family->help = help;
  family->type = type;
  if (bounds != nullptr) family->bounds = *bounds;
  Family* raw = family.get();
  families_.emplace(name, std::move(family));
  return raw;
}

namespace {

// The child for `labels` in a family that may hold per-label samples (aborts on a family callback).
template <typename FamilyT>
auto& ChildFor(FamilyT* family, const Labels& labels) {
  if (family->family_fn) {
    Die(absl::StrCat("metric \"", family->name,
                     "\" has a family callback; it cannot also have per-label samples"));
  }
  auto [it, inserted] = family->children.try_emplace(CanonicalLabels(labels));
  if (inserted) it->second.labels = labels;
  return it->second;
}

void CheckLabels(const std::string& name, const Labels& labels, bool histogram) {
  const std::string problem = LabelsProblem(labels, histogram);
  if (!problem.empty()) Die(absl::StrCat("metric \"", name, "\": ", problem));
}

}  // namespace

Counter* MetricsRegistry::AddCounter(const std::string& name, const std::string& help, Labels labels) {
  const std::string full = CounterName(name);
  CheckLabels(full, labels, false);
  absl::MutexLock lock(&mu_);
  auto& child = ChildFor(GetOrCreateFamily(full, help, Type::kCounter, nullptr), labels);
  if (child.fn) Die(absl::StrCat("counter \"", full, LabelsForMessage(labels), "\" is already a callback"));
  if (!child.counter) child.counter = std::make_unique<Counter>();
  return child.counter.get();
}

Gauge* MetricsRegistry::AddGauge(const std::string& name, const std::string& help, Labels labels) {
  CheckLabels(name, labels, false);
  absl::MutexLock lock(&mu_);
  auto& child = ChildFor(GetOrCreateFamily(name, help, Type::kGauge, nullptr), labels);
  if (child.fn) Die(absl::StrCat("gauge \"", name, LabelsForMessage(labels), "\" is already a callback"));
  if (!child.gauge) child.gauge = std::make_unique<Gauge>();
  return child.gauge.get();
}

Histogram* MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                         std::vector<double> bounds, Labels labels) {
  CheckLabels(name, labels, true);
  const std::string problem = NormalizeBounds(&bounds);
  if (!problem.empty()) Die(absl::StrCat("histogram \"", name, "\": ", problem));
  absl::MutexLock lock(&mu_);
  auto& child = ChildFor(GetOrCreateFamily(name, help, Type::kHistogram, &bounds), labels);
  if (!child.histogram) child.histogram = std::make_unique<Histogram>(bounds);
  return child.histogram.get();
}

void MetricsRegistry::AddCounterFunction(const std::string& name, const std::string& help,
                                         std::function<double()> fn, Labels labels) {
  const std::string full = CounterName(name);
  CheckLabels(full, labels, false);
  if (!fn) Die(absl::StrCat("counter \"", full, "\": empty callback"));
  absl::MutexLock lock(&mu_);
  auto& child = ChildFor(GetOrCreateFamily(full, help, Type::kCounter, nullptr), labels);
  if (child.is_object()) Die(absl::StrCat("counter \"", full, LabelsForMessage(labels), "\" is already an object"));
  child.fn = std::move(fn);
}

void MetricsRegistry::AddGaugeFunction(const std::string& name, const std::string& help, std::function<double()> fn,
                                       Labels labels) {
  CheckLabels(name, labels, false);
  if (!fn) Die(absl::StrCat("gauge \"", name, "\": empty callback"));
  absl::MutexLock lock(&mu_);
  auto& child = ChildFor(GetOrCreateFamily(name, help, Type::kGauge, nullptr), labels);
  if (child.is_object()) Die(absl::StrCat("gauge \"", name, LabelsForMessage(labels), "\" is already an object"));
  child.fn = std::move(fn);
}

void MetricsRegistry::RemoveFunction(const std::string& name, const Labels& labels) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.find(CounterName(name));
  if (it == families_.end()) return;
  Family* family = it->second.get();
  auto child = family->children.find(CanonicalLabels(labels));
  if (child == family->children.end() || child->second.is_object()) return;
  family->children.erase(child);
  // A family left empty goes away, so that it may be registered again with another help text.
  if (family->children.empty() && !family->family_fn) families_.erase(it);
}

void MetricsRegistry::SetCounterFamilyFunction(const std::string& name, const std::string& help,
                                               std::function<FamilySamples()> fn) {
  const std::string full = CounterName(name);
  if (!fn) Die(absl::StrCat("counter family \"", full, "\": empty callback"));
  absl::MutexLock lock(&mu_);
  Family* family = GetOrCreateFamily(full, help, Type::kCounter, nullptr);
  if (!family->children.empty()) {
    Die(absl::StrCat("counter \"", full, "\" has per-label samples; it cannot also have a family callback"));
  }
  family->family_fn = std::move(fn);
}

void MetricsRegistry::SetGaugeFamilyFunction(const std::string& name, const std::string& help,
                                             std::function<FamilySamples()> fn) {
  if (!fn) Die(absl::StrCat("gauge family \"", name, "\": empty callback"));
  absl::MutexLock lock(&mu_);
  Family* family = GetOrCreateFamily(name, help, Type::kGauge, nullptr);
  if (!family->children.empty()) {
    Die(absl::StrCat("gauge \"", name, "\" has per-label samples; it cannot also have a family callback"));
  }
  family->family_fn = std::move(fn);
}

void MetricsRegistry::ClearFamilyFunction(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end() || !it->second->family_fn) it = families_.find(CounterName(name));
  if (it == families_.end() || !it->second->family_fn) return;
  families_.erase(it);  // a family with a callback has nothing else
}

std::vector<MetricsRegistry::ScrapedFamily> MetricsRegistry::Scrape() const {
  std::vector<ScrapedFamily> scraped;
  absl::ReaderMutexLock lock(&mu_);
  scraped.reserve(families_.size());
  for (const auto& [name, family] : families_) {  // std::map: sorted by name
    ScrapedFamily out;
    out.name = name;
    out.help = family->help;
    out.type = family->type;
    if (family->family_fn) {
      // Sort by canonical labels like the per-label children; drop what cannot be rendered.
      std::map<Labels, Sample> by_labels;
      std::string dropped;
      for (auto& [labels, value] : family->family_fn()) {
        const std::string problem = LabelsProblem(labels, false);
        Labels key = CanonicalLabels(labels);
        if (!problem.empty() || by_labels.count(key) > 0) {
          if (dropped.empty()) dropped = problem.empty() ? "a label set returned twice" : problem;
          continue;
        }
        Sample sample;
        sample.labels = std::move(labels);
        sample.value = value;
        by_labels.emplace(std::move(key), std::move(sample));
      }
      if (!dropped.empty() && !family->warned_dropped.exchange(true)) {
        TS_LOG(ERROR) << "metrics: dropping samples of \"" << name << "\" from its callback: " << dropped
                      << " (logged once)";
      }
      for (auto& [key, sample] : by_labels) out.samples.push_back(std::move(sample));
    } else {
      for (const auto& [key, child] : family->children) {
        Sample sample;
        sample.labels = child.labels;
        if (child.counter) {
          sample.value = child.counter->value();
        } else if (child.gauge) {
          sample.value = child.gauge->value();
        } else if (child.histogram) {
          sample.histogram = child.histogram->Snapshot();
        } else if (child.fn) {
          sample.value = child.fn();
        }
        out.samples.push_back(std::move(sample));
      }
    }
    if (!out.samples.empty()) scraped.push_back(std::move(out));
  }
  return scraped;
}

std::string MetricsRegistry::RenderText() const {
  std::string text;
  for (const ScrapedFamily& family : Scrape()) {
    absl::StrAppend(&text, "# HELP ", family.name);
    if (!family.help.empty()) absl::StrAppend(&text, " ", EscapeHelp(family.help));
    absl::StrAppend(&text, "\n# TYPE ", family.name, " ", TypeName(family.type), "\n");
    for (const Sample& sample : family.samples) {
      if (family.type != Type::kHistogram) {
        text += family.name;
        AppendLabels(&text, sample.labels, nullptr);
        absl::StrAppend(&text, " ", FormatMetricValue(sample.value), "\n");
        continue;
      }
      const HistogramSnapshot& h = sample.histogram;
      for (size_t i = 0; i < h.cumulative_counts.size(); ++i) {
        const std::string le = i < h.bounds.size() ? FormatMetricValue(h.bounds[i]) : "+Inf";
        absl::StrAppend(&text, family.name, "_bucket");
        AppendLabels(&text, sample.labels, &le);
        absl::StrAppend(&text, " ", h.cumulative_counts[i], "\n");
      }
      absl::StrAppend(&text, family.name, "_sum");
      AppendLabels(&text, sample.labels, nullptr);
      absl::StrAppend(&text, " ", FormatMetricValue(h.sum), "\n");
      absl::StrAppend(&text, family.name, "_count");
      AppendLabels(&text, sample.labels, nullptr);
      absl::StrAppend(&text, " ", h.count, "\n");
    }
  }
  return text;
}

void MetricsRegistry::ToProto(pb::GetMetricsResponse* out) const {
  out->clear_families();
  for (const ScrapedFamily& family : Scrape()) {
    pb::MetricFamily* f = out->add_families();
    f->set_name(family.name);
    f->set_help(family.help);
    switch (family.type) {
      case Type::kCounter:
        f->set_type(pb::MetricFamily::TYPE_COUNTER);
        break;
      case Type::kGauge:
        f->set_type(pb::MetricFamily::TYPE_GAUGE);
        break;
      case Type::kHistogram:
        f->set_type(pb::MetricFamily::TYPE_HISTOGRAM);
        break;
    }
    for (const Sample& sample : family.samples) {
      pb::MetricSample* s = f->add_samples();
      for (const auto& [name, value] : sample.labels) (*s->mutable_labels())[name] = value;
      if (family.type != Type::kHistogram) {
        s->set_value(sample.value);
        continue;
      }
      pb::HistogramValue* h = s->mutable_histogram();
      for (const double b : sample.histogram.bounds) h->add_bounds(b);
      for (const uint64_t c : sample.histogram.cumulative_counts) h->add_bucket_counts(c);
      h->set_count(sample.histogram.count);
      h->set_sum(sample.histogram.sum);
    }
  }
}

}  // namespace tweetstream::common
