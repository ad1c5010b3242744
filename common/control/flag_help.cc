#include "common/control/flag_help.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/env_flags.h"

namespace tweetstream::control {
namespace {

bool IsAbseilOwn(const absl::CommandLineFlag& flag) { return absl::StrContains(flag.Filename(), "absl/"); }

std::string Dashed(absl::string_view name) { return absl::StrReplaceAll(name, {{"_", "-"}}); }

std::string TypeName(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return "";
  if (flag.IsOfType<int>() || flag.IsOfType<int64_t>() || flag.IsOfType<uint64_t>()) return "=N";
  if (flag.IsOfType<double>()) return "=X";
  if (flag.IsOfType<absl::Duration>()) return "=DURATION";
  if (flag.IsOfType<std::vector<std::string>>()) return "=A,B,...";
  return "=VALUE";
}

// `text` wrapped at `width` columns, each line starting with `indent`.
std::string Wrap(absl::string_view text, absl::string_view indent, size_t width) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      absl::StrAppend(&out, indent, line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, indent, line, "\n");
  return out;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

bool AsksForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-help" || arg == "-h" || arg == "--helpfull" || arg == "-helpfull" ||
        arg == "--helpshort" || arg == "-helpshort") {
      return true;
    }
  }
  return false;
}

std::string FlagHelp(absl::string_view usage, const SettingsTable& table) {
  std::map<std::string, std::vector<const absl::CommandLineFlag*>> groups;  // "" (general) sorts first
  for (const Setting& row : table.settings) {
    if (const absl::CommandLineFlag* flag = SettingsTable::FlagOf(row)) groups[row.group].push_back(flag);
  }
  std::string out = absl::StrCat("Usage: ", usage, "\n");
  for (auto& [group, flags] : groups) {
    std::sort(flags.begin(), flags.end(),
              [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) { return a->Name() < b->Name(); });
    absl::StrAppend(&out, "\n", group.empty() ? "General" : absl::StrCat("--mode=", group), ":\n");
    for (const absl::CommandLineFlag* flag : flags) {
      const std::string def = flag->DefaultValue();
      absl::StrAppend(&out, "  --", Dashed(flag->Name()), TypeName(*flag), "   (default ", def.empty() ? "none" : def,
                      "; env ", common::EnvNameForFlag(table.env_prefix, flag->Name()), ")\n",
                      Wrap(flag->Help(), "      ", 100));
    }
  }
  if (!table.secrets.empty()) {
    absl::StrAppend(&out, "\nSecrets (never flags: from the environment, or a file named by <NAME>_FILE):\n");
    for (const Secret& secret : table.secrets) {
      absl::StrAppend(&out, "  ", secret.name, " / ", secret.name, "_FILE\n", Wrap(secret.help, "      ", 100));
    }
  }
  absl::StrAppend(&out, "\nBoolean flags take --name or --name=false (also --noname). --helpfull lists Abseil's own "
                        "flags as well (--flagfile, ...).\n");
  return out;
}

std::vector<std::string> UnknownFlagErrors(const SettingsTable& table, const std::vector<char*>& normalized_argv) {
  std::vector<std::string> names;
  for (const Setting& row : table.settings) names.push_back(row.name);
  // A flag is the binary's when its table has it; Abseil's own (--flagfile, --fromenv, ...) are accepted.
  auto known = [&table](absl::string_view name) -> const absl::CommandLineFlag* {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) return nullptr;
    return IsAbseilOwn(*flag) || table.Find(name) != nullptr ? flag : nullptr;
  };
  std::vector<std::string> errors;
  for (size_t i = 1; i < normalized_argv.size(); ++i) {
    absl::string_view arg = normalized_argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    if (name.empty()) continue;
    const absl::CommandLineFlag* flag = known(name);
    if (flag != nullptr) {
      // "--topic VALUE": the next argument is this flag's value, not a flag.
      if (eq == absl::string_view::npos && !flag->IsOfType<bool>()) ++i;
      continue;
    }
    if (absl::StartsWith(name, "no")) {
      const absl::CommandLineFlag* negated = known(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>()) continue;
    }
    std::string error = absl::StrCat("unknown flag --", Dashed(name));
    if (std::string close = ClosestName(name, names); !close.empty()) {
      absl::StrAppend(&error, "; did you mean --", Dashed(close), "?");
    }
    errors.push_back(std::move(error));
  }
  return errors;
}

std::string ClosestName(absl::string_view wrong, const std::vector<std::string>& names) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& name : names) {
    const size_t d = EditDistance(wrong, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  const size_t allowed = std::max<size_t>(2, wrong.size() / 3);
  return best_distance <= allowed ? best : "";
}

}  // namespace tweetstream::control
