#include "tests/fake_x_api/fake_stream_publisher.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/rfc3339.h"

namespace tweetstream::testing {
namespace {

constexpr char kUserJson[] = R"({"id":"42","name":"Fake","username":"fake_x"})";

std::string Json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

FakeStreamPublisher::FakeStreamPublisher(FakeSearchIndex* index, std::string rule_id, std::string rule_tag)
    : index_(index), rule_id_(std::move(rule_id)), rule_tag_(std::move(rule_tag)) {
  index_->AddUser(kAuthorId, kUserJson);
}

std::string FakeStreamPublisher::Publish(absl::Time t, const std::string& text, std::string* id_out) {
  int sequence;
  {
    absl::MutexLock lock(&mu_);
    sequence = ++sequence_;
  }
  const std::string id = SnowflakeId(t, sequence);
  rapidjson::Document tweet(rapidjson::kObjectType);
  auto& a = tweet.GetAllocator();
  tweet.AddMember("id", rapidjson::Value(id.c_str(), a), a);
  tweet.AddMember("text", rapidjson::Value(text.c_str(), a), a);
  tweet.AddMember("author_id", rapidjson::Value(kAuthorId, a), a);
  const std::string created = common::Rfc3339Millis(t);
  tweet.AddMember("created_at", rapidjson::Value(created.c_str(), a), a);
  rapidjson::Value history(rapidjson::kArrayType);
  history.PushBack(rapidjson::Value(id.c_str(), a), a);
  tweet.AddMember("edit_history_tweet_ids", history, a);
  const std::string data = Json(tweet);

  IndexedTweet indexed;
  indexed.id = id;
  indexed.created_at = t;
  indexed.json = data;
  indexed.author_id = kAuthorId;
  index_->Add(std::move(indexed));
  {
    absl::MutexLock lock(&mu_);
    published_.insert(id);
  }
  if (id_out != nullptr) *id_out = id;

  rapidjson::Document rule(rapidjson::kObjectType);
  rule.AddMember("id", rapidjson::Value(rule_id_.c_str(), rule.GetAllocator()), rule.GetAllocator());
  rule.AddMember("tag", rapidjson::Value(rule_tag_.c_str(), rule.GetAllocator()), rule.GetAllocator());
  return absl::StrCat(R"({"data":)", data, R"(,"includes":{"users":[)", kUserJson, R"(]},"matching_rules":[)",
                      Json(rule), "]}\r\n");
}

std::set<std::string> FakeStreamPublisher::Published() const {
  absl::MutexLock lock(&mu_);
  return published_;
}

}  // namespace tweetstream::testing
