// SinkApp against a fake Elasticsearch (a real HTTP server on loopback that scripts bulk answers) and
// an in-memory consumer and dead-letter producer: the ordering and item-by-item rules that the real
// server cannot be made to show on demand.

#include <rapidjson/document.h>

#include <atomic>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sink-connector/offset_tracker.h"
#include "sink-connector/sink_app.h"
#include "tests/fakes/fake_consumer.h"
#include "tests/fakes/fake_producer.h"
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
  tombstone.key = "299";  // another id: a tombstone of 300 in the same batch would supersede its index
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
  EXPECT_EQ(all[1].id, "299");
  ASSERT_EQ(dlq_.records.size(), 1u);
  std::map<std::string, std::string> headers(dlq_.records[0].headers.begin(), dlq_.records[0].headers.end());
  EXPECT_EQ(headers["dlq.error.class"], "DecodeError");
  EXPECT_EQ(dlq_.records[0].value, *poison.value);
  EXPECT_EQ(app->status().counters().deleted.load(), 1);
}

// A record's bytes are anyone's (issue 16, found by envelope_document_fuzzer): a created_at whose seconds
// times 1000 overflows int64 (signed overflow, undefined; it wrapped to 384 ms after the epoch here) was
// observed as a 56-year latency and dated the record into year 584,556,019. A time the document cannot
// hold (outside 0001..9999) is now left out of the latency histograms and of the index's date, as it is
// left out of the document; the record is still indexed once, and a good one beside it counts as before.
TEST_F(SinkAppTest, ATimestampBeyondWhatTheDocumentHoldsIsNeitherObservedNorUsedForTheIndexDate) {
  common::MetricsRegistry registry;
  config_.metrics = &registry;
  config_.index = "twitter-%Y";
  std::vector<std::pair<std::string, std::string>> index_of_id;  // from the action lines
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    for (absl::string_view line : absl::StrSplit(request.body, '\n', absl::SkipEmpty())) {
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      if (doc.IsObject() && doc.HasMember("index")) {
        index_of_id.emplace_back(doc["index"]["_id"].GetString(), doc["index"]["_index"].GetString());
      }
    }
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  common::ConsumerRecord hostile = TweetRecord(0, 0, "900");
  {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(*hostile.value));
    envelope.mutable_tweet()->mutable_created_at()->set_seconds(18446744073709552);  // * 1000 = 2^64 + 384
    envelope.mutable_ingestion()->mutable_ingested_at()->set_seconds(1700000000);
    hostile.value = envelope.SerializeAsString();
  }
  AddRecords({hostile, TweetRecord(0, 1, "901")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 2; }).ok());

  EXPECT_EQ(app->status().counters().indexed.load(), 2);
  EXPECT_TRUE(dlq_.records.empty());
  // Only the good record's created_at is observed.
  EXPECT_THAT(registry.RenderText(), HasSubstr("tweetstream_sink_latency_since_created_seconds_count 1\n"));
  // The hostile one is dated by its ingestion time (2023), as a tweet without created_at is.
  std::map<std::string, std::string> index(index_of_id.begin(), index_of_id.end());
  EXPECT_EQ(index["900"], "twitter-2023");
  EXPECT_EQ(index["901"], "twitter-2023");
}

