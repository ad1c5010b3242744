#include "tools/tweetctl/tweetctl.h"

#include "absl/strings/str_cat.h"
#include "tools/tweetctl/command.h"
#include "tools/tweetctl/commands.h"

namespace tweetstream::tweetctl {

absl::Status Options::Validate() const {
  if (source_address.empty()) return absl::InvalidArgumentError("--source: empty address");
  if (sink_address.empty()) return absl::InvalidArgumentError("--sink: empty address");
  if (timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("--timeout must be positive, e.g. 10s");
  if (interval < absl::Milliseconds(100)) return absl::InvalidArgumentError("--interval must be at least 100ms");
  if (count < 0) return absl::InvalidArgumentError("--count must be 0 (no limit) or positive");
  if (listen.empty()) return absl::InvalidArgumentError("--listen: empty address");
  return absl::OkStatus();
}

std::string UsageText() {
  return absl::StrCat(R"(tweetctl: control tweet-source and tweet-sink over their gRPC control API.

usage: tweetctl [--source ADDR] [--sink ADDR] [--json] [--timeout 10s] [--token-file F] [--tls-ca F]
                <command> [args]

commands:
)",
                      CommandList(), R"(
flags (each also read from the environment, e.g. TWEETCTL_SINK=host:port; the command line wins):
  --source ADDR      tweet-source's control address (default 127.0.0.1:50051)
  --sink ADDR        tweet-sink's control address (default 127.0.0.1:50052)
  --json             JSON on stdout (proto field names; 64-bit integers as strings, as the protobuf
                     JSON mapping prints them); diagnostics always go to stderr
  --timeout D        deadline of every call, e.g. 500ms, 10s (watch: the longest wait for an update
                     beyond --interval; stop, restart and config set wait at least 2 minutes)
  --token-file F     file holding the bearer token; otherwise TWEETCTL_TOKEN. Sent as
                     `authorization: Bearer <token>`, never printed
  --tls-ca F         use TLS, trusting the CA certificates (PEM) in F
  --listen ADDR      dashboard: where the page is served (default 127.0.0.1:8088; no authentication,
                     so keep it on loopback or behind a proxy that has some)
  Use `--` before rule values that start with '-': tweetctl rules add -- '-is:retweet #kafka'

exit codes:
  0  ok
  1  the connector answered with an error, or is not healthy / FAILED (or a validation failed)
  2  usage error: unknown command, bad argument, unreadable token or CA file
  3  unreachable: UNAVAILABLE or DEADLINE_EXCEEDED (nothing answered in time)
  With several connectors the worst applies (2 > 3 > 1 > 0).
)");
}

int Run(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (absl::Status s = options.Validate(); !s.ok()) {
    err << "tweetctl: " << s.message() << "\nRun `tweetctl --help` for the commands.\n";
    return kExitUsage;
  }
  Context ctx(options, out, err);
  if (args.empty()) return ctx.Usage("no command given");
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) return ctx.Usage(absl::StrCat("unknown command '", args[0], "'"));
  return command->run(ctx, args);
}

}  // namespace tweetstream::tweetctl
