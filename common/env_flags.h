#pragma once
// Every flag has an environment-variable twin: --batch-max-records on tweet-sink can also be set as
// TWEET_SINK_BATCH_MAX_RECORDS. The command line wins over the environment.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tweetstream::common {

// The environment variable for `flag_name` under `prefix`: ("TWEET_SINK", "es_url") -> "TWEET_SINK_ES_URL".
std::string EnvNameForFlag(absl::string_view prefix, absl::string_view flag_name);

// Sets every registered flag whose twin variable is set in the environment. Call it from main()
// BEFORE absl::ParseCommandLine, so that command-line values override it. INVALID_ARGUMENT naming
// the variable when a value does not parse.
absl::Status ApplyEnvironmentToFlags(absl::string_view prefix);

// Parses `key=value` items (e.g. of --consumer-property); INVALID_ARGUMENT naming `flag_name` and the
// item that has no `=` or an empty key.
absl::Status ParseKeyValues(const std::vector<std::string>& items, absl::string_view flag_name,
                            std::map<std::string, std::string>* out);

// Abseil names flags with underscores; users type dashes (`--replay-file`, `--es-url`). Returns argv
// with the name part of every `--flag[=value]` argument spelled with underscores (values untouched,
// nothing after a bare `--`), for absl::ParseCommandLine. `storage` owns the strings.
std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>* storage);

}  // namespace tweetstream::common
