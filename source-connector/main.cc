// tweet-source: reads tweets from the X API v2 (or recorded responses) and produces them to Kafka.
// Thin main: flags (each with a TWEET_SOURCE_* environment twin) -> SourceConfig -> SourceApp.
// Exit codes: 0 everything read was delivered; 1 a runtime failure; 2 invalid configuration.

#include <cstdio>
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
#include "source-connector/source_control.h"
#include "absl/strings/str_cat.h"
#include "source-connector/source_app.h"

ABSL_FLAG(std::string, mode, "replay",
          "replay (recorded X API responses), search (GET /2/tweets/search/recent), stream (the filtered stream) "
          "or synthetic (generated tweets, no token needed)");
ABSL_FLAG(std::string, rule, "", "stream: a filtered-stream rule, e.g. '#kafka lang:en -is:retweet'");
ABSL_FLAG(std::string, rule_tag, "", "stream: the tag of --rule");
ABSL_FLAG(std::string, rules_file, "",
          "stream: a file of rules, one per line: 'value' or 'value<TAB>tag'; # comments and blank lines ignored");
ABSL_FLAG(bool, sync_rules, true, "stream: make the stream's rules exactly --rule + --rules-file at start");
ABSL_FLAG(int, backfill_minutes, 0, "stream: minutes (1..5) X redelivers after a disconnect (needs Enterprise access)");
ABSL_FLAG(absl::Duration, stream_idle_timeout, absl::Seconds(25),
          "stream: a connection silent this long (not even a keep-alive) is dead and reopened");
ABSL_FLAG(absl::Duration, stream_recovery_delay, absl::Seconds(60),
          "stream: after a (re)connect whose missing window backfill does not cover (a cut, an outage, a restart), "
          "recent search recovers it this long after the connect (recent search hides its last ~30 s)");
ABSL_FLAG(int, stream_recovery_max_pages, 100,
          "stream: at most this many recent-search pages (100 tweets each) per rule and recovery; the older rest "
          "is reported as a gap");
ABSL_FLAG(int64_t, stream_queue_bytes, int64_t{64} << 20,
          "stream: bound of the queue between the socket and the Kafka producer; when full the socket is not "
          "read (X may cut a slow reader: that window is recovered)");
ABSL_FLAG(uint64_t, seed, 1, "synthetic: the generator's seed (same seed, same tweets)");
ABSL_FLAG(int64_t, count, 0, "synthetic: how many tweets (0 = until SIGTERM/SIGINT)");
ABSL_FLAG(bool, synthetic_live, false,
          "synthetic: created_at is the wall clock (for live dashboards) instead of the seed's timeline from 2024-06-01");
ABSL_FLAG(std::vector<std::string>, replay_file, {},
          "replay: comma-separated files or directories of recorded X API v2 responses (pages, lookups, stream captures)");
ABSL_FLAG(double, rate, 0, "replay: tweets per second (0 = as fast as possible)");
ABSL_FLAG(bool, loop, false, "replay: start again from the first file at the end (until SIGTERM/SIGINT)");
ABSL_FLAG(std::string, query, "", "search: the X search query, e.g. '#kafka -is:retweet lang:en'");
ABSL_FLAG(int, max_results, 100, "search: tweets per page (10..100)");
ABSL_FLAG(int, max_pages, 0,
          "search: at most this many pages per poll (0 = follow next_token to the end); the older pages are kept "
          "in the cursor and read by the next polls before the cursor moves on");
ABSL_FLAG(std::string, start_time, "",
          "search: oldest tweet time of the first poll, RFC 3339; used only until a cursor exists (one older than "
          "X's 7-day window starts at the window's edge, and the gap is reported)");
ABSL_FLAG(absl::Duration, initial_lookback, absl::Hours(1),
          "search: without a cursor and without --start-time, the first poll reads this far back (at most 168h); "
          "every tweet read counts toward X's usage cap");
ABSL_FLAG(absl::Duration, poll_interval, absl::ZeroDuration(),
          "search: time between polls (each continues after the newest tweet delivered); 0 = one poll, then exit");
