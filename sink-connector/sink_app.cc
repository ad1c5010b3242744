#include "sink-connector/sink_app.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/confluent_wire.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "sink-connector/es_document.h"
#include "sink-connector/offset_tracker.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::sink {

using Clock = std::chrono::steady_clock;

struct SinkApp::State {
  OffsetTracker tracker;
  absl::Mutex mu;
  std::vector<ItemOutcome> outcomes ABSL_GUARDED_BY(mu);
  absl::Status fatal ABSL_GUARDED_BY(mu);
  // Partitions revoked and not assigned again: their records belong to another member (Run thread).
  std::set<common::TopicPartition> revoked;
  Clock::time_point last_activity = Clock::now();
  tweet::v1::TweetEnvelope envelope;  // scratch for Accept()
  // Accept() renders here and copies the document out at its exact size: rendered in place, every
  // held document would keep the whole room reserved for it (about twice its size for long posts).
  std::string render_scratch;
  Clock::time_point last_commit = Clock::now();
  // The largest item seen (record value + rendered document), for the per-poll byte bound.
  int64_t largest_item_bytes = 0;
  // Metrics (null without a registry).
  common::Histogram* bulk_seconds = nullptr;
  common::Histogram* bulk_items = nullptr;
  common::Histogram* since_created = nullptr;
  common::Histogram* since_ingested = nullptr;
};

namespace {

bool IsFatal(const absl::Status& s) { return absl::IsUnauthenticated(s) || absl::IsPermissionDenied(s); }

}  // namespace

SinkApp::SinkApp(SinkConfig config, std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory)
    : config_(std::move(config)), http_factory_(std::move(http_factory)), state_(std::make_unique<State>()) {
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
        // sqrt(2) apart, 5 ms to 164 s: fine enough to tell 200 from 250 ms (bench/latency_bench.sh).
        common::ExponentialBuckets(0.005, std::sqrt(2.0), 31));
  }
}

SinkApp::~SinkApp() {
  // Threads and delivery reports first: they touch the state, the status and the tracker.
  if (sender_) sender_->Stop();
  sender_.reset();
  dead_letters_.reset();
}

void SinkApp::Start(std::unique_ptr<common::Producer> dlq, std::vector<std::unique_ptr<common::HttpClient>> https) {
  DeadLetterOptions dlq_options;
  dlq_options.topic = dlq ? config_.dlq_topic : "";
  dlq_options.connector = config_.name;
  dlq_options.on_dead_letter = config_.on_dead_letter;
  dead_letters_ = std::make_unique<DeadLetterQueue>(std::move(dlq_options), std::move(dlq), &status_,
                                                    [this](const SinkItem& item) { Done(item); });
  BulkSenderOptions options;
  options.index_prefix = config_.IndexPrefix();
  options.retry_backoff_initial = config_.retry_backoff_initial;
  options.retry_backoff_max = config_.retry_backoff_max;
  options.max_item_retries = config_.max_item_retries;
  options.dead_letter_unknown_errors = config_.dead_letter_unknown_errors;
  options.bulk_seconds = state_->bulk_seconds;
  options.bulk_items = state_->bulk_items;
  State* state = state_.get();
  std::vector<std::unique_ptr<EsApi>> clients;
  for (auto& http : https) clients.push_back(std::make_unique<EsClient>(std::move(http), config_.es));
  sender_ = std::make_unique<BulkSender>(
      std::move(options), std::move(clients), &status_,
      [state](std::vector<ItemOutcome> outcomes) {
        absl::MutexLock lock(&state->mu);
        for (auto& o : outcomes) state->outcomes.push_back(std::move(o));
      },
      [state](const absl::Status& s) {
        absl::MutexLock lock(&state->mu);
        if (state->fatal.ok()) state->fatal = s;
      });
}

int64_t SinkApp::pending_records() const { return state_->tracker.Pending(); }
int64_t SinkApp::pending_bytes() const { return state_->tracker.PendingBytes(); }

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
  auto app = std::unique_ptr<SinkApp>(new SinkApp(config, std::move(http_factory)));
  app->consumer_ = std::move(consumer);
  app->Start(std::move(dlq), std::move(https));
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
  auto app = std::unique_ptr<SinkApp>(new SinkApp(config, factory));
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
  app->hooks_wired_ = true;
  app->Start(std::move(dlq), std::move(https));
  return app;
}

