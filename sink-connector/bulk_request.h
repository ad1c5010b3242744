#pragma once
// What a bulk request is made of: one SinkItem per consumed record (its bulk action line and
// document, its place in Kafka for the commit and the dead-letter topic), the batches they travel
// in, and the outcome a sender reports for each.
//
// Ordering ("the later record for an id wins"): every action carries the record's Kafka offset as
// an external version (`version_type: external_gte`), so Elasticsearch refuses (409) an index or
// delete older than what it holds, whatever order bulks finish in. Within one batch only the last
// record of an id is sent (the earlier ones are superseded). Deletes by query (a date-pattern
// index, where a tombstone's index is unknown) carry no version: a batch holding one is sent
// exclusively, after every earlier batch and before any later one.
// Thread-safety: plain values; a batch belongs to one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/kafka_consumer.h"

namespace tweetstream::sink {

// Elasticsearch refuses `_id`s longer than this (bytes).
inline constexpr size_t kMaxDocumentIdBytes = 512;

struct SinkItem {
  common::TopicPartition tp;
  int64_t generation = 0;
  int64_t offset = 0;
  std::optional<std::string> key;  // original key and value, for the dead-letter topic
  std::optional<std::string> value;
  bool is_delete = false;
  std::string id;
  std::string action;    // the bulk action line, without newline (empty for a delete by query)
  std::string document;  // the source line (empty for a delete)
  int64_t created_ms = -1;  // the tweet's created_at and ingestion time, for end-to-end latency
  int64_t ingested_ms = -1;
  int server_errors = 0;  // item-level 5xx answers so far (capped by max_item_retries)

  bool by_query() const { return is_delete && action.empty(); }
  // Memory this item holds (the flow-control bound counts it until the item is done): what its
  // strings have allocated, not only what they use, and its lines in the request body, a copy that
  // exists while its bulk is sent (reserved from the start, so the bound holds when the body is made).
  int64_t bytes() const {
    return static_cast<int64_t>((value ? value->capacity() : 0) + (key ? key->capacity() : 0) +
                                action.capacity() + document.capacity() + id.capacity() + sizeof(SinkItem) +
                                action.size() + document.size() + 2);
  }
  std::string where() const;
};

struct BulkBatch {
  std::vector<std::unique_ptr<SinkItem>> items;
  int64_t bytes = 0;  // request body bytes (action and source lines)
  // Holds a delete by query: sent with nothing else in flight (see the file comment).
  bool exclusive = false;
};

struct ItemOutcome {
  enum Kind { kIndexed, kDeleted, kRejected, kAbandoned };
  std::unique_ptr<SinkItem> item;
  Kind kind = kIndexed;
  std::string error_class;  // kRejected: the dead-letter class and reason
  std::string message;
};

// {"<action>":{"_index":...,"_id":...,"version":<version>,"version_type":"external_gte"}}
std::string ActionLine(std::string_view action, const std::string& index, const std::string& id, int64_t version);
// OK for an id Elasticsearch accepts as `_id`: not empty, valid UTF-8, at most 512 bytes.
// INVALID_ARGUMENT saying why otherwise.
absl::Status ValidateDocumentId(const std::string& id);
// Keeps the last item of each id in `batch` (in order) and returns the earlier ones, which a later
// record supersedes. Marks the batch exclusive when it holds a delete by query.
std::vector<std::unique_ptr<SinkItem>> TakeSuperseded(BulkBatch* batch);
// The _delete_by_query body for these items' ids.
std::string DeleteByQueryBody(const std::vector<std::unique_ptr<SinkItem>*>& items);

}  // namespace tweetstream::sink
