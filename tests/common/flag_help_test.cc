// What a connector says about its flags (common/control/flag_help.h): whether the arguments ask for
// help, the "did you mean" of a mistyped flag, and the --help text, over a small settings table of
// flags defined here.

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/control/flag_help.h"
#include "common/control/settings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, batch_max_records, 500, "records per bulk request");
ABSL_FLAG(bool, dry_run, false, "change nothing");
ABSL_FLAG(std::string, es_url, "", "the Elasticsearch node");
ABSL_FLAG(std::vector<std::string>, hosts, {}, "more nodes");
ABSL_FLAG(std::string, topic, "tweets", "the topic to read");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(30), "time between two polls");
ABSL_FLAG(double, backfill_ratio, 0.5, "how much of a gap to read again");
ABSL_FLAG(std::string, rule_note, "",
          "a long help text that goes on and on about what this setting means, so that it cannot fit on one line of "
          "the help at one hundred columns and must be wrapped, twice at least, with every word kept in its order");
// Registered, but not in the table: another part of the binary's, not one of its settings.
ABSL_FLAG(int, not_in_table, 1, "a flag the table does not list");

namespace tweetstream::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const SettingsTable& Table() {
  static const SettingsTable* const table = new SettingsTable{
      .program = "pretend",
      .env_prefix = "PRETEND",
      .settings = {{"topic", "search", Change::kLive},
                   {"batch_max_records", "", Change::kLive},
                   {"poll_interval", "search", Change::kLive},
                   {"dry_run", "", Change::kLive},
                   {"es_url", "", Change::kStartup},
                   {"hosts", "", Change::kStartup},
                   {"backfill_ratio", "stream", Change::kLive},
                   {"rule_note", "stream", Change::kLive}},
      .secrets = {{"X_BEARER_TOKEN", "the token"}, {"ES_PASSWORD", "the password"}},
  };
  return *table;
}

std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (const Setting& s : Table().settings) names.push_back(s.name);
  return names;
}

bool Asks(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return AsksForHelp(static_cast<int>(argv.size()), argv.data());
}

std::vector<std::string> Errors(std::vector<std::string> args, const SettingsTable& table = Table()) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return UnknownFlagErrors(table, argv);
}

TEST(AsksForHelpTest, EverySpellingAnywhereBeforeABareDoubleDash) {
  for (const char* spelling : {"--help", "-help", "-h", "--helpfull", "-helpfull", "--helpshort", "-helpshort"}) {
    EXPECT_TRUE(Asks({"prog", spelling})) << spelling;
    EXPECT_TRUE(Asks({"prog", "search", "--topic=x", spelling})) << spelling;
    EXPECT_FALSE(Asks({"prog", "--", spelling})) << spelling;
    EXPECT_FALSE(Asks({"prog", "search", "--", "x", spelling})) << spelling;
  }
}

TEST(AsksForHelpTest, OtherArgumentsAndTheProgramNameDoNotAsk) {
  EXPECT_FALSE(Asks({"prog"}));
  EXPECT_FALSE(Asks({"--help"}));  // argv[0]
  EXPECT_FALSE(Asks({"prog", "help", "--helper", "--help=1", "-hh", "--topic=--help"}));
}

TEST(ClosestNameTest, ATypoWithinTwoEditsFindsTheName) {
  EXPECT_EQ(ClosestName("topik", Names()), "topic");             // one substitution
  EXPECT_EQ(ClosestName("tpoic", Names()), "topic");             // a transposition: two edits
  EXPECT_EQ(ClosestName("batch_max_record", Names()), "batch_max_records");  // one deletion
  EXPECT_EQ(ClosestName("es_ur", Names()), "es_url");            // the closest of several
  EXPECT_EQ(ClosestName("dryrun", Names()), "dry_run");
}

