#include "sink-connector/bulk_request.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <algorithm>
#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace tweetstream::sink {

std::string SinkItem::where() const { return absl::StrCat(tp.topic, "/", tp.partition, "@", offset); }

std::string ActionLine(std::string_view action, const std::string& index, const std::string& id, int64_t version) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key(action.data(), static_cast<rapidjson::SizeType>(action.size()));
  writer.StartObject();
  writer.Key("_index");
  writer.String(index.data(), static_cast<rapidjson::SizeType>(index.size()));
  writer.Key("_id");
  writer.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  // The offset as an external version: an older record can never overwrite (or undo the delete of) a
  // newer one. external_gte rather than external: a replay of the same record (a restart, an offset
  // reset) rewrites the document instead of being refused, so re-indexing re-renders.
  writer.Key("version");
  writer.Int64(version);
  writer.Key("version_type");
  writer.String("external_gte");
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::Status ValidateDocumentId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("empty tweet id: Elasticsearch needs an _id");
  if (id.size() > kMaxDocumentIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tweet id of ", id.size(), " bytes: Elasticsearch takes _ids of at most ", kMaxDocumentIdBytes));
  }
  if (!simdjson::validate_utf8(id.data(), id.size())) {
    return absl::InvalidArgumentError("tweet id is not valid UTF-8: it cannot be an Elasticsearch _id");
  }
  return absl::OkStatus();
}

std::vector<std::unique_ptr<SinkItem>> TakeSuperseded(BulkBatch* batch) {
  std::vector<std::unique_ptr<SinkItem>> superseded;
  std::unordered_set<std::string_view> seen;
  std::vector<std::unique_ptr<SinkItem>> kept;
  kept.reserve(batch->items.size());
  // From the last record back: the first seen of an id is its latest.
  for (auto it = batch->items.rbegin(); it != batch->items.rend(); ++it) {
    if (seen.insert((*it)->id).second) kept.push_back(std::move(*it));
    else superseded.push_back(std::move(*it));
  }
  std::reverse(kept.begin(), kept.end());
  batch->items = std::move(kept);
  batch->exclusive = false;
  for (const auto& item : batch->items) {
    if (item->by_query()) batch->exclusive = true;
  }
  if (!superseded.empty()) {
    batch->bytes = 0;
    for (const auto& item : batch->items) batch->bytes += static_cast<int64_t>(item->action.size() + item->document.size() + 2);
  }
  return superseded;
}

std::string DeleteByQueryBody(const std::vector<std::unique_ptr<SinkItem>*>& items) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("query");
  w.StartObject();
  w.Key("ids");
  w.StartObject();
  w.Key("values");
  w.StartArray();
  for (auto* item : items) w.String((*item)->id.data(), static_cast<rapidjson::SizeType>((*item)->id.size()));
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace tweetstream::sink
