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

// --help is what the README documents: exit 0, the dashed names, every mode, grouped by mode, each
// flag's environment twin; the build checkout's path never shows (Abseil's own help printed
// "Flags from /path/to/source-connector/main.cc", underscore names, and exited 1).
TEST(CliTest, HelpListsTheDashedFlagsByModeAndExitsZero) {
  auto r = RunProcess({SourceBinary(), "--help"}, {}, kTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* mode : {"--mode=replay", "--mode=search", "--mode=stream", "--mode=synthetic"}) {
    EXPECT_THAT(r.out, HasSubstr(mode));
  }
  EXPECT_THAT(r.out, HasSubstr("\n--mode=search:\n"));
  EXPECT_THAT(r.out, HasSubstr("  --poll-interval=DURATION"));
  EXPECT_THAT(r.out, HasSubstr("env TWEET_SOURCE_POLL_INTERVAL"));
  EXPECT_THAT(r.out, HasSubstr("  --control-addr=VALUE"));  // the shared control-plane flags too
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("--poll_interval")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("main.cc")));
  auto sink = RunProcess({SinkBinary(), "-h"}, {}, kTimeout);
  EXPECT_EQ(sink.exit_code, 0) << sink.err;
  EXPECT_THAT(sink.out, HasSubstr("  --es-url="));
  EXPECT_THAT(sink.out, HasSubstr("env TWEET_SINK_ES_URL"));
}

// A misspelt flag: named, with the flag meant, exit 2 (a configuration error), before anything starts.
TEST(CliTest, AMisspeltFlagGetsDidYouMeanAndExitsTwo) {
  auto r = RunProcess({SinkBinary(), "--es-ulr=http://127.0.0.1:9", "--batch-max-record=5"}, {}, kTimeout);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unknown flag --es-ulr; did you mean --es-url?"));
  EXPECT_THAT(r.err, HasSubstr("unknown flag --batch-max-record; did you mean --batch-max-records?"));
  auto far = RunProcess({SourceBinary(), "--frobnicate"}, {}, kTimeout);
  EXPECT_EQ(far.exit_code, 2) << far.err;
  EXPECT_THAT(far.err, HasSubstr("unknown flag --frobnicate"));
  EXPECT_THAT(far.err, ::testing::Not(HasSubstr("did you mean")));
  // Underscore spellings and negated booleans stay accepted; a value after its flag is not a flag.
  auto ok = RunProcess({SourceBinary(), "--mode", "firehose", "--nosync_rules"}, {}, kTimeout);
  EXPECT_THAT(ok.err, ::testing::Not(HasSubstr("unknown flag")));
}

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