TEST(ClosestNameTest, ALongNameAllowsUpToAThirdOfItsLength) {
  // Four edits (two transpositions) in 17 characters: more than 2, within 17 / 3 = 5.
  EXPECT_EQ(ClosestName("bacth_max_recrods", Names()), "batch_max_records");
  // Six edits in 17 characters: too far.
  EXPECT_EQ(ClosestName("bxcxh_mxx_rxcxrds", Names()), "");
}

TEST(ClosestNameTest, AFarNameHasNoSuggestion) {
  EXPECT_EQ(ClosestName("kafka_brokers", Names()), "");
  EXPECT_EQ(ClosestName("dxy_rzz", Names()), "");  // three edits in seven characters
  EXPECT_EQ(ClosestName("zzz", Names()), "");
  EXPECT_EQ(ClosestName("topic", {}), "");
}

TEST(UnknownFlagErrorsTest, KnownFlagsInEverySpellingGiveNoError) {
  EXPECT_THAT(Errors({"prog", "search", "--topic=x", "-batch_max_records=5", "--dry_run", "--poll_interval", "5s",
                      "--dry_run=false", "positional"}),
              IsEmpty());
}

TEST(UnknownFlagErrorsTest, TheValueOfNameSpaceValueIsSkippedButNotAfterABool) {
  // "--topic --not-a-flag": the topic is called "--not-a-flag"; that is the user's business.
  EXPECT_THAT(Errors({"prog", "--topic", "--not_a_flag"}), IsEmpty());
  EXPECT_THAT(Errors({"prog", "-topic", "--not_a_flag"}), IsEmpty());
  // A bool takes no separate value: what follows it is read as a flag.
  EXPECT_THAT(Errors({"prog", "--dry_run", "--not_a_flag"}), ElementsAre("unknown flag --not-a-flag"));
  // With =value the next argument is not the value.
  EXPECT_THAT(Errors({"prog", "--topic=x", "--not_a_flag"}), ElementsAre("unknown flag --not-a-flag"));
}

TEST(UnknownFlagErrorsTest, NoFlagIsAcceptedForBoolsOnly) {
  EXPECT_THAT(Errors({"prog", "--nodry_run", "-nodry_run"}), IsEmpty());
  EXPECT_THAT(Errors({"prog", "--notopic=x"}), ElementsAre("unknown flag --notopic; did you mean --topic?"));
}

TEST(UnknownFlagErrorsTest, AnUnknownNameIsNamedDashedWithASuggestionWhenOneIsClose) {
  EXPECT_THAT(Errors({"prog", "--topik=x", "--batch_max_record", "--kafka_brokers=b", "-zzz"}),
              ElementsAre("unknown flag --topik; did you mean --topic?",
                          "unknown flag --batch-max-record; did you mean --batch-max-records?",
                          "unknown flag --kafka-brokers", "unknown flag --zzz"));
}

TEST(UnknownFlagErrorsTest, ARegisteredFlagOutsideTheTableIsUnknown) {
  ASSERT_NE(absl::FindCommandLineFlag("not_in_table"), nullptr);
  EXPECT_THAT(Errors({"prog", "--not_in_table=2"}), ElementsAre("unknown flag --not-in-table"));
  SettingsTable with = Table();
  with.settings.push_back({"not_in_table", "", Change::kLive});
  EXPECT_THAT(Errors({"prog", "--not_in_table=2"}, with), IsEmpty());
}

TEST(UnknownFlagErrorsTest, NothingAfterABareDoubleDashAndNoEmptyNames) {
  EXPECT_THAT(Errors({"prog", "--", "--bogus", "-x"}), IsEmpty());
  EXPECT_THAT(Errors({"prog", "-", "--=x", "--"}), IsEmpty());
  EXPECT_THAT(Errors({"--bogus"}), IsEmpty());  // argv[0]
}

