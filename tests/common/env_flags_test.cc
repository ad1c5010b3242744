// The environment twins of flags, key=value items and the dashed spelling of flag names
// (common/env_flags.h): what a user's variable or command line can hold, and what the error says.

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "common/env_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, envflagstest_count, 5, "an int flag for the environment-twin tests");
ABSL_FLAG(std::string, envflagstest_name, "default-name", "a string flag for the environment-twin tests");
ABSL_FLAG(bool, envflagstest_on, false, "a bool flag for the environment-twin tests");

namespace tweetstream::common {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class EnvFlagsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("TSTEST_ENVFLAGSTEST_COUNT");
    unsetenv("TSTEST_ENVFLAGSTEST_NAME");
    unsetenv("TSTEST_ENVFLAGSTEST_ON");
  }
  absl::FlagSaver saver_;  // every test starts from the flags' defaults
};

TEST(EnvNameForFlagTest, TheTwinOfAFlagIsThePrefixAndTheUpperCaseName) {
  EXPECT_EQ(EnvNameForFlag("TWEET_SINK", "es_url"), "TWEET_SINK_ES_URL");
  EXPECT_EQ(EnvNameForFlag("TWEET_SOURCE", "max-results"), "TWEET_SOURCE_MAX_RESULTS");
  EXPECT_EQ(EnvNameForFlag("TWEETCTL", "tls_ca"), "TWEETCTL_TLS_CA");
}

TEST_F(EnvFlagsTest, SetVariablesSetTheirFlagsAndUnsetOnesLeaveTheDefault) {
  setenv("TSTEST_ENVFLAGSTEST_COUNT", "7", 1);
  setenv("TSTEST_ENVFLAGSTEST_ON", "true", 1);
  ASSERT_TRUE(ApplyEnvironmentToFlags("TSTEST").ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_count), 7);
  EXPECT_TRUE(absl::GetFlag(FLAGS_envflagstest_on));
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_name), "default-name");
}

TEST_F(EnvFlagsTest, AnotherPrefixIsNotThisBinarysTwin) {
  setenv("TSTEST_ENVFLAGSTEST_COUNT", "7", 1);
  ASSERT_TRUE(ApplyEnvironmentToFlags("OTHER").ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_count), 5);
}

TEST_F(EnvFlagsTest, AValueThatDoesNotParseIsRefusedNamingTheVariable) {
  setenv("TSTEST_ENVFLAGSTEST_COUNT", "many", 1);
  absl::Status s = ApplyEnvironmentToFlags("TSTEST");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("environment variable TSTEST_ENVFLAGSTEST_COUNT"));
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_count), 5);
  setenv("TSTEST_ENVFLAGSTEST_COUNT", "", 1);  // set but empty is no number either
  EXPECT_EQ(ApplyEnvironmentToFlags("TSTEST").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EnvFlagsTest, TheCommandLineParsedAfterwardsWins) {
  setenv("TSTEST_ENVFLAGSTEST_COUNT", "7", 1);
  setenv("TSTEST_ENVFLAGSTEST_NAME", "from-env", 1);
  ASSERT_TRUE(ApplyEnvironmentToFlags("TSTEST").ok());
  std::vector<std::string> args = {"prog", "--envflagstest_count=9", "positional"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(argv.size()), argv.data());
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[1], "positional");
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_count), 9);             // the command line's
  EXPECT_EQ(absl::GetFlag(FLAGS_envflagstest_name), "from-env");     // the environment's: not on the line
}

// argv as NormalizeFlagNames returns it, as strings.
std::vector<std::string> Normalized(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::vector<std::string> storage;
  std::vector<char*> out = NormalizeFlagNames(static_cast<int>(argv.size()), argv.data(), &storage);
  return std::vector<std::string>(out.begin(), out.end());
}

TEST(NormalizeFlagNamesTest, DashesBecomeUnderscoresInNamesOnlyNeverInValues) {
  EXPECT_THAT(Normalized({"tweet-sink", "--es-url=http://a-b.example:9200/x-y", "--topic", "my-topic", "my-file"}),
              ElementsAre("tweet-sink", "--es_url=http://a-b.example:9200/x-y", "--topic", "my-topic", "my-file"));
  // --noflag for a dashed bool flag, and a value that itself holds '=' and '-'.
  EXPECT_THAT(Normalized({"p", "--no-dry-run", "--consumer-property=sasl.jaas=a-b=c-d"}),
              ElementsAre("p", "--no_dry_run", "--consumer_property=sasl.jaas=a-b=c-d"));
}

TEST(NormalizeFlagNamesTest, SingleDashFlagsAreNormalizedToo) {
  EXPECT_THAT(Normalized({"p", "-max-results", "5", "-batch-max-records=10"}),
              ElementsAre("p", "-max_results", "5", "-batch_max_records=10"));
  // Too short to be a dashed name: left as they are.
  EXPECT_THAT(Normalized({"p", "-", "-h", "--"}), ElementsAre("p", "-", "-h", "--"));
}

TEST(NormalizeFlagNamesTest, NothingAfterABareDoubleDashIsTouched) {
  EXPECT_THAT(Normalized({"p", "--dry-run", "--", "--not-a-flag", "-is-retweet"}),
              ElementsAre("p", "--dry_run", "--", "--not-a-flag", "-is-retweet"));
}

TEST(NormalizeFlagNamesTest, TheResultPointsIntoStorageAndTheInputIsUnchanged) {
  std::vector<std::string> args = {"p", "--es-url=x"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::vector<std::string> storage;
  std::vector<char*> out = NormalizeFlagNames(static_cast<int>(argv.size()), argv.data(), &storage);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], storage[1].data());
  EXPECT_EQ(args[1], "--es-url=x");
}

TEST(ParseKeyValuesTest, ItemsKeepEqualsSignsInTheValueAndALaterKeyWins) {
  std::map<std::string, std::string> out = {{"kept", "1"}};
  ASSERT_TRUE(ParseKeyValues({"sasl.jaas=a=b", "acks=all", "acks=1", "empty="}, "producer-property", &out).ok());
  EXPECT_EQ(out, (std::map<std::string, std::string>{{"kept", "1"}, {"sasl.jaas", "a=b"}, {"acks", "1"}, {"empty", ""}}));
}

TEST(ParseKeyValuesTest, AnItemWithoutAKeyIsRefusedNamingTheFlagAndTheItem) {
  std::map<std::string, std::string> out;
  for (const char* bad : {"=x", "novalue", ""}) {
    absl::Status s = ParseKeyValues({"good=1", bad}, "producer-property", &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(std::string(s.message()), absl::StrCat("producer-property: '", bad, "' is not key=value")) << bad;
  }
}

}  // namespace
}  // namespace tweetstream::common
