#include "sink-connector/sink_app.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "sink-connector/es_document.h"
#include "sink-connector/offset_tracker.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::sink {

using Clock = std::chrono::steady_clock;

// One record on its way into Elasticsearch (or the dead-letter topic).
struct SinkApp::Item {
  common::TopicPartition tp;
  int64_t generation = 0;
  int64_t offset = 0;
  std::optional<std::string> key;    // original key and value, for the dead-letter topic
  std::optional<std::string> value;
  bool is_delete = false;
  std::string id;
  std::string action;    // the bulk action line, without newline (empty for a delete-by-query)
  std::string document;  // the source line (empty for a delete)
  int64_t created_ms = -1;   // the tweet's created_at and ingestion time, for end-to-end latency
  int64_t ingested_ms = -1;
  std::string where() const { return absl::StrCat(tp.topic, "/", tp.partition, "@", offset); }
};

struct SinkApp::Batch {
  std::vector<std::unique_ptr<Item>> items;
  int64_t bytes = 0;
};

struct SinkApp::Outcome {
  enum Kind { kIndexed, kDeleted, kRejected, kAbandoned };
  std::unique_ptr<Item> item;
  Kind kind = kIndexed;
  std::string error_class;
  std::string message;
};

struct SinkApp::State {
  OffsetTracker tracker;
  absl::Mutex mu;
  std::vector<Outcome> outcomes ABSL_GUARDED_BY(mu);
  absl::Status fatal ABSL_GUARDED_BY(mu);
  // Dead-letter records whose delivery failed, produced again later (Run() thread only).
  std::deque<std::pair<Clock::time_point, std::shared_ptr<Item>>> dlq_retry;
  std::vector<std::shared_ptr<Item>> dlq_failed;  // filled by delivery callbacks (Run() thread)
  int dlq_in_flight = 0;
  std::string dlq_error_class, dlq_message;  // scratch
  Clock::time_point last_activity = Clock::now();
  tweet::v1::TweetEnvelope envelope;  // scratch for Accept()
  Clock::time_point last_commit = Clock::now();
  // Metrics (null without a registry).
  common::Histogram* bulk_seconds = nullptr;
  common::Histogram* bulk_items = nullptr;
  common::Histogram* since_created = nullptr;
  common::Histogram* since_ingested = nullptr;
};

namespace {

std::string ActionLine(const char* action, const std::string& index, const std::string& id) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key(action);
  writer.StartObject();
  writer.Key("_index");
  writer.String(index.data(), static_cast<rapidjson::SizeType>(index.size()));
  writer.Key("_id");
  writer.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool IsRetriableItem(const BulkItemResult& r) {
  return r.status == 429 || r.status >= 500 || r.error_type == "es_rejected_execution_exception";
}

bool IsFatal(const absl::Status& s) { return absl::IsUnauthenticated(s) || absl::IsPermissionDenied(s); }

std::string Rfc3339Now() { return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()); }

}  // namespace

// ------------------------------------------------------------------------------------------------
// Worker threads: each takes a batch, sends it (retrying what is retriable) and reports an outcome for
// every item.
class SinkApp::Workers {
 public:
  Workers(SinkApp* app, std::vector<std::unique_ptr<common::HttpClient>> https) : app_(app) {
    for (auto& http : https) {
      auto es = std::make_unique<EsClient>(http.get(), app_->config_.es);
      https_.push_back(std::move(http));
      threads_.emplace_back([this, client = es.get()] { Loop(client); });
      clients_.push_back(std::move(es));
    }
  }
  ~Workers() { Stop(); }

