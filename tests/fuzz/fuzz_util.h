#pragma once
// Helpers shared by the libFuzzer targets of this folder.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "common/logging.h"

namespace tweetstream::fuzz {

// A disagreement with the oracle is a finding like a crash: say what, then abort so that libFuzzer
// saves the input (crash-<sha1>) and the run fails.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "\n*** fuzz oracle: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void Check(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

// The code under test logs each bad input at WARNING; at thousands of inputs a second that is noise.
inline void QuietLogs() { common::SetMinLogLevel(common::LogLevel::kError); }

inline absl::string_view AsView(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace tweetstream::fuzz
