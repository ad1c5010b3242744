#include "common/control/flag_config.h"

#include <algorithm>
#include <utility>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/env_flags.h"
#include "common/secrets.h"

namespace tweetstream::control {

FlagConfig::FlagConfig(FlagConfigOptions options) : options_(std::move(options)) {}

std::map<std::string, bool> FlagConfig::Secrets() const {
  if (options_.secrets) return options_.secrets();
  std::map<std::string, bool> out;
  for (const Secret& secret : options_.settings->secrets) {
    auto value = common::ReadSecret(secret.name);
    out[secret.name] = value.ok() && !value->empty();
  }
  return out;
}

std::string FlagConfig::NormalizeName(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

v1::Config FlagConfig::Get() const {
  std::vector<const Setting*> rows;
  for (const Setting& row : options_.settings->settings) rows.push_back(&row);
  std::sort(rows.begin(), rows.end(), [](const Setting* a, const Setting* b) { return a->name < b->name; });
  v1::Config config;
  for (const Setting* row : rows) {
    const absl::CommandLineFlag* flag = SettingsTable::FlagOf(*row);
    if (flag == nullptr) continue;  // a row without a flag: settings_test fails on it
    v1::ConfigSetting* s = config.add_settings();
    s->set_name(row->name);
    s->set_value(flag->CurrentValue());
    s->set_default_value(flag->DefaultValue());
    s->set_description(row->group.empty() ? flag->Help() : absl::StrCat(row->group, ": ", flag->Help()));
    s->set_group(row->group);
    s->set_startup_only(row->change == Change::kStartup);
    s->set_env(common::EnvNameForFlag(options_.settings->env_prefix, row->name));
  }
  for (const auto& [name, set] : Secrets()) {
    v1::ConfigSetting* s = config.add_settings();
    s->set_name(name);
    s->set_value(set ? "<redacted>" : "");
    s->set_secret(true);
    s->set_env(name);
    std::string help;
    for (const Secret& secret : options_.settings->secrets) {
      if (secret.name == name) help = absl::StrCat(secret.help, "; ");
    }
    s->set_description(absl::StrCat(help, "secret: from the environment variable ", name, " or the file named by ",
                                    name, "_FILE; never shown"));
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
  for (const auto& [name, set] : Secrets()) secret_names.insert(name);
  // Parse every value with its flag, remembering the old values to put back.
  std::vector<std::pair<absl::CommandLineFlag*, std::string>> old_values;
  for (const auto& [raw_name, value] : values) {
    const std::string name = NormalizeName(raw_name);
    if (secret_names.count(raw_name) > 0) {
      add_error(raw_name, "is a secret: set it in the environment or its _FILE, not through the control plane");
      continue;
    }
    const Setting* row = options_.settings->Find(name);
    absl::CommandLineFlag* flag = row == nullptr ? nullptr : SettingsTable::FlagOf(*row);
    if (flag == nullptr) {
      add_error(name, "unknown setting");
      continue;
    }
    if (row->change == Change::kStartup) {
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
