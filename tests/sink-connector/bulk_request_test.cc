// What a bulk request is made of, on its own: the action line (one JSON line whatever the id holds,
// the offset as an external_gte version), the ids Elasticsearch accepts (not empty, valid UTF-8, at
// most 512 bytes), the last record of an id per batch, and the delete-by-query body. Every line is
// read back with RapidJSON, not compared as text. Unit: pure functions.

#include <rapidjson/document.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sink-connector/bulk_request.h"

namespace tweetstream::testing {
namespace {

// The action line parsed: fails the test unless it is one JSON object with exactly one action.
struct ParsedAction {
  std::string action, index, id, version_type;
  int64_t version = -1;
  size_t members = 0;
};

ParsedAction ParseAction(const std::string& line) {
  ParsedAction out;
  EXPECT_EQ(line.find('\n'), std::string::npos) << "an action line must stay one NDJSON line";
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  EXPECT_FALSE(doc.HasParseError()) << line;
  if (doc.HasParseError() || !doc.IsObject()) return out;
  EXPECT_EQ(doc.MemberCount(), 1u) << line;
  const auto& action = *doc.MemberBegin();
  out.action.assign(action.name.GetString(), action.name.GetStringLength());
  const auto& meta = action.value;
  EXPECT_TRUE(meta.IsObject()) << line;
  if (!meta.IsObject()) return out;
  out.members = meta.MemberCount();
  if (meta.HasMember("_index")) out.index.assign(meta["_index"].GetString(), meta["_index"].GetStringLength());
  if (meta.HasMember("_id")) out.id.assign(meta["_id"].GetString(), meta["_id"].GetStringLength());
  if (meta.HasMember("version") && meta["version"].IsInt64()) out.version = meta["version"].GetInt64();
  if (meta.HasMember("version_type")) out.version_type = meta["version_type"].GetString();
  return out;
}

TEST(ActionLineTest, CarriesIndexIdAndTheOffsetAsAnExternalGteVersion) {
  for (const char* action : {"index", "delete"}) {
    const ParsedAction a = ParseAction(sink::ActionLine(action, "twitter-2026.12", "1850006720980320512", 4711));
    EXPECT_EQ(a.action, action);
    EXPECT_EQ(a.index, "twitter-2026.12");
    EXPECT_EQ(a.id, "1850006720980320512");
    EXPECT_EQ(a.version, 4711);
    EXPECT_EQ(a.version_type, "external_gte");  // a replay of the same offset rewrites, an older one is refused
    EXPECT_EQ(a.members, 4u) << "only _index, _id, version and version_type";
  }
}

TEST(ActionLineTest, OffsetsAtBothEndsAreExactVersions) {
  EXPECT_EQ(ParseAction(sink::ActionLine("index", "t", "1", 0)).version, 0);
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ParseAction(sink::ActionLine("index", "t", "1", max)).version, max);
}

TEST(ActionLineTest, AnIdWithQuotesBackslashesLineBreaksAndNonAsciiRoundTripsOnOneLine) {
  const std::string id = std::string("a\"b\\c\nd\re\tf\x01g ") + "\xF0\x9F\x98\x80 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D";
  const std::string index = "tw\"it\nter";
  const ParsedAction a = ParseAction(sink::ActionLine("index", index, id, 1));
  EXPECT_EQ(a.id, id);
  EXPECT_EQ(a.index, index);
}

TEST(ValidateDocumentIdTest, AnEmptyIdIsRefused) {
  const absl::Status s = sink::ValidateDocumentId("");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "empty")) << s;
}

TEST(ValidateDocumentIdTest, OneCharacterAndOrdinaryTweetIdsAreAccepted) {
  EXPECT_TRUE(sink::ValidateDocumentId("1").ok());
  EXPECT_TRUE(sink::ValidateDocumentId("1850006720980320512").ok());
  EXPECT_TRUE(sink::ValidateDocumentId("\xE2\x9C\x93 emoji-\xF0\x9F\x90\xA6").ok());  // valid UTF-8 of 2-4 bytes
}

