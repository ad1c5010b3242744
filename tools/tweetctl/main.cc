// tweetctl: the command-line control client of tweet-source and tweet-sink (their gRPC control API).
// Thin main: flags (each with a TWEETCTL_* environment twin) + the token and CA files -> Options ->
// tweetctl::Run. Exit codes: 0 ok; 1 the connector answered with an error or is not healthy/FAILED;
// 2 usage error; 3 unreachable (UNAVAILABLE / DEADLINE_EXCEEDED). See README.md.

#include <atomic>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/env_flags.h"
#include "common/secrets.h"
#include "tools/tweetctl/args.h"
#include "tools/tweetctl/client.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/tweetctl.h"

ABSL_FLAG(std::string, source, tweetstream::tweetctl::Options{}.source_address, "tweet-source's control address");
ABSL_FLAG(std::string, sink, tweetstream::tweetctl::Options{}.sink_address, "tweet-sink's control address");
ABSL_FLAG(bool, json, false, "JSON on stdout instead of tables");
ABSL_FLAG(absl::Duration, timeout, tweetstream::tweetctl::Options{}.timeout,
          "deadline of every call (stop, restart and config set wait at least 2 minutes: they flush and reconnect)");
ABSL_FLAG(std::string, token_file, "",
          "file holding the bearer token (otherwise the TWEETCTL_TOKEN environment variable); never printed");
ABSL_FLAG(std::string, tls_ca, "", "use TLS, trusting the CA certificates (PEM) in this file");
ABSL_FLAG(int64_t, count, 0, "watch: stop after this many updates (0 = until Ctrl-C or the end of the stream)");
ABSL_FLAG(absl::Duration, interval, tweetstream::tweetctl::Options{}.interval, "watch: snapshot interval");
ABSL_FLAG(bool, dry_run, false, "rules add|delete: validate only, change nothing");
ABSL_FLAG(std::string, tag, "", "rules add: the tag of the new rules");
ABSL_FLAG(std::string, listen, tweetstream::tweetctl::Options{}.listen,
          "dashboard: host:port of the web page (port 0 = any free port)");
ABSL_FLAG(std::string, to, "", "offsets reset: earliest, latest, an RFC 3339 time, or PARTITION:OFFSET,...");

namespace {

std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }  // a lock-free atomic store: async-signal-safe

int UsageError(const std::string& message) {
  std::cerr << "tweetctl: " << message << "\nRun `tweetctl --help` for the commands.\n";
  return tweetstream::tweetctl::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  namespace ctl = tweetstream::tweetctl;
  if (absl::Status s = tweetstream::common::ApplyEnvironmentToFlags("TWEETCTL"); !s.ok()) {
    return UsageError(std::string(s.message()));
  }
  std::vector<std::string> storage;
  std::vector<char*> normalized = tweetstream::common::NormalizeFlagNames(argc, argv, &storage);
  bool help = false;
  auto positional = ctl::ParseFlags(std::vector<std::string>(normalized.begin() + 1, normalized.end()), &help);
  if (!positional.ok()) return UsageError(std::string(positional.status().message()));
  if (help) {
    std::cout << ctl::UsageText();
    return ctl::kExitOk;
  }

  ctl::Options options;
  options.source_address = absl::GetFlag(FLAGS_source);
  options.sink_address = absl::GetFlag(FLAGS_sink);
  options.json = absl::GetFlag(FLAGS_json);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.count = absl::GetFlag(FLAGS_count);
  options.interval = absl::GetFlag(FLAGS_interval);
  options.dry_run = absl::GetFlag(FLAGS_dry_run);
  options.tag = absl::GetFlag(FLAGS_tag);
  options.to = absl::GetFlag(FLAGS_to);
  options.listen = absl::GetFlag(FLAGS_listen);

  // The token: --token-file (or its twin TWEETCTL_TOKEN_FILE), else TWEETCTL_TOKEN. Never printed.
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  if (!token_file.empty()) {
    auto raw = ctl::ReadSmallFile(token_file);
    if (!raw.ok()) return UsageError(absl::StrCat("--token-file: ", raw.status().message()));
    auto token = ctl::CleanToken(*raw, token_file);
    if (!token.ok()) return UsageError(std::string(token.status().message()));
    options.token = *token;
  } else if (auto raw = tweetstream::common::ReadSecret("TWEETCTL_TOKEN"); raw.ok()) {
    auto token = ctl::CleanToken(*raw, "TWEETCTL_TOKEN");
    if (!token.ok()) return UsageError(std::string(token.status().message()));
    options.token = *token;
  }
  const std::string tls_ca = absl::GetFlag(FLAGS_tls_ca);
  if (!tls_ca.empty()) {
    auto pem = ctl::ReadSmallFile(tls_ca);
    if (!pem.ok()) return UsageError(absl::StrCat("--tls-ca: ", pem.status().message()));
    if (pem->empty()) return UsageError(absl::StrCat("--tls-ca: ", tls_ca, " is empty"));
    options.tls_ca_pem = *pem;
  }

  // Only the commands that run until interrupted (watch, dashboard) end their streams cleanly on
  // Ctrl-C (exit 0). Other commands are bounded by --timeout and keep the default Ctrl-C behaviour.
  const ctl::Command* command = positional->empty() ? nullptr : ctl::FindCommand((*positional)[0]);
  if (command != nullptr && command->until_interrupted) {
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    options.interrupted = &g_interrupted;
  }
  return ctl::Run(options, *positional, std::cout, std::cerr);
}
