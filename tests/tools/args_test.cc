// tweetctl's argument parsing (tools/tweetctl/args.h), on its own: every way a flag is spelt, every
// error it answers (INVALID_ARGUMENT, which tweetctl turns into exit code 2, or NOT_FOUND for a file)
// and what the message names. tweetctl_test drives the built binary; this checks each path here.

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/tweetctl/args.h"

// The flags ParseFlags sets, like main.cc's.
ABSL_FLAG(bool, json, false, "JSON output");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "deadline of each call");
ABSL_FLAG(int64_t, count, 0, "updates");
ABSL_FLAG(std::string, tag, "", "the tag of new rules");

namespace tweetstream::tweetctl {
namespace {

namespace v1 = tweetstream::connector::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class ParseFlagsTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args) {
    return ParseFlags(args, &help_);
  }
  absl::FlagSaver saver_;
  bool help_ = true;  // ParseFlags must set it either way
};

TEST_F(ParseFlagsTest, FlagsAnywhereInEverySpellingAndThePositionalsInOrder) {
  auto r = Parse({"status", "--json", "sink", "--timeout=3s", "-count", "4", "--tag", "news", "extra"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre("status", "sink", "extra"));
  EXPECT_FALSE(help_);
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));
  EXPECT_EQ(absl::GetFlag(FLAGS_timeout), absl::Seconds(3));
  EXPECT_EQ(absl::GetFlag(FLAGS_count), 4);
  EXPECT_EQ(absl::GetFlag(FLAGS_tag), "news");
}

TEST_F(ParseFlagsTest, BoolsTakeNoSeparateValueAndNoNameSetsFalse) {
  auto on = Parse({"--json", "status"});  // "status" is not --json's value
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_THAT(*on, ElementsAre("status"));
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));
  ASSERT_TRUE(Parse({"--nojson"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
  ASSERT_TRUE(Parse({"--json=true", "-nojson"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
  ASSERT_TRUE(Parse({"--json=false"}).ok());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
}

TEST_F(ParseFlagsTest, EverythingAfterABareDoubleDashIsPositional) {
  auto r = Parse({"rules", "add", "--tag=t", "--", "-is:retweet", "--json", "--"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre("rules", "add", "-is:retweet", "--json", "--"));
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
  EXPECT_EQ(absl::GetFlag(FLAGS_tag), "t");
  // A lone "-" is an argument, not a flag.
  auto dash = Parse({"-"});
  ASSERT_TRUE(dash.ok()) << dash.status();
  EXPECT_THAT(*dash, ElementsAre("-"));
}

TEST_F(ParseFlagsTest, EverySpellingOfHelpSetsHelp) {
  for (const char* spelling : {"--help", "-help", "-h", "--h", "--helpfull", "-helpfull"}) {
    help_ = false;
    auto r = Parse({"status", spelling});
    ASSERT_TRUE(r.ok()) << spelling << ": " << r.status();
    EXPECT_TRUE(help_) << spelling;
    EXPECT_THAT(*r, ElementsAre("status")) << spelling;
  }
  ASSERT_TRUE(Parse({"status"}).ok());
  EXPECT_FALSE(help_);  // reset, not left from an earlier call
  ASSERT_TRUE(Parse({"--", "--help"}).ok());
  EXPECT_FALSE(help_);
}

TEST_F(ParseFlagsTest, AnUnknownFlagIsNamedAsTyped) {
  for (const char* arg : {"--bogus", "-bogus=1", "--nocount", "--nojson=true", "--noflagfile"}) {
    auto r = Parse({"status", arg});
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << arg;
    EXPECT_EQ(r.status().message(), absl::StrCat("unknown flag '", arg, "'")) << arg;
  }
}

TEST_F(ParseFlagsTest, AbseilsOwnFlagsAreNotTweetctls) {
  // Registered in this binary (the reference keeps absl::flags_parse, which defines --flagfile, linked),
  // yet refused like an unknown one.
  [[maybe_unused]] volatile auto keep_parse_linked = &absl::ParseCommandLine;
  ASSERT_NE(absl::FindCommandLineFlag("flagfile"), nullptr);
  auto r = Parse({"--flagfile=/etc/passwd", "status"});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "unknown flag '--flagfile=/etc/passwd'");
}

TEST_F(ParseFlagsTest, AFlagWithoutItsValueIsNamed) {
  auto r = Parse({"watch", "--count"});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "flag '--count' needs a value");
}

TEST_F(ParseFlagsTest, AValueThatDoesNotParseNamesTheFlagAndLeavesIt) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--timeout=abc"}, {"--timeout", "10"}, {"--count=1.5"}, {"--json=maybe"}}) {
    auto r = Parse(args);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << args[0];
    const std::string name = args[0].substr(2, args[0].find('=') - 2);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(absl::StrCat("flag --", name, ": "))) << args[0];
  }
  EXPECT_EQ(absl::GetFlag(FLAGS_timeout), absl::Seconds(10));
  EXPECT_EQ(absl::GetFlag(FLAGS_count), 0);
}

TEST(ParseOffsetsTargetTest, EarliestAndLatestInAnyCase) {
  auto earliest = ParseOffsetsTarget("Earliest");
  ASSERT_TRUE(earliest.ok());
  EXPECT_EQ(earliest->kind, v1::ResetOffsetsRequest::TARGET_EARLIEST);
  auto latest = ParseOffsetsTarget("LATEST");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->kind, v1::ResetOffsetsRequest::TARGET_LATEST);
  EXPECT_THAT(latest->offsets, IsEmpty());
}

