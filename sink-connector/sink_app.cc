#include "sink-connector/sink_app.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "sink-connector/es_document.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::sink {

// One record on its way into Elasticsearch.
struct SinkApp::Item {
  const common::ConsumerRecord* record = nullptr;
  bool is_delete = false;
  std::string action;    // the action line, without newline
  std::string document;  // the source line (empty for a delete)
  std::string where() const { return absl::StrCat(record->topic, "/", record->partition, "@", record->offset); }
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

bool IsFatal(const absl::Status& s) {
  return absl::IsUnauthenticated(s) || absl::IsPermissionDenied(s);
}

}  // namespace

absl::Status SinkConfig::Validate() const {
  if (bootstrap_servers.empty()) return absl::InvalidArgumentError("bootstrap-servers: must not be empty");
  if (topic.empty()) return absl::InvalidArgumentError("topic: must not be empty");
  if (group_id.empty()) return absl::InvalidArgumentError("group-id: must not be empty");
  if (start_from != "earliest" && start_from != "latest") {
    return absl::InvalidArgumentError("start-from: must be earliest or latest");
  }
  if (es.urls.empty()) return absl::InvalidArgumentError("es-url: at least one Elasticsearch URL is needed");
  for (const auto& url : es.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("es-url: '", common::RedactUrl(url), "' must start with http:// or https://"));
    }
  }
  if (index.empty()) return absl::InvalidArgumentError("index: must not be empty");
  if (batch_max_records < 1) return absl::InvalidArgumentError("batch-max-records: must be >= 1");
  if (batch_max_bytes < 1024) return absl::InvalidArgumentError("batch-max-bytes: must be >= 1024");
  if (linger.count() < 0) return absl::InvalidArgumentError("linger: must be >= 0");
  if (retry_backoff_initial.count() <= 0 || retry_backoff_max < retry_backoff_initial) {
    return absl::InvalidArgumentError("retry-backoff: initial must be > 0 and <= max");
  }
  return absl::OkStatus();
}

SinkApp::SinkApp(SinkConfig config, std::unique_ptr<common::Consumer> consumer,
                 std::unique_ptr<common::HttpClient> http)
    : config_(std::move(config)), consumer_(std::move(consumer)), http_(std::move(http)), es_(http_.get(), config_.es) {}

absl::StatusOr<std::unique_ptr<SinkApp>> SinkApp::Create(const SinkConfig& config) {
  TS_RETURN_IF_ERROR(config.Validate());
  TS_ASSIGN_OR_RETURN(std::unique_ptr<common::HttpClient> http, common::CurlHttpClient::Create());

  // Elasticsearch first: wait for it (bounded) with a clear message instead of crashing.
  EsClient es(http.get(), config.es);
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
  const std::string template_body = IndexTemplateJson(config.index + "*");
  if (absl::Status s = es.PutIndexTemplate(config.EffectiveTemplateName(), template_body); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("installing index template ", config.EffectiveTemplateName(), ": ", s.message()));
  }
  TS_LOG(INFO) << "index template " << config.EffectiveTemplateName() << " installed for " << config.index << "*";

  TS_RETURN_IF_ERROR(common::CheckKafkaReachable(config.bootstrap_servers, config.kafka_timeout));
  common::KafkaConsumerOptions consumer_options;
  consumer_options.bootstrap_servers = config.bootstrap_servers;
  consumer_options.group_id = config.group_id;
  consumer_options.client_id = config.name;
  consumer_options.topics = {config.topic};
  consumer_options.start_from = config.start_from;
  TS_ASSIGN_OR_RETURN(auto consumer, common::CreateKafkaConsumer(consumer_options));
  return std::unique_ptr<SinkApp>(new SinkApp(config, std::move(consumer), std::move(http)));
}