  void Submit(std::unique_ptr<Batch> batch) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(batch));
  }

  // Batches queued or being sent.
  int InFlight() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(queue_.size()) + busy_;
  }

  // Makes the workers give up: retries stop, unsent items are reported abandoned; joins the threads.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    abandon_.store(true);
    for (auto& t : threads_) t.join();
  }
  bool stopped() {
    absl::MutexLock lock(&mu_);
    return stopped_;
  }

 private:
  void Loop(EsClient* es) {
    while (true) {
      std::unique_ptr<Batch> batch;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopped_ || !queue_.empty(); };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // stopped and nothing left
        batch = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
      }
      std::vector<Outcome> outcomes = Send(es, std::move(batch));
      {
        absl::MutexLock lock(&app_->state_->mu);
        for (auto& o : outcomes) app_->state_->outcomes.push_back(std::move(o));
      }
      absl::MutexLock lock(&mu_);
      --busy_;
    }
  }

  // Sleeps for the backoff (±20% jitter), waking early when abandoning; false when abandoning.
  bool Backoff(std::chrono::milliseconds* delay) {
    thread_local std::mt19937 rng(std::random_device{}());
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(delay->count() * jitter(rng)));
    while (Clock::now() < until) {
      if (abandon_.load()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    *delay = std::min(*delay * 2, app_->config_.retry_backoff_max);
    return !abandon_.load();
  }

  void Degraded(const std::string& cause, bool* failing) {
    if (!*failing) {
      *failing = true;
      failing_.fetch_add(1);
    }
    app_->status_.RecordError(cause);
    app_->status_.SetDegraded(cause);
  }

  void Recovered(bool* failing) {
    if (*failing) {
      *failing = false;
      if (failing_.fetch_sub(1) == 1) app_->status_.SetDegraded("");
    }
  }

  std::vector<Outcome> Send(EsClient* es, std::unique_ptr<Batch> batch) {
    const SinkConfig& config = app_->config_;
    SinkCounters& counters = app_->status_.counters();
    std::vector<Outcome> out;
    out.reserve(batch->items.size());
    auto finish = [&out](std::unique_ptr<Item>& item, Outcome::Kind kind, std::string error_class = "",
                         std::string message = "") {
      out.push_back(Outcome{std::move(item), kind, std::move(error_class), std::move(message)});
    };

    std::vector<std::unique_ptr<Item>*> pending;
    std::vector<std::unique_ptr<Item>*> delete_by_query;
    for (auto& item : batch->items) {
      if (item->is_delete && item->action.empty()) delete_by_query.push_back(&item);
      else pending.push_back(&item);
    }
    std::chrono::milliseconds delay = config.retry_backoff_initial;
    bool failing = false;

    // Tombstones for a date-pattern index: the document's index is unknown, delete by id over all.
    while (!delete_by_query.empty()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      w.StartObject(); w.Key("query"); w.StartObject(); w.Key("ids"); w.StartObject(); w.Key("values"); w.StartArray();
      for (auto* item : delete_by_query) w.String((*item)->id.data(), static_cast<rapidjson::SizeType>((*item)->id.size()));
      w.EndArray(); w.EndObject(); w.EndObject(); w.EndObject();
      auto response = es->Request("POST", absl::StrCat("/", config.IndexPrefix(), "*/_delete_by_query?conflicts=proceed"),
                                  std::string(buffer.GetString(), buffer.GetSize()));
      absl::Status s = response.ok() ? (response->status == 200 ? absl::OkStatus() : EsHttpError(*response, "_delete_by_query"))
                                     : response.status();
      if (s.ok()) {
        Recovered(&failing);
        for (auto* item : delete_by_query) finish(*item, Outcome::kDeleted);
        break;
      }
      if (IsFatal(s)) return Fatal(s, batch, &out);
      counters.retried.fetch_add(1);
      Degraded(absl::StrCat("Elasticsearch at ", es->current_url(), ": ", s.message()), &failing);
      if (!Backoff(&delay)) {
        for (auto* item : delete_by_query) finish(*item, Outcome::kAbandoned);
        break;
      }
    }

    while (!pending.empty()) {
      std::string body;
      body.reserve(static_cast<size_t>(batch->bytes) + 64);
      for (auto* item : pending) {
        absl::StrAppend(&body, (*item)->action, "\n");
        if (!(*item)->is_delete) absl::StrAppend(&body, (*item)->document, "\n");
      }
      const auto bulk_started = Clock::now();
      auto results = es->Bulk(body, pending.size());
      if (app_->state_->bulk_seconds != nullptr) {
        app_->state_->bulk_seconds->Observe(std::chrono::duration<double>(Clock::now() - bulk_started).count());
        app_->state_->bulk_items->Observe(static_cast<double>(pending.size()));
      }
      if (!results.ok()) {
        const absl::Status& s = results.status();
        if (IsFatal(s)) return Fatal(s, batch, &out);
        if (absl::IsResourceExhausted(s) && pending.size() > 1) {
          // 413: too large for the server. Send the halves one after the other.
          TS_LOG(WARNING) << "bulk of " << pending.size() << " items too large (413); splitting";
          auto half = std::make_unique<Batch>();
          for (size_t i = pending.size() / 2; i < pending.size(); ++i) half->items.push_back(std::move(*pending[i]));
          pending.resize(pending.size() / 2);
          std::vector<Outcome> rest = Send(es, std::move(half));
          for (auto& o : rest) out.push_back(std::move(o));
          continue;
        }
        if (absl::IsResourceExhausted(s) || absl::IsInvalidArgument(s)) {
          // The server refuses this request itself (one document too large, ...): retrying would
          // wedge the partition; the records go to the dead-letter topic with the reason.
          for (auto* item : pending) finish(*item, Outcome::kRejected, "BulkRequestRejected", std::string(s.message()));
          break;
        }
        counters.retried.fetch_add(1);
        Degraded(absl::StrCat("Elasticsearch at ", es->current_url(), ": ", s.message(), "; retrying ", pending.size(),
                              " item(s)"),
                 &failing);
        if (!Backoff(&delay)) break;
        continue;
      }
      counters.bulks.fetch_add(1);
      std::vector<std::unique_ptr<Item>*> retry;
      for (size_t i = 0; i < pending.size(); ++i) {
        const BulkItemResult& r = (*results)[i];
        std::unique_ptr<Item>& item = *pending[i];
        if (r.status >= 200 && r.status < 300) {
          finish(item, item->is_delete ? Outcome::kDeleted : Outcome::kIndexed);
        } else if (item->is_delete && r.status == 404) {
          finish(item, Outcome::kDeleted);  // already gone
        } else if (r.status == 409) {
          finish(item, Outcome::kIndexed);  // a version conflict on a replay: the document is there
        } else if (IsRetriableItem(r)) {
          retry.push_back(pending[i]);
        } else {
          finish(item, Outcome::kRejected, r.error_type.empty() ? absl::StrCat("http_", r.status) : r.error_type,
                 r.error_reason);
        }
      }
      if (retry.empty()) {
        Recovered(&failing);
        break;
      }
      counters.retried.fetch_add(static_cast<int64_t>(retry.size()));
      Degraded(absl::StrCat("Elasticsearch refused ", retry.size(), " item(s) for now (429/5xx); retrying them"),
               &failing);
      pending = std::move(retry);
      if (!Backoff(&delay)) break;
    }
    // Whatever was not finished is abandoned (stopping): it stays uncommitted.
    for (auto& item : batch->items) {
      if (item) finish(item, Outcome::kAbandoned);
    }
    return out;
  }

  std::vector<Outcome> Fatal(const absl::Status& s, std::unique_ptr<Batch>& batch, std::vector<Outcome>* done = nullptr) {
    {
      absl::MutexLock lock(&app_->state_->mu);
      if (app_->state_->fatal.ok()) app_->state_->fatal = s;
    }
    std::vector<Outcome> out;
    if (done != nullptr) out = std::move(*done);
    for (auto& item : batch->items) {
      if (item) out.push_back(Outcome{std::move(item), Outcome::kAbandoned, "", ""});
    }
    return out;
  }

  SinkApp* app_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Batch>> queue_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> abandon_{false};
  std::atomic<int> failing_{0};
  std::vector<std::unique_ptr<common::HttpClient>> https_;
  std::vector<std::unique_ptr<EsClient>> clients_;
  std::vector<std::thread> threads_;
};