TEST(ParseOffsetsTargetTest, AnRfc3339TimeWithAnOffsetIsThatInstant) {
  auto t = ParseOffsetsTarget("2026-01-02T17:04:05+02:00");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, v1::ResetOffsetsRequest::TARGET_TIMESTAMP);
  absl::Time want;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2026-01-02T15:04:05Z", &want, nullptr));
  EXPECT_EQ(t->timestamp, want);
}

TEST(ParseOffsetsTargetTest, PartitionOffsetPairs) {
  auto t = ParseOffsetsTarget("2:5,0:10");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, v1::ResetOffsetsRequest::TARGET_OFFSETS);
  EXPECT_EQ(t->offsets, (std::map<int32_t, int64_t>{{0, 10}, {2, 5}}));
}

TEST(ParseOffsetsTargetTest, EveryOtherValueSaysWhatIsAccepted) {
  const std::string accepted =
      "expected earliest, latest, an RFC 3339 time (2026-01-02T15:04:05Z) or PARTITION:OFFSET[,PARTITION:OFFSET...]";
  auto empty = ParseOffsetsTarget("");
  ASSERT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "--to is empty: " + accepted);
  for (const char* bad : {"yesterday", "0:-1", "-1:0", "x:1", "0:1:2", "0:1,", "2026-01-02", "0:"}) {
    auto r = ParseOffsetsTarget(bad);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(), absl::StrCat("--to '", bad, "': ", accepted)) << bad;
  }
  auto twice = ParseOffsetsTarget("0:1,1:1,0:2");
  ASSERT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(twice.status().message(), "--to '0:1,1:1,0:2': partition 0 given twice");
}

TEST(ToRequestTest, ATimestampKeepsItsFractionRoundingSecondsTowardThePast) {
  v1::ResetOffsetsRequest request;
  ToRequest(*ParseOffsetsTarget("2026-01-02T15:04:05.25Z"), &request);
  EXPECT_EQ(request.target(), v1::ResetOffsetsRequest::TARGET_TIMESTAMP);
  EXPECT_EQ(request.timestamp().seconds(), 1767366245);
  EXPECT_EQ(request.timestamp().nanos(), 250000000);
  v1::ResetOffsetsRequest before_epoch;
  ToRequest(*ParseOffsetsTarget("1969-12-31T23:59:59.5Z"), &before_epoch);
  EXPECT_EQ(before_epoch.timestamp().seconds(), -1);  // nanos are never negative in a Timestamp
  EXPECT_EQ(before_epoch.timestamp().nanos(), 500000000);
}