absl::Status SinkApp::Run(SinkSummary* summary) {
  absl::Status result = absl::OkStatus();
  // The idle clock of exit_when_idle starts at the first assignment (joining a group can take a
  // while, e.g. when the broker first creates __consumer_offsets), then at every record.
  absl::Time last_record = absl::Now();
  bool assigned = false;
  while (!stop_.load()) {
    auto records = consumer_->Poll(static_cast<size_t>(config_.batch_max_records), config_.linger);
    if (!records.ok()) {
      result = records.status();
      break;
    }
    if (records->empty()) {
      if (!assigned && !consumer_->Assignment().empty()) {
        assigned = true;
        last_record = absl::Now();
      }
      if (config_.exit_when_idle.count() > 0 && absl::Now() - last_record >= absl::FromChrono(config_.exit_when_idle)) {
        TS_LOG(INFO) << "no new records for " << absl::FormatDuration(absl::FromChrono(config_.exit_when_idle)) << "; stopping";
        break;
      }
      continue;
    }
    last_record = absl::Now();
    assigned = true;
    summary->consumed += static_cast<int64_t>(records->size());

    absl::Status batch = ProcessBatch(*records, summary);
    if (absl::IsCancelled(batch)) break;  // stopping while Elasticsearch fails: commit nothing of it
    if (!batch.ok()) {
      result = batch;
      break;
    }
    // Every record of the batch is done: commit, per partition, the offset after its last record.
    std::map<common::TopicPartition, int64_t> next_offsets;
    for (const auto& r : *records) {
      int64_t& next = next_offsets[{r.topic, r.partition}];
      next = std::max(next, r.offset + 1);
    }
    if (absl::Status s = consumer_->Commit(next_offsets); !s.ok()) {
      // Not fatal: the records are indexed; a later commit covers them, or they are re-indexed
      // idempotently (same _id) after a restart.
      TS_LOG(WARNING) << "offset commit failed (will be covered by the next one): " << s.message();
    } else {
      ++summary->commits;
    }
  }
  if (absl::Status s = consumer_->Close(); !s.ok()) TS_LOG(WARNING) << "leaving the consumer group: " << s.message();
  return result;
}

absl::Status SinkApp::ProcessBatch(const std::vector<common::ConsumerRecord>& records, SinkSummary* summary) {
  std::vector<Item> items;
  items.reserve(records.size());
  tweet::v1::TweetEnvelope envelope;
  for (const auto& record : records) {
    Item item;
    item.record = &record;
    if (!record.value.has_value()) {
      if (!record.key.has_value() || record.key->empty()) {
        ++summary->undecodable;
        TS_LOG(WARNING) << "skipped " << item.where() << ": null value and no key (not a tombstone of a tweet)";
        continue;
      }
      item.is_delete = true;
      item.action = ActionLine("delete", config_.index, *record.key);
      items.push_back(std::move(item));
      continue;
    }
    if (!envelope.ParseFromString(*record.value)) {
      ++summary->undecodable;
      TS_LOG(WARNING) << "skipped " << item.where() << ": value is not a tweetstream.tweet.v1.TweetEnvelope ("
                      << record.value->size() << " bytes)";
      continue;
    }
    RenderStats stats;
    if (absl::Status s = RenderDocument(envelope, &item.document, &stats); !s.ok()) {
      ++summary->undecodable;
      TS_LOG(WARNING) << "skipped " << item.where() << ": " << s.message();
      continue;
    }
    if (stats.repaired_strings > 0) {
      TS_LOG(DEBUG) << item.where() << ": repaired invalid UTF-8 in " << stats.repaired_strings << " string(s)";
    }
    item.action = ActionLine("index", config_.index, envelope.tweet().id());
    items.push_back(std::move(item));
  }

  // Split into bulk requests bounded by bytes (the record bound is the poll size).
  std::vector<Item*> chunk;
  int64_t chunk_bytes = 0;
  for (Item& item : items) {
    const int64_t size = static_cast<int64_t>(item.action.size() + item.document.size() + 2);
    if (!chunk.empty() && chunk_bytes + size > config_.batch_max_bytes) {
      TS_RETURN_IF_ERROR(SendUntilDone(std::move(chunk), summary));
      chunk.clear();
      chunk_bytes = 0;
    }
    chunk.push_back(&item);
    chunk_bytes += size;
  }
  if (!chunk.empty()) TS_RETURN_IF_ERROR(SendUntilDone(std::move(chunk), summary));
  return absl::OkStatus();
}

