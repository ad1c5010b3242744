#include "source-connector/source_app.h"

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/confluent_wire.h"
#include "common/kafka_consumer.h"
#include "common/logging.h"
#include "common/rfc3339.h"
#include "common/status_macros.h"
#include "source-connector/replay_reader.h"
#include "source-connector/schema_registry.h"
#include "source-connector/synthetic.h"

namespace tweetstream::source {

absl::Status SourceConfig::Validate() const {
  if (name.empty()) return absl::InvalidArgumentError("name: must not be empty");
  if (mode == "replay") {
    if (replay_files.empty()) return absl::InvalidArgumentError("replay-file: replay mode needs at least one file or directory");
  } else if (mode == "stream") {
    if (x_api.bearer_token.empty()) {
      return absl::InvalidArgumentError(
          "X_BEARER_TOKEN: stream mode needs the app's bearer token in the environment variable X_BEARER_TOKEN "
          "(or a file named by X_BEARER_TOKEN_FILE)");
    }
    if (sync_rules && name.find(':') != std::string::npos) {
      // ':' ends the tag prefix "<name>:" that marks this source's rules: "a" would own "a:b"'s rules.
      return absl::InvalidArgumentError("name: must not contain ':' in stream mode (the rules' tag prefix is \"<name>:\")");
    }
    if (sync_rules && rules.empty()) {
      return absl::InvalidArgumentError("rule: stream mode needs at least one --rule or a --rules-file (or --no-sync-rules)");
    }
    TS_RETURN_IF_ERROR(ValidateRules(rules));
    if (stream.backfill_minutes < 0 || stream.backfill_minutes > 5) {
      return absl::InvalidArgumentError("backfill-minutes: must be 0..5");
    }
    if (stream_recovery.max_pages < 1) return absl::InvalidArgumentError("stream-recovery-max-pages: must be >= 1");
    if (stream_recovery.delay < absl::ZeroDuration()) return absl::InvalidArgumentError("stream-recovery-delay: must be >= 0");
    if (stream_queue_bytes == 0 || stream_queue_lines == 0) {
      return absl::InvalidArgumentError("stream-queue-bytes: must be positive");
    }
  } else if (mode == "synthetic") {
    if (count < 0) return absl::InvalidArgumentError("count: must be >= 0");
  } else if (mode == "search") {
    if (query.empty()) return absl::InvalidArgumentError("query: search mode needs --query");
    if (x_api.bearer_token.empty()) {
      return absl::InvalidArgumentError(
          "X_BEARER_TOKEN: search mode needs the app's bearer token in the environment variable X_BEARER_TOKEN "
          "(or a file named by X_BEARER_TOKEN_FILE)");
    }
    if (max_results < 10 || max_results > 100) return absl::InvalidArgumentError("max-results: must be 10..100 for recent search");
    if (max_pages < 0) return absl::InvalidArgumentError("max-pages: must be >= 0");
    if (initial_lookback <= std::chrono::milliseconds(0) || initial_lookback > std::chrono::hours(24 * 7)) {
      return absl::InvalidArgumentError("initial-lookback: must be more than 0 and at most 7 days (168h)");
    }
    if (max_polls < 0) return absl::InvalidArgumentError("max-polls: must be >= 0");
    if (poll_interval.count() < 0) return absl::InvalidArgumentError("poll-interval: must be >= 0");
    if (x_api.base_url.empty()) return absl::InvalidArgumentError("x-api-base-url: must not be empty");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("mode: '", mode, "' is not one of replay, search, stream, synthetic"));
  }
  if (bootstrap_servers.empty()) return absl::InvalidArgumentError("bootstrap-servers: must not be empty");
  if (topic.empty()) return absl::InvalidArgumentError("topic: must not be empty");
  if (partitions < 1) return absl::InvalidArgumentError("partitions: must be >= 1");
  if (rate < 0) return absl::InvalidArgumentError("rate: must be >= 0");
  if (replication_factor < 1 && replication_factor != -1) {
    return absl::InvalidArgumentError("replication-factor: must be >= 1, or -1 for the broker's default.replication.factor");
  }
  if (value_format == "confluent-protobuf") {
    if (schema_registry_url.empty() && value_schema_id <= 0) {
      return absl::InvalidArgumentError(
          "value-format: confluent-protobuf needs --schema-registry-url (to register tweet.proto) or --value-schema-id");
    }
    if (absl::StrContains(schema_registry_url, "@")) {
      // Credentials in a URL end up in logs and errors; this client sends none.
      return absl::InvalidArgumentError("schema-registry-url: credentials in the URL are not supported");
    }
    if (value_schema_id < 0 || value_schema_id > 0x7fffffff) {
      return absl::InvalidArgumentError("value-schema-id: must be 1..2147483647");
    }
  } else if (value_format != "plain") {
    return absl::InvalidArgumentError(
        absl::StrCat("value-format: '", value_format, "' is not one of plain, confluent-protobuf"));
  }
  if (std::chrono::milliseconds(producer.linger_ms) > kafka_timeout) {
    return absl::InvalidArgumentError("linger-ms: must be <= kafka-timeout (the flush deadline at the end)");
  }
  return absl::OkStatus();
}

SourceApp::SourceApp(SourceConfig config, std::unique_ptr<common::Producer> producer,
                     std::unique_ptr<common::HttpClient> http, std::unique_ptr<CursorStore> cursors,
                     common::Clock* clock)
    : config_(std::move(config)),
      producer_(std::move(producer)),
      http_(std::move(http)),
      cursors_(cursors ? std::move(cursors) : std::make_unique<MemoryCursorStore>()),
      clock_(clock ? clock : common::Clock::Real()) {
  if (config_.metrics != nullptr) {
    produce_seconds_ = config_.metrics->AddHistogram(
        "tweetstream_source_produce_duration_seconds",
        "From handing a tweet to the producer to Kafka confirming its delivery (acks=all).",
        common::ExponentialBuckets(0.001, 2, 16));
  }
}

std::string SourceApp::CursorKeyFor(const SourceConfig& config) {
  std::string what;
  if (config.mode == "search") {
    what = config.query;
  } else if (config.mode == "stream") {
    // The rule set: a different set of rules is a different position.
    std::vector<std::string> rules;
    for (const auto& r : config.rules) rules.push_back(r.tag.empty() ? r.value : absl::StrCat(r.value, "\t", r.tag));
    std::sort(rules.begin(), rules.end());
    what = absl::StrJoin(rules, "\n");
  }
  return absl::StrCat(config.name, "/", config.mode, "/", what);
}

void SourceApp::WaitWhilePaused(const SourceSummary* summary) {
  while (paused_.load() && !stop_.load()) {
    producer_->Poll(std::chrono::milliseconds(100));
    // Paused, the counters are what an operator holds against the topic: current (the deliveries
    // confirmed during the pause included), not up to 255 tweets behind as while reading.
    if (summary != nullptr) SetLiveCounters(*summary);
  }
}

