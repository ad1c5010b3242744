#include "sink-connector/sink_settings.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/control/control_settings.h"
#include "common/env_flags.h"
#include "common/secrets.h"
#include "common/status_macros.h"

// The table. X(TYPE, NAME, DEFAULT, GROUP, CHANGE, HELP, how the value `v` lands in SinkConfig `c`):
// see common/control/settings.h. --help and GetConfig list the rows by group, then by name.
#define TWEET_SINK_SETTINGS(X)                                                                                 \
  X(std::string, name, "tweet-sink", "", kLive, "connector instance name (Kafka client id)", c.name = v)       \
  X(std::string, status_file, "", "", kLive,                                                                   \
    "write the status (state, counters, last errors) as JSON here every second", c.status_file = v)            \
  /* Kafka */                                                                                                  \
  X(std::string, bootstrap_servers, "127.0.0.1:9092", "", kLive, "Kafka bootstrap servers",                    \
    c.bootstrap_servers = v)                                                                                   \
  X(std::string, topic, "twitter-stream", "", kLive, "Kafka topic to consume", c.topic = v)                    \
  X(std::string, group_id, "tweet-sink", "", kLive, "Kafka consumer group", c.group_id = v)                    \
  X(std::string, start_from, "earliest", "", kLive, "where a new group starts: earliest or latest",            \
    c.start_from = v)                                                                                          \
  X(std::vector<std::string>, consumer_property, {}, "", kLive,                                                \
    "extra librdkafka consumer properties, comma-separated key=value (e.g. session.timeout.ms=10000)",         \
    TS_RETURN_IF_ERROR(common::ParseKeyValues(v, "consumer-property", &c.consumer_properties)))                \
  X(std::string, dlq_topic, "twitter-stream-dlq", "", kLive,                                                   \
    "dead-letter topic for records that can never be indexed (empty = log and skip them)", c.dlq_topic = v)    \
  X(absl::Duration, kafka_timeout, absl::Seconds(30), "", kLive, "how long to wait for a Kafka broker at start", \
    c.kafka_timeout = absl::ToChronoMilliseconds(v))                                                           \
  X(absl::Duration, revoke_timeout, absl::Seconds(10), "", kLive,                                              \
    "at a rebalance, how long to wait for in-flight bulks of revoked partitions",                              \
    c.revoke_timeout = absl::ToChronoMilliseconds(v))                                                          \
  /* Elasticsearch */                                                                                          \
  X(std::vector<std::string>, es_url, {"http://127.0.0.1:9200"}, "", kLive,                                    \
    "Elasticsearch base URLs, comma-separated (failover in order); credentials come from ES_USERNAME/"         \
    "ES_PASSWORD or ES_API_KEY, never from here",                                                              \
    c.es.urls = v)                                                                                             \
  X(absl::Duration, es_timeout, absl::Seconds(60), "", kLive, "deadline of one Elasticsearch request",         \
    c.es.timeout = absl::ToChronoMilliseconds(v))                                                              \
  X(bool, es_gzip, false, "", kLive, "gzip the bulk request bodies", c.es.gzip = v)                            \
  X(std::string, es_ca_file, "", "", kLive,                                                                    \
    "CA bundle for https:// Elasticsearch URLs (verification is always on)", c.es.ca_file = v)                 \
  X(absl::Duration, es_wait_timeout, absl::Seconds(60), "", kLive, "how long to wait for Elasticsearch at start", \
    c.es_wait_timeout = absl::ToChronoMilliseconds(v))                                                         \
  X(std::string, index, "twitter", "", kLive,                                                                  \
    "Elasticsearch index or alias to write to, or a date pattern on created_at, e.g. twitter-%Y.%m.%d",        \
    c.index = v)                                                                                               \
  X(std::string, template_name, "", "", kLive, "index template name (default tweetstream-<index>)",            \
    c.template_name = v)                                                                                       \
  /* Bulk requests */                                                                                          \
  X(int, batch_max_records, 2000, "", kLive, "a bulk request closes at this many records",                     \
    c.batch_max_records = v)                                                                                   \
  X(int64_t, batch_max_bytes, 5 * 1024 * 1024, "", kLive, "... or at this many bytes", c.batch_max_bytes = v)  \
  X(absl::Duration, linger, absl::Seconds(1), "", kLive, "... or after waiting this long for records",         \
    c.linger = absl::ToChronoMilliseconds(v))                                                                  \
  X(bool, send_when_idle, true, "", kLive,                                                                     \
    "... or at once when nothing more waits in the consumer and a bulk slot is free (false: wait for a bound)", \
    c.send_when_idle = v)                                                                                      \
  X(int, max_in_flight, 2, "", kLive, "bulk requests sent concurrently", c.max_in_flight = v)                  \
  X(int64_t, max_pending_records, 0, "", kLive,                                                                \
    "records in flight at which the partitions are paused (0 = 4 x batch-max-records)",                        \
    c.max_pending_records = v)                                                                                 \
  X(int64_t, max_pending_bytes, 64 * 1024 * 1024, "", kLive,                                                   \
    "bytes in flight (record values and rendered documents) at which the partitions are paused",               \
    c.max_pending_bytes = v)                                                                                   \
  X(int, max_item_retries, 10, "", kLive,                                                                      \
    "an item failing with the same item-level 5xx this many times is dead-lettered (429 is never capped)",     \
    c.max_item_retries = v)                                                                                    \
  X(bool, dead_letter_unknown_errors, false, "", kLive,                                                        \
    "dead-letter items refused with an error type the sink does not know (default: hold and retry them)",      \
    c.dead_letter_unknown_errors = v)                                                                          \
  X(absl::Duration, retry_backoff_initial, absl::Milliseconds(500), "", kLive,                                 \
    "first retry delay after a failed bulk", c.retry_backoff_initial = absl::ToChronoMilliseconds(v))          \
  X(absl::Duration, retry_backoff_max, absl::Seconds(30), "", kLive, "retry delay cap",                        \
    c.retry_backoff_max = absl::ToChronoMilliseconds(v))                                                       \
  /* Stopping */                                                                                               \
  X(absl::Duration, shutdown_timeout, absl::Seconds(30), "", kLive,                                            \
    "at SIGTERM/SIGINT, how long to finish in-flight bulks", c.shutdown_timeout = absl::ToChronoMilliseconds(v)) \
  X(absl::Duration, exit_when_idle, absl::ZeroDuration(), "", kLive,                                           \
    "exit 0 once nothing arrived and nothing was in flight for this long (0 = run until SIGTERM/SIGINT)",      \
    c.exit_when_idle = absl::ToChronoMilliseconds(v))

