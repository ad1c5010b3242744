// tweet-sink: consumes tweets from Kafka and bulk-indexes them into Elasticsearch.
// Thin main: flags (each with a TWEET_SINK_* environment twin) -> SinkConfig -> SinkApp.
// Exit codes: 0 clean stop (signal, or idle with --exit-when-idle); 1 a runtime failure; 2 invalid
// configuration.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/env_flags.h"
#include "common/logging.h"
#include "common/secrets.h"
#include "common/status_macros.h"
#include "common/control/connector_process.h"
#include "common/control/control_flags.h"
#include "sink-connector/sink_control.h"
#include "sink-connector/sink_app.h"

ABSL_FLAG(std::string, name, "tweet-sink", "connector instance name (Kafka client id)");
ABSL_FLAG(std::string, bootstrap_servers, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, topic, "twitter-stream", "Kafka topic to consume");
ABSL_FLAG(std::string, group_id, "tweet-sink", "Kafka consumer group");
ABSL_FLAG(std::string, start_from, "earliest", "where a new group starts: earliest or latest");
ABSL_FLAG(std::vector<std::string>, es_url, {"http://127.0.0.1:9200"},
          "Elasticsearch base URLs, comma-separated (failover in order); credentials come from ES_USERNAME/"
          "ES_PASSWORD or ES_API_KEY, never from here");
ABSL_FLAG(std::vector<std::string>, consumer_property, {},
          "extra librdkafka consumer properties, comma-separated key=value (e.g. session.timeout.ms=10000)");
ABSL_FLAG(std::string, dlq_topic, "twitter-stream-dlq",
          "dead-letter topic for records that can never be indexed (empty = log and skip them)");
ABSL_FLAG(std::string, index, "twitter",
          "Elasticsearch index or alias to write to, or a date pattern on created_at, e.g. twitter-%Y.%m.%d");
ABSL_FLAG(std::string, template_name, "", "index template name (default tweetstream-<index>)");
ABSL_FLAG(int, batch_max_records, 2000, "a bulk request closes at this many records");
ABSL_FLAG(int64_t, batch_max_bytes, 5 * 1024 * 1024, "... or at this many bytes");
ABSL_FLAG(absl::Duration, linger, absl::Seconds(1), "... or after waiting this long for records");
ABSL_FLAG(bool, send_when_idle, true,
          "... or at once when nothing more waits in the consumer and a bulk slot is free (false: wait for a bound)");
ABSL_FLAG(int, max_in_flight, 2, "bulk requests sent concurrently");
ABSL_FLAG(int64_t, max_pending_records, 0,
          "records in flight at which the partitions are paused (0 = 4 x batch-max-records)");
ABSL_FLAG(int64_t, max_pending_bytes, 64 * 1024 * 1024,
          "bytes in flight (record values and rendered documents) at which the partitions are paused");
ABSL_FLAG(int, max_item_retries, 10,
          "an item failing with the same item-level 5xx this many times is dead-lettered (429 is never capped)");
ABSL_FLAG(bool, dead_letter_unknown_errors, false,
          "dead-letter items refused with an error type the sink does not know (default: hold and retry them)");
ABSL_FLAG(absl::Duration, retry_backoff_initial, absl::Milliseconds(500), "first retry delay after a failed bulk");
ABSL_FLAG(absl::Duration, retry_backoff_max, absl::Seconds(30), "retry delay cap");
ABSL_FLAG(absl::Duration, es_timeout, absl::Seconds(60), "deadline of one Elasticsearch request");
ABSL_FLAG(bool, es_gzip, false, "gzip the bulk request bodies");
ABSL_FLAG(std::string, es_ca_file, "", "CA bundle for https:// Elasticsearch URLs (verification is always on)");
ABSL_FLAG(absl::Duration, es_wait_timeout, absl::Seconds(60), "how long to wait for Elasticsearch at start");
ABSL_FLAG(absl::Duration, kafka_timeout, absl::Seconds(30), "how long to wait for a Kafka broker at start");
ABSL_FLAG(absl::Duration, revoke_timeout, absl::Seconds(10),
          "at a rebalance, how long to wait for in-flight bulks of revoked partitions");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(30), "at SIGTERM/SIGINT, how long to finish in-flight bulks");
ABSL_FLAG(absl::Duration, exit_when_idle, absl::ZeroDuration(),
          "exit 0 once nothing arrived and nothing was in flight for this long (0 = run until SIGTERM/SIGINT)");
ABSL_FLAG(std::string, status_file, "", "write the status (state, counters, last errors) as JSON here every second");
TWEETSTREAM_CONTROL_FLAGS("127.0.0.1:50052", "127.0.0.1:9402");

