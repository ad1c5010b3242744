#pragma once
// What both binaries' main() do once their configuration is valid: serve the control plane (gRPC) and
// the metrics endpoint, start the data plane through the ConnectorHost, wait for SIGTERM/SIGINT or
// for the data plane to end by itself, stop cleanly and say how it went.
//
// Exit codes: 0 the data plane ended cleanly (input exhausted, or stopped by a signal after a clean
// flush/commit); 1 a runtime failure (the data plane failed; the control or metrics address cannot
// be bound); 2 invalid configuration found at start. With `keep_control_plane` the process stays up
// after its data plane ended or failed (STOPPED/FAILED, health NOT_SERVING when FAILED) until a
// signal, so an operator can look, change the configuration and Restart.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "common/control/flag_config.h"
#include "common/control/settings.h"
#include "common/metrics.h"

namespace tweetstream::control {

struct ConnectorProcessOptions {
  std::string program;              // "tweet-source", for messages
  ControlServerOptions control;     // empty address = no control plane
  std::string control_token_file;   // the bearer token, read once at start (empty = none)
  std::string metrics_addr;         // empty = no /metrics endpoint
  bool keep_control_plane = false;
  // The kind's own services (SourceControl / SinkControl), given the auth check they must apply.
  std::function<std::vector<std::unique_ptr<grpc::Service>>(const ControlAuth* auth)> services;
  // Prints the final summary line (after the data plane stopped).
  std::function<void()> summary;
};

// Applies the environment twins (the table's env_prefix, e.g. "TWEET_SINK"), parses the command line (dashes
// in flag names accepted) and sets the log level from --log-level. --help prints the binary's flags
// (flag_help.h) and exits 0. 0 to go on; otherwise the exit code (2) after printing why (a flag the
// binary does not have, with "did you mean"; an environment twin that does not parse).
int ParseFlagsAndEnvironment(const SettingsTable& settings, int argc, char** argv);

int RunConnectorProcess(const ConnectorProcessOptions& options, ConnectorHost* host, FlagConfig* config,
                        common::MetricsRegistry* metrics);

}  // namespace tweetstream::control
