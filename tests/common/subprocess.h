#pragma once
// Runs one of the project's binaries as a child process, the way a user would, with a bounded wait.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tweetstream::testing {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal or on timeout
  bool timed_out = false;
  std::string out;      // stdout
  std::string err;      // stderr
};

// Runs argv[0] with arguments argv[1..], its environment = ours plus `env` (a value of "\x01UNSET"
// removes the variable). Kills it (SIGKILL) after `timeout`. Never blocks longer than that.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout);

// Path of a binary in the build tree: BinaryDir() + "/source-connector/tweet-source" etc.
std::string SourceBinary();
std::string SinkBinary();

}  // namespace tweetstream::testing
