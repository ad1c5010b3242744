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

// A child process running in the background, its output going to files (no pipe to fill up).
class ChildProcess {
 public:
  // Starts argv with our environment plus `env` (see RunProcess). pid() < 0 when it could not start.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ChildProcess();  // SIGKILLs a child that is still running
  int pid() const { return pid_; }
  bool Running();
  void Signal(int signal);
  // Waits up to `timeout` for the exit; the result holds the output so far.
  ProcessResult Wait(std::chrono::milliseconds timeout);
  std::string Stderr() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_, err_path_;
};

// Path of a binary in the build tree: BinaryDir() + "/source-connector/tweet-source" etc.
std::string SourceBinary();
std::string SinkBinary();

}  // namespace tweetstream::testing