// ------------------------------------------------------------------------------------------------

std::string SinkConfig::EffectiveTemplateName() const {
  if (!template_name.empty()) return template_name;
  std::string prefix = IndexPrefix();
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.' || prefix.back() == '_')) prefix.pop_back();
  return "tweetstream-" + prefix;
}

absl::Status SinkConfig::Validate() const {
  if (bootstrap_servers.empty()) return absl::InvalidArgumentError("bootstrap-servers: must not be empty");
  if (topic.empty()) return absl::InvalidArgumentError("topic: must not be empty");
  if (group_id.empty()) return absl::InvalidArgumentError("group-id: must not be empty");
  if (dlq_topic == topic) return absl::InvalidArgumentError("dlq-topic: must differ from topic");
  if (start_from != "earliest" && start_from != "latest") {
    return absl::InvalidArgumentError("start-from: must be earliest or latest");
  }
  if (es.urls.empty()) return absl::InvalidArgumentError("es-url: at least one Elasticsearch URL is needed");
  for (const auto& url : es.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("es-url: '", common::RedactUrl(url), "' must start with http:// or https://"));
    }
  }
  if (index.empty() || IndexPrefix().empty()) return absl::InvalidArgumentError("index: needs a fixed prefix, e.g. twitter or twitter-%Y.%m.%d");
  if (index != absl::AsciiStrToLower(index) && !IndexIsPattern()) return absl::InvalidArgumentError("index: must be lower case");
  if (batch_max_records < 1) return absl::InvalidArgumentError("batch-max-records: must be >= 1");
  if (batch_max_bytes < 1024) return absl::InvalidArgumentError("batch-max-bytes: must be >= 1024");
  if (linger.count() < 0) return absl::InvalidArgumentError("linger: must be >= 0");
  if (max_in_flight < 1 || max_in_flight > 64) return absl::InvalidArgumentError("max-in-flight: must be 1..64");
  if (max_pending_records < 0) return absl::InvalidArgumentError("max-pending-records: must be >= 0");
  if (max_pending_records > 0 && max_pending_records < batch_max_records) {
    return absl::InvalidArgumentError("max-pending-records: must be >= batch-max-records");
  }
  if (linger > shutdown_timeout) {
    return absl::InvalidArgumentError("linger: must be <= shutdown-timeout (a batch lingering longer could not be flushed at a stop)");
  }
  if (retry_backoff_initial.count() <= 0 || retry_backoff_max < retry_backoff_initial) {
    return absl::InvalidArgumentError("retry-backoff-initial: must be > 0 and <= retry-backoff-max");
  }
  return absl::OkStatus();
}