TEST(FlagHelpTest, GeneralFirstThenEachModeEachSortedByName) {
  const std::string help = FlagHelp("pretend MODE", Table());
  EXPECT_EQ(help.rfind("Usage: pretend MODE\n", 0), 0u) << help;
  std::vector<std::string> headings, flags;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    if (!line.empty() && line.back() == ':' && line[0] != ' ') headings.emplace_back(line);
    if (absl::StartsWith(line, "  --")) flags.emplace_back(line.substr(4, line.find_first_of("= ", 4) - 4));
  }
  EXPECT_THAT(headings, ElementsAre("General:", "--mode=search:", "--mode=stream:",
                                    "Secrets (never flags: from the environment, or a file named by <NAME>_FILE):"))
      << help;
  EXPECT_THAT(flags, ElementsAre("batch-max-records", "dry-run", "es-url", "hosts", "poll-interval", "topic",
                                 "backfill-ratio", "rule-note"))
      << help;
  EXPECT_THAT(help, Not(HasSubstr("not-in-table")));
  EXPECT_THAT(help, Not(HasSubstr("flag_help_test.cc")));  // no source paths
}

TEST(FlagHelpTest, EachFlagShowsItsValueKindDefaultAndEnvironmentTwin) {
  const std::string help = FlagHelp("pretend", Table());
  EXPECT_THAT(help, HasSubstr("\n  --batch-max-records=N   (default 500; env PRETEND_BATCH_MAX_RECORDS)\n"
                              "      records per bulk request\n"));
  EXPECT_THAT(help, HasSubstr("\n  --dry-run   (default false; env PRETEND_DRY_RUN)\n      change nothing\n"));
  EXPECT_THAT(help, HasSubstr("\n  --es-url=VALUE   (default none; env PRETEND_ES_URL)\n"));  // "" shows as none
  EXPECT_THAT(help, HasSubstr("\n  --hosts=A,B,...   (default none; env PRETEND_HOSTS)\n"));
  EXPECT_THAT(help, HasSubstr("\n  --poll-interval=DURATION   (default 30s; env PRETEND_POLL_INTERVAL)\n"));
  EXPECT_THAT(help, HasSubstr("\n  --backfill-ratio=X   (default 0.5; env PRETEND_BACKFILL_RATIO)\n"));
  EXPECT_THAT(help, HasSubstr("\n  --topic=VALUE   (default tweets; env PRETEND_TOPIC)\n"));
}

TEST(FlagHelpTest, HelpTextIsWrappedAtOneHundredColumnsKeepingEveryWord) {
  const std::string help = FlagHelp("pretend", Table());
  const std::string heading = "  --rule-note=VALUE   (default none; env PRETEND_RULE_NOTE)\n";
  const size_t at = help.find(heading);
  ASSERT_NE(at, std::string::npos) << help;
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(help.substr(at + heading.size()), '\n')) {
    if (!absl::StartsWith(line, "      ")) break;
    lines.emplace_back(line);
  }
  ASSERT_GE(lines.size(), 3u) << help;
  std::vector<std::string> words;
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 100u) << line;
    // Filled: the next line's first word would not have fitted.
    words.push_back(line.substr(6));
  }
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string next_word = lines[i + 1].substr(6, lines[i + 1].find(' ', 6) - 6);
    EXPECT_GT(lines[i].size() + 1 + next_word.size(), 100u) << lines[i];
  }
  EXPECT_EQ(absl::StrJoin(words, " "), absl::GetFlagReflectionHandle(FLAGS_rule_note).Help());
}

TEST(FlagHelpTest, SecretsAreListedWithTheirFileTwinAndOnlyWhenTheTableHasSome) {
  const std::string help = FlagHelp("pretend", Table());
  EXPECT_THAT(help, HasSubstr("\nSecrets (never flags: from the environment, or a file named by <NAME>_FILE):\n"
                              "  X_BEARER_TOKEN / X_BEARER_TOKEN_FILE\n      the token\n"
                              "  ES_PASSWORD / ES_PASSWORD_FILE\n      the password\n"));
  EXPECT_LT(help.find("--mode=stream:"), help.find("Secrets ("));
  SettingsTable without = Table();
  without.secrets.clear();
  EXPECT_THAT(FlagHelp("pretend", without), Not(HasSubstr("Secrets")));
}

}  // namespace
}  // namespace tweetstream::control
