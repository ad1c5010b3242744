#pragma once
// The flags both binaries share (control plane, metrics, log level). Each main.cc expands
// TWEETSTREAM_CONTROL_FLAGS at namespace scope with its own default ports, so the flags belong to
// that binary's settings (FlagConfig lists the flags of its main.cc) and keep their TWEET_SOURCE_* /
// TWEET_SINK_* environment twins. The expansion also defines ControlOptionsFromFlags() in an
// anonymous namespace: the ConnectorProcessOptions those flags describe.

#include <set>
#include <string>

#include "absl/flags/flag.h"
#include "common/control/connector_process.h"

#define TWEETSTREAM_CONTROL_FLAGS(control_addr_default, metrics_addr_default)                                 \
  ABSL_FLAG(std::string, log_level, "info", "debug, info, warning, error");                                  \
  ABSL_FLAG(std::string, control_addr, control_addr_default,                                                 \
            "gRPC control plane address host:port (status, pause/resume/stop/restart, config, metrics, "    \
            "health, reflection); empty = none");                                                            \
  ABSL_FLAG(std::string, control_token_file, "",                                                             \
            "file holding the bearer token every control call must carry (empty = no token needed)");       \
  ABSL_FLAG(std::string, control_tls_cert, "",                                                               \
            "PEM certificate for TLS on the control plane (with --control-tls-key)");                        \
  ABSL_FLAG(std::string, control_tls_key, "", "PEM private key for TLS on the control plane");               \
  ABSL_FLAG(std::string, metrics_addr, metrics_addr_default,                                                 \
            "Prometheus endpoint address host:port (GET /metrics); empty = none");                           \
  ABSL_FLAG(bool, keep_control_plane, false,                                                                 \
            "stay up (STOPPED or FAILED, control plane serving) when the data plane ends, until SIGTERM/SIGINT"); \
  namespace {                                                                                                \
  ::tweetstream::control::ConnectorProcessOptions ControlOptionsFromFlags(const char* program) {            \
    ::tweetstream::control::ConnectorProcessOptions options;                                                 \
    options.program = program;                                                                               \
    options.control.address = absl::GetFlag(FLAGS_control_addr);                                            \
    options.control.tls_cert_file = absl::GetFlag(FLAGS_control_tls_cert);                                  \
    options.control.tls_key_file = absl::GetFlag(FLAGS_control_tls_key);                                    \
    options.control_token_file = absl::GetFlag(FLAGS_control_token_file);                                   \
    options.metrics_addr = absl::GetFlag(FLAGS_metrics_addr);                                               \
    options.keep_control_plane = absl::GetFlag(FLAGS_keep_control_plane);                                   \
    return options;                                                                                          \
  }                                                                                                          \
  }  // namespace

namespace tweetstream::control {

// The shared flags that take effect only at process start (FlagConfigOptions::startup_only).
inline std::set<std::string> StartupOnlyFlags() {
  return {"control_addr", "control_token_file", "control_tls_cert", "control_tls_key",
          "metrics_addr", "keep_control_plane", "log_level"};
}

}  // namespace tweetstream::control