SinkApp::SinkApp(SinkConfig config, std::unique_ptr<common::Producer> dlq,
                 std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory)
    : config_(std::move(config)), dlq_(std::move(dlq)), http_factory_(std::move(http_factory)),
      state_(std::make_unique<State>()) {
  if (common::MetricsRegistry* m = config_.metrics) {
    state_->bulk_seconds = m->AddHistogram("tweetstream_sink_bulk_duration_seconds",
                                           "Duration of one _bulk request to Elasticsearch (answered ones).",
                                           common::ExponentialBuckets(0.005, 2, 14));
    state_->bulk_items = m->AddHistogram("tweetstream_sink_bulk_items", "Items (documents, deletes) per _bulk request.",
                                         common::ExponentialBuckets(1, 2, 14));
    state_->since_created = m->AddHistogram(
        "tweetstream_sink_latency_since_created_seconds",
        "End-to-end latency: from the tweet's created_at to its document being indexed.",
        common::ExponentialBuckets(0.05, 2, 22));
    state_->since_ingested = m->AddHistogram(
        "tweetstream_sink_latency_since_ingested_seconds",
        "End-to-end latency: from the source reading the tweet (ingestion.ingested_at) to its document being indexed.",
        common::ExponentialBuckets(0.005, 2, 16));
  }
}

SinkApp::~SinkApp() {
  if (workers_) workers_->Stop();
}

absl::Status SinkApp::Prepare(const SinkConfig& config, common::HttpClient* http) {
  // Elasticsearch first: wait for it (bounded) with a clear message instead of crashing.
  EsClient es(http, config.es);
  const absl::Time deadline = absl::Now() + absl::FromChrono(config.es_wait_timeout);
  absl::StatusOr<EsServerInfo> info;
  for (int attempt = 0;; ++attempt) {
    info = es.Info();
    if (info.ok() || IsFatal(info.status()) || absl::Now() >= deadline) break;
    if (attempt == 0) {
      TS_LOG(WARNING) << "waiting for Elasticsearch at " << es.current_url() << " (up to "
                      << absl::FormatDuration(absl::FromChrono(config.es_wait_timeout)) << "): " << info.status().message();
    }
    absl::SleepFor(absl::Seconds(1));
  }
  if (!info.ok()) {
    return absl::Status(info.status().code(),
                        absl::StrCat("Elasticsearch is not reachable at ", es.current_url(), ": ", info.status().message()));
  }
  TS_LOG(INFO) << "connected to " << info->distribution << " " << info->version << " at " << es.current_url();
  const std::string pattern = config.IndexPrefix() + "*";
  if (absl::Status s = es.PutIndexTemplate(config.EffectiveTemplateName(), IndexTemplateJson(pattern)); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("installing index template ", config.EffectiveTemplateName(), ": ", s.message()));
  }
  TS_LOG(INFO) << "index template " << config.EffectiveTemplateName() << " installed for " << pattern;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SinkApp>> SinkApp::CreateWith(
    const SinkConfig& config, std::unique_ptr<common::Consumer> consumer, std::unique_ptr<common::Producer> dlq,
    std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory) {
  TS_RETURN_IF_ERROR(config.Validate());
  {
    TS_ASSIGN_OR_RETURN(auto http, http_factory());
    TS_RETURN_IF_ERROR(Prepare(config, http.get()));
  }
  std::vector<std::unique_ptr<common::HttpClient>> https;
  for (int i = 0; i < config.max_in_flight; ++i) {
    TS_ASSIGN_OR_RETURN(auto http, http_factory());
    https.push_back(std::move(http));
  }
  auto app = std::unique_ptr<SinkApp>(new SinkApp(config, std::move(dlq), std::move(http_factory)));
  app->consumer_ = std::move(consumer);
  app->workers_ = std::make_unique<Workers>(app.get(), std::move(https));
  return app;
}