// --value-format=confluent-protobuf (issue 14): the sink reads the Confluent wire format and plain values
// alike, whatever it is configured for; a frame that is not a TweetEnvelope is the record's own fault.
TEST_F(SinkAppTest, ConfluentFramedValuesAreIndexedLikePlainOnesAndBadFramesAreDeadLettered) {
  std::map<std::string, std::string> sources;  // _id -> the document's source line
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    std::vector<std::string> lines = absl::StrSplit(request.body, '\n', absl::SkipEmpty());
    for (size_t i = 0; i + 1 < lines.size(); i += 2) {
      rapidjson::Document action;
      action.Parse(lines[i].c_str());
      sources[action["index"]["_id"].GetString()] = lines[i + 1];
    }
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  auto framed = [](common::ConsumerRecord r, std::string prefix) {
    r.value = prefix + *r.value;
    return r;
  };
  // Schema id 258 = 00 00 01 02; message index [0] as Confluent's shorthand (one 0 byte) and spelled out.
  const std::string first_message("\x00\x00\x00\x01\x02\x00", 6);
  const std::string first_message_long("\x00\x00\x00\x01\x02\x02\x00", 7);  // count 1 (zigzag 2), index 0
  const std::string second_message("\x00\x00\x00\x01\x02\x02\x02", 7);      // [1]: ApiError, not the envelope
  common::ConsumerRecord truncated = TweetRecord(0, 4, "404");
  truncated.value = std::string("\x00\x00\x00", 3);
  AddRecords({TweetRecord(0, 0, "400"), framed(TweetRecord(0, 1, "401"), first_message),
              framed(TweetRecord(0, 2, "402"), first_message_long), framed(TweetRecord(0, 3, "403"), second_message),
              truncated});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 5; }).ok());

  ASSERT_EQ(sources.size(), 3u);
  for (const std::string id : {"400", "401", "402"}) {
    rapidjson::Document doc;
    doc.Parse(sources[id].c_str());
    ASSERT_TRUE(doc.IsObject()) << id;
    EXPECT_EQ(std::string(doc["id"].GetString()), id);
    EXPECT_EQ(std::string(doc["text"].GetString()), "text of " + id);
  }
  ASSERT_EQ(dlq_.records.size(), 2u);
  std::map<std::string, std::string> reasons;
  for (const auto& r : dlq_.records) {
    std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
    EXPECT_EQ(headers["dlq.error.class"], "DecodeError");
    reasons[headers["dlq.original.offset"]] = headers["dlq.error.message"];
  }
  EXPECT_THAT(reasons["3"], HasSubstr("message index [1] of schema id 258 is not tweetstream.tweet.v1.TweetEnvelope"));
  EXPECT_THAT(reasons["4"], HasSubstr("shorter than magic byte, schema id and message index"));
  EXPECT_EQ(app->status().counters().indexed.load(), 3);
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