ABSL_FLAG(int, max_polls, 0, "search: stop after this many polls (0 = until SIGTERM/SIGINT)");
ABSL_FLAG(std::string, cursor_topic, "twitter-stream-source-offsets",
          "compacted Kafka topic holding the newest delivered tweet id per connector and query (empty = none)");
ABSL_FLAG(std::string, status_file, "", "write the status (state, counters, cursor, rate limit, last errors) as JSON here");
ABSL_FLAG(std::string, x_api_base_url, "https://api.x.com", "X API base URL");
ABSL_FLAG(std::string, tweet_fields, tweetstream::source::XFieldSelection{}.tweet_fields, "tweet.fields to request");
ABSL_FLAG(std::string, expansions, tweetstream::source::XFieldSelection{}.expansions, "expansions to request");
ABSL_FLAG(std::string, user_fields, tweetstream::source::XFieldSelection{}.user_fields, "user.fields to request");
ABSL_FLAG(std::string, media_fields, tweetstream::source::XFieldSelection{}.media_fields, "media.fields to request");
ABSL_FLAG(std::string, place_fields, tweetstream::source::XFieldSelection{}.place_fields, "place.fields to request");
ABSL_FLAG(std::string, poll_fields, tweetstream::source::XFieldSelection{}.poll_fields, "poll.fields to request");
ABSL_FLAG(absl::Duration, x_api_timeout, absl::Seconds(30), "deadline of one X API request");
ABSL_FLAG(std::string, name, "tweet-source", "connector instance name (stamped into every record)");
ABSL_FLAG(std::string, bootstrap_servers, "127.0.0.1:9092", "Kafka bootstrap servers");
ABSL_FLAG(std::string, topic, "twitter-stream", "Kafka topic to produce to");
ABSL_FLAG(int, partitions, 3, "partitions of the topic when it has to be created");
ABSL_FLAG(int, replication_factor, -1,
          "replication factor of the topic (and the cursor topic) when it has to be created; -1 = the broker's "
          "default.replication.factor");
ABSL_FLAG(absl::Duration, kafka_timeout, absl::Seconds(30),
          "how long to wait for the broker at start and for outstanding deliveries at the end");
ABSL_FLAG(std::string, compression, "zstd", "producer compression: zstd, lz4, snappy, gzip, none");
ABSL_FLAG(int, linger_ms, 20, "producer linger (ms): wait this long to fill a batch");
ABSL_FLAG(int, batch_size, 1 << 20, "producer batch size (bytes) per partition");
ABSL_FLAG(int, queue_max_messages, 100000,
          "producer queue bound (records): a full queue slows the reader instead of growing memory");
ABSL_FLAG(std::vector<std::string>, producer_property, {},
          "extra librdkafka producer properties, comma-separated key=value (idempotence and acks=all stay on)");
ABSL_FLAG(std::string, value_format, "plain",
          "record values: plain (a serialized tweetstream.tweet.v1.TweetEnvelope) or confluent-protobuf (Confluent's "
          "Schema Registry wire format: magic byte, schema id, message index, then the same bytes)");
ABSL_FLAG(std::string, schema_registry_url, "",
          "confluent-protobuf: schema registry (Confluent REST API) to register tweet.proto with, under <topic>-value");
ABSL_FLAG(int64_t, value_schema_id, 0,
          "confluent-protobuf without a registry: the schema id to write (tweet.proto registered by other means)");
TWEETSTREAM_CONTROL_FLAGS("127.0.0.1:50051", "127.0.0.1:9401");

