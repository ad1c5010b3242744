#include "common/control/connector_process.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/time/time.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/flags/reflection.h"
#include "common/control/flag_help.h"
#include "common/env_flags.h"
#include "common/logging.h"
#include "common/metrics_http.h"

namespace tweetstream::control {
namespace {

std::atomic<bool> g_stop_requested{false};

void OnSignal(int) { g_stop_requested.store(true); }  // an atomic store: async-signal-safe

}  // namespace

int ParseFlagsAndEnvironment(const SettingsTable& settings, int argc, char** argv) {
  const char* program = settings.program.c_str();
  const char* env_prefix = settings.env_prefix.c_str();
  if (AsksForHelp(argc, argv)) {
    std::string help = FlagHelp(absl::ProgramUsageMessage(), settings);
    for (int i = 1; i < argc; ++i) {
      if (absl::string_view(argv[i]) == "--" ) break;
      if (absl::EndsWith(argv[i], "-helpfull")) {
        absl::StrAppend(&help, "\nAbseil's own flags:\n");
        for (const auto& [name, f] : absl::GetAllFlags()) {
          if (absl::StrContains(f->Filename(), "absl/")) absl::StrAppend(&help, "  --", name, "   ", f->Help(), "\n");
        }
        break;
      }
    }
    std::fputs(help.c_str(), stdout);
    std::fflush(stdout);
    std::exit(0);  // nothing has started yet
  }
  if (absl::Status s = common::ApplyEnvironmentToFlags(env_prefix); !s.ok()) {
    std::fprintf(stderr, "%s: %s\n", program, std::string(s.message()).c_str());
    return 2;
  }
  std::vector<std::string> storage;
  std::vector<char*> normalized = common::NormalizeFlagNames(argc, argv, &storage);
  if (std::vector<std::string> unknown = UnknownFlagErrors(settings, normalized); !unknown.empty()) {
    for (const std::string& error : unknown) std::fprintf(stderr, "%s: %s\n", program, error.c_str());
    std::fprintf(stderr, "%s: `%s --help` lists the flags\n", program, program);
    return 2;
  }
  absl::ParseCommandLine(static_cast<int>(normalized.size()), normalized.data());
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag("log_level");
  common::LogLevel level;
  if (flag == nullptr || !common::ParseLogLevel(flag->CurrentValue(), &level)) {
    std::fprintf(stderr, "%s: log-level: unknown level (debug, info, warning, error)\n", program);
    return 2;
  }
  common::SetMinLogLevel(level);
  return 0;
}

int RunConnectorProcess(const ConnectorProcessOptions& options, ConnectorHost* host, FlagConfig* config,
                        common::MetricsRegistry* metrics) {
  std::string token;
  if (!options.control_token_file.empty()) {
    std::ifstream in(options.control_token_file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    token = std::string(absl::StripAsciiWhitespace(buffer.str()));
    if (!in || token.empty()) {
      TS_LOG(ERROR) << "control-token-file: cannot read a token from '" << options.control_token_file << "'";
      return 2;
    }
  }
  ControlAuth auth(token);
  std::vector<std::unique_ptr<grpc::Service>> services;
  if (options.services) services = options.services(&auth);
  std::vector<grpc::Service*> raw;
  for (auto& s : services) raw.push_back(s.get());

  std::unique_ptr<ControlServer> server;
  if (!options.control.address.empty()) {
    auto started = ControlServer::Start(options.control, host, config, metrics, &auth, raw);
    if (!started.ok()) {
      TS_LOG(ERROR) << started.status().message();
      return absl::IsInvalidArgument(started.status()) ? 2 : 1;
    }
    server = std::move(*started);
  }
  std::unique_ptr<common::MetricsHttpServer> metrics_server;
  if (!options.metrics_addr.empty()) {
    auto started = common::MetricsHttpServer::Start(options.metrics_addr, metrics);
    if (!started.ok()) {
      TS_LOG(ERROR) << "metrics: " << started.status().message();
      return absl::IsInvalidArgument(started.status()) ? 2 : 1;
    }
    metrics_server = std::move(*started);
    TS_LOG(INFO) << "metrics on http://" << options.metrics_addr << "/metrics (port " << metrics_server->port() << ")";
  }

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);  // a client hanging up mid-answer must not kill the connector
  absl::Status start = host->Start();
  if (!start.ok()) {
    TS_LOG(ERROR) << "cannot start: " << start.message();
    if (!options.keep_control_plane) return absl::IsInvalidArgument(start) ? 2 : 1;
  }
  // Wait for a signal, or for the data plane to end by itself (unless the control plane stays).
  uint64_t generation = host->generation();
  while (!g_stop_requested.load()) {
    if (!options.keep_control_plane && host->Finished()) break;
    generation = host->WaitForChange(generation, absl::Milliseconds(200));
  }
  absl::Status result;
  const bool finished = host->Finished(&result);
  if (g_stop_requested.load()) TS_LOG(INFO) << "stop requested; finishing what is in flight";
  // Ends the data plane cleanly (flush, commit) when it still runs; metrics and control stay up until then.
  (void)host->Stop();  // OK or already STOPPED: it cannot fail
  if (options.summary) options.summary();
  server.reset();
  metrics_server.reset();
  if (finished && !result.ok()) return 1;
  return 0;
}

}  // namespace tweetstream::control