void SinkApp::OnAssign(const std::vector<common::TopicPartition>& partitions) {
  status_.counters().rebalances.fetch_add(1);
  for (const auto& tp : partitions) {
    state_->tracker.Assign(tp);
    state_->revoked.erase(tp);
  }
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
  if (!sender_->stopped()) {
    const bool drained = WaitDraining([&] { return state_->tracker.Pending(partitions) == 0; }, config_.revoke_timeout);
    if (!drained) {
      TS_LOG(WARNING) << "revocation: " << state_->tracker.Pending(partitions)
                      << " record(s) still in flight after the deadline; they stay uncommitted for the next owner";
    }
  }
  CommitDone(&partitions);
  for (const auto& tp : partitions) {
    state_->tracker.Forget(tp);
    state_->revoked.insert(tp);
  }
}

void SinkApp::Accept(common::ConsumerRecord&& record) {
  SinkCounters& counters = status_.counters();
  const common::TopicPartition tp{record.topic, record.partition};
  std::optional<int64_t> generation = state_->tracker.Generation(tp);
  if (!generation) {
    // Fetched before its partition was revoked (librdkafka serves a rebalance between two messages
    // of one poll): the record is the next owner's now. Never tracked, never committed here.
    if (hooks_wired_ || state_->revoked.count(tp) > 0) {
      TS_LOG(DEBUG) << "dropping " << tp.topic << "/" << tp.partition << "@" << record.offset << ": partition revoked";
      return;
    }
    generation = state_->tracker.Assign(tp);  // a test consumer without rebalance hooks
  }
  counters.consumed.fetch_add(1);
  auto item = std::make_unique<SinkItem>();
  item->tp = tp;
  item->generation = *generation;
  item->offset = record.offset;
  item->key = std::move(record.key);

  std::string error_class, error;  // set: dead-letter instead of index
  if (!record.value.has_value()) {
    if (!item->key.has_value() || item->key->empty()) {
      counters.undecodable.fetch_add(1);
      error_class = "InvalidRecord";
      error = "null value without a key: not a tombstone of a tweet";
    } else if (absl::Status s = ValidateDocumentId(*item->key); !s.ok()) {
      counters.undecodable.fetch_add(1);
      error_class = "InvalidKey";
      error = std::string(s.message());
    } else {
      item->is_delete = true;
      item->id = *item->key;
      if (!config_.IndexIsPattern()) item->action = ActionLine("delete", config_.index, item->id, item->offset);
    }
  } else {
    // One envelope reused for every record: parsing into it reuses its memory (Run() thread only).
    tweet::v1::TweetEnvelope& envelope = state_->envelope;
    RenderStats stats;
    // Plain Protobuf or the Confluent wire format (a registry's serializers), whatever the source wrote:
    // a plain value never starts with the magic byte 0 (common/confluent_wire.h).
    absl::string_view payload = *record.value;
    if (common::LooksConfluentFramed(payload)) {
      absl::StatusOr<common::ConfluentFrame> frame = common::UnframeConfluentProtobuf(payload);
      if (!frame.ok()) {
        error = std::string(frame.status().message());
      } else if (frame->message_indexes != std::vector<int32_t>{0}) {
        // [0] is TweetEnvelope, the first message of tweet.proto; any other path is another message type.
        error = absl::StrCat("Confluent wire format: message index [", absl::StrJoin(frame->message_indexes, ","),
                             "] of schema id ", frame->schema_id,
                             " is not tweetstream.tweet.v1.TweetEnvelope (the first message of tweet.proto, [0])");
      } else {
        payload = frame->payload;
      }
      if (!error.empty()) {
        counters.undecodable.fetch_add(1);
        error_class = "DecodeError";
      }
    }
    if (!error_class.empty()) {
      // framing error: dead-lettered below with its reason
    } else if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      counters.undecodable.fetch_add(1);
      error_class = "DecodeError";
      error = absl::StrCat("value (", record.value->size(), " bytes) is not a tweetstream.tweet.v1.TweetEnvelope",
                           payload.size() != record.value->size() ? " (after the Confluent wire-format prefix)" : "");
    } else if (absl::Status s = ValidateDocumentId(envelope.tweet().id()); !s.ok()) {
      counters.undecodable.fetch_add(1);
      error_class = "InvalidKey";
      error = std::string(s.message());
    } else {
      std::string& scratch = state_->render_scratch;
      scratch.clear();
      scratch.reserve(record.value->size() * 2 + 256);  // JSON is about 1.5-2x the Protobuf
      if (absl::Status r = RenderDocument(envelope, &scratch, &stats); !r.ok()) {
        counters.undecodable.fetch_add(1);
        error_class = "RenderError";
        error = std::string(r.message());
      } else {
        item->document.assign(scratch);  // exactly its size
      }
      // One huge record must not pin its room for good: keep at most 1 MiB of scratch between records.
      if (scratch.capacity() > (1u << 20)) std::string().swap(scratch);
    }
    if (error_class.empty()) {
      item->id = envelope.tweet().id();
      // Only times the document holds (years 0001..9999) count: anything else (a hostile seconds near
      // INT64_MAX) is left out of the document, of the latency histograms, and of the index's date.
      const std::optional<int64_t> created =
          envelope.tweet().has_created_at() ? DocumentTimeMillis(envelope.tweet().created_at()) : std::nullopt;
      const std::optional<int64_t> ingested =
          envelope.ingestion().has_ingested_at() ? DocumentTimeMillis(envelope.ingestion().ingested_at()) : std::nullopt;
      const int64_t created_ms = created.value_or(-1);
      const int64_t ingested_ms = ingested.value_or(-1);
      item->created_ms = created_ms;
      item->ingested_ms = ingested_ms;
      std::string index = config_.index;
      if (config_.IndexIsPattern()) {
        // Date pattern on created_at (UTC); the ingestion time when the tweet has none (or one the
        // document cannot hold); the epoch when neither is usable.
        const int64_t ms = created.has_value() ? created_ms : (ingested.has_value() ? ingested_ms : 0);
        index = absl::FormatTime(config_.index, absl::FromUnixMillis(ms), absl::UTCTimeZone());
      }
      item->action = ActionLine("index", index, item->id, item->offset);
    }
    item->value = std::move(record.value);  // kept for the dead-letter topic; moved, not copied
  }
  const int64_t bytes = item->bytes();
  state_->tracker.Add(item->tp, item->generation, item->offset, bytes);
  state_->largest_item_bytes = std::max(state_->largest_item_bytes, bytes);
  if (!error_class.empty()) {
    dead_letters_->Send(std::move(item), std::move(error_class), std::move(error));
    return;
  }
  if (!open_batch_) {
    open_batch_ = std::make_unique<BulkBatch>();
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
  if (open_batch_ && !open_batch_->items.empty()) {
    // Only the last record of an id in a batch is sent: the earlier ones are superseded (done).
    for (auto& superseded : TakeSuperseded(open_batch_.get())) {
      if (superseded->is_delete) status_.counters().deleted.fetch_add(1);
      else status_.counters().indexed.fetch_add(1);
      Done(*superseded);
    }
    sender_->Submit(std::move(open_batch_));
  }
  open_batch_.reset();
}

