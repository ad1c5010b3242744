#include "tests/common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/common/test_util.h"

extern char** environ;

namespace tweetstream::testing {

std::string SourceBinary() { return BinaryDir() + "/source-connector/tweet-source"; }
std::string SinkBinary() { return BinaryDir() + "/sink-connector/tweet-sink"; }

namespace {

std::vector<std::string> EnvStrings(const std::map<std::string, std::string>& env) {
  // Tests run many connectors at once: their control plane and metrics endpoint bind any free port
  // unless a test asks for a fixed one (in `env` or on the command line).
  std::map<std::string, std::string> merged = {
      {"TWEET_SOURCE_CONTROL_ADDR", "127.0.0.1:0"},
      {"TWEET_SOURCE_METRICS_ADDR", "127.0.0.1:0"},
      {"TWEET_SINK_CONTROL_ADDR", "127.0.0.1:0"},
      {"TWEET_SINK_METRICS_ADDR", "127.0.0.1:0"},
  };
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq != nullptr) merged[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : env) {
    if (v == "\x01UNSET") merged.erase(k);
    else merged[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

std::string Slurp(const std::string& path) {
  auto content = ReadFile(path);
  return content.ok() ? *content : std::string();
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  char tmpl[] = "/tmp/tweetstream-child-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) return;
  out_path_ = std::string(dir) + "/stdout";
  err_path_ = std::string(dir) + "/stderr";
  std::vector<std::string> env_strings = EnvStrings(env);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || reaped_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0 && !reaped_) kill(pid_, signal);
}

std::string ChildProcess::Stderr() const { return Slurp(err_path_); }

ProcessResult ChildProcess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result;
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  while (Running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  if (!reaped_) {
    result.timed_out = true;
  } else if (WIFEXITED(status_)) {
    result.exit_code = WEXITSTATUS(status_);
  }
  result.out = Slurp(out_path_);
  result.err = Slurp(err_path_);
  return result;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout) {
  ProcessResult result;
  std::vector<std::string> env_strings = EnvStrings(env);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(std::min<int64_t>(left_ms, 1000))) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) close(fd.fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

}  // namespace tweetstream::testing