TEST(ValidateDocumentIdTest, TheLimitIs512BytesNotCharacters) {
  EXPECT_EQ(sink::kMaxDocumentIdBytes, 512u);
  EXPECT_TRUE(sink::ValidateDocumentId(std::string(512, '7')).ok());
  const absl::Status s = sink::ValidateDocumentId(std::string(513, '7'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "513 bytes")) << s;

  std::string emoji;  // 128 four-byte characters: 512 bytes
  for (int i = 0; i < 128; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(sink::ValidateDocumentId(emoji).ok());
  std::string hebrew = std::string(510, 'x') + "\xD7\xA9" + "\xD7\x9C";  // 512 characters, 514 bytes
  EXPECT_EQ(sink::ValidateDocumentId(hebrew).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidateDocumentIdTest, InvalidUtf8OfEveryKindIsRefused) {
  const std::vector<std::string> invalid = {
      "12\xff\xfe",              // bytes that never occur in UTF-8
      "12\x80",                  // a lone continuation byte
      "12\xC3",                  // a sequence cut at the end
      "12\xC3(",                 // a sequence cut in the middle
      "\xC0\xAF",                // an overlong '/'
      "\xED\xA0\x80",            // a UTF-16 surrogate (U+D800) encoded as UTF-8
      "\xF4\x90\x80\x80",        // beyond U+10FFFF
  };
  for (const std::string& id : invalid) {
    const absl::Status s = sink::ValidateDocumentId(id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << absl::CEscape(id);
    EXPECT_TRUE(absl::StrContains(s.message(), "UTF-8")) << absl::CEscape(id) << ": " << s;
  }
}

// ---- TakeSuperseded ---------------------------------------------------------------------------

std::unique_ptr<sink::SinkItem> Index(int64_t offset, const std::string& id) {
  auto item = std::make_unique<sink::SinkItem>();
  item->tp = {"tweets", 0};
  item->offset = offset;
  item->id = id;
  item->action = sink::ActionLine("index", "twitter", id, offset);
  item->document = absl::StrCat(R"({"id":")", id, R"(","n":)", offset, "}");
  return item;
}

std::unique_ptr<sink::SinkItem> Delete(int64_t offset, const std::string& id) {
  auto item = Index(offset, id);
  item->is_delete = true;
  item->action = sink::ActionLine("delete", "twitter", id, offset);
  item->document.clear();
  return item;
}

std::unique_ptr<sink::SinkItem> DeleteByQuery(int64_t offset, const std::string& id) {
  auto item = Delete(offset, id);
  item->action.clear();  // a date-pattern index: the tombstone's index is unknown
  return item;
}

int64_t BodyBytes(const std::vector<std::unique_ptr<sink::SinkItem>>& items) {
  int64_t n = 0;
  for (const auto& i : items) n += static_cast<int64_t>(i->action.size() + i->document.size() + 2);
  return n;
}

// A batch as SinkApp builds one: the items in consumption order, their body bytes added up.
std::unique_ptr<sink::BulkBatch> Batch(std::vector<std::unique_ptr<sink::SinkItem>> items) {
  auto batch = std::make_unique<sink::BulkBatch>();
  batch->items = std::move(items);
  batch->bytes = BodyBytes(batch->items);
  return batch;
}

template <typename... T>
std::vector<std::unique_ptr<sink::SinkItem>> Items(T... items) {
  std::vector<std::unique_ptr<sink::SinkItem>> out;
  (out.push_back(std::move(items)), ...);
  return out;
}

std::vector<int64_t> Offsets(const std::vector<std::unique_ptr<sink::SinkItem>>& items) {
  std::vector<int64_t> out;
  for (const auto& i : items) out.push_back(i->offset);
  return out;
}

TEST(TakeSupersededTest, AnEmptyBatchStaysEmpty) {
  auto batch = Batch({});
  EXPECT_TRUE(sink::TakeSuperseded(batch.get()).empty());
  EXPECT_TRUE(batch->items.empty());
  EXPECT_EQ(batch->bytes, 0);
  EXPECT_FALSE(batch->exclusive);
}

TEST(TakeSupersededTest, OneItemOrDistinctIdsAreAllKeptInOrder) {
  auto one = Batch(Items(Index(5, "a")));
  EXPECT_TRUE(sink::TakeSuperseded(one.get()).empty());
  EXPECT_EQ(Offsets(one->items), (std::vector<int64_t>{5}));

  auto distinct = Batch(Items(Index(1, "c"), Index(2, "a"), Delete(3, "b")));
  const int64_t bytes = distinct->bytes;
  EXPECT_TRUE(sink::TakeSuperseded(distinct.get()).empty());
  EXPECT_EQ(Offsets(distinct->items), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(distinct->bytes, bytes);
  EXPECT_FALSE(distinct->exclusive);
}

TEST(TakeSupersededTest, OnlyTheLastRecordOfAnIdIsSentTheEarlierOnesAreReturned) {
  auto batch = Batch(Items(Index(10, "a"), Index(11, "b"), Index(12, "a"), Index(13, "c"), Index(14, "b"),
                           Index(15, "a")));
  const auto superseded = sink::TakeSuperseded(batch.get());
  EXPECT_EQ(Offsets(batch->items), (std::vector<int64_t>{13, 14, 15}));  // consumption order kept
  const std::vector<int64_t> taken = Offsets(superseded);
  EXPECT_EQ(std::set<int64_t>(taken.begin(), taken.end()), (std::set<int64_t>{10, 11, 12}));
  EXPECT_EQ(taken.size(), 3u);
  EXPECT_EQ(batch->bytes, BodyBytes(batch->items)) << "the body shrank: its size must be counted again";
}

TEST(TakeSupersededTest, ALaterDeleteWinsOverAnIndexAndALaterIndexOverADelete) {
  auto deleted = Batch(Items(Index(1, "a"), Delete(2, "a")));
  EXPECT_EQ(Offsets(sink::TakeSuperseded(deleted.get())), (std::vector<int64_t>{1}));
  ASSERT_EQ(deleted->items.size(), 1u);
  EXPECT_TRUE(deleted->items[0]->is_delete);

  auto revived = Batch(Items(Delete(1, "a"), Index(2, "a")));
  EXPECT_EQ(Offsets(sink::TakeSuperseded(revived.get())), (std::vector<int64_t>{1}));
  ASSERT_EQ(revived->items.size(), 1u);
  EXPECT_FALSE(revived->items[0]->is_delete);
  EXPECT_EQ(revived->bytes, BodyBytes(revived->items));
}

TEST(TakeSupersededTest, ABatchHoldingADeleteByQueryIsExclusive) {
  auto batch = Batch(Items(Index(1, "a"), DeleteByQuery(2, "b")));
  EXPECT_TRUE(sink::TakeSuperseded(batch.get()).empty());
  EXPECT_TRUE(batch->exclusive);
}

TEST(TakeSupersededTest, ADeleteByQuerySupersededByALaterIndexLeavesTheBatchNotExclusive) {
  auto batch = Batch(Items(DeleteByQuery(1, "a"), Index(2, "a")));
  batch->exclusive = true;  // as it was marked before
  EXPECT_EQ(Offsets(sink::TakeSuperseded(batch.get())), (std::vector<int64_t>{1}));
  EXPECT_FALSE(batch->exclusive);
}

// ---- DeleteByQueryBody, where() ------------------------------------------------------------------

std::vector<std::string> QueryIds(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  EXPECT_FALSE(doc.HasParseError()) << body;
  std::vector<std::string> ids;
  if (doc.HasParseError()) return ids;
  const auto& values = doc["query"]["ids"]["values"];
  EXPECT_TRUE(values.IsArray()) << body;
  for (const auto& v : values.GetArray()) ids.emplace_back(v.GetString(), v.GetStringLength());
  return ids;
}

TEST(DeleteByQueryBodyTest, AnIdsQueryOfTheItemsIdsInOrderEscaped) {
  auto items = Items(DeleteByQuery(1, "9"), DeleteByQuery(2, "quo\"te\\back\nline"), DeleteByQuery(3, "\xF0\x9F\x98\x80"));
  std::vector<std::unique_ptr<sink::SinkItem>*> refs;
  for (auto& i : items) refs.push_back(&i);
  EXPECT_EQ(QueryIds(sink::DeleteByQueryBody(refs)),
            (std::vector<std::string>{"9", "quo\"te\\back\nline", "\xF0\x9F\x98\x80"}));
  EXPECT_TRUE(QueryIds(sink::DeleteByQueryBody({})).empty());
}

TEST(SinkItemTest, WhereNamesTopicPartitionAndOffset) {
  auto item = Index(1234, "a");
  item->tp = {"twitter-stream", 7};
  EXPECT_EQ(item->where(), "twitter-stream/7@1234");
}

}  // namespace
}  // namespace tweetstream::testing
