// SinkApp against a fake Elasticsearch (a real HTTP server on loopback that scripts bulk answers) and
// an in-memory consumer and dead-letter producer: the ordering and item-by-item rules that the real
// server cannot be made to show on demand.

#include <rapidjson/document.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sink-connector/offset_tracker.h"
#include "sink-connector/sink_app.h"
#include "tests/common/fake_consumer.h"
#include "tests/common/fake_producer.h"
#include "tests/fake_x_api/fake_x_api_server.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

common::ConsumerRecord TweetRecord(int32_t partition, int64_t offset, const std::string& id) {
  tweet::v1::TweetEnvelope envelope;
  envelope.mutable_tweet()->set_id(id);
  envelope.mutable_tweet()->set_text("text of " + id);
  envelope.mutable_tweet()->mutable_created_at()->set_seconds(1700000000);
  common::ConsumerRecord r;
  r.topic = "twitter-stream";
  r.partition = partition;
  r.offset = offset;
  r.key = id;
  r.value = envelope.SerializeAsString();
  return r;
}

struct BulkAction {
  std::string action;  // index | delete
  std::string id;
};

// The actions of an NDJSON bulk body.
std::vector<BulkAction> ParseBulk(const std::string& body) {
  std::vector<BulkAction> actions;
  std::vector<std::string> lines = absl::StrSplit(body, '\n', absl::SkipEmpty());
  for (size_t i = 0; i < lines.size(); ++i) {
    rapidjson::Document doc;
    doc.Parse(lines[i].c_str());
    if (doc.HasMember("index")) {
      actions.push_back({"index", doc["index"]["_id"].GetString()});
      ++i;  // skip the source line
    } else if (doc.HasMember("delete")) {
      actions.push_back({"delete", doc["delete"]["_id"].GetString()});
    }
  }
  return actions;
}

// A bulk response with one status per item (and an error for non-2xx).
std::string BulkResponse(const std::vector<BulkAction>& actions, const std::function<int(const BulkAction&)>& status_of,
                         const std::string& error_type = "mapper_parsing_exception") {
  std::string items;
  bool errors = false;
  for (const auto& a : actions) {
    const int status = status_of(a);
    if (!items.empty()) items += ",";
    std::string error;
    if (status >= 300 && !(a.action == "delete" && status == 404)) {
      errors = true;
      const std::string type = status == 429 ? "es_rejected_execution_exception" : error_type;
      error = absl::StrCat(R"(,"error":{"type":")", type, R"(","reason":"scripted failure of )", a.id, R"("})");
    }
    items += absl::StrCat(R"({")", a.action, R"(":{"_index":"twitter","_id":")", a.id, R"(","status":)", status, error, "}}");
  }
  return absl::StrCat(R"({"took":1,"errors":)", errors ? "true" : "false", R"(,"items":[)", items, "]}");
}

class SinkAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    es_ = std::move(*server);
    es_->RouteSequence("GET", "/", {ScriptedResponse{200, {}, R"({"version":{"number":"7.17.29"}})"}});
    es_->RouteSequence("PUT", "/_index_template/tweetstream-twitter", {ScriptedResponse{200, {}, R"({"acknowledged":true})"}});
    config_.es.urls = {es_->base_url()};
    config_.retry_backoff_initial = std::chrono::milliseconds(100);
    config_.retry_backoff_max = std::chrono::milliseconds(400);
    config_.linger = std::chrono::milliseconds(20);
    config_.shutdown_timeout = std::chrono::milliseconds(5000);
  }

  std::unique_ptr<sink::SinkApp> MakeApp() {
    auto app = sink::SinkApp::CreateWith(
        config_, std::make_unique<FakeConsumer>(&consumed_), std::make_unique<FakeProducer>(&dlq_),
        []() -> absl::StatusOr<std::unique_ptr<common::HttpClient>> {
          auto http = common::CurlHttpClient::Create();
          if (!http.ok()) return http.status();
          return std::unique_ptr<common::HttpClient>(std::move(*http));
        });
    EXPECT_TRUE(app.ok()) << app.status();
    return app.ok() ? std::move(*app) : nullptr;
  }

  void AddRecords(std::vector<common::ConsumerRecord> records) {
    absl::MutexLock lock(&consumed_.mu);
    for (auto& r : records) consumed_.records.push_back(std::move(r));
  }

  // Runs the app on a thread until `done` holds (or 20 s), then stops it; returns Run()'s status.
  absl::Status RunUntil(sink::SinkApp* app, const std::function<bool()>& done) {
    absl::Status status;
    std::thread runner([&] { status = app->Run(); });
    for (int i = 0; i < 2000 && !done(); ++i) absl::SleepFor(absl::Milliseconds(10));
    app->RequestStop();
    runner.join();
    return status;
  }

  int64_t LastCommitted(int32_t partition) {
    absl::MutexLock lock(&consumed_.mu);
    int64_t last = -1;
    for (const auto& c : consumed_.commits) {
      auto it = c.offsets.find({"twitter-stream", partition});
      if (it != c.offsets.end()) last = it->second;
    }
    return last;
  }

  sink::SinkConfig config_;
  std::unique_ptr<FakeXApiServer> es_;
  FakeConsumer::Shared consumed_;
  FakeProducer::Shared dlq_;
};

