#pragma once
// Files: secrets read from the environment or a file, and files written atomically (status files).
// Secrets (the X bearer token, Elasticsearch credentials) come only from the environment or a file,
// never from a flag value (flags show up in `ps` and shell history) and never appear in logs.

#include <string>

#include "absl/status/statusor.h"

namespace tweetstream::common {

// Reads a secret: the environment variable `env_name` if set and non-empty; otherwise the file named
// by the environment variable `env_name` + "_FILE" (trailing newline stripped). NOT_FOUND when neither
// is set (the message names both variables, never a value); NOT_FOUND/PERMISSION_DENIED naming the
// file when it cannot be read.
absl::StatusOr<std::string> ReadSecret(const std::string& env_name);

// Writes `content` to `path` atomically (a temporary file beside it, then rename): a reader never
// sees a half-written file. UNAVAILABLE naming the path when it cannot be written.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace tweetstream::common
