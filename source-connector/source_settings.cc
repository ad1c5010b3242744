#include "source-connector/source_settings.h"

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
#include "source-connector/stream_rules.h"

// The table. X(TYPE, NAME, DEFAULT, GROUP, CHANGE, HELP, how the value `v` lands in SourceConfig `c`):
// see common/control/settings.h. --help and GetConfig list the rows by group, then by name.
#define TWEET_SOURCE_SETTINGS(X)                                                                               \
  X(std::string, mode, "replay", "", kLive,                                                                    \
    "replay (recorded X API responses), search (GET /2/tweets/search/recent), stream (the filtered stream) "   \
    "or synthetic (generated tweets, no token needed)",                                                        \
    c.mode = v)                                                                                                \
  X(std::string, name, "tweet-source", "", kLive, "connector instance name (stamped into every record)",       \
    c.name = v)                                                                                                \
  X(std::string, status_file, "", "", kLive,                                                                   \
    "write the status (state, counters, cursor, rate limit, last errors) as JSON here", c.status_file = v)     \
  /* Kafka */                                                                                                  \
  X(std::string, bootstrap_servers, "127.0.0.1:9092", "", kLive, "Kafka bootstrap servers",                    \
    c.bootstrap_servers = v)                                                                                   \
  X(std::string, topic, "twitter-stream", "", kLive, "Kafka topic to produce to", c.topic = v)                 \
  X(int, partitions, 3, "", kLive, "partitions of the topic when it has to be created", c.partitions = v)      \
  X(int, replication_factor, -1, "", kLive,                                                                    \
    "replication factor of the topic (and the cursor topic) when it has to be created; -1 = the broker's "     \
    "default.replication.factor",                                                                              \
    c.replication_factor = v)                                                                                  \
  X(absl::Duration, kafka_timeout, absl::Seconds(30), "", kLive,                                               \
    "how long to wait for the broker at start and for outstanding deliveries at the end",                      \
    c.kafka_timeout = absl::ToChronoMilliseconds(v))                                                           \
  X(std::string, compression, "zstd", "", kLive, "producer compression: zstd, lz4, snappy, gzip, none",        \
    c.producer.compression = v)                                                                                \
  X(int, linger_ms, 20, "", kLive, "producer linger (ms): wait this long to fill a batch",                     \
    c.producer.linger_ms = v)                                                                                  \
  X(int, batch_size, 1 << 20, "", kLive, "producer batch size (bytes) per partition",                          \
    c.producer.batch_size_bytes = v)                                                                           \
  X(int, queue_max_messages, 100000, "", kLive,                                                                \
    "producer queue bound (records): a full queue slows the reader instead of growing memory",                 \
    c.producer.queue_max_messages = v)                                                                         \
  X(std::vector<std::string>, producer_property, {}, "", kLive,                                                \
    "extra librdkafka producer properties, comma-separated key=value (idempotence and acks=all stay on)",      \
    TS_RETURN_IF_ERROR(ProducerProperties(v, &c.producer.extra)))                                              \
  X(std::string, cursor_topic, "twitter-stream-source-offsets", "", kLive,                                     \
    "compacted Kafka topic holding the newest delivered tweet id per connector and query (empty = none)",      \
    c.cursor_topic = v)                                                                                        \
  X(std::string, value_format, "plain", "", kLive,                                                             \
    "record values: plain (a serialized tweetstream.tweet.v1.TweetEnvelope) or confluent-protobuf "            \
    "(Confluent's Schema Registry wire format: magic byte, schema id, message index, then the same bytes)",    \
    c.value_format = v)                                                                                        \
  X(std::string, schema_registry_url, "", "", kLive,                                                           \
    "confluent-protobuf: schema registry (Confluent REST API) to register tweet.proto with, under "            \
    "<topic>-value",                                                                                           \
    c.schema_registry_url = v)                                                                                 \
  X(int64_t, value_schema_id, 0, "", kLive,                                                                    \
    "confluent-protobuf without a registry: the schema id to write (tweet.proto registered by other means)",   \
    c.value_schema_id = v)                                                                                     \
  /* The X API */                                                                                              \
  X(std::string, x_api_base_url, "https://api.x.com", "", kLive, "X API base URL", c.x_api.base_url = v)       \
  X(absl::Duration, x_api_timeout, absl::Seconds(30), "", kLive, "deadline of one X API request",              \
    c.x_api.timeout = absl::ToChronoMilliseconds(v))                                                           \
  X(std::string, tweet_fields, XFieldSelection{}.tweet_fields, "", kLive, "tweet.fields to request",           \
    c.x_api.fields.tweet_fields = v)                                                                           \
  X(std::string, expansions, XFieldSelection{}.expansions, "", kLive, "expansions to request",                 \
    c.x_api.fields.expansions = v)                                                                             \
  X(std::string, user_fields, XFieldSelection{}.user_fields, "", kLive, "user.fields to request",              \
    c.x_api.fields.user_fields = v)                                                                            \
  X(std::string, media_fields, XFieldSelection{}.media_fields, "", kLive, "media.fields to request",           \
    c.x_api.fields.media_fields = v)                                                                           \
  X(std::string, place_fields, XFieldSelection{}.place_fields, "", kLive, "place.fields to request",           \
    c.x_api.fields.place_fields = v)                                                                           \
  X(std::string, poll_fields, XFieldSelection{}.poll_fields, "", kLive, "poll.fields to request",              \
    c.x_api.fields.poll_fields = v)                                                                            \
  /* --mode=replay */                                                                                          \
  X(std::vector<std::string>, replay_file, {}, "replay", kLive,                                                \
    "comma-separated files or directories of recorded X API v2 responses (pages, lookups, stream captures)",   \
    c.replay_files = v)                                                                                        \
  X(double, rate, 0, "replay", kLive, "tweets per second (0 = as fast as possible)", c.rate = v)               \
  X(bool, loop, false, "replay", kLive, "start again from the first file at the end (until SIGTERM/SIGINT)",   \
    c.loop = v)                                                                                                \
  /* --mode=search */                                                                                          \
  X(std::string, query, "", "search", kLive, "the X search query, e.g. '#kafka -is:retweet lang:en'",          \
    c.query = v)                                                                                               \
  X(int, max_results, 100, "search", kLive, "tweets per page (10..100)", c.max_results = v)                    \
  X(int, max_pages, 0, "search", kLive,                                                                        \
    "at most this many pages per poll (0 = follow next_token to the end); the older pages are kept in the "    \
    "cursor and read by the next polls before the cursor moves on",                                            \
    c.max_pages = v)                                                                                           \
  X(std::string, start_time, "", "search", kLive,                                                              \
    "oldest tweet time of the first poll, RFC 3339; used only until a cursor exists (one older than X's "      \
    "7-day window starts at the window's edge, and the gap is reported)",                                      \
    c.start_time = v)                                                                                          \
  X(absl::Duration, initial_lookback, absl::Hours(1), "search", kLive,                                         \
    "without a cursor and without --start-time, the first poll reads this far back (at most 168h); every "     \
    "tweet read counts toward X's usage cap",                                                                  \
    c.initial_lookback = absl::ToChronoMilliseconds(v))                                                        \
  X(absl::Duration, poll_interval, absl::ZeroDuration(), "search", kLive,                                      \
    "time between polls (each continues after the newest tweet delivered); 0 = one poll, then exit",           \
    c.poll_interval = absl::ToChronoMilliseconds(v))                                                           \
  X(int, max_polls, 0, "search", kLive, "stop after this many polls (0 = until SIGTERM/SIGINT)",               \
    c.max_polls = v)                                                                                           \
  /* --mode=stream */                                                                                          \
  X(std::string, rule, "", "stream", kLive, "a filtered-stream rule, e.g. '#kafka lang:en -is:retweet'",       \
    if (!v.empty()) c.rules.push_back({v, absl::GetFlag(FLAGS_rule_tag)}))                                     \
  X(std::string, rule_tag, "", "stream", kLive, "the tag of --rule", (void)v)                                  \
  X(std::string, rules_file, "", "stream", kLive,                                                              \
    "a file of rules, one per line: 'value' or 'value<TAB>tag'; # comments and blank lines ignored",           \
    TS_RETURN_IF_ERROR(RulesFromFile(v, &c.rules)))                                                            \
  X(bool, sync_rules, true, "stream", kLive, "make the stream's rules exactly --rule + --rules-file at start", \
    c.sync_rules = v)                                                                                          \
  X(int, backfill_minutes, 0, "stream", kLive,                                                                 \
    "minutes (1..5) X redelivers after a disconnect (needs Enterprise access)", c.stream.backfill_minutes = v) \
  X(absl::Duration, stream_idle_timeout, absl::Seconds(25), "stream", kLive,                                   \
    "a connection silent this long (not even a keep-alive) is dead and reopened",                              \
    c.stream.idle_timeout = absl::ToChronoMilliseconds(v))                                                     \
  X(absl::Duration, stream_recovery_delay, absl::Seconds(60), "stream", kLive,                                 \
    "after a (re)connect whose missing window backfill does not cover (a cut, an outage, a restart), recent "  \
    "search recovers it this long after the connect (recent search hides its last ~30 s)",                     \
    c.stream_recovery.delay = v)                                                                               \
  X(int, stream_recovery_max_pages, 100, "stream", kLive,                                                      \
    "at most this many recent-search pages (100 tweets each) per rule and recovery; the older rest is "        \
    "reported as a gap",                                                                                       \
    c.stream_recovery.max_pages = v)                                                                           \
  X(int64_t, stream_queue_bytes, int64_t{64} << 20, "stream", kLive,                                           \
    "bound of the queue between the socket and the Kafka producer; when full the socket is not read (X may "   \
    "cut a slow reader: that window is recovered)",                                                            \
    if (v <= 0) return absl::InvalidArgumentError("stream-queue-bytes: must be positive");                     \
    c.stream_queue_bytes = static_cast<size_t>(v))                                                             \
  /* --mode=synthetic */                                                                                       \
  X(uint64_t, seed, 1, "synthetic", kLive, "the generator's seed (same seed, same tweets)", c.seed = v)        \
  X(int64_t, count, 0, "synthetic", kLive, "how many tweets (0 = until SIGTERM/SIGINT)", c.count = v)          \
  X(bool, synthetic_live, false, "synthetic", kLive,                                                           \
    "created_at is the wall clock (for live dashboards) instead of the seed's timeline from 2024-06-01",       \
    c.synthetic_live = v)

