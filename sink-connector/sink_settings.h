#pragma once
// tweet-sink's settings: the one table (sink_settings.cc) from which its flags, their environment
// twins (TWEET_SINK_<NAME>), --help, GetConfig/UpdateConfig and the SinkConfig are derived. Adding a
// setting: a row there, the field in SinkConfig (sink_config.h), and the README's configuration table
// (tests/docs/docs_test.py fails until the README names it).

#include "absl/status/statusor.h"
#include "common/control/connector_process.h"
#include "common/control/settings.h"
#include "sink-connector/sink_config.h"

namespace tweetstream::sink {

// Every setting of tweet-sink (its own and the control plane's), and its secrets (ES_USERNAME,
// ES_PASSWORD, ES_API_KEY).
const control::SettingsTable& SinkSettings();

// The configuration as the flags (and secrets) stand now, validated (INVALID_ARGUMENT "field: why").
// Called at start and by the control plane (UpdateConfig, Restart), so a restart picks up rotated
// secret files too.
absl::StatusOr<SinkConfig> SinkConfigFromFlags();

// The control plane's and metrics endpoint's settings as the flags stand (read once at start).
control::ConnectorProcessOptions SinkProcessOptions();

}  // namespace tweetstream::sink