absl::StatusOr<std::unique_ptr<SinkApp>> SinkApp::Create(const SinkConfig& config) {
  TS_RETURN_IF_ERROR(config.Validate());
  common::CurlHttpClientOptions http_options;
  http_options.ca_file = config.es.ca_file;
  auto factory = [http_options]() -> absl::StatusOr<std::unique_ptr<common::HttpClient>> {
    TS_ASSIGN_OR_RETURN(auto http, common::CurlHttpClient::Create(http_options));
    return std::unique_ptr<common::HttpClient>(std::move(http));
  };
  {
    TS_ASSIGN_OR_RETURN(auto http, factory());
    TS_RETURN_IF_ERROR(Prepare(config, http.get()));
  }
  TS_RETURN_IF_ERROR(common::CheckKafkaReachable(config.bootstrap_servers, config.kafka_timeout));
  std::unique_ptr<common::Producer> dlq;
  if (!config.dlq_topic.empty()) {
    common::KafkaProducerOptions producer_options;
    producer_options.bootstrap_servers = config.bootstrap_servers;
    producer_options.client_id = config.name + "-dlq";
    producer_options.linger_ms = 5;
    TS_ASSIGN_OR_RETURN(dlq, common::CreateKafkaProducer(producer_options));
  }
  std::vector<std::unique_ptr<common::HttpClient>> https;
  for (int i = 0; i < config.max_in_flight; ++i) {
    TS_ASSIGN_OR_RETURN(auto http, factory());
    https.push_back(std::move(http));
  }
  auto app = std::unique_ptr<SinkApp>(new SinkApp(config, std::move(dlq), factory));
  common::KafkaConsumerOptions consumer_options;
  consumer_options.bootstrap_servers = config.bootstrap_servers;
  consumer_options.group_id = config.group_id;
  consumer_options.client_id = config.name;
  consumer_options.topics = {config.topic};
  consumer_options.start_from = config.start_from;
  // Bound librdkafka's prefetch (default 64 MiB): with the pending bound it caps the sink's memory
  // whatever the backlog; 16 MiB still holds several bulks' worth of tweets.
  consumer_options.extra = {{"queued.max.messages.kbytes", "16384"}};
  for (const auto& [k, v] : config.consumer_properties) consumer_options.extra[k] = v;
  SinkApp* raw = app.get();
  consumer_options.hooks.on_assign = [raw](const std::vector<common::TopicPartition>& tps) { raw->OnAssign(tps); };
  consumer_options.hooks.on_revoke = [raw](const std::vector<common::TopicPartition>& tps) { raw->OnRevoke(tps); };
  TS_ASSIGN_OR_RETURN(app->consumer_, common::CreateKafkaConsumer(consumer_options));
  app->workers_ = std::make_unique<Workers>(app.get(), std::move(https));
  return app;
}

void SinkApp::OnAssign(const std::vector<common::TopicPartition>& partitions) {
  status_.counters().rebalances.fetch_add(1);
  for (const auto& tp : partitions) state_->tracker.Assign(tp);
  state_->last_activity = Clock::now();
  if (paused_) {
    if (absl::Status s = consumer_->Pause(partitions); !s.ok()) TS_LOG(WARNING) << s.message();
  }
}

void SinkApp::OnRevoke(const std::vector<common::TopicPartition>& partitions) {
  status_.counters().rebalances.fetch_add(1);
  // Finish the in-flight work of these partitions (bounded), commit what is done, forget the rest:
  // the new owner consumes it again from the committed offset.
  CloseBatch();
  if (!workers_->stopped()) {
    const bool drained = WaitDraining([&] { return state_->tracker.Pending(partitions) == 0; }, config_.revoke_timeout);
    if (!drained) {
      TS_LOG(WARNING) << "revocation: " << state_->tracker.Pending(partitions)
                      << " record(s) still in flight after the deadline; they stay uncommitted for the next owner";
    }
  }
  CommitDone(&partitions);
  for (const auto& tp : partitions) state_->tracker.Forget(tp);
}

