#pragma once
// What a connector says about its flags: `--help` (the README's spelling: dashed names, grouped by the
// mode they belong to, each with its default and environment twin; exit 0) and the answer to a flag
// it does not have ("did you mean", exit 2). The binary's flags and their groups (the mode each
// belongs to, or general) are its settings table's (settings.h).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/control/settings.h"

namespace tweetstream::control {

// Whether the arguments ask for help: --help, -h, -help, --helpfull, --helpshort (before a bare `--`).
bool AsksForHelp(int argc, char** argv);

// The help text: `usage`, then the table's flags by group, each with its default and environment twin
// (<env_prefix>_<FLAG>), then its secrets.
std::string FlagHelp(absl::string_view usage, const SettingsTable& table);

// For each `--name[=value]` argument (names already spelt with underscores, as NormalizeFlagNames
// leaves them) that is no flag of the binary (its table, or Abseil's own: --flagfile, ...): "unknown
// flag --name-x; did you mean --name?" (the suggestion when one is close). Empty when every flag is
// known.
std::vector<std::string> UnknownFlagErrors(const SettingsTable& table, const std::vector<char*>& normalized_argv);

// The flag among `names` closest to `wrong` by edit distance, when it is close enough to be a typo
// (at most 2 edits, or a third of the name); "" otherwise.
std::string ClosestName(absl::string_view wrong, const std::vector<std::string>& names);

}  // namespace tweetstream::control