// ------------------------------------------------------------------------------------------------
// Faults: whose fault an error is decides where the record goes (issue: nothing lost, resurrected
// or silently dead-lettered). Each of these failed on the sink before the fix that it names.
namespace tweetstream::testing {
namespace {

// An item error as Elasticsearch writes it.
std::string ItemError(const std::string& action, const std::string& id, int status, const std::string& type,
                      const std::string& reason) {
  return absl::StrCat(R"({")", action, R"(":{"_index":"twitter","_id":")", id, R"(","status":)", status,
                      R"(,"error":{"type":")", type, R"(","reason":")", reason, R"("}}})");
}

std::string ItemsResponse(const std::vector<std::string>& items) {
  return absl::StrCat(R"({"took":1,"errors":true,"items":[)", absl::StrJoin(items, ","), "]}");
}

struct SystemFault {
  const char* name;
  int status;
  const char* type;
  const char* reason;
};

class SinkSystemFaultTest : public SinkAppTest, public ::testing::WithParamInterface<SystemFault> {};

// An authorization failure, a missing index, an alias without a write index, a write block and an
// error type nobody has seen: none of them is the record's fault. The records are held (nothing
// committed, nothing dead-lettered), the status says DEGRADED with the exact cause, and the sink
// recovers by itself when the condition clears.
TEST_P(SinkSystemFaultTest, HoldsTheRecordsSaysDegradedAndRecoversWhenTheConditionClears) {
  const SystemFault fault = GetParam();
  std::atomic<int> calls{0};
  std::atomic<bool> cleared{false};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    calls.fetch_add(1);
    if (!cleared.load()) {
      std::vector<std::string> items;
      for (const auto& a : actions) items.push_back(ItemError(a.action, a.id, fault.status, fault.type, fault.reason));
      return ScriptedResponse{200, {}, ItemsResponse(items)};
    }
    return ScriptedResponse{200, {}, BulkResponse(actions, [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "1000"), TweetRecord(0, 1, "1001"), TweetRecord(0, 2, "1002")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  bool saw_cause = false;
  bool committed_while_failing = false;
  absl::Status status = RunUntil(app.get(), [&] {
    if (!cleared.load()) {
      if (LastCommitted(0) > 0) committed_while_failing = true;
      const std::string json = app->status().ToJson("t");
      if (app->status().state() == sink::SinkState::kDegraded && absl::StrContains(json, fault.type) &&
          absl::StrContains(json, fault.reason)) {
        saw_cause = true;
      }
      if (saw_cause && calls.load() >= 3) cleared.store(true);  // the operator fixes it
      return false;
    }
    return LastCommitted(0) == 3 && app->status().state() == sink::SinkState::kRunning;
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(saw_cause) << "status never said DEGRADED with " << fault.type << ": " << app->status().ToJson("t");
  EXPECT_FALSE(committed_while_failing);
  EXPECT_TRUE(dlq_.records.empty()) << "dead-lettered " << dlq_.records.size() << " record(s) for " << fault.name;
  EXPECT_EQ(app->status().counters().dead_lettered.load(), 0);
  EXPECT_EQ(app->status().counters().indexed.load(), 3);
  EXPECT_EQ(LastCommitted(0), 3);
  std::cout << fault.name << ": held 3 records over " << calls.load() - 1 << " refused bulk(s), then indexed them\n";
}

INSTANTIATE_TEST_SUITE_P(
    NotTheRecordsFault, SinkSystemFaultTest,
    ::testing::Values(
        SystemFault{"ApiKeyMayNotWrite", 403, "security_exception",
                    "action [indices:data/write/bulk[s]] is unauthorized for API key id [k1] on indices [twitter]"},
        SystemFault{"IndexMissing", 404, "index_not_found_exception", "no such index [twitter]"},
        SystemFault{"AliasWithoutWriteIndex", 400, "illegal_argument_exception",
                    "no write index is defined for alias [twitter]. The write index may be explicitly disabled"},
        SystemFault{"WriteBlock", 403, "cluster_block_exception",
                    "index [twitter] blocked by: [FORBIDDEN/8/index write (api)];"},
        SystemFault{"UnknownErrorType", 400, "brand_new_exception", "an error type this sink has never seen"}),
    [](const ::testing::TestParamInfo<SystemFault>& info) { return std::string(info.param.name); });

TEST_F(SinkAppTest, ARequestLevel400IsBisectedSoOneBadRecordDeadLettersOnlyItself) {
  config_.batch_max_records = 8;
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    auto actions = ParseBulk(request.body);
    for (const auto& a : actions) {
      if (a.id == "1105") {
        return ScriptedResponse{400, {}, R"({"error":{"type":"x_content_parse_exception","reason":"[1:7] unexpected token"},"status":400})"};
      }
    }
    return ScriptedResponse{200, {}, BulkResponse(actions, [](const BulkAction&) { return 201; })};
  });
  std::vector<common::ConsumerRecord> records;
  for (int i = 0; i < 8; ++i) records.push_back(TweetRecord(0, i, absl::StrCat(1100 + i)));
  AddRecords(records);
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 8; }).ok());
  ASSERT_EQ(dlq_.records.size(), 1u);
  EXPECT_EQ(dlq_.records[0].key, "1105");
  std::map<std::string, std::string> headers(dlq_.records[0].headers.begin(), dlq_.records[0].headers.end());
  EXPECT_THAT(headers["dlq.error.message"], HasSubstr("unexpected token"));
  EXPECT_EQ(app->status().counters().indexed.load(), 7);
  std::cout << "bisected a batch of 8 in " << es_->RequestsTo("/_bulk").size() << " requests\n";
}

TEST_F(SinkAppTest, InvalidKeysAreDeadLetteredBeforeTheyReachAnActionLine) {
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  // Protobuf refuses invalid UTF-8 in the envelope's id (a DecodeError), but a tombstone's key is raw bytes.
  const std::string bad_utf8 = "12\xff\xfe";
  const std::string too_long(600, '7');
  common::ConsumerRecord bad_tombstone;
  bad_tombstone.topic = "twitter-stream";
  bad_tombstone.partition = 0;
  bad_tombstone.offset = 1;
  bad_tombstone.key = bad_utf8;
  AddRecords({TweetRecord(0, 0, "1200"), bad_tombstone, TweetRecord(0, 2, too_long), TweetRecord(0, 3, "1203")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 4; }).ok());
  for (const auto& r : es_->RequestsTo("/_bulk")) {
    EXPECT_EQ(r.body.find(bad_utf8), std::string::npos);
    EXPECT_EQ(r.body.find(too_long), std::string::npos);
  }
  ASSERT_EQ(dlq_.records.size(), 2u);
  std::set<std::string> classes;
  for (const auto& d : dlq_.records) {
    std::map<std::string, std::string> headers(d.headers.begin(), d.headers.end());
    classes.insert(headers["dlq.error.class"]);
    EXPECT_FALSE(headers["dlq.error.message"].empty());
  }
  EXPECT_EQ(classes, std::set<std::string>{"InvalidKey"});
  EXPECT_EQ(app->status().counters().indexed.load(), 2);
}