namespace {

// Reads an optional secret into `out`; INVALID_ARGUMENT when it is configured but unreadable.
absl::Status OptionalSecret(const char* name, std::string* out) {
  auto value = tweetstream::common::ReadSecret(name);
  if (value.ok()) {
    *out = *value;
    return absl::OkStatus();
  }
  const std::string file_var = std::string(name) + "_FILE";
  if (absl::IsNotFound(value.status()) && std::getenv(file_var.c_str()) == nullptr) return absl::OkStatus();
  return absl::InvalidArgumentError(value.status().message());
}

// The configuration as the flags (and secrets) stand now, validated. Called at start and by the
// control plane (UpdateConfig, Restart), so a restart picks up rotated secret files too.
absl::StatusOr<tweetstream::sink::SinkConfig> ConfigFromFlags() {
  tweetstream::sink::SinkConfig config;
  config.name = absl::GetFlag(FLAGS_name);
  config.bootstrap_servers = absl::GetFlag(FLAGS_bootstrap_servers);
  config.topic = absl::GetFlag(FLAGS_topic);
  config.group_id = absl::GetFlag(FLAGS_group_id);
  config.start_from = absl::GetFlag(FLAGS_start_from);
  config.es.urls = absl::GetFlag(FLAGS_es_url);
  config.es.timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_es_timeout));
  config.es.gzip = absl::GetFlag(FLAGS_es_gzip);
  config.es.ca_file = absl::GetFlag(FLAGS_es_ca_file);
  config.dlq_topic = absl::GetFlag(FLAGS_dlq_topic);
  TS_RETURN_IF_ERROR(tweetstream::common::ParseKeyValues(absl::GetFlag(FLAGS_consumer_property), "consumer-property",
                                                         &config.consumer_properties));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_USERNAME", &config.es.username));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_PASSWORD", &config.es.password));
  TS_RETURN_IF_ERROR(OptionalSecret("ES_API_KEY", &config.es.api_key));
  config.index = absl::GetFlag(FLAGS_index);
  config.template_name = absl::GetFlag(FLAGS_template_name);
  config.batch_max_records = absl::GetFlag(FLAGS_batch_max_records);
  config.batch_max_bytes = absl::GetFlag(FLAGS_batch_max_bytes);
  config.linger = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_linger));
  config.send_when_idle = absl::GetFlag(FLAGS_send_when_idle);
  config.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  config.max_pending_records = absl::GetFlag(FLAGS_max_pending_records);
  config.max_pending_bytes = absl::GetFlag(FLAGS_max_pending_bytes);
  config.max_item_retries = absl::GetFlag(FLAGS_max_item_retries);
  config.dead_letter_unknown_errors = absl::GetFlag(FLAGS_dead_letter_unknown_errors);
  config.revoke_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_revoke_timeout));
  config.shutdown_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_shutdown_timeout));
  config.status_file = absl::GetFlag(FLAGS_status_file);
  config.retry_backoff_initial = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_retry_backoff_initial));
  config.retry_backoff_max = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_retry_backoff_max));
  config.es_wait_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_es_wait_timeout));
  config.kafka_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_kafka_timeout));
  config.exit_when_idle = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_exit_when_idle));
  TS_RETURN_IF_ERROR(config.Validate());
  return config;
}

bool SecretSet(const char* name) {
  std::string value;
  return OptionalSecret(name, &value).ok() && !value.empty();
}

}  // namespace

int main(int argc, char** argv) {
  namespace control = tweetstream::control;
  absl::SetProgramUsageMessage(
      "tweet-sink [--es-url=URL,...] [--index=twitter] [--topic=twitter-stream]\n"
      "Every flag can also be set as TWEET_SINK_<FLAG> in the environment, e.g. TWEET_SINK_ES_URL.");
  if (int code = control::ParseFlagsAndEnvironment("tweet-sink", "TWEET_SINK", argc, argv); code != 0) return code;

  auto config = ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "tweet-sink: invalid configuration: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  tweetstream::common::MetricsRegistry metrics;
  tweetstream::sink::DeadLetterLedger ledger;
  tweetstream::common::RdKafkaAdmin kafka_admin("tweet-sink-admin");  // one Kafka client for probe and control
  tweetstream::sink::SinkProbe probe(ConfigFromFlags, &kafka_admin);
  control::ConnectorHost host(
      {config->name, "sink", TWEETSTREAM_VERSION, [&probe](tweetstream::connector::v1::ConnectorStatus* s) { probe.Fill(s); }},
      [&metrics, &ledger]() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
        auto c = ConfigFromFlags();
        if (!c.ok()) return c.status();
        c->metrics = &metrics;
        c->on_dead_letter = [&ledger](const std::string& error_class, const std::string& message) {
          ledger.Record(error_class, message);
        };
        auto app = tweetstream::sink::SinkApp::Create(*c);
        if (!app.ok()) return app.status();
        TS_LOG(INFO) << "tweet-sink " << TWEETSTREAM_VERSION << " running: topic=" << c->topic << " group=" << c->group_id
                     << " index=" << c->index;
        return std::make_unique<tweetstream::sink::SinkDataPlane>(std::move(*app));
      });
  tweetstream::sink::RegisterSinkMetrics(&host, &probe, &metrics);
  control::FlagConfig flag_config({
      .flags_file_suffix = "sink-connector/main.cc",
      .startup_only = control::StartupOnlyFlags(),
      .secrets = [] {
        return std::map<std::string, bool>{{"ES_USERNAME", SecretSet("ES_USERNAME")},
                                           {"ES_PASSWORD", SecretSet("ES_PASSWORD")},
                                           {"ES_API_KEY", SecretSet("ES_API_KEY")}};
      },
      .check = [] { return ConfigFromFlags().status(); },
  });

  control::ConnectorProcessOptions options = ControlOptionsFromFlags("tweet-sink");
  options.services = [&host, &ledger, &kafka_admin](const control::ControlAuth* auth) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(
        std::make_unique<tweetstream::sink::SinkControlService>(&host, ConfigFromFlags, &ledger, auth, &kafka_admin));
    return services;
  };
  options.summary = [&host] {
    const tweetstream::connector::v1::Counters c = host.Counters();
    std::printf(
        "tweet-sink: consumed %lld records; indexed %lld, deleted %lld, dead-lettered %lld (rejected %lld, "
        "undecodable %lld); %lld bulk requests, %lld retries\n",
        static_cast<long long>(c.read()), static_cast<long long>(c.indexed()), static_cast<long long>(c.deleted()),
        static_cast<long long>(c.dead_lettered()), static_cast<long long>(c.failed()),
        static_cast<long long>(c.skipped()), static_cast<long long>(c.requests()), static_cast<long long>(c.retried()));
    std::fflush(stdout);
  };
  return control::RunConnectorProcess(options, &host, &flag_config, &metrics);
}