TEST(ToRequestTest, OffsetsAndPlainTargetsAreCopied) {
  v1::ResetOffsetsRequest request;
  ToRequest(*ParseOffsetsTarget("0:10,3:7"), &request);
  EXPECT_EQ(request.target(), v1::ResetOffsetsRequest::TARGET_OFFSETS);
  ASSERT_EQ(request.offsets_size(), 2);
  EXPECT_EQ(request.offsets().at(0), 10);
  EXPECT_EQ(request.offsets().at(3), 7);
  EXPECT_FALSE(request.has_timestamp());
  v1::ResetOffsetsRequest latest;
  ToRequest(*ParseOffsetsTarget("latest"), &latest);
  EXPECT_EQ(latest.target(), v1::ResetOffsetsRequest::TARGET_LATEST);
  EXPECT_EQ(latest.offsets_size(), 0);
  EXPECT_FALSE(latest.has_timestamp());
}

TEST(ParseSettingsTest, PairsKeepEqualsSignsInValuesAndALaterNameWins) {
  auto r = ParseSettings({"linger_ms=5", "query=a=b", "linger_ms=7", "tag="});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::map<std::string, std::string>{{"linger_ms", "7"}, {"query", "a=b"}, {"tag", ""}}));
}

TEST(ParseSettingsTest, NoneAtAllOrAnItemWithoutANameIsRefused) {
  auto none = ParseSettings({});
  ASSERT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(none.status().message(), "no settings given: expected NAME=VALUE ...");
  for (const char* bad : {"novalue", "=5", ""}) {
    auto r = ParseSettings({"good=1", bad});
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message(), absl::StrCat("'", bad, "' is not NAME=VALUE")) << bad;
  }
}

TEST(IsNumericIdTest, DecimalDigitsOnly) {
  EXPECT_TRUE(IsNumericId("1"));
  EXPECT_TRUE(IsNumericId("1234567890123456789012"));  // longer than 64 bits is still an id's spelling
  for (const char* not_id : {"", "-1", "+1", "12a", " 12", "1.0", "\xd9\xa1"}) EXPECT_FALSE(IsNumericId(not_id)) << not_id;
}

TEST(ReadSmallFileTest, ReadsTheWholeFileAndNamesAPathItCannotRead) {
  const std::string path = ::testing::TempDir() + "/args_test_file";
  const std::string content = std::string("line one\r\n\0binary", 18) + std::string(100000, 'x');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  auto r = ReadSmallFile(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, content);
  std::remove(path.c_str());
  auto missing = ReadSmallFile("/nonexistent/tweetctl-token");
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "cannot read /nonexistent/tweetctl-token");
}

// A directory (a mounted secret volume named instead of the file in it) cannot be read either. It was
// read as "" (std::ifstream opens a directory on Linux and the failed read sets no badbit), so
// `tweetctl --token-file=DIR` said "the token from DIR is empty".
TEST(ReadSmallFileTest, ADirectoryIsNotFoundNotEmpty) {
  auto r = ReadSmallFile(::testing::TempDir());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << (r.ok() ? "read as '" + *r + "'" : "");
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("a directory"));
}

TEST(CleanTokenTest, SurroundingWhitespaceIsNotPartOfTheToken) {
  auto r = CleanToken("  abc.DEF-123 xyz\r\n", "TWEETCTL_TOKEN");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "abc.DEF-123 xyz");
}

TEST(CleanTokenTest, AnEmptyTokenOrOneGrpcCannotCarryIsRefusedWithoutShowingIt) {
  auto empty = CleanToken(" \n\t", "/run/secrets/token");
  ASSERT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "the token from /run/secrets/token is empty");
  for (const std::string& bad : {std::string("s3cr3t\nsecond"), std::string("s3cr3t\x01"),
                                 std::string("s3cr3t\xc3\xa9"), std::string("s3cr3t\x7f")}) {
    auto r = CleanToken(bad, "TWEETCTL_TOKEN");
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "the token from TWEETCTL_TOKEN holds a character gRPC metadata cannot carry");
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("s3cr3t")));
  }
}

}  // namespace
}  // namespace tweetstream::tweetctl
