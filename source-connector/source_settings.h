#pragma once
// tweet-source's settings: the one table (source_settings.cc) from which its flags, their
// environment twins (TWEET_SOURCE_<NAME>), --help, GetConfig/UpdateConfig and the SourceConfig are
// derived. Adding a setting: a row there, the field in SourceConfig (source_app.h), and the README's
// configuration table (tests/docs/docs_test.py fails until the README names it).

#include "absl/status/statusor.h"
#include "common/control/connector_process.h"
#include "common/control/settings.h"
#include "source-connector/source_app.h"

namespace tweetstream::source {

// Every setting of tweet-source (its own and the control plane's), and its secret X_BEARER_TOKEN.
const control::SettingsTable& SourceSettings();

// The configuration as the flags (and the token) stand now, validated (INVALID_ARGUMENT "field: why").
// Called at start and by the control plane (UpdateConfig, Restart), so a restart picks up a rotated
// token file too.
absl::StatusOr<SourceConfig> SourceConfigFromFlags();

// The control plane's and metrics endpoint's settings as the flags stand (read once at start).
control::ConnectorProcessOptions SourceProcessOptions();

}  // namespace tweetstream::source