namespace {

// The configuration as the flags (and the token) stand now, validated. Called at start and by the
// control plane (UpdateConfig, Restart), so a restart picks up a rotated token file too.
absl::StatusOr<tweetstream::source::SourceConfig> ConfigFromFlags() {
  tweetstream::source::SourceConfig config;
  config.name = absl::GetFlag(FLAGS_name);
  config.mode = absl::GetFlag(FLAGS_mode);
  config.replay_files = absl::GetFlag(FLAGS_replay_file);
  config.query = absl::GetFlag(FLAGS_query);
  config.max_results = absl::GetFlag(FLAGS_max_results);
  config.max_pages = absl::GetFlag(FLAGS_max_pages);
  config.start_time = absl::GetFlag(FLAGS_start_time);
  config.initial_lookback = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_initial_lookback));
  config.poll_interval = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_poll_interval));
  config.max_polls = absl::GetFlag(FLAGS_max_polls);
  config.cursor_topic = absl::GetFlag(FLAGS_cursor_topic);
  config.status_file = absl::GetFlag(FLAGS_status_file);
  config.x_api.base_url = absl::GetFlag(FLAGS_x_api_base_url);
  config.x_api.timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_x_api_timeout));
  config.x_api.fields = {absl::GetFlag(FLAGS_tweet_fields), absl::GetFlag(FLAGS_expansions),
                         absl::GetFlag(FLAGS_user_fields),  absl::GetFlag(FLAGS_media_fields),
                         absl::GetFlag(FLAGS_place_fields), absl::GetFlag(FLAGS_poll_fields)};
  config.seed = absl::GetFlag(FLAGS_seed);
  config.count = absl::GetFlag(FLAGS_count);
  config.synthetic_live = absl::GetFlag(FLAGS_synthetic_live);
  config.sync_rules = absl::GetFlag(FLAGS_sync_rules);
  config.stream.backfill_minutes = absl::GetFlag(FLAGS_backfill_minutes);
  config.stream.idle_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_stream_idle_timeout));
  config.stream_recovery.delay = absl::GetFlag(FLAGS_stream_recovery_delay);
  config.stream_recovery.max_pages = absl::GetFlag(FLAGS_stream_recovery_max_pages);
  if (absl::GetFlag(FLAGS_stream_queue_bytes) <= 0) {
    return absl::InvalidArgumentError("stream-queue-bytes: must be positive");
  }
  config.stream_queue_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_stream_queue_bytes));
  if (!absl::GetFlag(FLAGS_rule).empty()) config.rules.push_back({absl::GetFlag(FLAGS_rule), absl::GetFlag(FLAGS_rule_tag)});
  if (!absl::GetFlag(FLAGS_rules_file).empty()) {
    auto rules = tweetstream::source::LoadRulesFile(absl::GetFlag(FLAGS_rules_file));
    if (!rules.ok()) return absl::InvalidArgumentError(absl::StrCat("rules-file: ", rules.status().message()));
    config.rules.insert(config.rules.end(), rules->begin(), rules->end());
  }
  if (config.mode == "search" || config.mode == "stream") {
    auto token = tweetstream::common::ReadSecret("X_BEARER_TOKEN");
    if (token.ok()) config.x_api.bearer_token = *token;
    else if (!absl::IsNotFound(token.status()) || std::getenv("X_BEARER_TOKEN_FILE") != nullptr) {
      return absl::InvalidArgumentError(token.status().message());
    }
  }
  config.bootstrap_servers = absl::GetFlag(FLAGS_bootstrap_servers);
  config.topic = absl::GetFlag(FLAGS_topic);
  config.partitions = absl::GetFlag(FLAGS_partitions);
  config.replication_factor = absl::GetFlag(FLAGS_replication_factor);
  config.kafka_timeout = absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_kafka_timeout));
  config.producer.compression = absl::GetFlag(FLAGS_compression);
  config.producer.linger_ms = absl::GetFlag(FLAGS_linger_ms);
  config.producer.batch_size_bytes = absl::GetFlag(FLAGS_batch_size);
  config.producer.queue_max_messages = absl::GetFlag(FLAGS_queue_max_messages);
  TS_RETURN_IF_ERROR(tweetstream::common::ParseKeyValues(absl::GetFlag(FLAGS_producer_property), "producer-property",
                                                         &config.producer.extra));
  for (const char* fixed : {"enable.idempotence", "acks"}) {
    if (config.producer.extra.count(fixed)) {
      return absl::InvalidArgumentError(absl::StrCat("producer-property: ", fixed, " cannot be changed (delivery guarantees)"));
    }
  }
  config.value_format = absl::GetFlag(FLAGS_value_format);
  config.schema_registry_url = absl::GetFlag(FLAGS_schema_registry_url);
  config.value_schema_id = absl::GetFlag(FLAGS_value_schema_id);
  config.rate = absl::GetFlag(FLAGS_rate);
  config.loop = absl::GetFlag(FLAGS_loop);

  TS_RETURN_IF_ERROR(config.Validate());
  return config;
}

