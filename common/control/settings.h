#pragma once
// A binary's settings, declared once. Each binary keeps one list of rows (source-connector/
// source_settings.h, sink-connector/sink_settings.h), one row per setting:
//
//   X(TYPE, NAME, DEFAULT, GROUP, CHANGE, HELP, BIND...)
//
//   TYPE, NAME, DEFAULT, HELP  the absl flag (--NAME, also spelt with dashes) and its environment twin
//                              <PREFIX>_<NAME>, upper case;
//   GROUP                      "" (general) or the mode the setting belongs to ("search", "stream", ...):
//                              where --help lists it, and the "search: " GetConfig puts before its help;
//   CHANGE                     kLive (UpdateConfig may change it; the data plane restarts with it) or
//                              kStartup (read once at process start: reported, never changed at run time);
//   BIND...                    statements that carry the value `v` (a `const TYPE`) into the struct the
//                              list is bound to (`c`), with the setting's own checks: they may
//                              `return absl::InvalidArgumentError("name: why")`.
//
// From that list the binary's .cc derives, with the macros below: the flags (TS_SETTING_FLAG), the
// table FlagConfig, --help and "did you mean" read (TS_SETTING_ROW: name, group, change), and the
// function that builds the config struct from the flags (TS_SETTING_BIND). The README's configuration
// tables are checked against --help by tests/docs/docs_test.py. Secrets are never flags: the table
// names them, and they are read from the environment or <NAME>_FILE (common/secrets.h).

#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/strings/string_view.h"

namespace tweetstream::control {

enum class Change {
  kLive,     // UpdateConfig may change it: the data plane restarts with the new value
  kStartup,  // read once at process start (addresses, TLS, log level): never changed at run time
};

struct Setting {
  std::string name;   // the flag's name, with underscores: "poll_interval"
  std::string group;  // "" = general; else the mode it belongs to: "search"
  Change change = Change::kLive;
};

struct Secret {
  std::string name;  // "X_BEARER_TOKEN": from the environment, or the file named by X_BEARER_TOKEN_FILE
  std::string help;  // what it is for
};

struct SettingsTable {
  std::string program;     // "tweet-source"
  std::string env_prefix;  // "TWEET_SOURCE": every flag's environment twin is TWEET_SOURCE_<NAME>
  std::vector<Setting> settings;
  std::vector<Secret> secrets;

  // The row of `name` (underscores or dashes), or nullptr when the binary has no such setting.
  const Setting* Find(absl::string_view name) const;
  // The registered flag of a row; nullptr only if the row names no flag (a programming error that
  // tests/common/settings_test.cc and each binary's settings test catch).
  static absl::CommandLineFlag* FlagOf(const Setting& setting);
};

}  // namespace tweetstream::control

// The three expansions of a row. A binary's settings .cc writes, at namespace scope:
//   TWEET_SOURCE_SETTINGS(TS_SETTING_FLAG)                       -> the ABSL_FLAGs
// and inside functions:
//   std::vector<Setting> rows = {TWEET_SOURCE_SETTINGS(TS_SETTING_ROW)};
//   TWEET_SOURCE_SETTINGS(TS_SETTING_BIND)   (with `c` the config struct; returns absl::Status on error)
#define TS_SETTING_FLAG(type, name, default_value, group, change, help, ...) \
  ABSL_FLAG(type, name, default_value, help);
#define TS_SETTING_ROW(type, name, default_value, group, change, help, ...) \
  ::tweetstream::control::Setting{#name, group, ::tweetstream::control::Change::change},
#define TS_SETTING_BIND(type, name, default_value, group, change, help, ...) \
  {                                                                         \
    [[maybe_unused]] const type v = ::absl::GetFlag(FLAGS_##name);          \
    __VA_ARGS__;                                                            \
  }