TEST_F(SinkAppTest, AHostThatIsNotElasticsearchForBulkIsFailedOverNotBlamedOnTheDocuments) {
  // A proxy's default site: answers GET / like Elasticsearch but 404 (HTML) for _bulk.
  auto wrong = FakeXApiServer::Start();
  ASSERT_TRUE(wrong.ok());
  (*wrong)->RouteSequence("GET", "/", {ScriptedResponse{200, {}, R"({"version":{"number":"7.17.29"}})"}});
  (*wrong)->RouteSequence("PUT", "/_index_template/tweetstream-twitter", {ScriptedResponse{200, {}, R"({"acknowledged":true})"}});
  config_.es.urls = {(*wrong)->base_url(), es_->base_url()};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "1300"), TweetRecord(0, 1, "1301")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 2; }).ok());
  EXPECT_TRUE(dlq_.records.empty());
  EXPECT_EQ(app->status().counters().indexed.load(), 2);
  EXPECT_FALSE((*wrong)->RequestsTo("/_bulk").empty());  // it was asked, and passed over
}

// A tiny Elasticsearch of one index with external versions, applying each bulk when its answer is
// sent: a slow first bulk finishes after a later one, as two connections to a busy node do.
class VersionedIndex {
 public:
  std::string Apply(const std::string& body) {
    std::vector<std::string> lines = absl::StrSplit(body, '\n', absl::SkipEmpty());
    std::vector<std::string> items;
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < lines.size(); ++i) {
      rapidjson::Document doc;
      doc.Parse(lines[i].c_str());
      const bool is_index = doc.HasMember("index");
      const auto& meta = is_index ? doc["index"] : doc["delete"];
      if (is_index) ++i;
      const std::string id = meta["_id"].GetString();
      int64_t version = -1;
      if (meta.HasMember("version")) version = meta["version"].GetInt64();
      const bool external = meta.HasMember("version_type");
      auto it = docs_.find(id);
      if (external && it != docs_.end() && version < it->second.version) {
        items.push_back(ItemError(is_index ? "index" : "delete", id, 409, "version_conflict_engine_exception",
                                  "current version is higher"));
        continue;
      }
      docs_[id] = Doc{external ? version : 0, is_index};
      items.push_back(absl::StrCat(R"({")", is_index ? "index" : "delete", R"(":{"_id":")", id, R"(","status":)",
                                   is_index ? 201 : 200, "}}"));
    }
    return ItemsResponse(items);
  }
  bool Present(const std::string& id) {
    absl::MutexLock lock(&mu_);
    auto it = docs_.find(id);
    return it != docs_.end() && it->second.present;
  }

 private:
  struct Doc {
    int64_t version;
    bool present;
  };
  absl::Mutex mu_;
  std::map<std::string, Doc> docs_;
};

