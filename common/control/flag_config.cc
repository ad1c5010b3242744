#include "common/control/flag_config.h"

#include <algorithm>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tweetstream::control {
namespace {

bool Owned(const absl::CommandLineFlag& flag, const std::string& suffix) {
  return absl::EndsWith(flag.Filename(), suffix);
}

}  // namespace

FlagConfig::FlagConfig(FlagConfigOptions options) : options_(std::move(options)) {}

std::string FlagConfig::NormalizeName(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

v1::Config FlagConfig::Get() const {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (Owned(*flag, options_.flags_file_suffix)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) { return a->Name() < b->Name(); });
  v1::Config config;
  for (const absl::CommandLineFlag* flag : flags) {
    v1::ConfigSetting* s = config.add_settings();
    s->set_name(std::string(flag->Name()));
    s->set_value(flag->CurrentValue());
    s->set_default_value(flag->DefaultValue());
    s->set_description(flag->Help());
  }
  if (options_.secrets) {
    for (const auto& [name, set] : options_.secrets()) {
      v1::ConfigSetting* s = config.add_settings();
      s->set_name(name);
      s->set_value(set ? "<redacted>" : "");
      s->set_secret(true);
      s->set_description(absl::StrCat("secret: from the environment variable ", name, " or the file named by ", name,
                                      "_FILE; never shown"));
    }
  }
  return config;
}

std::vector<v1::FieldError> FlagConfig::TryLocked(const std::map<std::string, std::string>& values, bool keep) {
  std::vector<v1::FieldError> errors;
  auto add_error = [&errors](std::string field, std::string message) {
    v1::FieldError e;
    e.set_field(std::move(field));
    e.set_message(std::move(message));
    errors.push_back(std::move(e));
  };
  if (values.empty()) {
    add_error("", "no settings given");
    return errors;
  }
  std::set<std::string> secret_names;
  if (options_.secrets) {
    for (const auto& [name, set] : options_.secrets()) secret_names.insert(name);
  }
  // Parse every value with its flag, remembering the old values to put back.
  std::vector<std::pair<absl::CommandLineFlag*, std::string>> old_values;
  for (const auto& [raw_name, value] : values) {
    const std::string name = NormalizeName(raw_name);
    if (secret_names.count(raw_name) > 0) {
      add_error(raw_name, "is a secret: set it in the environment or its _FILE, not through the control plane");
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr || !Owned(*flag, options_.flags_file_suffix)) {
      add_error(name, "unknown setting");
      continue;
    }
    if (options_.startup_only.count(name) > 0) {
      add_error(name, "takes effect only at process start: set the flag or environment variable and restart the process");
      continue;
    }
    std::string old = flag->CurrentValue();
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      add_error(name, absl::StrCat("'", value, "': ", error));
      continue;
    }
    old_values.emplace_back(flag, std::move(old));
  }
  if (errors.empty() && options_.check) {
    absl::Status s = options_.check();
    if (!s.ok()) {
      std::string message(s.message());
      size_t colon = message.find(": ");
      if (colon != std::string::npos && message.find(' ') > colon) {
        add_error(NormalizeName(message.substr(0, colon)), message.substr(colon + 2));
      } else {
        add_error("", message);
      }
    }
  }
  if (!errors.empty() || !keep) {
    for (auto it = old_values.rbegin(); it != old_values.rend(); ++it) {
      std::string ignored;
      it->first->ParseFrom(it->second, &ignored);
    }
  }
  return errors;
}

std::vector<v1::FieldError> FlagConfig::Validate(const std::map<std::string, std::string>& values) {
  absl::MutexLock lock(&mu_);
  return TryLocked(values, /*keep=*/false);
}

absl::Status FlagConfig::Apply(const std::map<std::string, std::string>& values) {
  absl::MutexLock lock(&mu_);
  std::vector<v1::FieldError> errors = TryLocked(values, /*keep=*/true);
  if (errors.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& e : errors) parts.push_back(e.field().empty() ? e.message() : absl::StrCat(e.field(), ": ", e.message()));
  return absl::InvalidArgumentError(absl::StrCat("invalid configuration, nothing changed: ", absl::StrJoin(parts, "; ")));
}

}  // namespace tweetstream::control