TEST(OffsetTrackerTest, WatermarkNeverPassesARecordInFlight) {
  sink::OffsetTracker tracker;
  const common::TopicPartition tp{"t", 0};
  const int64_t gen = tracker.Assign(tp);
  for (int64_t o = 10; o < 16; ++o) ASSERT_TRUE(tracker.Add(tp, gen, o));
  EXPECT_EQ(tracker.Watermark(tp), 10);
  tracker.Done(tp, gen, 13);  // later records finish first
  tracker.Done(tp, gen, 14);
  tracker.Done(tp, gen, 15);
  EXPECT_EQ(tracker.Watermark(tp), 10);
  tracker.Done(tp, gen, 10);
  EXPECT_EQ(tracker.Watermark(tp), 11);
  tracker.Done(tp, gen, 12);
  EXPECT_EQ(tracker.Watermark(tp), 11);
  tracker.Done(tp, gen, 11);
  EXPECT_EQ(tracker.Watermark(tp), 16);
  EXPECT_EQ(tracker.Pending(), 0);
}

TEST(OffsetTrackerTest, WorkOfAnEarlierAssignmentCannotCompleteTheCurrentOne) {
  sink::OffsetTracker tracker;
  const common::TopicPartition tp{"t", 0};
  const int64_t old_gen = tracker.Assign(tp);
  tracker.Add(tp, old_gen, 5);
  tracker.Forget(tp);  // revoked with offset 5 in flight
  const int64_t gen = tracker.Assign(tp);
  tracker.Add(tp, gen, 5);
  tracker.Done(tp, old_gen, 5);  // the abandoned bulk reports late
  EXPECT_EQ(tracker.Watermark(tp), 5);
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_TRUE(tracker.CommitCandidates().count(tp));  // 5 is committable (nothing before it)...
  tracker.MarkCommitted(tp, 5);
  EXPECT_FALSE(tracker.CommitCandidates().count(tp));  // ...but never 6 until 5 is done
}

