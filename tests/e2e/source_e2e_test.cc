// tweet-source (the binary) against the real Kafka broker and a local fake X API: a kill -9 in the
// middle of a poll loses nothing after a restart, the cursor survives restarts in its compacted
// topic, a rejected token fails the connector at once, and every record is a TweetEnvelope keyed
// by its tweet id.

#include <signal.h>
#include <unistd.h>

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_x_api_server.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

constexpr char kSearchPath[] = "/2/tweets/search/recent";
constexpr int kPages = 30;
constexpr int kPerPage = 100;

// Tweet ids of page n (1-based), newest first across pages.
std::string IdOf(int page, int i) { return absl::StrCat(1900000000000000000LL - (page * kPerPage + i)); }

std::string PageBody(int page) {
  std::string data;
  for (int i = 0; i < kPerPage; ++i) {
    if (i) data += ",";
    data += absl::StrCat(R"({"id":")", IdOf(page, i), R"(","text":"tweet )", i, " of page ", page,
                         R"( \ud83d\ude80","author_id":"42","created_at":"2026-11-25T10:00:00.000Z"})");
  }
  std::string meta = absl::StrCat(R"("newest_id":")", IdOf(page, 0), R"(","oldest_id":")", IdOf(page, kPerPage - 1),
                                  R"(","result_count":)", kPerPage);
  if (page < kPages) absl::StrAppend(&meta, R"(,"next_token":"p)", page + 1, R"(")");
  return absl::StrCat(R"({"data":[)", data, R"(],"includes":{"users":[{"id":"42","name":"Fake","username":"fake_x"}]},"meta":{)", meta, "}}");
}

class SourceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start";
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    const std::string suffix = absl::StrCat(getpid(), "-", absl::ToUnixMillis(absl::Now()));
    topic_ = "e2e-source-" + suffix;
    cursor_topic_ = topic_ + "-offsets";
    status_file_ = absl::StrCat(::testing::TempDir(), "/source-status-", suffix, ".json");
  }

  std::vector<std::string> SourceArgs() {
    return {SourceBinary(), "--mode=search", "--query=#kafka", "--x-api-base-url=" + server_->base_url(),
            "--topic=" + topic_, "--cursor-topic=" + cursor_topic_, "--bootstrap-servers=" + kafka_,
            "--name=e2e-source", "--status-file=" + status_file_, "--linger-ms=5"};
  }
  std::map<std::string, std::string> Env() { return {{"X_BEARER_TOKEN", "e2e-token-abcdef"}}; }

  // Every record of the topic, from the beginning (waits until 3 s pass without a new one).
  std::vector<common::ConsumerRecord> ReadTopic() {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "e2e-reader-" + topic_ + absl::StrCat(absl::ToUnixMicros(absl::Now()));
    options.topics = {topic_};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok());
    std::vector<common::ConsumerRecord> out;
    absl::Time last = absl::Now();
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() - last < absl::Seconds(3) && absl::Now() < deadline) {
      auto records = (*consumer)->Poll(1000, std::chrono::milliseconds(200));
      if (records.ok() && !records->empty()) {
        out.insert(out.end(), records->begin(), records->end());
        last = absl::Now();
      }
    }
    (void)(*consumer)->Close();
    return out;
  }

  std::string kafka_, topic_, cursor_topic_, status_file_;
  std::unique_ptr<FakeXApiServer> server_;
  absl::Mutex mu_;
  std::set<std::string> served_ ABSL_GUARDED_BY(mu_);
};

TEST_F(SourceE2eTest, KillNineMidPollThenRestartLeavesNoGapAndTheCursorSurvives) {
  std::atomic<bool> slow{true};
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    const std::string since = request.Param("since_id");
    if (!since.empty()) {
      // Only the third run comes with a since_id: nothing newer.
      return ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"};
    }
    const std::string token = request.Param("next_token");
    const int page = token.empty() ? 1 : std::stoi(token.substr(1));
    {
      absl::MutexLock lock(&mu_);
      for (int i = 0; i < kPerPage; ++i) served_.insert(IdOf(page, i));
    }
    ScriptedResponse response{200, RateLimitHeaders(450, 400, 1900000000), PageBody(page)};
    if (slow.load()) response.delay = std::chrono::milliseconds(150);
    return response;
  });

  {
    ChildProcess first(SourceArgs(), Env());
    ASSERT_TRUE(server_->WaitForRequests(10, std::chrono::seconds(60))) << first.Stderr();
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(10));
  }
  const size_t requests_before_restart = server_->RequestsTo(kSearchPath).size();
  ASSERT_LT(requests_before_restart, static_cast<size_t>(kPages)) << "the poll ended before the kill";
  slow.store(false);

  // The restart has no cursor (the killed poll never completed): it polls again from the top.
  ProcessResult second = RunProcess(SourceArgs(), Env(), std::chrono::minutes(3));
  ASSERT_EQ(second.exit_code, 0) << second.err;

  // Every tweet the server served is in the topic; every record is an envelope keyed by its id.
  std::set<std::string> in_topic;
  for (const auto& record : ReadTopic()) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(record.value.has_value());
    ASSERT_TRUE(envelope.ParseFromString(*record.value)) << record.offset;
    ASSERT_EQ(record.key.value_or(""), envelope.tweet().id());
    EXPECT_EQ(envelope.author().username(), "fake_x");
    in_topic.insert(envelope.tweet().id());
  }
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(served_.size(), static_cast<size_t>(kPages * kPerPage));
    for (const auto& id : served_) EXPECT_TRUE(in_topic.count(id)) << "missing " << id;
  }

  // A third run reads the cursor from the compacted topic and continues after the newest tweet.
  const size_t before_third = server_->RequestsTo(kSearchPath).size();
  ProcessResult third = RunProcess(SourceArgs(), Env(), std::chrono::minutes(2));
  ASSERT_EQ(third.exit_code, 0) << third.err;
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), before_third + 1);
  EXPECT_EQ(requests.back().Param("since_id"), IdOf(1, 0));
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, ::testing::HasSubstr(IdOf(1, 0)));
}

TEST_F(SourceE2eTest, ARejectedTokenFailsTheConnectorWithAClearMessageAndNoFurtherRequests) {
  auto body = ReadFile(FixturePath("error-401-unauthorized-2021-06.json"));
  ASSERT_TRUE(body.ok());
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{401, {}, *body}});
  auto args = SourceArgs();
  args.push_back("--poll-interval=1s");  // a polling source, which must still stop at once
  ProcessResult result = RunProcess(args, Env(), std::chrono::minutes(1));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, ::testing::HasSubstr("X_BEARER_TOKEN"));
  EXPECT_THAT(result.err, ::testing::Not(::testing::HasSubstr("e2e-token-abcdef")));
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, ::testing::HasSubstr(R"("state":"FAILED")"));
  EXPECT_THAT(*status, ::testing::HasSubstr("rejected"));
  EXPECT_THAT(*status, ::testing::Not(::testing::HasSubstr("e2e-token-abcdef")));
}

}  // namespace
}  // namespace tweetstream::testing
