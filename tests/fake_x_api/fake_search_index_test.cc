// The fake recent-search index answers like X: paging, bounds, the 7-day window and its 400s.

#include "common/rfc3339.h"
#include "tests/fake_x_api/fake_search_index.h"

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tweetstream::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1795176000);  // 2026-11-20T12:00:00Z


RecordedRequest Search(std::vector<std::pair<std::string, std::string>> params) {
  RecordedRequest r;
  r.method = "GET";
  r.path = "/2/tweets/search/recent";
  for (auto& [k, v] : params) r.params.emplace(k, v);
  return r;
}

std::vector<std::string> Ids(const ScriptedResponse& response, std::string* next_token = nullptr) {
  std::vector<std::string> ids;
  rapidjson::Document doc;
  doc.Parse(response.body.c_str());
  EXPECT_FALSE(doc.HasParseError()) << response.body;
  if (doc.HasMember("data")) {
    for (const auto& t : doc["data"].GetArray()) ids.push_back(t["id"].GetString());
  }
  if (next_token != nullptr) {
    *next_token = doc["meta"].HasMember("next_token") ? doc["meta"]["next_token"].GetString() : "";
  }
  return ids;
}

class FakeSearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 25; ++i) {  // one tweet a minute, the newest 1 min old
      IndexedTweet t;
      t.created_at = kNow - absl::Minutes(25 - i);
      t.id = SnowflakeId(t.created_at, i);
      t.json = absl::StrCat(R"({"id":")", t.id, R"(","text":"t"})");
      ids_.insert(ids_.begin(), t.id);  // newest first
      index_.Add(t);
    }
  }
  FakeSearchIndex index_{[] { return kNow; }};
  std::vector<std::string> ids_;
};

TEST_F(FakeSearchIndexTest, PagesNewestFirstWithNextTokenAndTheBounds) {
  std::string token;
  EXPECT_EQ(Ids(index_.Answer(Search({{"max_results", "10"}})), &token),
            std::vector<std::string>(ids_.begin(), ids_.begin() + 10));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Ids(index_.Answer(Search({{"max_results", "10"}, {"next_token", token}})), &token),
            std::vector<std::string>(ids_.begin() + 10, ids_.begin() + 20));
  EXPECT_EQ(Ids(index_.Answer(Search({{"max_results", "10"}, {"next_token", token}})), &token).size(), 5u);
  EXPECT_TRUE(token.empty());
  // since_id / until_id exclusive.
  EXPECT_EQ(Ids(index_.Answer(Search({{"max_results", "100"}, {"since_id", ids_[5]}, {"until_id", ids_[1]}}))),
            std::vector<std::string>(ids_.begin() + 2, ids_.begin() + 5));
  // start_time inclusive, end_time exclusive.
  EXPECT_EQ(Ids(index_.Answer(Search({{"max_results", "100"}, {"start_time", common::Rfc3339Seconds(kNow - absl::Minutes(5))},
                                      {"end_time", common::Rfc3339Seconds(kNow - absl::Minutes(2))}}))),
            std::vector<std::string>(ids_.begin() + 2, ids_.begin() + 5));
  // An empty result is exactly what X sends.
  EXPECT_EQ(index_.Answer(Search({{"since_id", ids_[0]}})).body, R"({"meta":{"result_count":0}})");
}

TEST_F(FakeSearchIndexTest, BoundsOlderThanTheWindowAndMixedBoundsAreRefusedLikeX) {
  const std::string old_id = SnowflakeId(kNow - absl::Hours(24 * 8), 0);
  ScriptedResponse r = index_.Answer(Search({{"since_id", old_id}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr(R"("parameters":{"since_id":[")" + old_id));
  EXPECT_THAT(r.body, ::testing::HasSubstr("/2/problems/invalid-request"));
  r = index_.Answer(Search({{"start_time", common::Rfc3339Seconds(kNow - absl::Hours(24 * 8))}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("must be on or after"));
  r = index_.Answer(Search({{"until_id", ids_[0]}, {"start_time", common::Rfc3339Seconds(kNow - absl::Hours(1))}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, ::testing::HasSubstr("in conjunction with"));
  EXPECT_EQ(index_.Answer(Search({{"start_time", common::Rfc3339Seconds(kNow - absl::Hours(24 * 7) + absl::Minutes(1))}})).status, 200);
}

TEST_F(FakeSearchIndexTest, AHookReplacesAnswersAndOnlyRealPagesCountAsServed) {
  index_.set_hook([](const RecordedRequest& request, ScriptedResponse* response) {
    if (request.Param("max_results") == "1") *response = ScriptedResponse{.status = 200, .body = "<html>"};
  });
  EXPECT_EQ(index_.Answer(Search({{"max_results", "1"}})).body, "<html>");
  EXPECT_TRUE(index_.Served().empty());
  Ids(index_.Answer(Search({{"max_results", "2"}})));
  EXPECT_EQ(index_.Served().size(), 2u);
  EXPECT_EQ(SnowflakeTime(SnowflakeId(kNow, 7)), kNow);
}

}  // namespace
}  // namespace tweetstream::testing