absl::Status SinkApp::SendUntilDone(std::vector<Item*> pending, SinkSummary* summary) {
  std::chrono::milliseconds delay = config_.retry_backoff_initial;
  while (!pending.empty()) {
    std::string body;
    for (const Item* item : pending) {
      absl::StrAppend(&body, item->action, "\n");
      if (!item->is_delete) absl::StrAppend(&body, item->document, "\n");
    }
    auto results = es_.Bulk(body, pending.size());
    if (!results.ok()) {
      const absl::Status& s = results.status();
      if (IsFatal(s)) return s;
      if (absl::IsResourceExhausted(s) && pending.size() > 1) {
        // 413: the request is too large for the server; halve it.
        TS_LOG(WARNING) << "bulk of " << pending.size() << " items too large; splitting";
        std::vector<Item*> second(pending.begin() + static_cast<long>(pending.size() / 2), pending.end());
        pending.resize(pending.size() / 2);
        TS_RETURN_IF_ERROR(SendUntilDone(std::move(pending), summary));
        return SendUntilDone(std::move(second), summary);
      }
      if (absl::IsResourceExhausted(s) || absl::IsInvalidArgument(s)) {
        // The server refuses this request itself (a single document too large, ...): it will never
        // be accepted, and retrying would wedge the partition.
        for (const Item* item : pending) TS_LOG(WARNING) << "rejected " << item->where() << ": " << s.message();
        summary->rejected += static_cast<int64_t>(pending.size());
        return absl::OkStatus();
      }
      ++summary->retried;
      TS_LOG(WARNING) << "bulk request failed (" << s.message() << "); retrying " << pending.size()
                      << " item(s) in " << delay.count() << " ms";
      if (!Backoff(&delay)) return absl::CancelledError("stopping while Elasticsearch is failing");
      continue;
    }
    ++summary->bulks;
    std::vector<Item*> retry;
    for (size_t i = 0; i < pending.size(); ++i) {
      const BulkItemResult& r = (*results)[i];
      Item* item = pending[i];
      if (r.status >= 200 && r.status < 300) {
        ++(item->is_delete ? summary->deleted : summary->indexed);
      } else if (item->is_delete && r.status == 404) {
        ++summary->deleted;  // already gone
      } else if (r.status == 409) {
        ++summary->indexed;  // a version conflict on a replay: the document is there
      } else if (IsRetriableItem(r)) {
        retry.push_back(item);
      } else {
        ++summary->rejected;
        TS_LOG(WARNING) << "rejected " << item->where() << " by Elasticsearch (HTTP " << r.status << "): " << r.error_type
                        << ": " << r.error_reason;
      }
    }
    if (retry.empty()) break;
    summary->retried += static_cast<int64_t>(retry.size());
    TS_LOG(WARNING) << retry.size() << " item(s) refused for now (429/5xx); retrying them in " << delay.count() << " ms";
    if (!Backoff(&delay)) return absl::CancelledError("stopping while Elasticsearch refuses items");
    pending = std::move(retry);
  }
  return absl::OkStatus();
}

bool SinkApp::Backoff(std::chrono::milliseconds* delay) {
  const absl::Time until = absl::Now() + absl::FromChrono(*delay);
  while (absl::Now() < until) {
    if (stop_.load()) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  *delay = std::min(*delay * 2, config_.retry_backoff_max);
  return true;
}

}  // namespace tweetstream::sink