TEST_F(SinkAppTest, ALaterDeleteWinsOverAnEarlierIndexThatFinishesLast) {
  config_.batch_max_records = 1;
  config_.max_in_flight = 2;
  VersionedIndex index;
  std::atomic<int> calls{0};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    if (calls.fetch_add(1) == 0) absl::SleepFor(absl::Milliseconds(400));  // the index of 1400 is slow
    return ScriptedResponse{200, {}, index.Apply(request.body)};
  });
  common::ConsumerRecord tombstone;
  tombstone.topic = "twitter-stream";
  tombstone.partition = 0;
  tombstone.offset = 1;
  tombstone.key = "1400";
  AddRecords({TweetRecord(0, 0, "1400"), tombstone});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 2; }).ok());
  ASSERT_EQ(calls.load(), 2);
  EXPECT_FALSE(index.Present("1400")) << "the deleted tweet came back";
}

TEST_F(SinkAppTest, RecordsOfARevokedPartitionAreDroppedNotCommittedByTheOldOwner) {
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  const common::TopicPartition p0{"twitter-stream", 0}, p1{"twitter-stream", 1};
  app->OnAssign({p0, p1});
  // Partition 1 is revoked inside the poll that fetched its records (librdkafka serves the
  // rebalance between two messages): those records belong to the next owner now.
  std::atomic<bool> revoked{false};
  consumed_.inside_poll = [&] {
    if (!revoked.exchange(true)) app->OnRevoke({p1});
  };
  AddRecords({TweetRecord(0, 0, "1500"), TweetRecord(1, 0, "1501"), TweetRecord(1, 1, "1502")});
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 1; }).ok());
  EXPECT_EQ(LastCommitted(1), -1) << "the old owner committed a partition it no longer has";
  for (const auto& r : es_->RequestsTo("/_bulk")) {
    for (const auto& a : ParseBulk(r.body)) EXPECT_EQ(a.id, "1500");
  }
}

TEST_F(SinkAppTest, AFailingDeadLetterTopicHoldsThePartitionSaysDegradedAndCountsRecordsOnce) {
  es_->Route("POST", "/_bulk", [&](const RecordedRequest&) { return ScriptedResponse{200, {}, R"({"items":[]})"}; });
  std::vector<std::string> ledger;
  absl::Mutex ledger_mu;
  config_.on_dead_letter = [&](const std::string& error_class, const std::string&) {
    absl::MutexLock lock(&ledger_mu);
    ledger.push_back(error_class);
  };
  dlq_.failure = "Broker: Unknown topic or partition";
  dlq_.fail_deliveries.store(true);
  common::ConsumerRecord poison;
  poison.topic = "twitter-stream";
  poison.partition = 0;
  poison.offset = 0;
  poison.key = "1600";
  poison.value = std::string("\x0a\xff garbage", 10);
  AddRecords({poison});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  bool saw_degraded = false, committed_while_failing = false;
  std::atomic<bool> healed{false};
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                if (!healed.load()) {
                  if (LastCommitted(0) > 0) committed_while_failing = true;
                  if (app->status().state() == sink::SinkState::kDegraded &&
                      absl::StrContains(app->status().ToJson("t"), "Unknown topic or partition")) {
                    saw_degraded = true;
                  }
                  if (saw_degraded && dlq_.produced.load() >= 3) {
                    dlq_.fail_deliveries.store(false);  // the operator creates the topic
                    healed.store(true);
                  }
                  return false;
                }
                return LastCommitted(0) == 1 && app->status().state() == sink::SinkState::kRunning;
              }).ok());
  EXPECT_TRUE(saw_degraded);
  EXPECT_FALSE(committed_while_failing);
  const size_t attempts = dlq_.records.size();
  EXPECT_GE(attempts, 3u);
  EXPECT_EQ(app->status().counters().dead_lettered.load(), 1);
  absl::MutexLock lock(&ledger_mu);
  EXPECT_EQ(ledger, std::vector<std::string>{"DecodeError"}) << "the ledger counted attempts, not records";
  std::cout << "dead letter delivered after " << attempts << " attempts\n";
}