void SinkApp::Done(const SinkItem& item) { state_->tracker.Done(item.tp, item.generation, item.offset); }

void SinkApp::Drain() {
  std::vector<ItemOutcome> outcomes;
  {
    absl::MutexLock lock(&state_->mu);
    outcomes.swap(state_->outcomes);
  }
  SinkCounters& counters = status_.counters();
  for (ItemOutcome& o : outcomes) {
    SinkItem& item = *o.item;
    switch (o.kind) {
      case ItemOutcome::kIndexed:
        counters.indexed.fetch_add(1);
        Done(item);
        if (state_->since_created != nullptr) {
          const int64_t now_ms = absl::ToUnixMillis(absl::Now());
          if (item.created_ms >= 0) state_->since_created->Observe(static_cast<double>(now_ms - item.created_ms) / 1000.0);
          if (item.ingested_ms >= 0) state_->since_ingested->Observe(static_cast<double>(now_ms - item.ingested_ms) / 1000.0);
        }
        break;
      case ItemOutcome::kDeleted:
        counters.deleted.fetch_add(1);
        Done(item);
        break;
      case ItemOutcome::kRejected:
        counters.rejected.fetch_add(1);
        dead_letters_->Send(std::move(o.item), std::move(o.error_class), std::move(o.message));
        break;
      case ItemOutcome::kAbandoned:
        break;  // stays in flight: never committed past
    }
  }
  dead_letters_->Serve();
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
  const int64_t bytes = pending_bytes();
  const int64_t bound = config_.EffectiveMaxPending();
  const int64_t bytes_bound = config_.max_pending_bytes;
  // Two stages of backpressure. First the sink simply stops taking records from the consumer
  // (throttled): librdkafka's prefetch queue (bounded by queued.max.messages.kbytes) fills and
  // fetching stops, and nothing fetched is thrown away. Pausing the partitions discards the prefetched
  // messages (they are fetched and decompressed again after the resume), so it is kept for long
  // stalls only (Elasticsearch down), where the consumer must go on polling to stay in its group.
  const auto now = Clock::now();
  if (pending >= bound || bytes >= bytes_bound) {
    if (throttled_since_ == Clock::time_point{}) throttled_since_ = now;
  } else if (pending <= bound / 2 && bytes <= bytes_bound / 2) {
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
      else TS_LOG(INFO) << "paused " << assigned.size() << " partition(s): " << pending << " records (" << bytes << " bytes) in flight";
    }
  } else if (paused_ && !want_paused) {
    auto assigned = state_->tracker.Assigned();
    if (consumer_->Resume(assigned).ok()) {
      paused_ = false;
      TS_LOG(INFO) << "resumed " << assigned.size() << " partition(s)";
    }
  }
  status_.SetFlow(pending, sender_->InFlight(), paused_);
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
    size_t room = static_cast<size_t>(config_.batch_max_records) - (open_batch_ ? open_batch_->items.size() : 0);
    // The byte bound holds per poll too: take no more records than the bytes left would hold at the
    // largest size seen so far (one poll of 1 MB records must not blow past --max-pending-bytes).
    if (state_->largest_item_bytes == 0) {
      room = 1;  // nothing seen yet: one record tells the size
    } else {
      const int64_t bytes_left = std::max<int64_t>(config_.max_pending_bytes - pending_bytes(), 0);
      room = std::min<size_t>(room, static_cast<size_t>(bytes_left / state_->largest_item_bytes));
    }
    if (throttled_ && !paused_) {
      // Enough in flight: let the bulks drain before taking more (see UpdateFlow).
      if (open_batch_) CloseBatch();
      Drain();
      UpdateFlow();
      WriteStatusIfDue();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const size_t asked = std::max<size_t>(room, 1);
    auto records = consumer_->Poll(asked, timeout);
    if (!records.ok()) {
      result = records.status();
      break;
    }
    for (auto& record : *records) Accept(std::move(record));
    if (!records->empty()) state_->last_activity = Clock::now();
    if (open_batch_ && Clock::now() - batch_opened_ >= config_.linger) {
      CloseBatch();
    } else if (open_batch_ && config_.send_when_idle && records->size() < asked &&
               sender_->InFlight() < config_.max_in_flight) {
      // Send when idle: the poll came back short, so nothing more is waiting in the consumer, and a
      // bulk slot is free: lingering would only add latency. While every slot is busy the batch grows
      // up to its bounds (or --linger), which is what a backlog wants.
      CloseBatch();
    }
    Drain();
    if (Clock::now() - state_->last_commit >= std::chrono::milliseconds(500)) CommitDone();
    UpdateFlow();
    WriteStatusIfDue();
    if (idle_limit.count() > 0) {
      if (state_->tracker.Pending() > 0 || open_batch_ || dead_letters_->Outstanding() > 0) {
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

  const auto stop_started = Clock::now();
  if (result.ok()) {
    // Stop: finish what is in flight within the deadline, commit, leave the group.
    status_.SetState(SinkState::kStopping);
    CloseBatch();
    const bool drained = WaitDraining(
        [&] { return state_->tracker.Pending() == 0 && dead_letters_->Outstanding() == 0; }, config_.shutdown_timeout);
    if (!drained) {
      TS_LOG(WARNING) << "shutdown deadline: " << state_->tracker.Pending()
                      << " record(s) not indexed; they stay uncommitted and are consumed again on restart";
    }
  } else {
    TS_LOG(ERROR) << result.message();
    status_.RecordError(std::string(result.message()));
    status_.SetState(SinkState::kFailed, std::string(result.message()));
  }
  sender_->Stop();  // cancels requests still in progress (a hung Elasticsearch): the deadline holds
  Drain();
  // What is left of the deadline (at least a moment) for the dead letters still on their way.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(stop_started + config_.shutdown_timeout - Clock::now());
  dead_letters_->Flush(std::clamp(left, std::chrono::milliseconds(100), std::chrono::milliseconds(5000)));
  CommitDone();
  if (absl::Status s = consumer_->Close(); !s.ok()) TS_LOG(WARNING) << "leaving the consumer group: " << s.message();
  if (result.ok()) status_.SetState(SinkState::kStopped);
  UpdateFlow();
  WriteStatusIfDue(true);
  return result;
}

}  // namespace tweetstream::sink
