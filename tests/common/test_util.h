#pragma once
// Helpers shared by the tests: where the recorded fixtures are, reading files, the project's paths.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tweetstream::testing {

// The folder of recorded X API v2 responses: $TWEETSTREAM_FIXTURES, or ../shared/fixtures/x-api-v2
// beside the repository. Fails the calling test with a clear message (and returns "") when the
// folder is absent: the fixtures are never copied into the repository.
std::string FixturesDir();

// Full path of one fixture file (FixturesDir() + "/" + name).
std::string FixturePath(const std::string& name);

// Names (not paths) of the fixture files whose names end with `suffix`, sorted.
std::vector<std::string> FixtureFiles(const std::string& suffix);

// Whole file contents; NOT_FOUND with the path when it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// The repository root and the build folder (where tweet-source and tweet-sink are).
std::string SourceDir();
std::string BinaryDir();

// Environment variable or a default.
std::string EnvOr(const char* name, const std::string& fallback);

// A loopback port nothing listens on right now (bound to 127.0.0.1:0, then closed): for servers a
// test starts with a fixed address, and for "nothing listens here" cases.
int FreeLoopbackPort();

}  // namespace tweetstream::testing