void SourceApp::SetLiveCounters(const SourceSummary& summary) { status_.SetCounters(CountersOf(summary)); }

namespace {

// Every record's headers: consumers that are not ours can tell what the bytes are without out-of-band
// knowledge.
constexpr std::pair<absl::string_view, absl::string_view> kEnvelopeHeaders[] = {
    {"content-type", "application/x-protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};
// --value-format=confluent-protobuf: the same schema name; the content type says the bytes are framed.
constexpr std::pair<absl::string_view, absl::string_view> kFramedEnvelopeHeaders[] = {
    {"content-type", "application/vnd.confluent.protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};

absl::Span<const std::pair<absl::string_view, absl::string_view>> HeadersFor(const SourceConfig& config) {
  if (config.value_format == "confluent-protobuf") return kFramedEnvelopeHeaders;
  return kEnvelopeHeaders;
}

}  // namespace

int64_t SourceApp::FitProducerToTopic(const SourceConfig& config, common::KafkaProducerOptions* options) {
  auto topic_config = common::DescribeTopicConfig(config.bootstrap_servers, config.topic, config.kafka_timeout);
  int64_t topic_max = 0;
  if (!topic_config.ok() || !absl::SimpleAtoi((*topic_config)["max.message.bytes"], &topic_max) || topic_max <= 0) {
    TS_LOG(WARNING) << "cannot read max.message.bytes of topic " << config.topic << " ("
                    << (topic_config.ok() ? "not in its configuration" : topic_config.status().message())
                    << "); a tweet too large for it will fail its delivery instead of being skipped";
    return -1;
  }
  // The broker refuses a whole batch larger than the topic's max.message.bytes, so a record too large for
  // it would fail every record batched with it. librdkafka checks each record against message.max.bytes
  // when it is produced (and a record larger than batch.size always goes in a batch of its own): with
  // both below the topic's limit (less the batch header), a record too large is refused alone, at once,
  // and nothing else suffers. message.max.bytes is only ever lowered here (librdkafka's default is 1000000).
  constexpr int64_t kBatchHeaderMargin = 128;
  const int64_t room = std::max<int64_t>(1000, topic_max - kBatchHeaderMargin);
  int64_t message_max = 1000000;
  if (auto it = options->extra.find("message.max.bytes"); it != options->extra.end()) {
    (void)absl::SimpleAtoi(it->second, &message_max);
  }
  if (room < message_max) options->extra["message.max.bytes"] = absl::StrCat(room);
  if (options->batch_size_bytes > room) options->batch_size_bytes = static_cast<int>(room);
  if (room < message_max) {
    TS_LOG(INFO) << "topic " << config.topic << " takes records up to max.message.bytes=" << topic_max
                 << ": producer message.max.bytes=" << room << ", batch.size=" << options->batch_size_bytes
                 << " (a larger tweet is skipped and reported)";
  }
  return topic_max;
}

absl::StatusOr<std::unique_ptr<SourceApp>> SourceApp::Create(const SourceConfig& config) {
  TS_RETURN_IF_ERROR(config.Validate());
  TS_RETURN_IF_ERROR(common::EnsureTopic(config.bootstrap_servers, config.topic, config.partitions,
                                         config.replication_factor, config.kafka_timeout));
  common::KafkaProducerOptions producer_options = config.producer;
  producer_options.bootstrap_servers = config.bootstrap_servers;
  producer_options.client_id = config.name;
  const int64_t topic_max_bytes = FitProducerToTopic(config, &producer_options);
  TS_ASSIGN_OR_RETURN(auto producer, common::CreateKafkaProducer(producer_options));
  TS_ASSIGN_OR_RETURN(auto http, common::CurlHttpClient::Create());
  std::unique_ptr<CursorStore> cursors;
  if ((config.mode == "search" || config.mode == "stream") && !config.cursor_topic.empty()) {
    TS_ASSIGN_OR_RETURN(cursors, KafkaCursorStore::Create(config.bootstrap_servers, config.cursor_topic,
                                                          config.replication_factor, producer.get(),
                                                          config.kafka_timeout));
  }
  SourceConfig effective = config;
  if (config.value_format == "confluent-protobuf" && !config.schema_registry_url.empty()) {
    // Registered before the first record: a consumer's deserializer must find the id it reads.
    TS_ASSIGN_OR_RETURN(const int id, RegisterProtobufSchema(http.get(), config.schema_registry_url,
                                                             absl::StrCat(config.topic, "-value"),
                                                             tweet::v1::TweetEnvelope::descriptor()->file(),
                                                             config.kafka_timeout));
    if (config.value_schema_id > 0 && config.value_schema_id != id) {
      return absl::FailedPreconditionError(absl::StrCat("value-schema-id: ", config.value_schema_id,
                                                        ", but the registry gave tweet.proto the id ", id));
    }
    effective.value_schema_id = id;
    TS_LOG(INFO) << "tweet.proto registered as subject " << config.topic << "-value: schema id " << id;
  }
  TS_ASSIGN_OR_RETURN(auto app, CreateWith(effective, std::move(producer), std::move(http), std::move(cursors)));
  app->topic_max_bytes_ = topic_max_bytes;
  return app;
}

absl::StatusOr<std::unique_ptr<SourceApp>> SourceApp::CreateWith(const SourceConfig& config,
                                                                 std::unique_ptr<common::Producer> producer,
                                                                 std::unique_ptr<common::HttpClient> http,
                                                                 std::unique_ptr<CursorStore> cursors,
                                                                 common::Clock* clock) {
  TS_RETURN_IF_ERROR(config.Validate());
  if (config.value_format == "confluent-protobuf" && config.value_schema_id <= 0) {
    return absl::InvalidArgumentError("value-schema-id: confluent-protobuf needs a schema id (or Create() with a registry)");
  }
  auto app = std::unique_ptr<SourceApp>(
      new SourceApp(config, std::move(producer), std::move(http), std::move(cursors), clock));
  if (config.value_format == "confluent-protobuf") {
    // TweetEnvelope is the first message of tweet.proto: message index [0].
    app->value_prefix_ = common::ConfluentProtobufPrefix(static_cast<uint32_t>(config.value_schema_id));
  }
  return app;
}

absl::string_view SourceApp::FrameValue(absl::string_view value) {
  if (value_prefix_.empty()) return value;
  framed_.assign(value_prefix_);
  framed_.append(value.data(), value.size());
  return framed_;
}

SourceCounters SourceApp::CountersOf(const SourceSummary& s) const {
  const common::ProducerCounters p = producer_->Counters();
  SourceCounters c;
  c.read = s.tweets;
  c.produced = p.produced;
  c.delivered = p.delivered;
  c.delivery_failed = p.failed;
  c.skipped = s.skipped;
  c.too_large = s.too_large;
  c.api_problems = s.api_problems;
  c.requests = s.requests;
  c.polls = s.polls;
  return c;
}

void SourceApp::PublishStatus(const SourceSummary& s) {
  status_.SetCounters(CountersOf(s));
  status_.SetSearchCounters(s.bad_pages, s.window_gaps, s.window_gap_seconds);
  if (!config_.status_file.empty()) status_.WriteFile(config_.status_file, config_.name);
}

absl::Status SourceApp::Run(SourceSummary* summary) {
  status_.SetState("RUNNING");
  PublishStatus(*summary);
  // A fatal producer error (the idempotent producer can no longer guarantee order without gaps) is
  // final: this producer never delivers again. Watched here, on its own thread, so that the source
  // says FAILED with the reason at once, also while it sleeps between polls or the stream is quiet.
  absl::Notification finished;
  std::thread fatal_watch([this, &finished] {
    while (!finished.WaitForNotificationWithTimeout(absl::Milliseconds(100))) {
      const absl::Status fatal = producer_->FatalError();
      if (fatal.ok()) continue;
      status_.RecordError(std::string(fatal.message()));
      status_.SetState("FAILED", std::string(fatal.message()));
      stop_.store(true);  // every loop ends at its next check
      return;
    }
  });
  absl::Status status;
  if (config_.mode == "search") status = RunSearch(summary);
  else if (config_.mode == "stream") status = RunStream(summary);
  else if (config_.mode == "synthetic") status = RunSynthetic(summary);
  else status = RunReplay(summary);
  finished.Notify();
  fatal_watch.join();
  const absl::Status fatal = producer_->FatalError();
  if (!fatal.ok()) status = fatal;  // whatever the loop saw last, this is why
  // Wait for every delivery, bounded: a record is only "done" once the broker acknowledged it (a fatal
  // producer delivers nothing more: no point in waiting long).
  absl::Status flushed = producer_->Flush(fatal.ok() ? config_.kafka_timeout : std::chrono::milliseconds(1000));
  common::ProducerCounters counters = producer_->Counters();
  summary->produced = counters.produced;
  summary->delivered = counters.delivered;
  summary->delivery_failed = counters.failed;
  if (status.ok() && !flushed.ok()) status = flushed;
  if (status.ok() && counters.failed > 0) {
    status = absl::UnavailableError(absl::StrCat(counters.failed, " record(s) could not be delivered to Kafka topic ",
                                                 config_.topic, " at ", config_.bootstrap_servers));
  }
  if (status.ok()) {
    status_.SetState("STOPPED");
  } else {
    status_.RecordError(std::string(status.message()));
    status_.SetState("FAILED", std::string(status.message()));
  }
  PublishStatus(*summary);
  return status;
}

absl::Status SourceApp::HandleBody(absl::string_view body, const MappingContext& context, SourceSummary* summary,
                                   BodyOutcome* outcome, bool search_page) {
  const absl::Status encoded = encoder_.Encode(body, context, &encoded_);
  ++summary->bodies;
  if (outcome != nullptr) *outcome = BodyOutcome{};
  if (search_page && outcome != nullptr) {
    // A search page is read whole or not at all: without its meta the poll cannot know what follows.
    if (!encoded.ok()) {
      outcome->unreadable = std::string(encoded.message());
      return absl::OkStatus();
    }
    for (const SkippedRecord& skipped : encoded_.skipped) {
      if (absl::StartsWith(skipped.where, "meta")) {
        outcome->unreadable = absl::StrCat(skipped.where, ": ", skipped.reason);
        return absl::OkStatus();
      }
    }
  }
  if (!encoded.ok()) {
    ++summary->skipped;
    TS_LOG(WARNING) << "skipped " << context.origin << ": " << encoded.message();
    return absl::OkStatus();
  }
  for (const SkippedRecord& skipped : encoded_.skipped) {
    ++summary->skipped;
    TS_LOG(WARNING) << "skipped " << context.origin << " " << skipped.where << ": " << skipped.reason;
  }
  if (!encoded_.problems.empty()) {
    // One line per body, by problem type (the URI's last segment: the host part changed over time).
    std::map<std::string, int> by_type;
    for (const ApiProblem& problem : encoded_.problems) {
      ++summary->api_problems;
      const size_t slash = problem.type.rfind('/');
      ++by_type[slash == std::string::npos ? problem.type : problem.type.substr(slash + 1)];
      TS_LOG(DEBUG) << "API partial error in " << context.origin << ": " << problem.title << " " << problem.detail;
    }
    std::string types;
    for (const auto& [type, n] : by_type) absl::StrAppend(&types, types.empty() ? "" : ", ", type.empty() ? "untyped" : type, " x", n);
    TS_LOG(INFO) << context.origin << ": " << encoded_.problems.size() << " partial error(s) from the API (" << types << ")";
  }
  if (outcome != nullptr) outcome->meta = encoded_.meta;
  // Borrowed bytes: the producer copies key and value into librdkafka's message (one allocation per
  // record), and the encoder keeps its buffers for the next body.
  common::ProducerRecordRef record;
  record.topic = config_.topic;
  record.headers = HeadersFor(config_);
  record.delivery_seconds = produce_seconds_;  // null without a metrics registry
  for (const EncodedTweet& tweet : encoded_.tweets) {
    record.key = tweet.id;
    record.value = FrameValue(tweet.value);
    absl::Status produced;
    if (tracked_ != nullptr) {
      // Stream mode: each delivery report confirms its record in the position (a copy and a callback
      // per record; the stream brings at most 250 tweets a second).
      const uint64_t sequence = tracked_->Track(tweet.id, read_at_);
      common::ProducerRecord owned;
      owned.topic = config_.topic;
      owned.key = tweet.id;
      owned.value = std::string(FrameValue(tweet.value));
      for (const auto& [name, value] : HeadersFor(config_)) owned.headers.emplace_back(name, value);
      owned.on_delivery = [position = tracked_, sequence, histogram = produce_seconds_,
                           start = std::chrono::steady_clock::now()](const common::DeliveryReport& report) {
        if (histogram != nullptr && report.status.ok()) {
          histogram->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        position->Confirm(sequence, report.status);
      };
      produced = producer_->Produce(std::move(owned));
      // Never enqueued: a record too large is skipped for good (moved past, below); anything else is fatal.
      if (!produced.ok()) tracked_->Confirm(sequence, absl::IsInvalidArgument(produced) ? absl::OkStatus() : produced);
    } else {
      produced = producer_->ProduceCopy(record);
    }
    if (absl::IsInvalidArgument(produced)) {
      // Larger than the topic takes (the producer's message.max.bytes follows the topic's
      // max.message.bytes): it can never be delivered, so it is reported, counted and skipped, and the
      // cursor moves past it like past any tweet read (the README's Delivery guarantees).
      ++summary->too_large;
      ++summary->skipped;
      const std::string message = absl::StrCat(
          "tweet ", tweet.id, " skipped (", context.origin, "): its record (", tweet.id.size() + tweet.value.size(),
          " bytes) is larger than ",
          topic_max_bytes_ > 0 ? absl::StrCat("topic ", config_.topic, " accepts (max.message.bytes ", topic_max_bytes_, ")")
                               : std::string("the producer accepts (message.max.bytes)"),
          "; ", produced.message());
      TS_LOG(WARNING) << message;
      status_.RecordError(message);
      if (outcome != nullptr && IdLess(outcome->newest_id, tweet.id)) outcome->newest_id = tweet.id;
      continue;
    }
    TS_RETURN_IF_ERROR(produced);
    ++summary->tweets;
    if (outcome != nullptr) {
      ++outcome->tweets;
      if (IdLess(outcome->newest_id, tweet.id)) outcome->newest_id = tweet.id;
      if (outcome->oldest_id.empty() || IdLess(tweet.id, outcome->oldest_id)) outcome->oldest_id = tweet.id;
    }
    Pace(*summary);
  }
  producer_->Poll(std::chrono::milliseconds(0));  // serve delivery reports as we go
  return absl::OkStatus();
}

void SourceApp::Pace(const SourceSummary& summary) {
  if (paused_.load()) WaitWhilePaused(&summary);
  const absl::Time now = clock_->Now();
  // Keep the status' counters live without a lock per tweet: every 256 tweets, and at slow rates
  // every 250 ms (a dashboard's per-second rate never sees a second without an update). The delivery
  // reports are served first, so that "delivered" is current too (synthetic mode serves them only
  // every 1024 tweets otherwise: minutes at a slow rate).
  if ((summary.tweets & 255) == 0 || now - counters_at_ >= absl::Milliseconds(250)) {
    producer_->Poll(std::chrono::milliseconds(0));
    SetLiveCounters(summary);
    counters_at_ = now;
  }
  if (config_.progress_interval.count() > 0) {
    if (last_progress_ == absl::InfinitePast()) {
      last_progress_ = now;
    } else if (now - last_progress_ >= absl::FromChrono(config_.progress_interval)) {
      const common::ProducerCounters c = producer_->Counters();
      TS_LOG(INFO) << "progress: " << summary.tweets << " tweets read, " << c.delivered << " delivered, "
                   << summary.skipped << " skipped";
      last_progress_ = now;
      PublishStatus(summary);
    }
  }
  if (config_.rate <= 0) return;
  if (paced_since_ == absl::InfinitePast()) paced_since_ = now;
  ++paced_count_;
  // Tweet n goes out no earlier than start + n / rate: the average rate holds, bursts do not build up.
  clock_->SleepUntil(paced_since_ + absl::Seconds(static_cast<double>(paced_count_) / config_.rate), &stop_);
}

absl::Status SourceApp::RunReplay(SourceSummary* summary) {
  // Maps and produces in turn on this thread. A mapping thread running a few bodies ahead (commit
  // e724b9f) was measured on the 2-core machine and gained nothing (bench/README.md), so it is gone.
  TS_ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandReplayPaths(config_.replay_files));
  // One context and one body reused for every body (their strings keep their capacity).
  MappingContext context{config_.name, "replay", "", "", absl::UnixEpoch()};
  ReplayBody body;
  do {
    for (const std::string& path : files) {
      if (stop_.load()) break;
      // Streamed through one bounded buffer (not the whole file in memory).
      TS_ASSIGN_OR_RETURN(std::unique_ptr<ReplayFileReader> reader, ReplayFileReader::Open(path));
      while (!stop_.load()) {
        TS_ASSIGN_OR_RETURN(const bool more, reader->Next(&body));
        if (!more) break;
        context.origin = body.where;
        context.ingested_at = absl::Now();
        TS_RETURN_IF_ERROR(HandleBody(body.body, context, summary));
      }
    }
  } while (config_.loop && !stop_.load());
  return absl::OkStatus();
}

namespace {

// X's tweet ids are snowflakes: milliseconds since this instant in the bits above 22.
constexpr int64_t kTwitterEpochMs = 1288834974657;
// Recent search covers the last 7 days; X refuses (HTTP 400) a since_id or start_time older than that.
constexpr absl::Duration kSearchWindow = absl::Hours(24 * 7);
// How far inside the window a floor that X refused starts again: room for the request's own time and
// for a clock that is not X's. Doubled on each further refusal (kWindowAttempts in all). What lies in
// the margin is part of the reported gap.
constexpr absl::Duration kWindowMargin = absl::Minutes(5);
constexpr int kWindowAttempts = 3;
// A bound X refused counts as "outside the window" only when it is older than the window by our clock
// give or take this much; anything else X refuses stays an error.
constexpr absl::Duration kWindowSlack = absl::Hours(1);
// Recent search does not show the last ~30 s (end_time defaults to about 30 s before the request, and
// must be at least 10 s before it). A poll that starts from a time asks up to exactly this far back,
// and an empty one saves that time as the next start: exact, whatever the lag. A minute leaves room
// for a clock up to ~50 s ahead of X's.
constexpr absl::Duration kIndexLag = absl::Seconds(60);
// An unreadable 200 (HTML, invalid JSON, `meta` of the wrong type) is asked for this many times in all,
// 1 s, 2 s, 4 s apart, before the poll ends there.
constexpr int kBadPageAttempts = 4;


std::optional<absl::Time> SnowflakeTime(const std::string& id) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(id, &n) || n < (uint64_t{1} << 22)) return std::nullopt;
  return absl::FromUnixMillis(static_cast<int64_t>(n >> 22) + kTwitterEpochMs);
}

std::optional<absl::Time> ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return std::nullopt;
  return t;
}

// The status' words for the backlog a cursor holds ("" when none).
std::string BacklogText(const Cursor& cursor) {
  if (cursor.until_id.empty()) return "";
  return absl::StrCat("the tweets older than ", cursor.until_id, " and ",
                      cursor.newest_id.empty() ? "from " + cursor.start_time : "newer than " + cursor.newest_id,
                      " are still to be read (the rest of an interrupted poll)");
}

}  // namespace

// What one poll reads: the tweets newer than the floor (since_id, or start_time when no id is known)
// and, when it resumes an interrupted poll, older than until_id; head_id is then that poll's newest id.
struct SourceApp::SearchRange {
  std::string since_id;
  std::string start_time;
  std::string until_id;
  std::string head_id;
  // A poll from a time that resumes nothing: its end_time, where the next poll starts if this one is empty.
  std::string end_time;

