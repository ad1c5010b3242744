#pragma once
// The tweet-sink application: consumes `twitter-stream` in a consumer group, renders each
// TweetEnvelope as an Elasticsearch document and writes it with `_bulk` (`_id` = tweet id, so every
// replay is idempotent), checks every item of every bulk response, and commits a partition's offset
// only after every record before it was indexed (or, for records that can never be indexed,
// reported and counted).
//
// Lifecycle: Create() (validates; waits, bounded, for Elasticsearch and Kafka; installs the index
// template) -> Run() on one thread until RequestStop() (any thread) or, with exit_when_idle, until the
// topic stays quiet -> the in-flight batch is finished (or abandoned uncommitted if Elasticsearch
// stays down), offsets committed, the group left.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "sink-connector/es_client.h"

namespace tweetstream::sink {

struct SinkConfig {
  std::string name = "tweet-sink";
  // Kafka.
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "twitter-stream";
  std::string group_id = "tweet-sink";
  // Where a group without committed offsets starts: "earliest" or "latest".
  std::string start_from = "earliest";
  // Elasticsearch.
  EsOptions es;
  std::string index = "twitter";
  // The composable index template installed at start, matching `index`*; empty = "tweetstream-<index>".
  std::string template_name;
  // A bulk request closes at whichever bound comes first.
  int batch_max_records = 2000;
  int64_t batch_max_bytes = 5 * 1024 * 1024;
  std::chrono::milliseconds linger{1000};
  // Backoff between retries of a failed bulk request or of retriable items (doubling, capped).
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{30000};
  // Bounded waits at start: for Elasticsearch to answer, and for a Kafka broker to answer.
  std::chrono::milliseconds es_wait_timeout{60000};
  std::chrono::milliseconds kafka_timeout{30000};
  // When > 0, Run() returns once no record arrived for this long (for batch jobs, demos and tests).
  std::chrono::milliseconds exit_when_idle{0};

  std::string EffectiveTemplateName() const { return template_name.empty() ? "tweetstream-" + index : template_name; }
  absl::Status Validate() const;
};

struct SinkSummary {
  int64_t consumed = 0;     // records read from Kafka
  int64_t indexed = 0;      // documents written (created or updated)
  int64_t deleted = 0;      // tombstones applied
  int64_t rejected = 0;     // documents Elasticsearch refused for good (mapping/parse errors)
  int64_t undecodable = 0;  // records that are not a TweetEnvelope (poison), skipped
  int64_t retried = 0;      // item retries (429 / 5xx items) and whole-request retries
  int64_t bulks = 0;        // bulk requests that got an answer
  int64_t commits = 0;      // offset commits
};

class SinkApp {
 public:
  static absl::StatusOr<std::unique_ptr<SinkApp>> Create(const SinkConfig& config);

  // Runs until stopped (see the file comment). OK on a clean stop; UNAUTHENTICATED /
  // PERMISSION_DENIED when Elasticsearch or Kafka reject our credentials; the summary is filled in.
  absl::Status Run(SinkSummary* summary);

  // Asks Run() to finish the current batch and return; safe from any thread (and signal handlers).
  void RequestStop() { stop_.store(true); }

 private:
  struct Item;
  SinkApp(SinkConfig config, std::unique_ptr<common::Consumer> consumer, std::unique_ptr<common::HttpClient> http);
  // Indexes one polled batch. OK when every record is done (indexed, deleted, rejected or
  // undecodable); CANCELLED when a stop was requested while Elasticsearch was failing (nothing of
  // the batch may then be committed); a fatal error otherwise.
  absl::Status ProcessBatch(const std::vector<common::ConsumerRecord>& records, SinkSummary* summary);
  absl::Status SendUntilDone(std::vector<Item*> items, SinkSummary* summary);
  // Sleeps for the backoff, waking early on a stop; false when stopping.
  bool Backoff(std::chrono::milliseconds* delay);

  SinkConfig config_;
  std::unique_ptr<common::Consumer> consumer_;
  std::unique_ptr<common::HttpClient> http_;
  EsClient es_;
  std::atomic<bool> stop_{false};
};

}  // namespace tweetstream::sink