namespace {
using tweetstream::source::XFieldSelection;
}  // namespace

TWEET_SOURCE_SETTINGS(TS_SETTING_FLAG)
TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_FLAG, "127.0.0.1:50051", "127.0.0.1:9401")

namespace tweetstream::source {
namespace {

absl::Status ProducerProperties(const std::vector<std::string>& items, std::map<std::string, std::string>* out) {
  TS_RETURN_IF_ERROR(common::ParseKeyValues(items, "producer-property", out));
  for (const char* fixed : {"enable.idempotence", "acks"}) {
    if (out->count(fixed)) {
      return absl::InvalidArgumentError(absl::StrCat("producer-property: ", fixed, " cannot be changed (delivery guarantees)"));
    }
  }
  return absl::OkStatus();
}

absl::Status RulesFromFile(const std::string& path, std::vector<StreamRule>* rules) {
  if (path.empty()) return absl::OkStatus();
  auto loaded = LoadRulesFile(path);
  if (!loaded.ok()) return absl::InvalidArgumentError(absl::StrCat("rules-file: ", loaded.status().message()));
  rules->insert(rules->end(), loaded->begin(), loaded->end());
  return absl::OkStatus();
}

absl::Status BindSettings(SourceConfig& c) {
  TWEET_SOURCE_SETTINGS(TS_SETTING_BIND)
  return absl::OkStatus();
}

}  // namespace

const control::SettingsTable& SourceSettings() {
  static const control::SettingsTable* const table = new control::SettingsTable{
      .program = "tweet-source",
      .env_prefix = "TWEET_SOURCE",
      .settings = {TWEET_SOURCE_SETTINGS(TS_SETTING_ROW)
                       TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_ROW, "127.0.0.1:50051", "127.0.0.1:9401")},
      .secrets = {{"X_BEARER_TOKEN", "search and stream modes' app-only bearer token (required there)"}},
  };
  return *table;
}

absl::StatusOr<SourceConfig> SourceConfigFromFlags() {
  SourceConfig c;
  TS_RETURN_IF_ERROR(BindSettings(c));
  if (c.mode == "search" || c.mode == "stream") {
    auto token = common::ReadSecret("X_BEARER_TOKEN");
    if (token.ok()) c.x_api.bearer_token = *token;
    else if (!absl::IsNotFound(token.status()) || std::getenv("X_BEARER_TOKEN_FILE") != nullptr) {
      return absl::InvalidArgumentError(token.status().message());
    }
  }
  TS_RETURN_IF_ERROR(c.Validate());
  return c;
}

control::ConnectorProcessOptions SourceProcessOptions() {
  control::ConnectorProcessOptions o;
  o.program = "tweet-source";
  TWEETSTREAM_CONTROL_SETTINGS(TS_SETTING_BIND, "", "")
  return o;
}

}  // namespace tweetstream::source
