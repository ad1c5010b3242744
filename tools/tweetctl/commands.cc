#include "tools/tweetctl/commands.h"

#include <string>

#include "absl/strings/str_split.h"

namespace tweetstream::tweetctl {

namespace {

constexpr size_t kHelpColumn = 41;  // where a command's help starts in --help

int Help(Context& ctx, const Args&) {
  ctx.out() << UsageText();
  return kExitOk;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands = [] {
    auto* all = new std::vector<Command>;
    for (auto group : {StatusCommands, LifecycleCommands, ConfigCommands, SourceCommands, SinkCommands,
                       MetricsCommands, DashboardCommands}) {
      for (Command& c : group()) all->push_back(std::move(c));
    }
    all->push_back({"help", Help, {}});
    return all;
  }();
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string CommandList() {
  std::string text;
  const UsageLine* previous = nullptr;
  for (const Command& c : Commands()) {
    for (const UsageLine& line : c.usage) {
      if (previous != nullptr && previous->synopsis == line.synopsis && previous->help == line.help) continue;
      previous = &line;
      text += "  " + line.synopsis;
      if (line.help.empty()) {
        text += '\n';
        continue;
      }
      bool first = true;
      if (2 + line.synopsis.size() + 2 > kHelpColumn) {  // no room for two spaces before the help
        text += '\n';
        first = false;
      }
      for (absl::string_view help_line : absl::StrSplit(line.help, '\n')) {
        const size_t at = first ? 2 + line.synopsis.size() : 0;
        text += std::string(kHelpColumn - at, ' ');
        text.append(help_line.data(), help_line.size());
        text += '\n';
        first = false;
      }
    }
  }
  return text;
}

}  // namespace tweetstream::tweetctl