TEST_F(SinkAppTest, ALaterBulkSucceedingDoesNotMoveTheCommitPastAnEarlierOneThatIsRetrying) {
  config_.batch_max_records = 2;
  config_.max_in_flight = 2;
  std::atomic<int> first_batch_attempts{0};
  std::atomic<bool> first_batch_done{false};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    const bool first = !actions.empty() && actions[0].id == "100";
    if (first && first_batch_attempts.fetch_add(1) < 3) {
      return ScriptedResponse{503, {}, R"({"error":{"type":"unavailable","reason":"scripted"},"status":503})"};
    }
    if (first) first_batch_done.store(true);
    return ScriptedResponse{200, {}, BulkResponse(actions, [](const BulkAction&) { return 201; })};
  });
  consumed_.observer = [&] { return first_batch_done.load() ? 1 : 0; };
  AddRecords({TweetRecord(0, 0, "100"), TweetRecord(0, 1, "101"), TweetRecord(0, 2, "102"), TweetRecord(0, 3, "103")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  absl::Status status = RunUntil(app.get(), [&] { return LastCommitted(0) == 4; });
  ASSERT_TRUE(status.ok()) << status;

  EXPECT_EQ(first_batch_attempts.load(), 4);
  // The second bulk (102, 103) succeeded while the first was failing...
  auto bulks = es_->RequestsTo("/_bulk");
  ASSERT_GE(bulks.size(), 2u);
  bool second_done_early = false;
  for (const auto& r : bulks) {
    auto actions = ParseBulk(r.body);
    if (actions[0].id == "100") break;
    if (actions[0].id == "102") second_done_early = true;
  }
  EXPECT_TRUE(second_done_early || bulks[1].body.find("\"102\"") != std::string::npos);
  // ...yet no commit passed offset 0 before the first bulk was indexed.
  absl::MutexLock lock(&consumed_.mu);
  ASSERT_FALSE(consumed_.commits.empty());
  for (const auto& c : consumed_.commits) {
    if (c.observed == 0) {
      EXPECT_LE(c.offsets.at({"twitter-stream", 0}), 0);
    }
  }
  EXPECT_EQ(consumed_.commits.back().offsets.at({"twitter-stream", 0}), 4);
  EXPECT_EQ(app->status().counters().indexed.load(), 4);
}

TEST_F(SinkAppTest, OnlyRetriableItemsAreRetriedAndMappingErrorsAreDeadLettered) {
  config_.batch_max_records = 10;
  std::atomic<int> calls{0};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    const int call = calls.fetch_add(1);
    return ScriptedResponse{200, {}, BulkResponse(actions, [call](const BulkAction& a) {
                              if (a.id == "201" && call == 0) return 429;  // busy: retry it alone
                              if (a.id == "202") return 400;               // mapping conflict: DLQ
                              return 201;
                            })};
  });
  AddRecords({TweetRecord(1, 0, "200"), TweetRecord(1, 1, "201"), TweetRecord(1, 2, "202"), TweetRecord(1, 3, "203")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(1) == 4; }).ok());

  auto bulks = es_->RequestsTo("/_bulk");
  ASSERT_EQ(bulks.size(), 2u);
  EXPECT_EQ(ParseBulk(bulks[0].body).size(), 4u);
  auto retried = ParseBulk(bulks[1].body);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].id, "201");

  ASSERT_EQ(dlq_.records.size(), 1u);
  const auto& dead = dlq_.records[0];
  EXPECT_EQ(dead.topic, "twitter-stream-dlq");
  EXPECT_EQ(dead.key, "202");
  EXPECT_EQ(dead.value, *TweetRecord(1, 2, "202").value);  // the original bytes
  std::map<std::string, std::string> headers(dead.headers.begin(), dead.headers.end());
  EXPECT_EQ(headers["dlq.original.topic"], "twitter-stream");
  EXPECT_EQ(headers["dlq.original.partition"], "1");
  EXPECT_EQ(headers["dlq.original.offset"], "2");
  EXPECT_EQ(headers["dlq.error.class"], "mapper_parsing_exception");
  EXPECT_THAT(headers["dlq.error.message"], HasSubstr("scripted failure of 202"));
  EXPECT_FALSE(headers["dlq.time"].empty());
  EXPECT_EQ(app->status().counters().indexed.load(), 3);
  EXPECT_EQ(app->status().counters().dead_lettered.load(), 1);
}

TEST_F(SinkAppTest, PoisonRecordsAreDeadLetteredAndTombstonesDelete) {
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    return ScriptedResponse{200, {}, BulkResponse(actions, [](const BulkAction& a) {
                              return a.action == "delete" ? 404 : 201;
                            })};
  });
  common::ConsumerRecord poison;
  poison.topic = "twitter-stream";
  poison.partition = 2;
  poison.offset = 0;
  poison.key = "garbage";
  poison.value = std::string("\xff\xfe\x00 not a protobuf \x12\x34", 20);
  common::ConsumerRecord tombstone;
  tombstone.topic = "twitter-stream";
  tombstone.partition = 2;
  tombstone.offset = 2;
  tombstone.key = "300";
  AddRecords({poison, TweetRecord(2, 1, "300"), tombstone});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(2) == 3; }).ok());

  std::vector<BulkAction> all;
  for (const auto& r : es_->RequestsTo("/_bulk")) {
    for (auto& a : ParseBulk(r.body)) all.push_back(a);
  }
  ASSERT_EQ(all.size(), 2u);  // the poison record never reached Elasticsearch
  EXPECT_EQ(all[0].action, "index");
  EXPECT_EQ(all[1].action, "delete");
  EXPECT_EQ(all[1].id, "300");
  ASSERT_EQ(dlq_.records.size(), 1u);
  std::map<std::string, std::string> headers(dlq_.records[0].headers.begin(), dlq_.records[0].headers.end());
  EXPECT_EQ(headers["dlq.error.class"], "DecodeError");
  EXPECT_EQ(dlq_.records[0].value, *poison.value);
  EXPECT_EQ(app->status().counters().deleted.load(), 1);
}

