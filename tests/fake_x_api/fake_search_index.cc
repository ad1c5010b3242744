#include "tests/fake_x_api/fake_search_index.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/rfc3339.h"

namespace tweetstream::testing {
namespace {

constexpr int64_t kTwitterEpochMs = 1288834974657;


uint64_t IdNumber(const std::string& id) {
  uint64_t n = 0;
  return absl::SimpleAtoi(id, &n) ? n : 0;
}

std::string JsonOf(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

ScriptedResponse InvalidRequest(const std::string& parameter, const std::string& value, const std::string& message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  rapidjson::Value error(rapidjson::kObjectType), parameters(rapidjson::kObjectType), values(rapidjson::kArrayType);
  values.PushBack(rapidjson::Value(value.c_str(), a), a);
  parameters.AddMember(rapidjson::Value(parameter.c_str(), a), values, a);
  error.AddMember("parameters", parameters, a);
  error.AddMember("message", rapidjson::Value(message.c_str(), a), a);
  rapidjson::Value errors(rapidjson::kArrayType);
  errors.PushBack(error, a);
  doc.AddMember("errors", errors, a);
  doc.AddMember("title", "Invalid Request", a);
  doc.AddMember("detail", "One or more parameters to your request was invalid.", a);
  doc.AddMember("type", "https://api.twitter.com/2/problems/invalid-request", a);
  return ScriptedResponse{.status = 400, .body = JsonOf(doc)};
}

}  // namespace

std::string SnowflakeId(absl::Time t, int sequence) {
  const int64_t ms = absl::ToUnixMillis(t) - kTwitterEpochMs;
  return absl::StrCat((static_cast<uint64_t>(ms) << 22) | static_cast<uint64_t>(sequence & 0x3fffff));
}

absl::Time SnowflakeTime(const std::string& id) {
  return absl::FromUnixMillis(static_cast<int64_t>(IdNumber(id) >> 22) + kTwitterEpochMs);
}

RecordedTweets TweetsOfRecordedPage(const std::string& body) {
  RecordedTweets out;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  if (doc.HasMember("data") && doc["data"].IsArray()) {
    for (const auto& t : doc["data"].GetArray()) {
      IndexedTweet tweet;
      tweet.id = t["id"].GetString();
      std::string error;
      if (t.HasMember("created_at")) (void)absl::ParseTime(absl::RFC3339_full, t["created_at"].GetString(), &tweet.created_at, &error);
      else tweet.created_at = SnowflakeTime(tweet.id);
      if (t.HasMember("author_id")) tweet.author_id = t["author_id"].GetString();
      tweet.json = JsonOf(t);
      out.tweets.push_back(std::move(tweet));
    }
  }
  if (doc.HasMember("includes") && doc["includes"].HasMember("users")) {
    for (const auto& u : doc["includes"]["users"].GetArray()) out.users[u["id"].GetString()] = JsonOf(u);
  }
  return out;
}

FakeSearchIndex::FakeSearchIndex(std::function<absl::Time()> now, absl::Duration window)
    : now_(std::move(now)), window_(window) {}

void FakeSearchIndex::Add(IndexedTweet tweet) {
  absl::MutexLock lock(&mu_);
  const uint64_t n = IdNumber(tweet.id);
  tweets_[n] = std::move(tweet);
}

void FakeSearchIndex::Add(const RecordedTweets& recorded) {
  for (const auto& t : recorded.tweets) Add(t);
  for (const auto& [id, json] : recorded.users) AddUser(id, json);
}

void FakeSearchIndex::AddUser(const std::string& id, const std::string& json) {
  absl::MutexLock lock(&mu_);
  users_[id] = json;
}

void FakeSearchIndex::set_hook(Hook hook) {
  absl::MutexLock lock(&mu_);
  hook_ = std::move(hook);
}

Handler FakeSearchIndex::MakeHandler() {
  return [this](const RecordedRequest& request) { return Answer(request); };
}

std::map<std::string, int> FakeSearchIndex::Served() const {
  absl::MutexLock lock(&mu_);
  return served_;
}

std::set<std::string> FakeSearchIndex::IdsBetween(absl::Time from, absl::Time to) const {
  absl::MutexLock lock(&mu_);
  std::set<std::string> ids;
  for (const auto& [n, t] : tweets_) {
    if (t.created_at >= from && t.created_at < to) ids.insert(t.id);
  }
  return ids;
}

ScriptedResponse FakeSearchIndex::Answer(const RecordedRequest& request) {
  ScriptedResponse response = Compute(request);
  const std::string computed = response.body;
  Hook hook;
  {
    absl::MutexLock lock(&mu_);
    hook = hook_;
  }
  if (hook) hook(request, &response);
  if (response.status == 200 && response.body == computed && !response.drop_connection) {
    rapidjson::Document doc;
    doc.Parse(response.body.data(), response.body.size());
    if (doc.IsObject() && doc.HasMember("data")) {
      absl::MutexLock lock(&mu_);
      for (const auto& t : doc["data"].GetArray()) ++served_[t["id"].GetString()];
    }
  }
  return response;
}

ScriptedResponse FakeSearchIndex::Compute(const RecordedRequest& request) {
  const absl::Time now = now_();
  const absl::Time oldest = now - window_;
  const std::string since_id = request.Param("since_id"), until_id = request.Param("until_id");
  const std::string start_text = request.Param("start_time"), end_text = request.Param("end_time");
  if ((!since_id.empty() || !until_id.empty()) && (!start_text.empty() || !end_text.empty())) {
    return InvalidRequest(since_id.empty() ? "until_id" : "since_id", since_id.empty() ? until_id : since_id,
                          "Invalid use of 'since_id' or 'until_id' in conjunction with 'start_time' or 'end_time'.");
  }
  for (const char* name : {"since_id", "until_id"}) {
    const std::string id = request.Param(name);
    if (!id.empty() && SnowflakeTime(id) < oldest) {
      return InvalidRequest(name, id, absl::StrCat("Invalid '", name, "':'", id, "'. '", name,
                                                   "' must be a tweet id created after ", common::Rfc3339Seconds(oldest), "."));
    }
  }
  absl::Time start = oldest, end = now - absl::Seconds(30);
  for (auto [name, text, target] : {std::make_tuple("start_time", start_text, &start),
                                    std::make_tuple("end_time", end_text, &end)}) {
    if (text.empty()) continue;
    std::string error;
    absl::Time t;
    if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
      return InvalidRequest(name, text, absl::StrCat("Invalid '", name, "':'", text, "': ", error));
    }
    if (t < oldest) {
      return InvalidRequest(name, text, absl::StrCat("Invalid '", name, "':'", text, "'. '", name,
                                                     "' must be on or after ", common::Rfc3339Seconds(oldest)));
    }
    *target = t;
  }
  int max_results = 10;
  if (!request.Param("max_results").empty()) (void)absl::SimpleAtoi(request.Param("max_results"), &max_results);
  // The token names the oldest id of the previous page: the next page starts below it.
  std::string token = request.Param("next_token");
  if (token.empty()) token = request.Param("pagination_token");
  uint64_t below = until_id.empty() ? UINT64_MAX : IdNumber(until_id);
  if (!token.empty()) {
    if (token.rfind("idx-", 0) != 0) return InvalidRequest("next_token", token, "Invalid 'next_token'");
    below = std::min(below, IdNumber(token.substr(4)));
  }
  const uint64_t above = since_id.empty() ? 0 : IdNumber(since_id);

