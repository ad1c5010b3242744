#include "source-connector/source_app.h"

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "source-connector/replay_reader.h"
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
  if (replication_factor < 1) return absl::InvalidArgumentError("replication-factor: must be >= 1");
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

void SourceApp::WaitWhilePaused() {
  while (paused_.load() && !stop_.load()) producer_->Poll(std::chrono::milliseconds(100));
}

namespace {

// Every record's headers: consumers that are not ours can tell what the bytes are without out-of-band
// knowledge.
constexpr std::pair<absl::string_view, absl::string_view> kEnvelopeHeaders[] = {
    {"content-type", "application/x-protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};

// Tweet ids are decimal strings of up to 19 digits: compare by length, then digits.
bool IdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
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
  TS_ASSIGN_OR_RETURN(auto app, CreateWith(config, std::move(producer), std::move(http), std::move(cursors)));
  app->topic_max_bytes_ = topic_max_bytes;
  return app;
}

absl::StatusOr<std::unique_ptr<SourceApp>> SourceApp::CreateWith(const SourceConfig& config,
                                                                 std::unique_ptr<common::Producer> producer,
                                                                 std::unique_ptr<common::HttpClient> http,
                                                                 std::unique_ptr<CursorStore> cursors,
                                                                 common::Clock* clock) {
  TS_RETURN_IF_ERROR(config.Validate());
  return std::unique_ptr<SourceApp>(
      new SourceApp(config, std::move(producer), std::move(http), std::move(cursors), clock));
}

void SourceApp::PublishStatus(const SourceSummary& s) {
  const common::ProducerCounters c = producer_->Counters();
  status_.SetCounters(s.tweets, c.produced, c.delivered, c.failed, s.skipped, s.api_problems, s.requests, s.polls);
  status_.SetTooLarge(s.too_large);
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
                                   BodyOutcome* outcome) {
  const absl::Status encoded = encoder_.Encode(body, context, &encoded_);
  ++summary->bodies;
  if (outcome != nullptr) *outcome = BodyOutcome{};
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
  record.headers = kEnvelopeHeaders;
  record.delivery_seconds = produce_seconds_;  // null without a metrics registry
  for (const EncodedTweet& tweet : encoded_.tweets) {
    record.key = tweet.id;
    record.value = tweet.value;
    const absl::Status produced = producer_->ProduceCopy(record);
    if (absl::IsInvalidArgument(produced)) {
      // Larger than the topic takes (the producer's message.max.bytes follows the topic's
      // max.message.bytes): it can never be delivered, so it is reported, counted and skipped, and the
      // cursor moves past it like past any tweet read (the README's Delivery guarantees).
      ++summary->too_large;
      ++summary->skipped;
      const std::string message = absl::StrCat(
          "tweet ", tweet.id, " skipped: its record (", tweet.id.size() + tweet.value.size(), " bytes) is larger than ",
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
    }
    Pace(*summary);
  }
  producer_->Poll(std::chrono::milliseconds(0));  // serve delivery reports as we go
  return absl::OkStatus();
}

void SourceApp::Pace(const SourceSummary& summary) {
  if ((summary.tweets & 255) == 0) {
    // Keep the status' counters live without a lock per tweet.
    const common::ProducerCounters c = producer_->Counters();
    status_.SetCounters(summary.tweets, c.produced, c.delivered, c.failed, summary.skipped, summary.api_problems,
                        summary.requests, summary.polls);
  }
  if (paused_.load()) WaitWhilePaused();
  const absl::Time now = clock_->Now();
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

absl::Status SourceApp::RunSearch(SourceSummary* summary) {
  XApiClient client(http_.get(), config_.x_api);
  RateLimitGate gate(clock_);
  if (auto cursor = cursors_->Get(CursorKey())) {
    status_.SetCursor(CursorKey(), cursor->newest_id);
    TS_LOG(INFO) << "continuing after tweet " << cursor->newest_id << " (cursor " << CursorKey() << ")";
  }
  while (!stop_.load()) {
    WaitWhilePaused();  // no request goes out while paused
    const absl::Time poll_start = clock_->Now();
    TS_RETURN_IF_ERROR(Poll(&client, &gate, summary));
    ++summary->polls;
    PublishStatus(*summary);
    if (config_.poll_interval.count() == 0) break;
    if (config_.max_polls > 0 && summary->polls >= config_.max_polls) break;
    if (!clock_->SleepUntil(poll_start + absl::FromChrono(config_.poll_interval), &stop_)) break;
  }
  return absl::OkStatus();
}

absl::Status SourceApp::Poll(XApiClient* client, RateLimitGate* gate, SourceSummary* summary) {
  const std::string key = CursorKey();
  std::optional<Cursor> cursor = cursors_->Get(key);
  SearchRequest request;
  request.query = config_.query;
  request.max_results = config_.max_results;
  // since_id = the newest id of the last poll whose tweets were all delivered; the configured
  // start time only for the very first poll.
  if (cursor) request.since_id = cursor->newest_id;
  else request.start_time = config_.start_time;
  const int64_t failed_before = producer_->Counters().failed;
  std::string newest_of_poll;
  absl::Duration transient_backoff = absl::Seconds(1);
  for (int page = 1; !stop_.load();) {
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
      // 401, 403, usage cap, 400: retrying cannot help. Stop calling.
      return error;
    }
    transient_backoff = absl::Seconds(1);
    if (status_.state() == "DEGRADED") status_.SetState("RUNNING");
    MappingContext context{config_.name, "search", "/2/tweets/search/recent", config_.query, absl::Now()};
    BodyOutcome outcome;
    TS_RETURN_IF_ERROR(HandleBody(response->body, context, summary, &outcome));
    if (page == 1) newest_of_poll = outcome.meta.newest_id;
    TS_LOG(INFO) << "search page " << page << ": " << outcome.tweets << " tweets"
                 << (outcome.meta.next_token.empty() ? " (last page)" : "");
    PublishStatus(*summary);
    if (outcome.meta.next_token.empty()) break;
    if (config_.max_pages > 0 && page >= config_.max_pages) break;
    request.next_token = outcome.meta.next_token;
    ++page;
  }
  if (stop_.load()) return absl::OkStatus();  // an interrupted poll never advances the cursor
  // The cursor moves only once Kafka confirmed every tweet of this poll.
  TS_RETURN_IF_ERROR(producer_->Flush(config_.kafka_timeout));
  if (producer_->Counters().failed != failed_before) {
    return absl::UnavailableError("some tweets of this poll were not delivered; the cursor stays where it was");
  }
  if (!newest_of_poll.empty()) {
    Cursor next{newest_of_poll, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())};
    TS_RETURN_IF_ERROR(cursors_->Save(key, next));
    status_.SetCursor(key, newest_of_poll);
  }
  return absl::OkStatus();
}

absl::Status SourceApp::RunStream(SourceSummary* summary) {
  XApiOptions api = config_.x_api;
  if (config_.sync_rules) {
    // Rules first: an invalid rule is reported with the API's reason and nothing else starts.
    StreamRulesClient rules(http_.get(), api, config_.name);
    TS_ASSIGN_OR_RETURN(RulesSyncResult result, rules.SyncRules(config_.rules, /*dry_run=*/false));
    TS_LOG(INFO) << "stream rules synced: " << result.added.size() << " added, " << result.deleted.size()
                 << " deleted, " << result.kept.size() << " kept, " << result.shared.size() << " shared, "
                 << result.foreign.size() << " foreign";
    std::vector<SourceStatus::Rule> foreign;
    for (const ActiveRule& r : result.foreign) foreign.push_back({r.id, r.rule.value, r.rule.tag});
    status_.SetRules(static_cast<int64_t>(result.kept.size() + result.added.size()),
                     static_cast<int64_t>(result.shared.size()), foreign);
  }
  XStreamOptions options = config_.stream;
  options.base_url = api.base_url;
  options.bearer_token = api.bearer_token;
  options.fields = api.fields;
  TS_ASSIGN_OR_RETURN(auto stream, XStream::Create(http_.get(), options, clock_));
  absl::Time last_publish = absl::InfinitePast();
  absl::Time last_cursor = absl::Now();
  std::string newest;  // newest tweet id read since the last cursor write
  if (auto cursor = cursors_->Get(CursorKey())) status_.SetCursor(CursorKey(), cursor->newest_id);
  // The stream position (newest id delivered) goes to the cursor topic every few seconds, once Kafka
  // confirmed everything read before it.
  auto save_cursor = [&]() -> absl::Status {
    if (newest.empty()) return absl::OkStatus();
    if (!producer_->FatalError().ok()) return absl::OkStatus();  // nothing more gets delivered: Run() reports it
    const int64_t failed_before = producer_->Counters().failed;
    TS_RETURN_IF_ERROR(producer_->Flush(config_.kafka_timeout));
    if (producer_->Counters().failed != failed_before) return absl::OkStatus();  // stays where it was
    auto previous = cursors_->Get(CursorKey());
    if (!previous || IdLess(previous->newest_id, newest)) {
      TS_RETURN_IF_ERROR(cursors_->Save(
          CursorKey(), Cursor{newest, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())}));
      status_.SetCursor(CursorKey(), newest);
    }
    newest.clear();
    return absl::OkStatus();
  };
  absl::Status handled = absl::OkStatus();
  absl::Status status = stream->Run(
      [&](absl::string_view line, absl::string_view where) {
        if (!handled.ok()) return;
        MappingContext context{config_.name, "stream", std::string(where), "", absl::Now()};
        BodyOutcome outcome;
        handled = HandleBody(line, context, summary, &outcome);
        if (IdLess(newest, outcome.newest_id)) newest = outcome.newest_id;
        if (handled.ok() && absl::Now() - last_cursor > absl::Seconds(5)) {
          handled = save_cursor();
          last_cursor = absl::Now();
        }
        if (!handled.ok()) stop_.store(true);  // a producer failure: stop reading
        if (absl::Now() - last_publish > absl::Seconds(1)) {
          const XStreamStats stats = stream->Stats();
          if (stats.unbackfilled_gaps > 0) {
            status_.SetGap(absl::StrCat(stats.unbackfilled_gaps, " reconnect(s) without backfill; the last gap from ",
                                        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", stats.last_gap_start, absl::UTCTimeZone()),
                                        " to ", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", stats.last_gap_end, absl::UTCTimeZone())));
          }
          summary->requests = stats.connect_attempts;
          PublishStatus(*summary);
          last_publish = absl::Now();
        }
      },
      &stop_);
  TS_RETURN_IF_ERROR(handled);
  TS_RETURN_IF_ERROR(status);
  return save_cursor();
}

absl::Status SourceApp::RunSynthetic(SourceSummary* summary) {
  SyntheticTweets generator(config_.seed);
  if (config_.synthetic_live) generator.SetLiveClock([this] { return clock_->Now(); });
  tweet::v1::TweetEnvelope envelope;
  std::string value;
  common::ProducerRecordRef record;  // borrowed bytes, as in HandleBody; no latency histogram here
  record.topic = config_.topic;
  record.headers = kEnvelopeHeaders;
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
    record.value = value;
    TS_RETURN_IF_ERROR(producer_->ProduceCopy(record));
    ++summary->tweets;
    ++summary->bodies;
    if ((summary->tweets & 1023) == 0) producer_->Poll(std::chrono::milliseconds(0));
    Pace(*summary);
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::source
