// tweetctl's dispatch table (tools/tweetctl/commands.h): every command is listed by --help and
// documented in tools/tweetctl/README.md, and the README documents no command that does not exist;
// the command list keeps its layout (help at column 41, a shared line printed once).
#include "tools/tweetctl/commands.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "tools/tweetctl/tweetctl.h"

namespace tweetstream::tweetctl {
namespace {

using ::testing::HasSubstr;

// "pause|resume|stop|restart [source|sink]" -> {"pause", "resume", "stop", "restart"}.
std::vector<std::string> NamesOf(absl::string_view synopsis) {
  const absl::string_view first = synopsis.substr(0, synopsis.find(' '));
  return absl::StrSplit(first, '|');
}

// The commands a user can type and --help lists: every row but `help` (which is --help itself).
std::set<std::string> ListedCommands() {
  std::set<std::string> names;
  for (const Command& c : Commands()) {
    if (c.name != "help") names.insert(c.name);
  }
  return names;
}

TEST(CommandsTest, EveryCommandHasOneRowAHandlerAndUsageThatNamesIt) {
  std::set<std::string> seen;
  for (const Command& c : Commands()) {
    EXPECT_TRUE(seen.insert(c.name).second) << "two rows for " << c.name;
    EXPECT_NE(c.run, nullptr) << c.name;
    EXPECT_EQ(FindCommand(c.name), &c);
    if (c.name == "help") {
      EXPECT_TRUE(c.usage.empty());
      continue;
    }
    ASSERT_FALSE(c.usage.empty()) << c.name << " is not listed by --help";
    for (const UsageLine& line : c.usage) {
      EXPECT_THAT(NamesOf(line.synopsis), ::testing::Contains(c.name)) << line.synopsis;
    }
  }
  EXPECT_EQ(FindCommand("nope"), nullptr);
  EXPECT_EQ(FindCommand(""), nullptr);
}

TEST(CommandsTest, HelpListsEveryCommandAndOnlyThem) {
  const std::string usage = UsageText();
  const std::string list = CommandList();
  EXPECT_THAT(usage, HasSubstr("\ncommands:\n" + list + "\nflags ("));
  std::set<std::string> listed;
  for (absl::string_view line : absl::StrSplit(list, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "   ")) continue;  // a help line
    ASSERT_TRUE(absl::ConsumePrefix(&line, "  ")) << line;
    for (const std::string& name : NamesOf(line)) listed.insert(name);
  }
  EXPECT_EQ(listed, ListedCommands());
}

TEST(CommandsTest, ReadmeDocumentsEveryCommandAndOnlyThem) {
  auto readme = tweetstream::testing::ReadFile(tweetstream::testing::SourceDir() + "/tools/tweetctl/README.md");
  ASSERT_TRUE(readme.ok()) << readme.status();
  const size_t begin = readme->find("\n## Commands\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = readme->find("\n## ", begin + 1);
  const std::string section = readme->substr(begin, end - begin);
  std::set<std::string> documented;
  for (absl::string_view row : absl::StrSplit(section, '\n')) {
    if (!absl::StartsWith(row, "| `")) continue;
    // The first cell; "\|" is a '|' inside it.
    const std::string cells = absl::StrReplaceAll(row, {{"\\|", "\x01"}});
    const std::vector<std::string> split = absl::StrSplit(cells, '|');
    ASSERT_GE(split.size(), 3u) << row;
    const std::vector<std::string> spans = absl::StrSplit(split[1], '`');
    for (size_t i = 1; i < spans.size(); i += 2) {  // the text inside each `...`
      for (const std::string& name : NamesOf(absl::StrReplaceAll(spans[i], {{"\x01", "|"}}))) documented.insert(name);
    }
  }
  EXPECT_EQ(documented, ListedCommands());
}

// watch and dashboard run until Ctrl-C and end cleanly on it (main.cc installs the handler for them
// only); every other command keeps the default Ctrl-C behaviour.
TEST(CommandsTest, OnlyWatchAndDashboardRunUntilInterrupted) {
  std::set<std::string> until_interrupted;
  for (const Command& c : Commands()) {
    if (c.until_interrupted) until_interrupted.insert(c.name);
  }
  EXPECT_EQ(until_interrupted, (std::set<std::string>{"dashboard", "watch"}));
}

TEST(CommandsTest, CommandListAlignsHelpAtColumn41AndPrintsASharedLineOnce) {
  const std::string list = CommandList();
  EXPECT_THAT(list, HasSubstr("  status [source|sink]                   both connectors in one table"));
  // Too long for the column: the help starts on the next line, at column 41.
  EXPECT_THAT(list, HasSubstr("  pause|resume|stop|restart [source|sink]\n" + std::string(41, ' ') +
                              "without a target: both"));
  EXPECT_EQ(list.find("pause|resume"), list.rfind("pause|resume"));
  // A line without help is the synopsis alone.
  EXPECT_THAT(list, HasSubstr("\n  rules add [--dry-run] [--tag T] VALUE ...\n"));
  for (absl::string_view line : absl::StrSplit(list, '\n')) {
    EXPECT_FALSE(absl::EndsWith(line, " ")) << "trailing space: '" << line << "'";
  }
}

}  // namespace
}  // namespace tweetstream::tweetctl
