#pragma once
// What every tweetctl command is run with: the endpoints, the call deadline, output format, token
// and TLS, and each command's own options (main.cc fills them from the flags; Options::Validate is
// in tweetctl.cc).

#include <atomic>
#include <cstdint>
#include <string>

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

}  // namespace tweetstream::tweetctl
