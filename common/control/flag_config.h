#pragma once
// A binary's configuration as the control plane sees it: the settings of its table (settings.h; each
// an absl flag with a TWEET_SOURCE_* / TWEET_SINK_* environment twin), plus the table's secrets, which
// come only from the environment or a file and are reported as set or not, never by value.
//
// Validate() and Apply() take name=value changes ("batch-max-records" or "batch_max_records"): each
// value is parsed by its flag (type errors name the field), then the binary's own check (build the
// config from the flags, run its Validate()) runs on the tentative values. Validate() always puts the
// old values back; Apply() keeps the new ones only when everything passed — a change is applied whole
// or not at all.
// Thread-safety: methods may be called from any thread; Apply/Validate are serialized.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/control/settings.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::control {

namespace v1 = ::tweetstream::connector::v1;

struct FlagConfigOptions {
  // The binary's settings (not owned; outlives the FlagConfig). Rows with Change::kStartup take
  // effect only at process start (the control plane's own address, TLS, ...): reported, never
  // changed at run time.
  const SettingsTable* settings = nullptr;
  // Whether each secret is set, reported as "<redacted>" or "". Default: the table's secrets, each
  // set when common::ReadSecret reads a non-empty value.
  std::function<std::map<std::string, bool>()> secrets;
  // The binary's check of the whole configuration as the flags stand now (builds the config from the
  // flags and validates it). Its INVALID_ARGUMENT message starts with the field: "linger: must be ...".
  std::function<absl::Status()> check;
};

class FlagConfig {
 public:
  explicit FlagConfig(FlagConfigOptions options);

  v1::Config Get() const;
  // Empty when valid; one error per bad field otherwise.
  std::vector<v1::FieldError> Validate(const std::map<std::string, std::string>& values);
  // Validates and, when valid, keeps the new values. INVALID_ARGUMENT naming every bad field otherwise.
  absl::Status Apply(const std::map<std::string, std::string>& values);

  // The secrets and whether each is set (options.secrets, or the table's).
  std::map<std::string, bool> Secrets() const;

  // "batch-max-records" -> "batch_max_records".
  static std::string NormalizeName(const std::string& name);

 private:
  std::vector<v1::FieldError> TryLocked(const std::map<std::string, std::string>& values, bool keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FlagConfigOptions options_;
  absl::Mutex mu_;
};

}  // namespace tweetstream::control