TEST_F(SinkAppTest, AnItemThatFailsWith5xxEveryTimeIsDeadLetteredAfterTheRetryCap) {
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction& a) {
                              return a.id == "1701" ? 500 : 201;
                            }, "illegal_state_exception")};
  });
  AddRecords({TweetRecord(0, 0, "1700"), TweetRecord(0, 1, "1701"), TweetRecord(0, 2, "1702")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return LastCommitted(0) == 3; }).ok());
  ASSERT_EQ(dlq_.records.size(), 1u);
  EXPECT_EQ(dlq_.records[0].key, "1701");
  std::map<std::string, std::string> headers(dlq_.records[0].headers.begin(), dlq_.records[0].headers.end());
  EXPECT_THAT(headers["dlq.error.message"], HasSubstr("scripted failure of 1701"));
  EXPECT_THAT(headers["dlq.error.message"], HasSubstr("times"));
  std::cout << "poison item dead-lettered after " << es_->RequestsTo("/_bulk").size() - 1 << " retries\n";
}

TEST_F(SinkAppTest, DegradedClearsAfterATransientFailureEndsInADeadLetter) {
  config_.batch_max_records = 1;
  config_.max_in_flight = 1;  // one worker: its blip, then its dead letter, then a clean bulk
  std::atomic<int> calls{0};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    const int call = calls.fetch_add(1);
    if (call == 0) return ScriptedResponse{503, {}, R"({"error":{"type":"unavailable","reason":"scripted blip"},"status":503})"};
    if (call == 1) return ScriptedResponse{400, {}, R"({"error":{"type":"parse_exception","reason":"scripted bad request"},"status":400})"};
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "1800"), TweetRecord(0, 1, "1801")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  sink::SinkState last = sink::SinkState::kStarting;
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                if (LastCommitted(0) < 2) return false;
                last = app->status().state();
                return last == sink::SinkState::kRunning;
              }).ok());
  EXPECT_EQ(last, sink::SinkState::kRunning) << app->status().ToJson("t");
  EXPECT_EQ(dlq_.records.size(), 1u);
}

TEST(SinkConfigTest, AutoCommitAndAutoOffsetStoreAreRefused) {
  for (const char* key : {"enable.auto.commit", "enable.auto.offset.store"}) {
    sink::SinkConfig config;
    config.consumer_properties[key] = "true";
    absl::Status s = config.Validate();
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << key << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(key));
  }
}

