#include "common/env_flags.h"

#include <algorithm>
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

absl::Status ParseKeyValues(const std::vector<std::string>& items, absl::string_view flag_name,
                            std::map<std::string, std::string>* out) {
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(flag_name, ": '", item, "' is not key=value"));
    }
    (*out)[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return absl::OkStatus();
}

std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>* storage) {
  storage->assign(argv, argv + argc);
  bool flags_done = false;
  for (size_t i = 1; i < storage->size(); ++i) {
    std::string& arg = (*storage)[i];
    if (arg == "--") flags_done = true;  // before the length check: "--" is 2 characters
    if (flags_done || arg.size() < 3 || arg[0] != '-') continue;
    const size_t start = arg[1] == '-' ? 2 : 1;
    const size_t end = std::min(arg.find('='), arg.size());
    for (size_t j = start; j < end; ++j) {
      if (arg[j] == '-') arg[j] = '_';
    }
  }
  std::vector<char*> out;
  for (std::string& arg : *storage) out.push_back(arg.data());
  return out;
}

}  // namespace tweetstream::common
