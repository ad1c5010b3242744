#include "source-connector/source_app.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "source-connector/replay_reader.h"

namespace tweetstream::source {

absl::Status SourceConfig::Validate() const {
  if (name.empty()) return absl::InvalidArgumentError("name: must not be empty");
  if (mode == "replay") {
    if (replay_files.empty()) return absl::InvalidArgumentError("replay-file: replay mode needs at least one file or directory");
  } else if (mode == "search") {
    if (query.empty()) return absl::InvalidArgumentError("query: search mode needs --query");
    if (x_api.bearer_token.empty()) {
      return absl::InvalidArgumentError(
          "X_BEARER_TOKEN: search mode needs the app's bearer token in the environment variable X_BEARER_TOKEN "
          "(or a file named by X_BEARER_TOKEN_FILE)");
    }
    if (max_results < 10 || max_results > 100) return absl::InvalidArgumentError("max-results: must be 10..100 for recent search");
    if (max_pages < 0) return absl::InvalidArgumentError("max-pages: must be >= 0");
    if (x_api.base_url.empty()) return absl::InvalidArgumentError("x-api-base-url: must not be empty");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("mode: '", mode, "' is not one of replay, search"));
  }
  if (bootstrap_servers.empty()) return absl::InvalidArgumentError("bootstrap-servers: must not be empty");
  if (topic.empty()) return absl::InvalidArgumentError("topic: must not be empty");
  if (partitions < 1) return absl::InvalidArgumentError("partitions: must be >= 1");
  if (replication_factor < 1) return absl::InvalidArgumentError("replication-factor: must be >= 1");
  return absl::OkStatus();
}

SourceApp::SourceApp(SourceConfig config, std::unique_ptr<common::Producer> producer,
                     std::unique_ptr<common::HttpClient> http)
    : config_(std::move(config)), producer_(std::move(producer)), http_(std::move(http)) {}

absl::StatusOr<std::unique_ptr<SourceApp>> SourceApp::Create(const SourceConfig& config) {
  TS_RETURN_IF_ERROR(config.Validate());
  TS_RETURN_IF_ERROR(common::EnsureTopic(config.bootstrap_servers, config.topic, config.partitions,
                                         config.replication_factor, config.kafka_timeout));
  common::KafkaProducerOptions producer_options = config.producer;
  producer_options.bootstrap_servers = config.bootstrap_servers;
  producer_options.client_id = config.name;
  TS_ASSIGN_OR_RETURN(auto producer, common::CreateKafkaProducer(producer_options));
  TS_ASSIGN_OR_RETURN(auto http, common::CurlHttpClient::Create());
  return CreateWith(config, std::move(producer), std::move(http));
}

absl::StatusOr<std::unique_ptr<SourceApp>> SourceApp::CreateWith(const SourceConfig& config,
                                                                 std::unique_ptr<common::Producer> producer,
                                                                 std::unique_ptr<common::HttpClient> http) {
  TS_RETURN_IF_ERROR(config.Validate());
  return std::unique_ptr<SourceApp>(new SourceApp(config, std::move(producer), std::move(http)));
}

absl::Status SourceApp::Run(SourceSummary* summary) {
  absl::Status status = config_.mode == "search" ? RunSearch(summary) : RunReplay(summary);
  // Wait for every delivery, bounded: a record is only "done" once the broker acknowledged it.
  absl::Status flushed = producer_->Flush(config_.kafka_timeout);
  common::ProducerCounters counters = producer_->Counters();
  summary->produced = counters.produced;
  summary->delivered = counters.delivered;
  summary->delivery_failed = counters.failed;
  if (status.ok() && !flushed.ok()) status = flushed;
  if (status.ok() && counters.failed > 0) {
    status = absl::UnavailableError(absl::StrCat(counters.failed, " record(s) could not be delivered to Kafka topic ",
                                                 config_.topic, " at ", config_.bootstrap_servers));
  }
  return status;
}

absl::Status SourceApp::HandleBody(absl::string_view body, const MappingContext& context, SourceSummary* summary,
                                   ParsedResponse* parsed_out) {
  ++summary->bodies;
  auto parsed = ParseXResponse(body, context);
  if (!parsed.ok()) {
    ++summary->skipped;
    TS_LOG(WARNING) << "skipped " << context.origin << ": " << parsed.status().message();
    return absl::OkStatus();
  }
  for (const SkippedRecord& skipped : parsed->skipped) {
    ++summary->skipped;
    TS_LOG(WARNING) << "skipped " << context.origin << " " << skipped.where << ": " << skipped.reason;
  }
  for (const ApiProblem& problem : parsed->problems) {
    ++summary->api_problems;
    TS_LOG(DEBUG) << "API partial error in " << context.origin << ": " << problem.title << " " << problem.detail;
  }
  for (const auto& envelope : parsed->envelopes) {
    common::ProducerRecord record;
    record.topic = config_.topic;
    record.key = envelope.tweet().id();
    record.value = envelope.SerializeAsString();
    // Consumers that are not ours can tell what the bytes are without out-of-band knowledge.
    record.headers = {{"content-type", "application/x-protobuf"},
                      {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};
    TS_RETURN_IF_ERROR(producer_->Produce(std::move(record)));
    ++summary->tweets;
  }
  producer_->Poll(std::chrono::milliseconds(0));  // serve delivery reports as we go
  if (parsed_out != nullptr) *parsed_out = std::move(*parsed);
  return absl::OkStatus();
}

absl::Status SourceApp::RunReplay(SourceSummary* summary) {
  TS_ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandReplayPaths(config_.replay_files));
  for (const std::string& path : files) {
    if (stop_.load()) break;
    TS_ASSIGN_OR_RETURN(ReplayFile file, ReadReplayFile(path));
    for (const ReplayBody& body : file.bodies) {
      if (stop_.load()) break;
      MappingContext context{config_.name, "replay", body.where, "", absl::Now()};
      TS_RETURN_IF_ERROR(HandleBody(body.body, context, summary));
    }
  }
  return absl::OkStatus();
}

absl::Status SourceApp::RunSearch(SourceSummary* summary) {
  XApiClient client(http_.get(), config_.x_api);
  SearchRequest request;
  request.query = config_.query;
  request.max_results = config_.max_results;
  request.start_time = config_.start_time;
  for (int page = 1; !stop_.load(); ++page) {
    auto response = client.SearchRecent(request);
    if (!response.ok()) return response.status();
    MappingContext context{config_.name, "search", "/2/tweets/search/recent", config_.query, absl::Now()};
    ParsedResponse parsed;
    TS_RETURN_IF_ERROR(HandleBody(response->body, context, summary, &parsed));
    TS_LOG(INFO) << "search page " << page << ": " << parsed.envelopes.size() << " tweets"
                 << (parsed.meta.next_token.empty() ? " (last page)" : "");
    if (parsed.meta.next_token.empty()) break;
    if (config_.max_pages > 0 && page >= config_.max_pages) break;
    request.next_token = parsed.meta.next_token;
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::source