TEST_F(SinkAppTest, StopEndsWithinTheShutdownTimeoutWhileElasticsearchHangs) {
  config_.shutdown_timeout = std::chrono::milliseconds(1000);
  config_.es.timeout = std::chrono::milliseconds(60000);
  std::atomic<bool> asked{false};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest&) {
    asked.store(true);
    return ScriptedResponse{.status = 200, .body = R"({"items":[]})", .delay = std::chrono::milliseconds(25000)};
  });
  AddRecords({TweetRecord(0, 0, "1900")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  absl::Status status;
  std::thread runner([&] { status = app->Run(); });
  for (int i = 0; i < 500 && !asked.load(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(asked.load());
  const absl::Time stop_at = absl::Now();
  app->RequestStop();
  runner.join();
  const absl::Duration took = absl::Now() - stop_at;
  EXPECT_LT(took, absl::Seconds(4)) << "shutdown took " << took << " with a 1 s shutdown timeout";
  EXPECT_LE(LastCommitted(0), 0);  // nothing indexed, nothing committed past it
  std::cout << "stopped in " << took << " with a hung bulk in flight\n";
}

// Send when idle: with nothing more waiting in the consumer and a bulk slot free, the open batch goes
// at once; --linger (here 60 s, longer than RunUntil waits) is only the upper bound.
TEST_F(SinkAppTest, ABulkGoesAtOnceWhenNothingMoreWaitsAndASlotIsFree) {
  config_.linger = std::chrono::milliseconds(60000);
  config_.shutdown_timeout = std::chrono::milliseconds(60000);  // at least the linger
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "2300"), TweetRecord(0, 1, "2301"), TweetRecord(0, 2, "2302")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  bool in_time = false;  // committed before RunUntil gave up (its stop flushes the batch anyway)
  ASSERT_TRUE(RunUntil(app.get(), [&] { return in_time = LastCommitted(0) == 3; }).ok());
  EXPECT_TRUE(in_time) << "the batch waited for the 60 s linger";
  EXPECT_EQ(app->status().counters().indexed.load(), 3);
}

// ... and while every slot is busy the batch grows: what arrives during a bulk goes in ONE next bulk,
// not one bulk per poll.
TEST_F(SinkAppTest, WhileEveryBulkSlotIsBusyTheNextBatchGrows) {
  config_.linger = std::chrono::milliseconds(60000);
  config_.shutdown_timeout = std::chrono::milliseconds(60000);  // at least the linger
  config_.max_in_flight = 1;
  std::atomic<bool> release{false};
  std::atomic<int> bulks{0};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    if (bulks.fetch_add(1) == 0) {
      for (int i = 0; i < 1000 && !release.load(); ++i) absl::SleepFor(absl::Milliseconds(10));
    }
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "2400")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                if (bulks.load() == 1 && !release.load()) {
                  // The first bulk hangs: 50 records arrive in 10 polls' worth of pieces meanwhile.
                  for (int k = 0; k < 10; ++k) {
                    std::vector<common::ConsumerRecord> more;
                    for (int j = 0; j < 5; ++j) {
                      const int n = 1 + k * 5 + j;
                      more.push_back(TweetRecord(0, n, absl::StrCat(2400 + n)));
                    }
                    AddRecords(std::move(more));
                    absl::SleepFor(absl::Milliseconds(30));
                  }
                  release.store(true);
                }
                return LastCommitted(0) == 51;
              }).ok());
  ASSERT_EQ(LastCommitted(0), 51);
  auto requests = es_->RequestsTo("/_bulk");
  ASSERT_EQ(requests.size(), 2u) << "one bulk per poll while the slot was busy";
  EXPECT_EQ(ParseBulk(requests[0].body).size(), 1u);
  EXPECT_EQ(ParseBulk(requests[1].body).size(), 50u);
}

TEST_F(SinkAppTest, MemoryIsBoundedInBytesWithLongFormTweetsAndOneMegabyteRecords) {
  config_.max_pending_bytes = 8 * 1024 * 1024;
  config_.batch_max_bytes = 2 * 1024 * 1024;
  std::atomic<bool> healthy{false};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    if (!healthy.load()) return ScriptedResponse{503, {}, R"({"error":{"type":"unavailable","reason":"scripted outage"},"status":503})"};
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  std::vector<common::ConsumerRecord> records;
  const std::string long_form(25000, 'x');           // a long-form post: 25,000 characters
  const std::string megabyte(1024 * 1024, 'y');      // a record of 1 MB
  for (int i = 0; i < 240; ++i) {
    tweet::v1::TweetEnvelope envelope;
    envelope.mutable_tweet()->set_id(absl::StrCat(2100 + i));
    envelope.mutable_tweet()->set_text(i % 12 == 0 ? megabyte : long_form);
    common::ConsumerRecord r;
    r.topic = "twitter-stream";
    r.partition = 0;
    r.offset = i;
    r.key = envelope.tweet().id();
    r.value = envelope.SerializeAsString();
    records.push_back(std::move(r));
  }
  AddRecords(std::move(records));  // 20 MB of 1 MB records + 5.5 MB of long-form tweets, 26 MB in all
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  int64_t peak_bytes = 0, consumed_while_down = 0;
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                peak_bytes = std::max(peak_bytes, app->pending_bytes());
                if (!healthy.load()) {
                  consumed_while_down = app->status().counters().consumed.load();
                  if (es_->RequestsTo("/_bulk").size() >= 6) healthy.store(true);  // held for a while
                  return false;
                }
                return LastCommitted(0) == 240;
              }).ok());
  // At most the bound plus one record past it. A 1 MB record counts about 3 MB: its value, its
  // document and its lines in the request body.
  EXPECT_LE(peak_bytes, config_.max_pending_bytes + 3200 * 1024) << "peak " << peak_bytes;
  EXPECT_LT(consumed_while_down, 240) << "everything was taken in while Elasticsearch was down";
  EXPECT_EQ(app->status().counters().indexed.load(), 240);
  std::cout << "byte bound " << config_.max_pending_bytes << ": peak " << peak_bytes << " bytes in flight, "
            << consumed_while_down << " of 240 records taken while Elasticsearch was down\n";
}

