#include "common/control/settings.h"

#include "absl/flags/reflection.h"
#include "common/control/flag_config.h"

namespace tweetstream::control {

const Setting* SettingsTable::Find(absl::string_view name) const {
  const std::string normalized = FlagConfig::NormalizeName(std::string(name));
  for (const Setting& s : settings) {
    if (s.name == normalized) return &s;
  }
  return nullptr;
}

absl::CommandLineFlag* SettingsTable::FlagOf(const Setting& setting) {
  return absl::FindCommandLineFlag(setting.name);
}

}  // namespace tweetstream::control