TEST_F(SinkAppTest, TooLargeRequestsAreSplit) {
  config_.batch_max_records = 4;
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    if (actions.size() > 2) return ScriptedResponse{413, {}, ""};
    return ScriptedResponse{200, {}, BulkResponse(actions, [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "400"), TweetRecord(0, 1, "401"), TweetRecord(0, 2, "402"), TweetRecord(0, 3, "403")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 4; }).ok());
  EXPECT_EQ(app->status().counters().indexed.load(), 4);
  EXPECT_TRUE(dlq_.records.empty());
}

TEST_F(SinkAppTest, RejectedCredentialsFailTheConnectorWithTheReasonAndCommitNothing) {
  es_->RouteSequence("POST", "/_bulk",
                     {ScriptedResponse{401, {}, R"({"error":{"type":"security_exception","reason":"unable to authenticate user"},"status":401})"}});
  AddRecords({TweetRecord(0, 0, "500"), TweetRecord(0, 1, "501")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  absl::Status status = RunUntil(app.get(), [&] { return app->status().state() == sink::SinkState::kFailed; });
  EXPECT_TRUE(absl::IsUnauthenticated(status)) << status;
  EXPECT_EQ(app->status().state(), sink::SinkState::kFailed);
  EXPECT_THAT(app->status().ToJson("t"), HasSubstr("unable to authenticate user"));
  EXPECT_EQ(es_->RequestsTo("/_bulk").size(), 1u);  // no retry loop against rejected credentials
  EXPECT_LE(LastCommitted(0), 0);
}

TEST_F(SinkAppTest, StatusSaysDegradedWhileElasticsearchFailsAndRecovers) {
  std::atomic<int> calls{0};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    if (calls.fetch_add(1) < 5) return ScriptedResponse{503, {}, R"({"error":{"type":"cluster_block_exception","reason":"scripted outage"},"status":503})"};
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "600")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  bool saw_degraded = false;
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                if (app->status().state() == sink::SinkState::kDegraded) {
                  saw_degraded = true;
                  EXPECT_THAT(app->status().ToJson("t"), HasSubstr("scripted outage"));
                }
                return LastCommitted(0) == 1;
              }).ok());
  EXPECT_TRUE(saw_degraded);
  EXPECT_EQ(app->status().state(), sink::SinkState::kStopped);
}

}  // namespace
}  // namespace tweetstream::testing

namespace tweetstream::testing {
namespace {

TEST_F(SinkAppTest, FailsOverToTheNextHostAndSendsCredentialsInAHeaderOnly) {
  config_.es.urls = {"http://127.0.0.1:1", es_->base_url()};  // the first host refuses connections
  config_.es.username = "elastic";
  config_.es.password = "s3cret-Pa55";
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "700"), TweetRecord(0, 1, "701")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 2; }).ok());
  auto bulks = es_->RequestsTo("/_bulk");
  ASSERT_FALSE(bulks.empty());
  // base64("elastic:s3cret-Pa55")
  EXPECT_EQ(bulks[0].headers.at("authorization"), "Basic ZWxhc3RpYzpzM2NyZXQtUGE1NQ==");
  EXPECT_THAT(app->status().ToJson("t"), ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(SinkAppTest, GzipBodiesArriveIntact) {
  config_.es.gzip = true;
  config_.batch_max_records = 50;
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  std::vector<common::ConsumerRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(TweetRecord(0, i, absl::StrCat(800 + i)));
  AddRecords(records);
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 50; }).ok());
  auto bulks = es_->RequestsTo("/_bulk");
  ASSERT_FALSE(bulks.empty());
  EXPECT_EQ(bulks[0].headers.at("content-encoding"), "gzip");
  size_t actions = 0;
  for (const auto& b : bulks) actions += ParseBulk(b.body).size();  // the server decompressed them
  EXPECT_EQ(actions, 50u);
}

}  // namespace
}  // namespace tweetstream::testing
