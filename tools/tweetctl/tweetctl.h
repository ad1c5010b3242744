#pragma once
// tweetctl's commands, as a library: main.cc parses flags into Options and calls Run(); the tests
// drive the built binary. Every call has a deadline (Options::timeout); results go to `out`
// (valid JSON only, with Options::json), diagnostics and hints to `err`. Returns an ExitCode
// (client.h): 0 ok, 1 the connector answered with an error or is not healthy/FAILED, 2 usage,
// 3 unreachable.

#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace tweetstream::tweetctl {

struct Options {
  std::string source_address = "127.0.0.1:50051";  // tweet-source's --control-addr
  std::string sink_address = "127.0.0.1:50052";    // tweet-sink's --control-addr
  bool json = false;                               // JSON on stdout instead of tables
  absl::Duration timeout = absl::Seconds(10);      // deadline of each call (watch: of each update)
  std::string token;                               // bearer token ("" = none); never printed
  std::string tls_ca_pem;                          // CA bundle (PEM); non-empty = TLS channels

  // Command options.
  int64_t count = 0;                           // watch: stop after this many updates (0 = no limit)
  absl::Duration interval = absl::Seconds(5);  // watch: snapshot interval asked of the server
  bool dry_run = false;                        // rules add|delete: validate, change nothing
  std::string tag;                             // rules add: the tag of the new rules
  std::string to;                              // offsets reset: earliest|latest|RFC3339|P:OFFSET,...
  std::string listen = "127.0.0.1:8088";       // dashboard: host:port of the web page (0 = any port)

  // watch and dashboard stop (exit 0) when this becomes true (main sets it on SIGINT/SIGTERM). May be null.
  const std::atomic<bool>* interrupted = nullptr;

  // INVALID_ARGUMENT naming the option: empty address, non-positive timeout/interval, negative count.
  absl::Status Validate() const;
};

// Runs one command; `args` are the positional arguments, e.g. {"offsets", "reset"}.
int Run(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The --help text: synopsis, commands, flags, environment, exit codes.
std::string UsageText();

}  // namespace tweetstream::tweetctl
