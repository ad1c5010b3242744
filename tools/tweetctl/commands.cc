#include "tools/tweetctl/commands.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tweetstream::tweetctl {

namespace {

constexpr size_t kHelpColumn = 41;  // where a command's help starts in --help

int Help(Context& ctx, const Args&) {
  ctx.out() << UsageText();
  return kExitOk;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands = [] {
    auto* all = new std::vector<Command>;
    for (auto group : {StatusCommands, LifecycleCommands, ConfigCommands, SourceCommands, SinkCommands,
                       MetricsCommands, DashboardCommands}) {
      for (Command& c : group()) all->push_back(std::move(c));
    }
    all->push_back({"help", Help, {}});
    return all;
  }();
  return *commands;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string CommandList() {
  std::string text;
  const UsageLine* previous = nullptr;
  for (const Command& c : Commands()) {
    for (const UsageLine& line : c.usage) {
      if (previous != nullptr && previous->synopsis == line.synopsis && previous->help == line.help) continue;
      previous = &line;
      text += "  " + line.synopsis;
      if (line.help.empty()) {
        text += '\n';
        continue;
      }
      bool first = true;
      if (2 + line.synopsis.size() + 2 > kHelpColumn) {  // no room for two spaces before the help
        text += '\n';
        first = false;
      }
      for (absl::string_view help_line : absl::StrSplit(line.help, '\n')) {
        const size_t at = first ? 2 + line.synopsis.size() : 0;
        text += std::string(kHelpColumn - at, ' ');
        text.append(help_line.data(), help_line.size());
        text += '\n';
        first = false;
      }
    }
  }
  return text;
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

}  // namespace tweetstream::tweetctl
