#include "common/env_flags.h"

#include <cstdlib>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tweetstream::common {

std::string EnvNameForFlag(absl::string_view prefix, absl::string_view flag_name) {
  std::string name = absl::StrCat(prefix, "_", flag_name);
  for (char& c : name) c = (c == '-') ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return name;
}

absl::Status ApplyEnvironmentToFlags(absl::string_view prefix) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string env = EnvNameForFlag(prefix, name);
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("environment variable ", env, ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::common