void SinkApp::Accept(common::ConsumerRecord&& record) {
  SinkCounters& counters = status_.counters();
  counters.consumed.fetch_add(1);
  auto item = std::make_unique<Item>();
  item->tp = {record.topic, record.partition};
  std::optional<int64_t> generation = state_->tracker.Generation(item->tp);
  if (!generation) generation = state_->tracker.Assign(item->tp);  // a consumer without rebalance hooks
  item->generation = *generation;
  item->offset = record.offset;
  item->key = record.key;
  state_->tracker.Add(item->tp, item->generation, item->offset);

  if (!record.value.has_value()) {
    if (!record.key.has_value() || record.key->empty()) {
      item->value = record.value;
      counters.undecodable.fetch_add(1);
      DeadLetter(std::move(item), "InvalidRecord", "null value without a key: not a tombstone of a tweet");
      return;
    }
    item->is_delete = true;
    item->id = *record.key;
    if (!config_.IndexIsPattern()) item->action = ActionLine("delete", config_.index, item->id);
  } else {
    // One envelope reused for every record: parsing into it reuses its memory (Run() thread only).
    tweet::v1::TweetEnvelope& envelope = state_->envelope;
    if (!envelope.ParseFromString(*record.value)) {
      item->value = record.value;
      counters.undecodable.fetch_add(1);
      DeadLetter(std::move(item), "DecodeError",
                 absl::StrCat("value (", record.value->size(), " bytes) is not a tweetstream.tweet.v1.TweetEnvelope"));
      return;
    }
    RenderStats stats;
    item->document.reserve(record.value->size() * 2 + 256);  // JSON is about 1.5-2x the Protobuf
    if (absl::Status s = RenderDocument(envelope, &item->document, &stats); !s.ok()) {
      item->value = record.value;
      counters.undecodable.fetch_add(1);
      DeadLetter(std::move(item), "RenderError", std::string(s.message()));
      return;
    }
    item->id = envelope.tweet().id();
    if (envelope.tweet().has_created_at()) {
      item->created_ms = envelope.tweet().created_at().seconds() * 1000 + envelope.tweet().created_at().nanos() / 1000000;
    }
    if (envelope.ingestion().has_ingested_at()) {
      item->ingested_ms =
          envelope.ingestion().ingested_at().seconds() * 1000 + envelope.ingestion().ingested_at().nanos() / 1000000;
    }
    std::string index = config_.index;
    if (config_.IndexIsPattern()) {
      // Date pattern on created_at (UTC); the ingestion time when the tweet has none.
      const auto& ts = envelope.tweet().has_created_at() ? envelope.tweet().created_at() : envelope.ingestion().ingested_at();
      index = absl::FormatTime(config_.index, absl::FromUnixSeconds(ts.seconds()), absl::UTCTimeZone());
    }
    item->action = ActionLine("index", index, item->id);
    item->value = std::move(record.value);  // kept for the dead-letter topic; moved, not copied
  }
  if (!open_batch_) {
    open_batch_ = std::make_unique<Batch>();
    batch_opened_ = Clock::now();
  }
  open_batch_->bytes += static_cast<int64_t>(item->action.size() + item->document.size() + 2);
  open_batch_->items.push_back(std::move(item));
  if (static_cast<int>(open_batch_->items.size()) >= config_.batch_max_records ||
      open_batch_->bytes >= config_.batch_max_bytes) {
    CloseBatch();
  }
}

void SinkApp::CloseBatch() {
  if (open_batch_ && !open_batch_->items.empty()) workers_->Submit(std::move(open_batch_));
  open_batch_.reset();
}

void SinkApp::DeadLetter(std::unique_ptr<Item> item, const std::string& error_class, const std::string& message) {
  TS_LOG(WARNING) << "dead-letter " << item->where() << " (" << error_class << "): " << message;
  status_.RecordError(absl::StrCat(item->where(), ": ", error_class, ": ", message));
  if (config_.on_dead_letter) config_.on_dead_letter(error_class, absl::StrCat(item->where(), ": ", message));
  if (!dlq_) {
    state_->tracker.Done(item->tp, item->generation, item->offset);
    return;
  }
  std::shared_ptr<Item> shared(std::move(item));
  common::ProducerRecord record;
  record.topic = config_.dlq_topic;
  record.key = shared->key.value_or("");
  record.value = shared->value;
  record.headers = {
      {"dlq.original.topic", shared->tp.topic},
      {"dlq.original.partition", std::to_string(shared->tp.partition)},
      {"dlq.original.offset", std::to_string(shared->offset)},
      {"dlq.error.class", error_class},
      {"dlq.error.message", message},
      {"dlq.time", Rfc3339Now()},
      {"dlq.connector", config_.name},
  };
  State* state = state_.get();
  SinkCounters* counters = &status_.counters();
  ++state->dlq_in_flight;
  record.on_delivery = [state, counters, shared](const common::DeliveryReport& report) {
    --state->dlq_in_flight;
    if (report.status.ok()) {
      counters->dead_lettered.fetch_add(1);
      state->tracker.Done(shared->tp, shared->generation, shared->offset);
    } else {
      // Not done: the offset stays uncommitted; produced again shortly.
      TS_LOG(WARNING) << "dead-letter delivery of " << shared->where() << " failed: " << report.status.message();
      state->dlq_failed.push_back(shared);
    }
  };
  // Keep the headers for a retry: they are copied into the record.
  shared->action = error_class;
  shared->document = message;
  if (absl::Status s = dlq_->Produce(std::move(record)); !s.ok()) {
    --state->dlq_in_flight;
    TS_LOG(WARNING) << "dead-letter produce of " << shared->where() << " failed: " << s.message();
    state->dlq_retry.emplace_back(Clock::now() + std::chrono::seconds(1), shared);
  }
}

