#pragma once
// The settings both binaries share (control plane, metrics, log level), as rows of the binary's
// settings table (common/control/settings.h) bound to ConnectorProcessOptions `o`. Each binary expands
// TWEETSTREAM_CONTROL_SETTINGS with its own default ports, so the flags are that binary's (with its
// TWEET_SOURCE_* / TWEET_SINK_* environment twins). All are read once at process start.

#include "common/control/connector_process.h"
#include "common/control/settings.h"

#define TWEETSTREAM_CONTROL_SETTINGS(X, control_addr_default, metrics_addr_default)                            \
  X(std::string, log_level, "info", "", kStartup, "debug, info, warning, error",                             \
    (void)v /* ParseFlagsAndEnvironment sets the log level */)                                               \
  X(std::string, control_addr, control_addr_default, "", kStartup,                                            \
    "gRPC control plane address host:port (status, pause/resume/stop/restart, config, metrics, health, "      \
    "reflection); empty = none",                                                                              \
    o.control.address = v)                                                                                    \
  X(std::string, control_token_file, "", "", kStartup,                                                        \
    "file holding the bearer token every control call must carry (empty = no token needed)",                  \
    o.control_token_file = v)                                                                                 \
  X(std::string, control_tls_cert, "", "", kStartup,                                                          \
    "PEM certificate for TLS on the control plane (with --control-tls-key)", o.control.tls_cert_file = v)     \
  X(std::string, control_tls_key, "", "", kStartup, "PEM private key for TLS on the control plane",           \
    o.control.tls_key_file = v)                                                                               \
  X(std::string, metrics_addr, metrics_addr_default, "", kStartup,                                            \
    "Prometheus endpoint address host:port (GET /metrics); empty = none", o.metrics_addr = v)                 \
  X(bool, keep_control_plane, false, "", kStartup,                                                            \
    "stay up (STOPPED or FAILED, control plane serving) when the data plane ends, until SIGTERM/SIGINT",      \
    o.keep_control_plane = v)
