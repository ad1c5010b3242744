// End to end: tweet-source replays every recorded X API response in the fixtures folder into the real
// Kafka broker; tweet-sink indexes them into the real Elasticsearch node. The index must then hold
// exactly the fixtures' tweet ids, with their text and their author's username; running everything
// again must not change the count (ids are the document ids).
//
// Needs the services of scripts/services.sh (TWEETSTREAM_KAFKA / TWEETSTREAM_ES_URL override the
// addresses). Each run uses its own topic, group and index, and deletes its index and template.

#include <rapidjson/document.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sink-connector/es_client.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

// What the fixtures hold, read independently of the connector's own reader and mapper.
struct Expected {
  std::map<std::string, std::set<std::string>> texts;      // id -> text(s) as recorded
  std::map<std::string, std::set<std::string>> usernames;  // id -> author username(s), when expanded
  int64_t bad_records = 0;  // bodies that are not JSON + tweets without id or text
};

void AddBody(const std::string& body, Expected* expected) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    ++expected->bad_records;
    return;
  }
  std::map<std::string, std::string> users;  // id -> username from includes
  if (doc.HasMember("includes") && doc["includes"].HasMember("users")) {
    for (const auto& u : doc["includes"]["users"].GetArray()) users[u["id"].GetString()] = u["username"].GetString();
  }
  if (!doc.HasMember("data")) return;
  std::vector<const rapidjson::Value*> tweets;
  if (doc["data"].IsArray()) {
    for (const auto& t : doc["data"].GetArray()) tweets.push_back(&t);
  } else {
    tweets.push_back(&doc["data"]);
  }
  for (const rapidjson::Value* t : tweets) {
    if (!t->IsObject() || !t->HasMember("id") || !(*t)["id"].IsString() || !t->HasMember("text") ||
        !(*t)["text"].IsString()) {
      ++expected->bad_records;
      continue;
    }
    const std::string id = (*t)["id"].GetString();
    expected->texts[id].insert(std::string((*t)["text"].GetString(), (*t)["text"].GetStringLength()));
    if (t->HasMember("author_id") && users.count((*t)["author_id"].GetString())) {
      expected->usernames[id].insert(users[(*t)["author_id"].GetString()]);
    }
  }
}

Expected ReadExpected() {
  Expected expected;
  std::vector<std::string> names = FixtureFiles(".json");
  for (const auto& n : FixtureFiles(".jsonl")) names.push_back(n);
  for (const auto& n : FixtureFiles(".txt")) names.push_back(n);
  for (const std::string& name : names) {
    auto content = ReadFile(FixturePath(name));
    EXPECT_TRUE(content.ok()) << content.status();
    if (!content.ok()) continue;
    if (absl::EndsWith(name, ".json")) {
      AddBody(*content, &expected);
      continue;
    }
    // Line-framed recordings: JSONL, or the stream's "\r\n" framing with empty keep-alive lines.
    for (absl::string_view line : absl::StrSplit(*content, '\n')) {
      line = absl::StripSuffix(line, "\r");
      if (!absl::StripAsciiWhitespace(line).empty()) AddBody(std::string(line), &expected);
    }
  }
  return expected;
}

class PipelineE2eTest : public E2eTest {
 protected:
  ProcessResult RunSource() {
    return RunProcess({SourceBinary(), "--mode=replay", "--replay-file=" + FixturesDir(), "--topic=" + topic_,
                       "--bootstrap-servers=" + kafka_, "--name=e2e-source"},
                      {}, std::chrono::minutes(3));
  }

  ProcessResult RunSink(const std::string& group) {
    return RunProcess({SinkBinary(), "--topic=" + topic_, "--group-id=" + group, "--bootstrap-servers=" + kafka_,
                       "--es-url=" + es_url_, "--index=" + index_, "--exit-when-idle=8s", "--linger=200ms"},
                      {}, std::chrono::minutes(3));
  }

  // Every document of the index: id -> (text, author.username).
  std::map<std::string, std::pair<std::string, std::string>> IndexedDocuments() {
    std::map<std::string, std::pair<std::string, std::string>> docs;
    auto refresh = es_->Request("POST", "/" + index_ + "/_refresh");
    EXPECT_TRUE(refresh.ok() && refresh->status == 200);
    auto response = es_->Request(
        "POST", "/" + index_ + "/_search",
        R"({"size":10000,"_source":["id","text","author.username"],"query":{"match_all":{}}})");
    EXPECT_TRUE(response.ok() && response->status == 200) << (response.ok() ? response->body : response.status().ToString());
    if (!response.ok()) return docs;
    rapidjson::Document doc;
    doc.Parse(response->body.data(), response->body.size());
    EXPECT_FALSE(doc.HasParseError());
    for (const auto& hit : doc["hits"]["hits"].GetArray()) {
      const auto& source = hit["_source"];
      EXPECT_EQ(std::string(hit["_id"].GetString()), std::string(source["id"].GetString()));
      std::string username;
      if (source.HasMember("author") && source["author"].HasMember("username")) username = source["author"]["username"].GetString();
      docs[hit["_id"].GetString()] = {std::string(source["text"].GetString(), source["text"].GetStringLength()), username};
    }
    return docs;
  }

};