TEST_F(SinkAppTest, AnUnreadableBulkAnswerIsRetriedWithBackoffAndSaysDegradedNeverAHotLoop) {
  std::atomic<bool> fixed{false};
  es_->Route("POST", "/_bulk", [&](const RecordedRequest& request) {
    if (!fixed.load()) return ScriptedResponse{200, {}, R"({"took":1,"errors":false,"items":[{"index":{"_id":"x"}}]})"};
    return ScriptedResponse{200, {}, BulkResponse(ParseBulk(request.body), [](const BulkAction&) { return 201; })};
  });
  AddRecords({TweetRecord(0, 0, "2200"), TweetRecord(0, 1, "2201")});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  const absl::Time started = absl::Now();
  size_t requests_in_3s = 0;
  bool saw_cause = false;
  ASSERT_TRUE(RunUntil(app.get(), [&] {
                if (!fixed.load()) {
                  if (app->status().state() == sink::SinkState::kDegraded &&
                      absl::StrContains(app->status().ToJson("t"), "without status")) {
                    saw_cause = true;
                  }
                  if (absl::Now() - started >= absl::Seconds(3)) {
                    requests_in_3s = es_->RequestsTo("/_bulk").size();
                    fixed.store(true);
                  }
                  return false;
                }
                return LastCommitted(0) == 2;
              }).ok());
  EXPECT_TRUE(saw_cause);
  // Backoff 100 ms doubling to 400 ms: about 9 attempts in 3 s, never hundreds.
  EXPECT_LE(requests_in_3s, 15u);
  EXPECT_GE(requests_in_3s, 3u);
  EXPECT_TRUE(dlq_.records.empty());
  std::cout << requests_in_3s << " attempts in 3 s against an unreadable answer\n";
}

TEST_F(SinkAppTest, DestroyingTheSinkWithDeadLettersInFlightTouchesNothingFreed) {
  // Run under SANITIZE=1 (AddressSanitizer) this is the use-after-free check; in any build the
  // delivery that arrives while the producer is destroyed must not be lost or crash.
  es_->Route("POST", "/_bulk", [&](const RecordedRequest&) { return ScriptedResponse{200, {}, R"({"items":[]})"}; });
  dlq_.deliver_only_at_destruction.store(true);
  config_.shutdown_timeout = std::chrono::milliseconds(200);
  common::ConsumerRecord poison;
  poison.topic = "twitter-stream";
  poison.partition = 0;
  poison.offset = 0;
  poison.key = "2000";
  poison.value = std::string("\x0a\xff garbage", 10);
  AddRecords({poison});
  auto app = MakeApp();
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(RunUntil(app.get(), [&] { return dlq_.produced.load() > 0; }).ok());
  app.reset();  // the producer reports its outstanding delivery now
  EXPECT_EQ(dlq_.records.size(), 1u);
}

}  // namespace
}  // namespace tweetstream::testing
