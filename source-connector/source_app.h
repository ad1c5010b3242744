#pragma once
// The tweet-source application: reads tweets (replayed files or the X API's recent search), maps
// them to TweetEnvelope and produces them to Kafka, keyed by tweet id, waiting for every delivery.
//
// Lifecycle: Create() (validates, connects, ensures the topic) -> Run() on one thread until the
// input is exhausted or RequestStop() is called from any thread (e.g. a signal handler's watcher)
// -> the summary. Run() flushes the producer with a deadline before it returns.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http_client.h"
#include "common/kafka_producer.h"
#include "source-connector/x_api_client.h"
#include "source-connector/x_json_mapper.h"

namespace tweetstream::source {

struct SourceConfig {
  // Connector instance name, stamped into every envelope's ingestion.connector.
  std::string name = "tweet-source";
  // "replay" (recorded files) or "search" (GET /2/tweets/search/recent).
  std::string mode = "replay";
  // replay: files or directories of recorded responses.
  std::vector<std::string> replay_files;
  // search: the query, and at most this many pages per run (0 = follow next_token to the end).
  std::string query;
  int max_results = 100;
  int max_pages = 0;
  std::string start_time;
  // X API endpoint and credentials (the token comes from X_BEARER_TOKEN, never from a flag).
  XApiOptions x_api;

  // Kafka.
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "twitter-stream";
  // Used only when the topic does not exist yet.
  int partitions = 3;
  int replication_factor = 1;
  // Bounded wait for the broker at start, and for outstanding deliveries at the end.
  std::chrono::milliseconds kafka_timeout{30000};
  common::KafkaProducerOptions producer;

  absl::Status Validate() const;
};

struct SourceSummary {
  int64_t bodies = 0;           // response bodies (pages, lookups, stream lines) read
  int64_t tweets = 0;           // tweets mapped
  int64_t skipped = 0;          // records that could not be mapped (malformed body, tweet without id/text)
  int64_t api_problems = 0;     // partial errors reported by the API inside 2xx bodies
  int64_t produced = 0;
  int64_t delivered = 0;
  int64_t delivery_failed = 0;
};

class SourceApp {
 public:
  // Real Kafka producer and libcurl client; checks that the broker answers (bounded by
  // kafka_timeout) and creates the topic when missing. UNAVAILABLE naming the address otherwise.
  static absl::StatusOr<std::unique_ptr<SourceApp>> Create(const SourceConfig& config);
  // For tests: given producer and HTTP client; no topic creation.
  static absl::StatusOr<std::unique_ptr<SourceApp>> CreateWith(const SourceConfig& config,
                                                               std::unique_ptr<common::Producer> producer,
                                                               std::unique_ptr<common::HttpClient> http);

  // Runs to the end of the input. OK when everything read was delivered (skipped bad records are
  // counted, not errors); the first fatal error otherwise (e.g. UNAUTHENTICATED from the X API,
  // DEADLINE_EXCEEDED when deliveries did not complete). The summary is filled in either case.
  absl::Status Run(SourceSummary* summary);

  // Asks Run() to stop after the current body; safe from any thread.
  void RequestStop() { stop_.store(true); }

 private:
  SourceApp(SourceConfig config, std::unique_ptr<common::Producer> producer,
            std::unique_ptr<common::HttpClient> http);
  absl::Status RunReplay(SourceSummary* summary);
  absl::Status RunSearch(SourceSummary* summary);
  // Maps one body and produces its tweets.
  absl::Status HandleBody(absl::string_view body, const MappingContext& context, SourceSummary* summary,
                          ParsedResponse* parsed_out = nullptr);

  SourceConfig config_;
  std::unique_ptr<common::Producer> producer_;
  std::unique_ptr<common::HttpClient> http_;
  std::atomic<bool> stop_{false};
};

}  // namespace tweetstream::source
