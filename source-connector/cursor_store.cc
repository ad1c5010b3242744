#include "source-connector/cursor_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/kafka_consumer.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace tweetstream::source {

std::string CursorToJson(const Cursor& cursor) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("newest_id");
  w.String(cursor.newest_id.data(), static_cast<rapidjson::SizeType>(cursor.newest_id.size()));
  w.Key("updated_at");
  w.String(cursor.updated_at.data(), static_cast<rapidjson::SizeType>(cursor.updated_at.size()));
  // Written only when set, so that a plain cursor stays what earlier versions wrote.
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"start_time", &cursor.start_time},
                                    {"until_id", &cursor.until_id},
                                    {"head_id", &cursor.head_id},
                                    {"stream_time", &cursor.stream_time}}) {
    if (value->empty()) continue;
    w.Key(name);
    w.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<Cursor> CursorFromJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("newest_id") || !doc["newest_id"].IsString()) {
    return std::nullopt;
  }
  Cursor c;
  c.newest_id = doc["newest_id"].GetString();
  for (const auto& [name, target] : {std::pair<const char*, std::string*>{"updated_at", &c.updated_at},
                                     {"start_time", &c.start_time},
                                     {"until_id", &c.until_id},
                                     {"head_id", &c.head_id},
                                     {"stream_time", &c.stream_time}}) {
    if (doc.HasMember(name) && doc[name].IsString()) *target = doc[name].GetString();
  }
  // A backlog needs both ends; half of one is ignored (the floor alone re-reads more, never less).
  if (c.until_id.empty() || c.head_id.empty()) c.until_id.clear(), c.head_id.clear();
  return c;
}

std::optional<Cursor> MemoryCursorStore::Get(const std::string& key) const {
  auto it = cursors_.find(key);
  if (it == cursors_.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryCursorStore::Save(const std::string& key, const Cursor& cursor) {
  cursors_[key] = cursor;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KafkaCursorStore>> KafkaCursorStore::Create(const std::string& bootstrap_servers,
                                                                         const std::string& topic,
                                                                         int replication_factor,
                                                                         common::Producer* producer,
                                                                         std::chrono::milliseconds timeout) {
  // Compacted: only the newest cursor per key matters; one partition keeps reading it cheap. As many
  // replicas as the data topic: a lost cursor means re-reading (or, past the 7-day search window,
  // skipping) what it stood for.
  if (absl::Status s = common::EnsureTopic(bootstrap_servers, topic, 1, replication_factor, timeout,
                                           {{"cleanup.policy", "compact"}});
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("cursor topic (--cursor-topic, --replication-factor ",
                                               replication_factor, "): ", s.message()));
  }
  // An existing topic may have been made by hand, or by an older version, without compaction.
  auto config = common::DescribeTopicConfig(bootstrap_servers, topic, timeout);
  if (!config.ok()) {
    TS_LOG(WARNING) << "cannot check that the cursor topic " << topic << " is compacted (" << config.status().message()
                    << "); going on. It must have cleanup.policy=compact, or cursors vanish after retention.ms";
  } else {
    const std::string policy = (*config)["cleanup.policy"];
    const std::vector<std::string> policies = absl::StrSplit(policy, ',', absl::SkipWhitespace());
    const bool compact = std::find(policies.begin(), policies.end(), "compact") != policies.end();
    const bool deletes = std::find(policies.begin(), policies.end(), "delete") != policies.end();
    if (!compact) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cursor topic ", topic, " has cleanup.policy=", policy.empty() ? "(unknown)" : policy,
          ": it must be compacted, or the broker deletes the cursors after retention.ms and the source starts over. "
          "Fix it with: kafka-configs.sh --bootstrap-server ", bootstrap_servers, " --alter --entity-type topics "
          "--entity-name ", topic, " --add-config cleanup.policy=compact (or name another --cursor-topic)"));
    }
    if (deletes) {
      TS_LOG(WARNING) << "cursor topic " << topic << " has cleanup.policy=" << policy
                      << ": a cursor not updated within retention.ms (" << (*config)["retention.ms"]
                      << " ms) is deleted; cleanup.policy=compact alone keeps it";
    }
  }
  TS_ASSIGN_OR_RETURN(auto values, common::ReadCompactedTopic(bootstrap_servers, topic, timeout));
  auto store = std::unique_ptr<KafkaCursorStore>(new KafkaCursorStore(topic, producer, timeout));
  for (const auto& [key, value] : values) {
    if (auto cursor = CursorFromJson(value)) {
      (void)store->cache_.Save(key, *cursor);
    } else {
      TS_LOG(WARNING) << "ignoring a value in " << topic << " for key " << key << " that is not a cursor";
    }
  }
  TS_LOG(INFO) << "read " << values.size() << " cursor(s) from " << topic;
  return store;
}

std::optional<Cursor> KafkaCursorStore::Get(const std::string& key) const { return cache_.Get(key); }

absl::Status KafkaCursorStore::Save(const std::string& key, const Cursor& cursor) {
  auto delivered = std::make_shared<absl::Status>(absl::UnknownError("cursor delivery not reported"));
  common::ProducerRecord record;
  record.topic = topic_;
  record.key = key;
  record.value = CursorToJson(cursor);
  record.on_delivery = [delivered](const common::DeliveryReport& report) { *delivered = report.status; };
  TS_RETURN_IF_ERROR(producer_->Produce(std::move(record)));
  TS_RETURN_IF_ERROR(producer_->Flush(timeout_));
  if (!delivered->ok()) return *delivered;
  return cache_.Save(key, cursor);
}

}  // namespace tweetstream::source