TEST_F(PipelineE2eTest, FixturesReachElasticsearchExactlyOnceWithTextAndAuthor) {
  const Expected expected = ReadExpected();
  ASSERT_GT(expected.texts.size(), 500u) << "the fixtures should hold hundreds of tweets";

  ProcessResult source = RunSource();
  ASSERT_EQ(source.exit_code, 0) << source.out << source.err;
  // The bad records of the fixtures (a plain-text body, a truncated stream line, rules that are not
  // tweets) were reported, counted and skipped; everything else went on.
  EXPECT_THAT(source.out, HasSubstr(absl::StrCat("skipped ", expected.bad_records, " bad record(s)")));
  EXPECT_THAT(source.err, HasSubstr("stream-filtered-twarc-2021-04-01-truncated-tail.jsonl:8"));

  ProcessResult sink = RunSink("e2e-sink-a");
  ASSERT_EQ(sink.exit_code, 0) << sink.out << sink.err;

  const auto docs = IndexedDocuments();
  std::set<std::string> indexed_ids, expected_ids;
  for (const auto& [id, _] : docs) indexed_ids.insert(id);
  for (const auto& [id, _] : expected.texts) expected_ids.insert(id);
  EXPECT_EQ(indexed_ids, expected_ids);
  int with_author = 0;
  for (const auto& [id, doc] : docs) {
    auto text = expected.texts.find(id);
    if (text == expected.texts.end()) continue;
    EXPECT_TRUE(text->second.count(doc.first)) << "text of " << id << " differs: " << doc.first;
    auto user = expected.usernames.find(id);
    if (user != expected.usernames.end()) {
      EXPECT_TRUE(user->second.count(doc.second)) << "author of " << id << ": '" << doc.second << "'";
      ++with_author;
    } else {
      EXPECT_EQ(doc.second, "") << id << " has no expanded author in the fixture";
    }
  }
  EXPECT_GT(with_author, 400);

  // Everything a second time: same group (only the new duplicates are read), then a new group that
  // re-reads the whole topic from the start. Same documents, same count.
  const int64_t count = Count();
  EXPECT_EQ(count, static_cast<int64_t>(expected_ids.size()));
  ASSERT_EQ(RunSource().exit_code, 0);
  ProcessResult again = RunSink("e2e-sink-a");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Count(), count);
  ProcessResult fresh = RunSink("e2e-sink-b");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_EQ(Count(), count);
  EXPECT_EQ(IndexedDocuments(), docs);
}

TEST_F(PipelineE2eTest, TheIndexTemplateMapsTheDocuments) {
  // Run a small replay so that the template is installed and an index is created from it.
  ProcessResult source = RunProcess({SourceBinary(), "--mode=replay",
                                     "--replay-file=" + FixturePath("tweet-lookup-twarc-geo-place-2022-03-16.json"),
                                     "--topic=" + topic_, "--bootstrap-servers=" + kafka_},
                                    {}, std::chrono::minutes(2));
  ASSERT_EQ(source.exit_code, 0) << source.err;
  ProcessResult sink = RunSink("e2e-template");
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  auto mapping = es_->Request("GET", "/" + index_ + "/_mapping");
  ASSERT_TRUE(mapping.ok() && mapping->status == 200);
  rapidjson::Document doc;
  doc.Parse(mapping->body.c_str());
  const auto& props = doc[index_.c_str()]["mappings"]["properties"];
  EXPECT_STREQ(props["created_at"]["type"].GetString(), "date");
  EXPECT_STREQ(props["id"]["type"].GetString(), "keyword");
  EXPECT_STREQ(props["text"]["type"].GetString(), "text");
  EXPECT_STREQ(props["author"]["properties"]["username"]["type"].GetString(), "keyword");
  EXPECT_STREQ(props["entities"]["properties"]["hashtags"]["properties"]["tag"]["type"].GetString(), "keyword");
  // A search on a hashtag keyword and a date range finds the tweet.
  auto found = es_->Request("POST", "/" + index_ + "/_count",
                            R"({"query":{"bool":{"filter":[{"range":{"created_at":{"gte":"2022-03-01","lt":"2022-04-01"}}},{"exists":{"field":"geo.place_id"}}]}}})");
  ASSERT_TRUE(found.ok() && found->status == 200) << (found.ok() ? found->body : "");
  rapidjson::Document count;
  count.Parse(found->body.c_str());
  EXPECT_EQ(count["count"].GetInt64(), 1);
}

}  // namespace
}  // namespace tweetstream::testing
