#pragma once
// A binary's configuration as the control plane sees it: the absl flags defined in its main.cc
// (each with a TWEET_SOURCE_* / TWEET_SINK_* environment twin), plus named secrets that come only
// from the environment or a file and are reported as set or not, never by value.
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
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::control {

namespace v1 = ::tweetstream::connector::v1;

struct FlagConfigOptions {
  // Flags whose definition file ends with this (e.g. "source-connector/main.cc") are the settings.
  std::string flags_file_suffix;
  // Settings that take effect only at process start (the control plane's own address, TLS, ...):
  // reported, never changed at run time.
  std::set<std::string> startup_only;
  // Secret names (e.g. "X_BEARER_TOKEN") and whether each is set: reported as "<redacted>" or "".
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

  // "batch-max-records" -> "batch_max_records".
  static std::string NormalizeName(const std::string& name);

 private:
  std::vector<v1::FieldError> TryLocked(const std::map<std::string, std::string>& values, bool keep)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FlagConfigOptions options_;
  absl::Mutex mu_;
};

}  // namespace tweetstream::control