void SinkApp::Drain() {
  std::vector<Outcome> outcomes;
  absl::Status fatal;
  {
    absl::MutexLock lock(&state_->mu);
    outcomes.swap(state_->outcomes);
    fatal = state_->fatal;
  }
  SinkCounters& counters = status_.counters();
  for (Outcome& o : outcomes) {
    Item& item = *o.item;
    switch (o.kind) {
      case Outcome::kIndexed:
        counters.indexed.fetch_add(1);
        state_->tracker.Done(item.tp, item.generation, item.offset);
        if (state_->since_created != nullptr) {
          const int64_t now_ms = absl::ToUnixMillis(absl::Now());
          if (item.created_ms >= 0) state_->since_created->Observe(static_cast<double>(now_ms - item.created_ms) / 1000.0);
          if (item.ingested_ms >= 0) state_->since_ingested->Observe(static_cast<double>(now_ms - item.ingested_ms) / 1000.0);
        }
        break;
      case Outcome::kDeleted:
        counters.deleted.fetch_add(1);
        state_->tracker.Done(item.tp, item.generation, item.offset);
        break;
      case Outcome::kRejected:
        counters.rejected.fetch_add(1);
        DeadLetter(std::move(o.item), o.error_class, o.message);
        break;
      case Outcome::kAbandoned:
        break;  // stays in flight: never committed past
    }
  }
  if (dlq_) {
    dlq_->Poll(std::chrono::milliseconds(0));
    for (auto& failed : state_->dlq_failed) state_->dlq_retry.emplace_back(Clock::now() + std::chrono::seconds(1), failed);
    state_->dlq_failed.clear();
    const auto now = Clock::now();
    while (!state_->dlq_retry.empty() && state_->dlq_retry.front().first <= now) {
      std::shared_ptr<Item> item = std::move(state_->dlq_retry.front().second);
      state_->dlq_retry.pop_front();
      auto copy = std::make_unique<Item>(*item);
      DeadLetter(std::move(copy), item->action, item->document);
    }
  }
}

void SinkApp::CommitDone(const std::vector<common::TopicPartition>* only) {
  std::map<common::TopicPartition, int64_t> candidates = state_->tracker.CommitCandidates();
  if (only != nullptr) {
    std::map<common::TopicPartition, int64_t> filtered;
    for (const auto& tp : *only) {
      if (auto it = candidates.find(tp); it != candidates.end()) filtered.insert(*it);
    }
    candidates.swap(filtered);
  }
  state_->last_commit = Clock::now();
  if (candidates.empty()) return;
  if (absl::Status s = consumer_->Commit(candidates); !s.ok()) {
    // Not fatal: the documents are indexed; a later commit covers them, or they are re-indexed
    // idempotently (same _id) by the next owner.
    TS_LOG(WARNING) << "offset commit failed (the next one covers it): " << s.message();
    status_.RecordError(absl::StrCat("offset commit: ", s.message()));
    return;
  }
  status_.counters().commits.fetch_add(1);
  for (const auto& [tp, next] : candidates) state_->tracker.MarkCommitted(tp, next);
}

void SinkApp::UpdateFlow() {
  const int64_t pending = state_->tracker.Pending();
  const int64_t bound = config_.EffectiveMaxPending();
  // Two stages of backpressure. First the sink simply stops taking records from the consumer
  // (throttled): librdkafka's prefetch queue (bounded by queued.max.messages.kbytes) fills and
  // fetching stops, and nothing fetched is thrown away. Pausing the partitions discards the prefetched
  // messages (they are fetched and decompressed again after the resume), so it is kept for long
  // stalls only (Elasticsearch down), where the consumer must go on polling to stay in its group.
  const auto now = Clock::now();
  if (pending >= bound) {
    if (throttled_since_ == Clock::time_point{}) throttled_since_ = now;
  } else if (pending <= bound / 2) {
    throttled_since_ = Clock::time_point{};
  }
  throttled_ = throttled_since_ != Clock::time_point{};
  // Paused by the operator, or (second stage of backpressure) throttled for 10 s.
  const bool operator_paused = operator_paused_.load();
  const bool want_paused = operator_paused || (throttled_ && (paused_ || now - throttled_since_ >= std::chrono::seconds(10)));
  if (!paused_ && want_paused) {
    auto assigned = state_->tracker.Assigned();
    if (consumer_->Pause(assigned).ok()) {
      paused_ = true;
      if (operator_paused) TS_LOG(INFO) << "paused " << assigned.size() << " partition(s) by request";
      else TS_LOG(INFO) << "paused " << assigned.size() << " partition(s): " << pending << " records in flight";
    }
  } else if (paused_ && !want_paused) {
    auto assigned = state_->tracker.Assigned();
    if (consumer_->Resume(assigned).ok()) {
      paused_ = false;
      TS_LOG(INFO) << "resumed " << assigned.size() << " partition(s)";
    }
  }
  status_.SetFlow(pending, workers_->InFlight(), paused_);
}