TWEET_SINK_SETTINGS(TS_SETTING_FLAG)
TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_FLAG, "127.0.0.1:50052", "127.0.0.1:9402")

namespace tweetstream::sink {
namespace {

// Reads an optional secret into `out`; INVALID_ARGUMENT when it is configured but unreadable.
absl::Status OptionalSecret(const char* name, std::string* out) {
  auto value = common::ReadSecret(name);
  if (value.ok()) {
    *out = *value;
    return absl::OkStatus();
  }
  const std::string file_var = std::string(name) + "_FILE";
  if (absl::IsNotFound(value.status()) && std::getenv(file_var.c_str()) == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(value.status().message());
}

absl::Status BindSettings(SinkConfig& c) {
  TWEET_SINK_SETTINGS(TS_SETTING_BIND)
  return absl::OkStatus();
}

}  // namespace

const control::SettingsTable& SinkSettings() {
  static const control::SettingsTable* const table = new control::SettingsTable{
      .program = "tweet-sink",
      .env_prefix = "TWEET_SINK",
      .settings = {TWEET_SINK_SETTINGS(TS_SETTING_ROW)
                       TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_ROW, "127.0.0.1:50052", "127.0.0.1:9402")},
      .secrets = {{"ES_USERNAME", "Elasticsearch basic-auth user (with ES_PASSWORD)"},
                  {"ES_PASSWORD", "Elasticsearch basic-auth password"},
                  {"ES_API_KEY", "Elasticsearch API key (instead of ES_USERNAME + ES_PASSWORD)"}},
  };
  return *table;
}

absl::StatusOr<SinkConfig> SinkConfigFromFlags() {
  SinkConfig c;
  TS_RETURN_IF_ERROR(BindSettings(c));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_USERNAME", &c.es.username));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_PASSWORD", &c.es.password));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_API_KEY", &c.es.api_key));
  TS_RETURN_IF_ERROR(c.Validate());
  return c;
}

control::ConnectorProcessOptions SinkProcessOptions() {
  control::ConnectorProcessOptions o;
  o.program = "tweet-sink";
  TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_BIND, "", "")
  return o;
}

}  // namespace tweetstream::sink
