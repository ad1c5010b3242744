// SourceApp against the real Kafka broker and the fake X API: a tweet whose record is larger than the
// topic accepts is reported with its id, counted and skipped while the rest is delivered and the cursor
// advances; a fatal error of the idempotent producer makes the source FAILED at once, with its reason.

#include "source-connector/source_app.h"

#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSearchPath[] = "/2/tweets/search/recent";
constexpr std::chrono::milliseconds kTimeout{30000};

// A search page of tweets with these ids and texts (newest first, as X sends them).
std::string Page(const std::vector<std::pair<std::string, std::string>>& tweets) {
  std::string data;
  for (const auto& [id, text] : tweets) {
    absl::StrAppend(&data, data.empty() ? "" : ",", R"({"id":")", id, R"(","text":")", text,
                    R"(","author_id":"42","created_at":"2026-12-01T10:00:00.000Z","edit_history_tweet_ids":[")", id,
                    R"("]})");
  }
  return absl::StrCat(R"({"data":[)", data, R"(],"meta":{"newest_id":")", tweets.front().first, R"(","oldest_id":")",
                      tweets.back().first, R"(","result_count":)", tweets.size(), "}}");
}

// Letters that zstd cannot squeeze much (a linear congruential generator, deterministic).
std::string Incompressible(size_t n) {
  std::string out(n, 'a');
  uint32_t x = 12345;
  for (char& c : out) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>('a' + (x >> 16) % 26);
  }
  return out;
}

class SourceAppKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start kafka";
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::string TopicName(const std::string& what) {
    return absl::StrCat("source-app-test-", what, "-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }

  source::SourceConfig Config(const std::string& topic) {
    source::SourceConfig config;
    config.name = "source-app-test";
    config.mode = "search";
    config.query = "cats";
    config.x_api.base_url = server_->base_url();
    config.x_api.bearer_token = "test-token";
    config.x_api.timeout = std::chrono::milliseconds(5000);
    config.bootstrap_servers = kafka_;
    config.topic = topic;
    config.cursor_topic = topic + "-offsets";
    config.partitions = 1;
    config.kafka_timeout = kTimeout;
    return config;
  }

  std::string kafka_;
  std::unique_ptr<FakeXApiServer> server_;
};

TEST_F(SourceAppKafkaTest, ATweetTooLargeForTheTopicIsSkippedWithItsIdAndTheRestIsDelivered) {
  // The topic takes records up to 20 000 bytes; tweet ...002 carries 100 000 bytes of text.
  const std::string topic = TopicName("too-large");
  ASSERT_TRUE(common::EnsureTopic(kafka_, topic, 1, 1, kTimeout, {{"max.message.bytes", "20000"}}).ok());
  server_->RouteSequence("GET", kSearchPath,
                         {ScriptedResponse{.body = Page({{"1900000000000000003", "three"},
                                                         {"1900000000000000002", Incompressible(100000)},
                                                         {"1900000000000000001", "one"}})}});
  source::SourceConfig config = Config(topic);
  config.status_file = ::testing::TempDir() + "/source_app_test_status_" + std::to_string(getpid()) + ".json";
  auto app = source::SourceApp::Create(config);
  ASSERT_TRUE(app.ok()) << app.status();
  source::SourceSummary summary;
  absl::Status run = (*app)->Run(&summary);
  ASSERT_TRUE(run.ok()) << run;  // not an undelivered-record exit
  EXPECT_EQ(summary.too_large, 1);
  EXPECT_EQ(summary.delivery_failed, 0);

  // The other two tweets are in the topic, and only they.
  auto records = common::ReadCompactedTopic(kafka_, topic, kTimeout);
  ASSERT_TRUE(records.ok()) << records.status();
  std::set<std::string> keys;
  for (const auto& [key, value] : *records) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"1900000000000000001", "1900000000000000003"}));

  // The cursor moved past the poll: that record can never be delivered, waiting would not help.
  auto cursors = common::ReadCompactedTopic(kafka_, config.cursor_topic, kTimeout);
  ASSERT_TRUE(cursors.ok()) << cursors.status();
  ASSERT_EQ(cursors->count((*app)->CursorKey()), 1u);
  auto cursor = source::CursorFromJson(cursors->at((*app)->CursorKey()));
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, "1900000000000000003");

  // The status says which tweet was skipped, and why.
  auto status = ReadFile(config.status_file);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(*status, HasSubstr(R"("too_large":1)"));
  EXPECT_THAT(*status, HasSubstr("tweet 1900000000000000002"));
  EXPECT_THAT(*status, HasSubstr("max.message.bytes"));
  EXPECT_EQ((*app)->status().state(), "STOPPED");
}

TEST_F(SourceAppKafkaTest, AFatalProducerErrorFailsTheSourceAtOnceWithItsReason) {
  const std::string topic = TopicName("fatal");
  ASSERT_TRUE(common::EnsureTopic(kafka_, topic, 1, 1, kTimeout).ok());
  server_->RouteSequence("GET", kSearchPath,
                         {ScriptedResponse{.body = Page({{"1900000000000000012", "b"}, {"1900000000000000011", "a"}})},
                          ScriptedResponse{.body = R"({"meta":{"result_count":0}})"}});
  source::SourceConfig config = Config(topic);
  config.poll_interval = std::chrono::hours(1);  // after the first poll the source sleeps
  common::KafkaProducerOptions options;
  options.bootstrap_servers = kafka_;
  options.linger_ms = 0;
  auto producer = common::CreateKafkaProducer(options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  common::Producer* kafka_producer = producer->get();
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::move(*producer), std::move(*http));
  ASSERT_TRUE(app.ok()) << app.status();

  std::promise<absl::Status> done;
  std::future<absl::Status> result = done.get_future();
  std::thread runner([&] {
    source::SourceSummary summary;
    done.set_value((*app)->Run(&summary));
  });
  // The first poll delivered both tweets: the source is now waiting for the next poll.
  const absl::Time until = absl::Now() + absl::Seconds(30);
  while (kafka_producer->Counters().delivered < 2 && absl::Now() < until) {
    result.wait_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(kafka_producer->Counters().delivered, 2);

  const std::string reason = "fabricated by source_app_test: the broker lost acknowledged records";
  ASSERT_TRUE(common::TriggerFatalErrorForTesting(kafka_producer, reason).ok());
  const bool ended = result.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!ended) (*app)->RequestStop();
  runner.join();
  ASSERT_TRUE(ended) << "the source went on (sleeping until its next poll) after a fatal producer error";
  const absl::Status status = result.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(reason));
  EXPECT_EQ((*app)->status().state(), "FAILED");
  EXPECT_THAT((*app)->status().ToJson(config.name), HasSubstr(reason));
}

}  // namespace
}  // namespace tweetstream::testing