void SinkApp::WriteStatusIfDue(bool force) {
  if (config_.status_file.empty()) return;
  const auto now = Clock::now();
  if (!force && now - last_status_write_ < std::chrono::seconds(1)) return;
  last_status_write_ = now;
  status_.WriteFile(config_.status_file, config_.name);
}

bool SinkApp::WaitDraining(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    Drain();
    UpdateFlow();
    WriteStatusIfDue();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

absl::Status SinkApp::Run() {
  status_.SetState(SinkState::kRunning);
  WriteStatusIfDue(true);
  absl::Status result = absl::OkStatus();
  const auto idle_limit = config_.exit_when_idle;
  while (!stop_.load()) {
    {
      absl::MutexLock lock(&state_->mu);
      result = state_->fatal;
    }
    if (!result.ok()) break;
    // Wait for records at most until the open batch's linger ends.
    auto timeout = std::chrono::milliseconds(100);
    if (open_batch_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(batch_opened_ + config_.linger - Clock::now());
      timeout = std::clamp(left, std::chrono::milliseconds(0), timeout);
    }
    if (operator_paused_.load() && !paused_) {
      // Paused by the operator: send what is open now (so everything taken gets indexed and committed)
      // and pause the partitions before taking anything more.
      if (open_batch_) CloseBatch();
      UpdateFlow();
    }
    const size_t room = static_cast<size_t>(config_.batch_max_records) - (open_batch_ ? open_batch_->items.size() : 0);
    if (throttled_ && !paused_) {
      // Enough in flight: let the bulks drain before taking more (see UpdateFlow).
      if (open_batch_) CloseBatch();
      Drain();
      UpdateFlow();
      WriteStatusIfDue();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    auto records = consumer_->Poll(std::max<size_t>(room, 1), timeout);
    if (!records.ok()) {
      result = records.status();
      break;
    }
    for (auto& record : *records) Accept(std::move(record));
    if (!records->empty()) state_->last_activity = Clock::now();
    if (open_batch_ && Clock::now() - batch_opened_ >= config_.linger) CloseBatch();
    Drain();
    if (Clock::now() - state_->last_commit >= std::chrono::milliseconds(500)) CommitDone();
    UpdateFlow();
    WriteStatusIfDue();
    if (idle_limit.count() > 0) {
      if (state_->tracker.Pending() > 0 || open_batch_ || state_->dlq_in_flight > 0) {
        state_->last_activity = Clock::now();
      } else if (!state_->tracker.Assigned().empty() && Clock::now() - state_->last_activity >= idle_limit) {
        TS_LOG(INFO) << "nothing arrived or was in flight for " << absl::FormatDuration(absl::FromChrono(idle_limit))
                     << "; stopping";
        break;
      }
      // Without an assignment there is no telling whether records wait for us (a rebalance may be
      // waiting for a dead member's session to expire): keep waiting.
    }
  }

  if (result.ok()) {
    // Stop: finish what is in flight within the deadline, commit, leave the group.
    status_.SetState(SinkState::kStopping);
    CloseBatch();
    const bool drained = WaitDraining(
        [&] { return state_->tracker.Pending() == 0 && state_->dlq_in_flight == 0; }, config_.shutdown_timeout);
    if (!drained) {
      TS_LOG(WARNING) << "shutdown deadline: " << state_->tracker.Pending()
                      << " record(s) not indexed; they stay uncommitted and are consumed again on restart";
    }
  } else {
    TS_LOG(ERROR) << result.message();
    status_.RecordError(std::string(result.message()));
    status_.SetState(SinkState::kFailed, std::string(result.message()));
  }
  workers_->Stop();
  Drain();
  if (dlq_) {
    (void)dlq_->Flush(std::chrono::seconds(5));
    Drain();
  }
  CommitDone();
  if (absl::Status s = consumer_->Close(); !s.ok()) TS_LOG(WARNING) << "leaving the consumer group: " << s.message();
  if (result.ok()) status_.SetState(SinkState::kStopped);
  UpdateFlow();
  WriteStatusIfDue(true);
  return result;
}

}  // namespace tweetstream::sink