  bool resumed() const { return !until_id.empty(); }
  std::optional<absl::Time> FloorTime() const {
    return since_id.empty() ? ParseRfc3339(start_time) : SnowflakeTime(since_id);
  }
  std::string Describe() const {
    std::string floor = since_id.empty() ? absl::StrCat("tweets from ", start_time) : absl::StrCat("tweets after ", since_id);
    return resumed() ? absl::StrCat(floor, " older than ", until_id, " (the rest of a poll that read down to it)") : floor;
  }
  // The cursor that keeps this range (and `head`, `until`) for the next poll or process.
  Cursor Backlog(const std::string& head, const std::string& until) const {
    Cursor c;
    c.newest_id = since_id;
    if (since_id.empty()) c.start_time = start_time;
    c.until_id = until;
    c.head_id = head;
    c.updated_at = common::NowRfc3339Millis();
    return c;
  }
  SearchRequest Request(const SourceConfig& config) const {
    SearchRequest request;
    request.query = config.query;
    request.max_results = config.max_results;
    if (!since_id.empty()) {
      request.since_id = since_id;
      request.until_id = until_id;
      return request;
    }
    // X refuses since_id/until_id together with start_time/end_time: a range from a time ends at a
    // time. end_time is exclusive and has second granularity, so it is the second after until_id's
    // tweet: the tweets of that second that were read already come again (duplicates, no gap).
    request.start_time = start_time;
    if (resumed()) {
      if (auto t = SnowflakeTime(until_id)) request.end_time = common::Rfc3339Seconds(absl::FromUnixSeconds(absl::ToUnixSeconds(*t) + 1));
    } else {
      request.end_time = end_time;
    }
    return request;
  }
};

absl::Status SourceApp::RunSearch(SourceSummary* summary) {
  XApiClient client(http_.get(), config_.x_api);
  RateLimitGate gate(clock_);
  if (auto cursor = cursors_->Get(CursorKey())) {
    status_.SetCursor(CursorKey(), cursor->newest_id);
    status_.SetBacklog(BacklogText(*cursor));
    TS_LOG(INFO) << "continuing "
                 << (cursor->newest_id.empty() ? absl::StrCat("from ", cursor->start_time) : absl::StrCat("after tweet ", cursor->newest_id))
                 << (cursor->until_id.empty() ? "" : absl::StrCat(", first the tweets older than ", cursor->until_id,
                                                                   " that an interrupted poll left"))
                 << " (cursor " << CursorKey() << ")";
  }
  while (!stop_.load()) {
    WaitWhilePaused(summary);  // no request goes out while paused
    const absl::Time poll_start = clock_->Now();
    std::string unread;
    TS_RETURN_IF_ERROR(Poll(&client, &gate, summary, &unread));
    ++summary->polls;
    PublishStatus(*summary);
    const bool last = config_.poll_interval.count() == 0 || (config_.max_polls > 0 && summary->polls >= config_.max_polls);
    // The last poll could not read everything: the exit code says so (the cursor keeps the rest).
    if (last && !unread.empty() && !stop_.load()) return absl::UnavailableError(unread);
    if (last) break;
    if (!clock_->SleepUntil(poll_start + absl::FromChrono(config_.poll_interval), &stop_)) break;
  }
  return absl::OkStatus();
}

absl::Status SourceApp::SaveSearchCursor(const Cursor& cursor, int64_t failed_before) {
  TS_RETURN_IF_ERROR(producer_->Flush(config_.kafka_timeout));
  if (producer_->Counters().failed != failed_before) {
    return absl::UnavailableError("some tweets of this poll were not delivered; the cursor stays where it was");
  }
  TS_RETURN_IF_ERROR(cursors_->Save(CursorKey(), cursor));
  status_.SetCursor(CursorKey(), cursor.newest_id);
  status_.SetBacklog(BacklogText(cursor));
  return absl::OkStatus();
}

bool SourceApp::MoveIntoWindow(SearchRange* range, const std::vector<std::string>& rejected, int attempt,
                               SourceSummary* summary) {
  const absl::Time now = clock_->Now();
  const absl::Time edge = now - kSearchWindow + kWindowMargin * (1 << attempt);
  bool floor_old = false, end_old = false;
  for (const std::string& name : rejected) {
    std::optional<absl::Time> t;
    if (name == "since_id" || name == "start_time") {
      t = range->FloorTime();
      floor_old = true;
    } else if (name == "until_id" || name == "end_time") {
      t = range->resumed() ? SnowflakeTime(range->until_id) : ParseRfc3339(range->end_time);
      end_old = true;
    }
    if (!t.has_value() || *t >= now - kSearchWindow + kWindowSlack) return false;  // not the window
  }
  if (!floor_old && !end_old) return false;
  const std::optional<absl::Time> from = range->FloorTime();
  const std::optional<absl::Time> until = range->resumed() ? SnowflakeTime(range->until_id) : std::nullopt;
  absl::Time to = edge;
  if (range->resumed() && (end_old || (until.has_value() && *until < edge))) {
    // The whole backlog of the interrupted poll is older than the window: it cannot be read any more.
    // What that poll read (from until_id up to its head) is not part of the gap; the range continues
    // after its head (which may itself be refused next, and is then moved and reported the same way).
    to = until.value_or(edge);
    *range = SearchRange{range->head_id, "", "", "", ""};
  } else {
    range->since_id.clear();
    range->start_time = common::Rfc3339Seconds(edge);
    if (!range->resumed()) range->end_time = common::Rfc3339Seconds(now - kIndexLag);
  }
  const std::string gap =
      absl::StrCat("recent search: the tweets from ", from ? common::Rfc3339Seconds(*from) : "an unknown time", " to ",
                   common::Rfc3339Seconds(to), " are older than X's 7-day window and cannot be read (a gap)");
  ++summary->window_gaps;
  if (from.has_value() && to > *from) summary->window_gap_seconds += absl::ToInt64Seconds(to - *from);
  status_.SetGap(gap);
  status_.RecordError(gap);
  TS_LOG(WARNING) << gap << "; continuing with " << range->Describe();
  return true;
}

absl::Status SourceApp::Poll(XApiClient* client, RateLimitGate* gate, SourceSummary* summary, std::string* unread) {
  unread->clear();
  const std::string key = CursorKey();
  const std::optional<Cursor> cursor = cursors_->Get(key);
  SearchRange range;
  if (cursor) {
    range.since_id = cursor->newest_id;
    if (range.since_id.empty()) range.start_time = cursor->start_time;
    range.until_id = cursor->until_id;
    range.head_id = cursor->head_id;
  }
  if (range.since_id.empty() && range.start_time.empty()) {
    // No position yet: --start-time, else the initial lookback (every tweet read costs; X's 7 days are
    // not what a new source should read by surprise).
    range.start_time = !config_.start_time.empty()
                           ? config_.start_time
                           : common::Rfc3339Seconds(clock_->Now() - absl::FromChrono(config_.initial_lookback));
  }
  if (range.since_id.empty() && !range.resumed()) {
    const absl::Time end = clock_->Now() - kIndexLag;
    if (auto start = ParseRfc3339(range.start_time); start.has_value() && *start >= end) {
      return absl::OkStatus();  // nothing X can show yet
    }
    range.end_time = common::Rfc3339Seconds(end);
  }
  SearchRequest request = range.Request(config_);
  const int64_t failed_before = producer_->Counters().failed;
  std::string newest_of_poll = range.head_id;  // a resumed poll keeps the head of the one it resumes
  std::string oldest_read;                     // the oldest id delivered in this range so far
  bool complete = false;
  int pages = 0, bad_attempts = 0, window_attempts = 0;
  absl::Duration transient_backoff = absl::Seconds(1);
  while (!stop_.load()) {
    if (!gate->Wait(&stop_)) break;
    ++summary->requests;
    auto response = client->SearchRecent(request);
    if (!response.ok()) {
      // Network trouble: retry the same page, backing off (1 s doubling to 60 s).
      status_.RecordError(std::string(response.status().message()));
      status_.SetState("DEGRADED", std::string(response.status().message()));
      PublishStatus(*summary);
      if (!clock_->SleepFor(transient_backoff, &stop_)) break;
      transient_backoff = std::min(transient_backoff * 2, absl::Seconds(60));
      continue;
    }
    gate->Update(response->rate_limit, response->http_status);
    const RateLimit& rl = gate->last();
    status_.SetRateLimit(rl.limit.value_or(-1), rl.remaining.value_or(-1), rl.reset_epoch_seconds.value_or(-1));
    if (!response->error.ok()) {
      const absl::Status& error = response->error;
      status_.RecordError(std::string(error.message()));
      if (response->http_status == 429 && !response->usage_capped) {
        status_.SetState("DEGRADED", std::string(error.message()));
        PublishStatus(*summary);
        continue;  // the gate waits for the reset (or backs off)
      }
      if (absl::IsUnavailable(error)) {  // 5xx
        status_.SetState("DEGRADED", std::string(error.message()));
        PublishStatus(*summary);
        if (!clock_->SleepFor(transient_backoff, &stop_)) break;
        transient_backoff = std::min(transient_backoff * 2, absl::Seconds(60));
        continue;
      }
      if (response->http_status == 400 && window_attempts < kWindowAttempts &&
          MoveIntoWindow(&range, response->rejected_parameters, window_attempts, summary)) {
        // The range changed: its paging starts again.
        ++window_attempts;
        request = range.Request(config_);
        newest_of_poll = range.head_id;
        oldest_read.clear();
        pages = 0;
        PublishStatus(*summary);
        continue;
      }
      // 401, 403, usage cap, any other 400: retrying cannot help. Stop calling.
      return error;
    }
    transient_backoff = absl::Seconds(1);
    MappingContext context{config_.name, "search", "/2/tweets/search/recent", config_.query, absl::Now()};
    BodyOutcome outcome;
    TS_RETURN_IF_ERROR(HandleBody(response->body, context, summary, &outcome, /*search_page=*/true));
    if (!outcome.unreadable.empty()) {
      // A 200 that cannot be read is not the end of the results: ask again, then give up on this poll
      // without moving the cursor past the page.
      ++summary->bad_pages;
      ++bad_attempts;
      const std::string what = absl::StrCat("X API ", client->SearchRecentUrlForLogs(request), " answered HTTP ",
                                            response->http_status, " with a page that cannot be read: ",
                                            outcome.unreadable, " (attempt ", bad_attempts, " of ", kBadPageAttempts, ")");
      status_.RecordError(what);
      status_.SetState("DEGRADED", what);
      PublishStatus(*summary);
      if (bad_attempts == 1) TS_LOG(WARNING) << what;
      if (bad_attempts >= kBadPageAttempts) {
        *unread = absl::StrCat(what, "; the poll ends here, the cursor stays before this page");
        TS_LOG(WARNING) << *unread;
        break;
      }
      if (!clock_->SleepFor(absl::Seconds(1) * (1 << (bad_attempts - 1)), &stop_)) break;
      continue;
    }
    bad_attempts = 0;
    if (status_.state() == "DEGRADED") status_.SetState("RUNNING");
    ++pages;
    if (!range.resumed() && pages == 1) newest_of_poll = !outcome.newest_id.empty() ? outcome.newest_id : outcome.meta.newest_id;
    if (!outcome.oldest_id.empty()) oldest_read = outcome.oldest_id;
    TS_LOG(INFO) << "search page " << pages << ": " << outcome.tweets << " tweets"
                 << (outcome.meta.next_token.empty() ? " (last page)" : "");
    PublishStatus(*summary);
    if (outcome.meta.next_token.empty()) {
      complete = true;
      break;
    }
    // More to come: the older pages are remembered now, so that the page cap, a stop, an unreadable
    // page or a crash (kill -9) never leave them behind.
    const std::string until = oldest_read.empty() ? range.until_id : oldest_read;
    if (!newest_of_poll.empty() && !until.empty()) {
      TS_RETURN_IF_ERROR(SaveSearchCursor(range.Backlog(newest_of_poll, until), failed_before));
    }
    if (config_.max_pages > 0 && pages >= config_.max_pages) {
      TS_LOG(INFO) << "--max-pages=" << config_.max_pages << " reached; the next poll reads the tweets older than " << until;
      break;
    }
    request.next_token = outcome.meta.next_token;
  }
  // Stopped, capped or ended by an unreadable page: the backlog saved above stands.
  if (!complete || stop_.load()) return absl::OkStatus();
  // The whole range is read: the floor moves to the newest tweet of the poll (that of the first page,
  // or the head of the poll it resumed), or to the end of an empty poll from a time.
  Cursor next;
  next.updated_at = common::NowRfc3339Millis();
  if (!newest_of_poll.empty()) {
    next.newest_id = newest_of_poll;
  } else if (!range.since_id.empty()) {
    next.newest_id = range.since_id;
  } else {
    next.start_time = range.end_time.empty() ? range.start_time : range.end_time;
  }
  if (cursor && cursor->newest_id == next.newest_id && cursor->start_time == next.start_time && cursor->until_id.empty()) {
    return absl::OkStatus();  // nothing new
  }
  return SaveSearchCursor(next, failed_before);
}

absl::Status SourceApp::RunStream(SourceSummary* summary) {
  XApiOptions api = config_.x_api;
  // The rules as X stores them (tags with the owner prefix): what recovery searches for, and tags with.
  std::vector<RecoveryRule> recovery_rules;
  {
    StreamRulesClient rules(http_.get(), api, config_.name);
    if (config_.sync_rules) {
      // Rules first: an invalid rule is reported with the API's reason and nothing else starts.
      TS_ASSIGN_OR_RETURN(RulesSyncResult result, rules.SyncRules(config_.rules, /*dry_run=*/false));
      TS_LOG(INFO) << "stream rules synced: " << result.added.size() << " added, " << result.deleted.size()
                   << " deleted, " << result.kept.size() << " kept, " << result.shared.size() << " shared, "
                   << result.foreign.size() << " foreign";
      std::vector<SourceStatus::Rule> foreign;
      for (const ActiveRule& r : result.foreign) foreign.push_back({r.id, r.rule.value, r.rule.tag});
      status_.SetRules(static_cast<int64_t>(result.kept.size() + result.added.size()),
                       static_cast<int64_t>(result.shared.size()), foreign);
      for (const auto* list : {&result.kept, &result.added, &result.shared}) {
        for (const ActiveRule& r : *list) recovery_rules.push_back({r.id, r.rule.value, r.rule.tag});
      }
    } else {
      // Without a sync the stream delivers whatever rules the project has: recovery searches them all.
      auto listed = rules.ListRules();
      if (listed.ok()) {
        for (const ActiveRule& r : *listed) recovery_rules.push_back({r.id, r.rule.value, r.rule.tag});
      } else {
        TS_LOG(WARNING) << "cannot list the stream rules (" << listed.status().message()
                        << "): a disconnect cannot be recovered by recent search and is reported as a gap";
      }
    }
  }

  // The saved position: the newest tweet id whose delivery (and everything read before it) Kafka
  // confirmed, and when the stream delivered it (or was last seen alive after it).
  const std::string key = CursorKey();
  auto position = std::make_shared<DeliveryPosition>();
  const std::optional<Cursor> saved = cursors_->Get(key);
  DeliveryPosition::Position saved_position;
  if (saved) {
    saved_position.newest_id = saved->newest_id;
    saved_position.read_at = ParseRfc3339(saved->stream_time)
                                 .value_or(SnowflakeTime(saved->newest_id).value_or(absl::InfinitePast()));
    status_.SetCursor(key, saved->newest_id);
    position->Seed(saved_position);
  }
  const bool resume = !saved_position.newest_id.empty() || saved_position.read_at != absl::InfinitePast();

  XStreamOptions options = config_.stream;
  options.base_url = api.base_url;
  options.bearer_token = api.bearer_token;
  options.fields = api.fields;
  options.resume = resume;
  // The socket thread's own client (one HttpClient per thread); http_ stays with this thread (search).
  TS_ASSIGN_OR_RETURN(auto stream_http, common::CurlHttpClient::Create());
  TS_ASSIGN_OR_RETURN(auto stream, XStream::Create(stream_http.get(), options, clock_));
  StreamLineQueue queue(config_.stream_queue_bytes, config_.stream_queue_lines);
  stream->set_on_connect([&](const XStream::ConnectInfo& c) {
    StreamItem item;
    item.kind = StreamItem::Kind::kConnected;
    item.at = c.at;
    item.connection = c.connection;
    item.previous_end = c.previous_end;
    item.backfill_asked = c.backfill_asked;
    queue.Push(std::move(item), &stop_);
  });
  // The socket thread: reads and queues, nothing else. Kafka never blocks it; a full queue does.
  std::atomic<bool> reader_done{false};
  absl::Status reader_status;
  auto publish_reader = [this, &stream, &queue] {
    const XStreamStats stats = stream->Stats();
    SourceStatus::StreamCounters c;
    c.messages = stats.messages;
    c.connects = stats.connects;
    c.queued = static_cast<int64_t>(queue.lines());
    c.queue_full_waits = queue.full_waits();
    status_.SetStreamReader(c);
  };
  // A line that is not a JSON object is dropped by the reader (logged there with its connection):
  // it is bad input skipped, so it counts in `skipped` beside the malformed tweets.
  int64_t dropped_lines_counted = 0;
  auto count_dropped_lines = [&](const XStreamStats& stats) {
    summary->skipped += stats.malformed_lines_dropped - dropped_lines_counted;
    dropped_lines_counted = stats.malformed_lines_dropped;
  };
  std::thread reader([&] {
    absl::Time published = absl::InfinitePast();
    reader_status = stream->Run(
        [&](absl::string_view line, absl::string_view where) {
          StreamItem item;
          item.line = std::string(line);
          item.where = std::string(where);
          item.at = clock_->Now();
          queue.Push(std::move(item), &stop_);
          if (absl::Now() - published >= absl::Milliseconds(100)) {
            publish_reader();  // from this thread: the status shows reading go on while Kafka holds the worker
            published = absl::Now();
          }
        },
        &stop_);
    reader_done.store(true);
  });

  // This thread: maps, produces, serves delivery reports, recovers, writes the cursor.
  XApiClient search_client(http_.get(), api);
  RateLimitGate gate(clock_);
  StreamRecovery recovery(&search_client, &gate, clock_, config_.stream_recovery);
  tracked_ = position;
  std::string read_id = saved_position.newest_id;   // the newest id read from the stream (or saved)
  absl::Time read_time = saved_position.read_at;     // when it was read
  SourceStatus::StreamCounters counters;
  DeliveryPosition::Position written = saved_position;  // what the cursor topic holds
  absl::Time last_write = absl::InfinitePast(), last_publish = absl::InfinitePast(), last_status = absl::InfinitePast();
  bool write_failing = false;

  auto report_gaps = [&](const std::vector<StreamRecovery::Gap>& gaps) {
    for (const StreamRecovery::Gap& gap : gaps) {
      ++counters.gaps;
      if (gap.to > gap.from && gap.from != absl::InfinitePast()) counters.gap_seconds += absl::ToInt64Seconds(gap.to - gap.from);
      const std::string text = absl::StrCat(
          "filtered stream: the tweets matched by ", gap.rule, " from ",
          gap.from == absl::InfinitePast() ? "an unknown time" : common::Rfc3339Seconds(gap.from), " to ", common::Rfc3339Seconds(gap.to),
          " were not recovered (a gap): ", gap.why);
      status_.SetGap(text);
      status_.RecordError(text);
      TS_LOG(WARNING) << text;
    }
  };
  auto write_cursor = [&](bool final_write) -> void {
    const DeliveryPosition::Position p = position->Get();
    const bool moved = p.newest_id != written.newest_id;
    const bool touched = p.read_at - written.read_at >= absl::Seconds(60);
    if (!moved && !touched && !(final_write && p.read_at > written.read_at)) return;
    if (!final_write && clock_->Now() - last_write < absl::Seconds(write_failing ? 10 : 2)) return;
    last_write = clock_->Now();
    Cursor cursor;
    cursor.newest_id = p.newest_id;
    cursor.updated_at = common::NowRfc3339Millis();
    if (p.read_at != absl::InfinitePast()) {
      cursor.stream_time = common::Rfc3339Millis(p.read_at);
    }
    // Save() flushes the producer: every record of the run, this thread only (never the socket's).
    if (absl::Status s = cursors_->Save(key, cursor); !s.ok()) {
      if (!write_failing) {
        TS_LOG(WARNING) << "cannot write the stream position to the cursor topic (" << s.message()
                        << "); reading goes on, the write is tried again";
        status_.RecordError(absl::StrCat("cursor write: ", s.message()));
      }
      write_failing = true;
      return;
    }
    write_failing = false;
    written = p;
    status_.SetCursor(key, p.newest_id);
  };
  auto page_sink = [&](absl::string_view page, const RecoveryRule& rule, int64_t* tweets, std::string* oldest) {
    MappingContext context{config_.name, "stream", "GET /2/tweets/search/recent (stream recovery)", rule.value,
                           absl::Now()};
    BodyOutcome outcome;
    read_at_ = clock_->Now();
    TS_RETURN_IF_ERROR(HandleBody(page, context, summary, &outcome));
    *tweets = outcome.tweets;
    *oldest = outcome.oldest_id;
    counters.recovered += outcome.tweets;
    return absl::OkStatus();
  };

  absl::Status result = absl::OkStatus();
  while (true) {
    StreamItem item;
    const bool got = queue.Pop(&item, recovery.active() ? absl::ZeroDuration() : absl::Milliseconds(50));
    if (!got && (stop_.load() || reader_done.load())) break;
    if (got && item.kind == StreamItem::Kind::kConnected) {
      // The window from the position read so far to this connect. For a reconnect, the stream was alive
      // until the previous connection ended, less what a slow reader's cut loses from X's buffer.
      absl::Time from = read_time;
      if (item.previous_end != absl::InfinitePast()) from = std::max(from, item.previous_end - absl::Seconds(30));
      const bool covered = item.backfill_asked && from != absl::InfinitePast() &&
                           item.at - from <= absl::Minutes(config_.stream.backfill_minutes);
      if (read_id.empty() && from == absl::InfinitePast()) {
        // A new source: nothing before this connection to recover.
      } else if (covered) {
        TS_LOG(INFO) << "filtered stream: connection " << item.connection << " asked X for backfill_minutes="
                     << config_.stream.backfill_minutes << ", which covers the " << absl::FormatDuration(item.at - from)
                     << " since the position";
      } else {
        // What was read since the position stays out of it until the recovery is done: a crash meanwhile
        // starts the recovery again, instead of passing the missing window.
        position->Hold();
        std::vector<StreamRecovery::Gap> gaps;
        recovery.Start(recovery_rules, read_id, from, item.at, &gaps);
        report_gaps(gaps);
        ++counters.recoveries;
        if (!recovery.active()) position->Release();
      }
    } else if (got) {
      read_at_ = item.at;
      MappingContext context{config_.name, "stream", item.where, "", absl::Now()};
      BodyOutcome outcome;
      result = HandleBody(item.line, context, summary, &outcome);
      if (!result.ok()) break;
      if (IdLess(read_id, outcome.newest_id)) read_id = outcome.newest_id;
      read_time = item.at;
    }
    producer_->Poll(std::chrono::milliseconds(0));  // delivery reports: the position moves here
    if (absl::Status failed = position->failure(); !failed.ok()) {
      result = absl::UnavailableError(absl::StrCat(
          "a tweet could not be delivered to Kafka (", failed.message(), "); the stream position stays before it (",
          position->Get().newest_id.empty() ? "none" : position->Get().newest_id,
          "): a restart recovers from there by recent search"));
      break;
    }
    if (recovery.active()) {
      if (recovery.NextStepAt() <= clock_->Now()) {
        bool finished = false;
        std::vector<StreamRecovery::Gap> gaps;
        result = recovery.Step(page_sink, &gaps, &finished, &counters.recovery_requests);
        report_gaps(gaps);
        if (!result.ok()) break;
        if (finished) {
          position->Release();
          TS_LOG(INFO) << "filtered stream: recovery done (" << counters.recovered << " tweets recovered so far)";
        }
      } else if (!got) {
        // Nothing to read: let the clock run towards the next step (at most 100 ms at a time, so that the
        // queue is drained meanwhile).
        clock_->SleepUntil(std::min(recovery.NextStepAt(), clock_->Now() + absl::Milliseconds(100)), &stop_);
      }
    } else if (!got && queue.lines() == 0 && stream->Stats().state == XStreamStats::State::kConnected) {
      position->Touch(clock_->Now());  // alive, everything read is confirmed: the position is this recent
    }
    write_cursor(false);
    if (absl::Now() - last_publish >= absl::Milliseconds(100)) {
      const XStreamStats stats = stream->Stats();
      count_dropped_lines(stats);
      publish_reader();
      counters.outstanding = position->outstanding();
      status_.SetStream(counters);
      summary->requests = stats.connect_attempts + counters.recovery_requests;
      // The status (counters, file) once a second: its own clock, since last_publish moves every 100 ms.
      if (absl::Now() - last_status >= absl::Seconds(1)) {
        PublishStatus(*summary);
        last_status = absl::Now();
      }
      last_publish = absl::Now();
    }
  }
  stop_.store(true);  // the socket thread ends too (a failure here, or the stream's own end)
  reader.join();
  // What is in flight is confirmed now (bounded), and the position written once more.
  (void)producer_->Flush(config_.kafka_timeout);
  producer_->Poll(std::chrono::milliseconds(0));
  write_cursor(true);
  tracked_.reset();
  const XStreamStats stats = stream->Stats();
  count_dropped_lines(stats);
  publish_reader();
  counters.outstanding = position->outstanding();
  status_.SetStream(counters);
  summary->requests = stats.connect_attempts + counters.recovery_requests;
  TS_RETURN_IF_ERROR(result);
  if (absl::Status failed = position->failure(); !failed.ok()) {
    return absl::UnavailableError(absl::StrCat("a tweet could not be delivered to Kafka (", failed.message(),
                                               "); the stream position stays before it"));
  }
  return reader_status;
}

absl::Status SourceApp::RunSynthetic(SourceSummary* summary) {
  SyntheticTweets generator(config_.seed);
  if (config_.synthetic_live) generator.SetLiveClock([this] { return clock_->Now(); });
  tweet::v1::TweetEnvelope envelope;
  std::string value;
  common::ProducerRecordRef record;  // borrowed bytes, as in HandleBody; no latency histogram here
  record.topic = config_.topic;
  record.headers = HeadersFor(config_);
  while (!stop_.load() && (config_.count == 0 || summary->tweets < config_.count)) {
    generator.NextInto(&envelope);
    auto* ingestion = envelope.mutable_ingestion();
    ingestion->set_connector(config_.name);
    ingestion->set_mode("synthetic");
    ingestion->set_origin(absl::StrCat("synthetic:seed=", config_.seed));
    ingestion->set_connector_version(TWEETSTREAM_VERSION);
    const absl::Time now = absl::Now();
    ingestion->mutable_ingested_at()->set_seconds(absl::ToUnixSeconds(now));
    ingestion->mutable_ingested_at()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
    envelope.SerializeToString(&value);  // reuses value's buffer
    record.key = envelope.tweet().id();
    record.value = FrameValue(value);
    TS_RETURN_IF_ERROR(producer_->ProduceCopy(record));
    ++summary->tweets;
    ++summary->bodies;
    if ((summary->tweets & 1023) == 0) producer_->Poll(std::chrono::milliseconds(0));
    Pace(*summary);
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::source