  absl::MutexLock lock(&mu_);
  std::vector<const IndexedTweet*> page;
  bool more = false;
  for (auto it = tweets_.lower_bound(below == UINT64_MAX ? UINT64_MAX : below - 1); it != tweets_.end(); ++it) {
    const uint64_t n = it->first;
    if (n >= below) continue;
    if (n <= above) break;
    const IndexedTweet& t = it->second;
    if (t.created_at < start || t.created_at >= end || t.created_at < oldest) continue;
    if (static_cast<int>(page.size()) == max_results) {
      more = true;
      break;
    }
    page.push_back(&t);
  }
  if (page.empty()) return ScriptedResponse{.status = 200, .body = R"({"meta":{"result_count":0}})"};
  std::vector<std::string> data, users;
  std::set<std::string> authors;
  for (const IndexedTweet* t : page) {
    data.push_back(t->json);
    if (!t->author_id.empty() && authors.insert(t->author_id).second) {
      auto u = users_.find(t->author_id);
      if (u != users_.end()) users.push_back(u->second);
    }
  }
  std::string meta = absl::StrCat(R"({"newest_id":")", page.front()->id, R"(","oldest_id":")", page.back()->id,
                                  R"(","result_count":)", page.size());
  if (more) absl::StrAppend(&meta, R"(,"next_token":"idx-)", page.back()->id, R"(")");
  absl::StrAppend(&meta, "}");
  return ScriptedResponse{.status = 200,
                          .body = absl::StrCat(R"({"data":[)", absl::StrJoin(data, ","), R"(],"includes":{"users":[)",
                                               absl::StrJoin(users, ","), R"(]},"meta":)", meta, "}")};
}

}  // namespace tweetstream::testing
