// The control plane's config parsing: UpdateConfig's name=value pairs through FlagConfig
// (common/control/flag_config.h) over tweet-sink's own settings table and its own configuration check
// (SinkSettings, SinkConfigFromFlags + SinkConfig::Validate, in sink-connector/sink_settings.cc: the
// real definitions, as the binary links them).
//
// Input: lines "name=value" (the first '=' splits; a later line with the same name replaces the
// earlier). A name "@N" picks the N-th setting of the binary (mod their number), so that the fuzzer
// reaches every flag without a dictionary. Oracles, for any pairs:
//  * Validate() changes nothing (every value as before);
//  * Apply() agrees with Validate() (refused exactly when Validate reported an error), and a refused
//    Apply changes nothing (applied whole or not at all);
//  * after an accepted Apply the configuration check passes.
// The flags are put back to their defaults after each input.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/control/flag_config.h"
#include "sink-connector/sink_settings.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tweetstream::fuzz::Check;

std::map<std::string, std::string> Values(const tweetstream::control::FlagConfig& config) {
  std::map<std::string, std::string> out;
  const tweetstream::connector::v1::Config got = config.Get();
  for (const auto& s : got.settings()) out[s.name()] = s.value();
  return out;
}

tweetstream::control::FlagConfig& Config() {
  static auto* config = new tweetstream::control::FlagConfig({
      .settings = &tweetstream::sink::SinkSettings(),
      .secrets = nullptr,  // the table's
      .check = [] { return tweetstream::sink::SinkConfigFromFlags().status(); },
  });
  return *config;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tweetstream::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tweetstream::control::FlagConfig& config = Config();
  static const auto* defaults = new std::map<std::string, std::string>(Values(config));
  std::vector<std::string> names;
  for (const auto& [name, value] : *defaults) {
    if (name.rfind("ES_", 0) != 0) names.push_back(name);  // not the secrets
  }
  Check(names.size() > 20, "tweet-sink's flags are not linked in");

  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(tweetstream::fuzz::AsView(data, size), '\n')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    uint32_t n = 0;
    if (kv.first.size() > 1 && kv.first[0] == '@' && absl::SimpleAtoi(kv.first.substr(1), &n)) {
      kv.first = names[n % names.size()];
    }
    values[kv.first] = kv.second;
  }

  const std::map<std::string, std::string> before = Values(config);
  const std::vector<tweetstream::connector::v1::FieldError> errors = config.Validate(values);
  Check(Values(config) == before, "Validate() changed a setting");
  const absl::Status applied = config.Apply(values);
  Check(applied.ok() == errors.empty(),
        absl::StrCat("Apply: ", applied.ToString(), " but Validate found ", errors.size(), " errors"));
  if (!applied.ok()) {
    Check(Values(config) == before, "a refused Apply changed a setting");
  } else {
    const auto checked = tweetstream::sink::SinkConfigFromFlags();
    Check(checked.ok(), absl::StrCat("accepted, yet the configuration check fails: ", checked.status().ToString()));
  }
  // Back to the defaults for the next input.
  for (const std::string& name : names) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    Check(flag != nullptr && flag->ParseFrom(defaults->at(name), &error), "cannot restore " + name + ": " + error);
  }
  Check(Values(config) == *defaults, "the defaults did not come back");
  return 0;
}