bool TokenSet() {
  auto token = tweetstream::common::ReadSecret("X_BEARER_TOKEN");
  return token.ok() && !token->empty();
}

}  // namespace

int main(int argc, char** argv) {
  namespace control = tweetstream::control;
  absl::SetProgramUsageMessage(
      "tweet-source [--topic=twitter-stream] [--bootstrap-servers=HOST:PORT,...] MODE, where MODE is one of\n"
      "  --mode=replay --replay-file=PATH,...   recorded X API v2 responses (no token)\n"
      "  --mode=search --query=Q                recent search, polled (X_BEARER_TOKEN in the environment)\n"
      "  --mode=stream --rule=R                 the filtered stream with its rules (X_BEARER_TOKEN)\n"
      "  --mode=synthetic [--count=N]           generated tweets (no token)\n"
      "Every flag can also be set as TWEET_SOURCE_<FLAG> in the environment, e.g. TWEET_SOURCE_TOPIC.");
  if (int code = control::ParseFlagsAndEnvironment("tweet-source", "TWEET_SOURCE", argc, argv); code != 0) return code;

  auto config = ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "tweet-source: invalid configuration: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  tweetstream::common::MetricsRegistry metrics;
  control::ConnectorHost host({config->name, "source", TWEETSTREAM_VERSION, nullptr},
                              [&metrics]() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
                                auto c = ConfigFromFlags();
                                if (!c.ok()) return c.status();
                                c->metrics = &metrics;
                                auto app = tweetstream::source::SourceApp::Create(*c);
                                if (!app.ok()) return app.status();
                                TS_LOG(INFO) << "tweet-source " << TWEETSTREAM_VERSION << " running: mode=" << c->mode
                                             << " topic=" << c->topic << " brokers=" << c->bootstrap_servers;
                                return std::make_unique<tweetstream::source::SourceDataPlane>(std::move(*app));
                              });
  tweetstream::source::RegisterSourceMetrics(&host, &metrics);
  control::FlagConfig flag_config({
      .flags_file_suffix = "source-connector/main.cc",
      .startup_only = control::StartupOnlyFlags(),
      .secrets = [] { return std::map<std::string, bool>{{"X_BEARER_TOKEN", TokenSet()}}; },
      .check = [] { return ConfigFromFlags().status(); },
  });

  control::ConnectorProcessOptions options = ControlOptionsFromFlags("tweet-source");
  tweetstream::common::RdKafkaAdmin kafka_admin("tweet-source-admin");  // one Kafka client for the control plane
  options.services = [&host, &kafka_admin](const control::ControlAuth* auth) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(
        std::make_unique<tweetstream::source::SourceControlService>(&host, ConfigFromFlags, auth, &kafka_admin));
    return services;
  };
  options.summary = [&host] {
    const tweetstream::connector::v1::ConnectorStatus s = host.Status(false);
    const tweetstream::connector::v1::Counters& c = s.counters();
    std::printf("tweet-source: read %lld tweets; delivered %lld, failed %lld; skipped %lld bad record(s); "
                "%lld API partial error(s); %lld X API request(s)\n",
                static_cast<long long>(c.read()), static_cast<long long>(c.produced()),
                static_cast<long long>(c.failed()), static_cast<long long>(c.skipped()),
                static_cast<long long>(s.source().api_problems()), static_cast<long long>(c.requests()));
    std::fflush(stdout);
  };
  return control::RunConnectorProcess(options, &host, &flag_config, &metrics);
}
