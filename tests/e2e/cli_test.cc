// The binaries as a user runs them, without any service: configuration errors are clear and exit 2;
// an unreachable Kafka or Elasticsearch is named and ends the process after a bounded wait.

#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;
constexpr std::chrono::seconds kTimeout(60);

TEST(CliTest, SearchWithoutBearerTokenFailsAtStartNamingTheVariable) {
  auto r = RunProcess({SourceBinary(), "--mode=search", "--query=kafka"},
                      {{"X_BEARER_TOKEN", "\x01UNSET"}, {"X_BEARER_TOKEN_FILE", "\x01UNSET"}}, kTimeout);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("X_BEARER_TOKEN"));
}

TEST(CliTest, UnknownModeIsRejected) {
  auto r = RunProcess({SourceBinary(), "--mode=firehose"}, {}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("mode"));
}

TEST(CliTest, EnvironmentTwinOfAFlagIsHonoured) {
  // TWEET_SOURCE_MODE=search without a token: the environment value was taken (search needs a token).
  auto r = RunProcess({SourceBinary(), "--query=kafka"},
                      {{"TWEET_SOURCE_MODE", "search"}, {"X_BEARER_TOKEN", "\x01UNSET"}}, kTimeout);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("X_BEARER_TOKEN"));
}

TEST(CliTest, UnreachableKafkaIsNamedAndTheSourceExitsAfterABoundedWait) {
  const std::string fixtures = FixturesDir();
  ASSERT_FALSE(fixtures.empty());
  auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({SourceBinary(), "--mode=replay", "--replay-file=" + FixturePath("tweet-lookup-tweepy-single-2022-10-07.json"),
                       "--bootstrap-servers=127.0.0.1:1", "--kafka-timeout=3s"},
                      {}, kTimeout);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(r.timed_out);
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:1"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(CliTest, UnreachableElasticsearchIsNamedAndTheSinkExitsAfterABoundedWait) {
  auto r = RunProcess({SinkBinary(), "--es-url=http://127.0.0.1:1", "--es-wait-timeout=2s"}, {}, kTimeout);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(r.timed_out);
  EXPECT_THAT(r.err, HasSubstr("http://127.0.0.1:1"));
}

TEST(CliTest, ElasticsearchCredentialsNeverAppearInErrors) {
  auto r = RunProcess({SinkBinary(), "--es-url=http://127.0.0.1:1", "--es-wait-timeout=1s"},
                      {{"ES_USERNAME", "elastic"}, {"ES_PASSWORD", "s3cret-Pa55word"}}, kTimeout);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("s3cret-Pa55word")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("s3cret-Pa55word")));
}

TEST(CliTest, InvalidSinkConfigurationNamesTheField) {
  auto r = RunProcess({SinkBinary(), "--start-from=yesterday"}, {}, kTimeout);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("start-from"));
}

}  // namespace
}  // namespace tweetstream::testing
