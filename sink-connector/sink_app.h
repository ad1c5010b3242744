#pragma once
// The tweet-sink application: consumes `twitter-stream` in a consumer group, renders each
// TweetEnvelope as an Elasticsearch document and writes it with `_bulk` (`_id` = tweet id, so every
// replay is idempotent), checks every item of every bulk response, and commits each partition's
// offset as a contiguous watermark: never past a record that is not yet indexed or dead-lettered.
//
// Threads: the caller's thread runs Run(): it polls Kafka, closes batches (records, bytes, linger),
// commits watermarks, serves rebalances and the dead-letter producer. `max_in_flight` worker threads
// send the bulk requests (each with its own HTTP connection) and retry what is retriable.
// Flow: when the records in flight reach `max_pending_records` the partitions are paused (the
// consumer keeps polling so it stays in the group) and resumed when half have drained.
// Failure: transient errors (Elasticsearch down, 429, 5xx, timeouts) never stop the sink: it retries
// with capped, jittered backoff and reports DEGRADED with the cause; authentication errors make it
// FAILED with the reason, and Run() returns them. Records that can never be indexed (not a
// TweetEnvelope, rejected by the mapping) go to the dead-letter topic with the reason in headers.
// Stop: RequestStop() (any thread, signal-safe) -> stop polling, finish in-flight bulks within
// `shutdown_timeout`, commit what is done, leave the group.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "common/metrics.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_status.h"

namespace tweetstream::sink {

struct SinkConfig {
  std::string name = "tweet-sink";
  // Kafka.
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "twitter-stream";
  std::string group_id = "tweet-sink";
  // Where a group without committed offsets starts: "earliest" or "latest".
  std::string start_from = "earliest";
  // Extra librdkafka consumer properties (e.g. session.timeout.ms), applied last.
  std::map<std::string, std::string> consumer_properties;
  // Dead-letter topic for records that can never be indexed; empty = log and skip them.
  std::string dlq_topic = "twitter-stream-dlq";
  // Elasticsearch.
  EsOptions es;
  // A fixed index or alias ("twitter"), or a date pattern on created_at ("twitter-%Y.%m.%d", UTC).
  std::string index = "twitter";
  // The composable index template installed at start; empty = "tweetstream-<index prefix>".
  std::string template_name;
  // A bulk request closes at whichever bound comes first.
  int batch_max_records = 2000;
  int64_t batch_max_bytes = 5 * 1024 * 1024;
  std::chrono::milliseconds linger{1000};
  // Bulk requests in flight at once (one worker thread and HTTP connection each).
  int max_in_flight = 2;
  // Records in flight (consumed, not yet done) at which the partitions are paused. 0 = 4 batches.
  int64_t max_pending_records = 0;
  // Backoff between retries of a failed bulk request or of retriable items (doubling, capped, ±20%).
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{30000};
  // Bounded waits: Elasticsearch and Kafka at start; in-flight work at a revocation and at shutdown.
  std::chrono::milliseconds es_wait_timeout{60000};
  std::chrono::milliseconds kafka_timeout{30000};
  std::chrono::milliseconds revoke_timeout{10000};
  std::chrono::milliseconds shutdown_timeout{30000};
  // When > 0, Run() returns once nothing arrived and nothing was in flight for this long.
  std::chrono::milliseconds exit_when_idle{0};
  // Where to write the status JSON every second (empty = nowhere).
  std::string status_file;
  // Histograms (bulk latency and size, end-to-end latency) are recorded here when set; not owned.
  common::MetricsRegistry* metrics = nullptr;
  // Told of every record sent to the dead-letter topic (error class, message); any thread.
  std::function<void(const std::string& error_class, const std::string& message)> on_dead_letter;

  bool IndexIsPattern() const { return index.find('%') != std::string::npos; }
  // "twitter" -> "twitter"; "twitter-%Y.%m.%d" -> "twitter-".
  std::string IndexPrefix() const { return index.substr(0, index.find('%')); }
  std::string EffectiveTemplateName() const;
  int64_t EffectiveMaxPending() const {
    return max_pending_records > 0 ? max_pending_records : 4 * static_cast<int64_t>(batch_max_records);
  }
  absl::Status Validate() const;
};

class SinkApp {
 public:
  // Real Kafka consumer, dead-letter producer and libcurl clients; waits (bounded) for Elasticsearch
  // and Kafka, installs the index template.
  static absl::StatusOr<std::unique_ptr<SinkApp>> Create(const SinkConfig& config);
  // For tests: the given consumer (its rebalance hooks are not wired: call Assign()), producer
  // (may be null when dlq_topic is empty), and a factory of HTTP clients (one per worker + one).
  static absl::StatusOr<std::unique_ptr<SinkApp>> CreateWith(
      const SinkConfig& config, std::unique_ptr<common::Consumer> consumer, std::unique_ptr<common::Producer> dlq,
      std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory);
  ~SinkApp();

  // Runs until stopped (see the file comment). OK on a clean stop; UNAUTHENTICATED /
  // PERMISSION_DENIED (and the FAILED state) when Elasticsearch rejects our credentials.
  absl::Status Run();
  void RequestStop() { stop_.store(true); }
  // Operator pause (control plane): stop taking records and pause the partitions (the member stays
  // in its group, open batches are flushed, offsets committed); false resumes. Any thread.
  void SetPaused(bool paused) { operator_paused_.store(paused); }
  bool operator_paused() const { return operator_paused_.load(); }
  const SinkConfig& config() const { return config_; }

  SinkStatus& status() { return status_; }
  // Rebalance hooks (wired to the real consumer by Create()).
  void OnAssign(const std::vector<common::TopicPartition>& partitions);
  void OnRevoke(const std::vector<common::TopicPartition>& partitions);

  struct Item;
  struct Batch;
  struct Outcome;

 private:
  class Workers;
  SinkApp(SinkConfig config, std::unique_ptr<common::Producer> dlq,
          std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory);
  static absl::Status Prepare(const SinkConfig& config, common::HttpClient* http);

  void Accept(common::ConsumerRecord&& record);
  void CloseBatch();
  // Applies finished bulks' outcomes; serves the dead-letter producer; updates flow and status.
  void Drain();
  void DeadLetter(std::unique_ptr<Item> item, const std::string& error_class, const std::string& message);
  void CommitDone(const std::vector<common::TopicPartition>* only = nullptr);
  void UpdateFlow();
  void WriteStatusIfDue(bool force = false);
  // Waits (bounded) until `pred` holds, draining meanwhile.
  bool WaitDraining(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

  SinkConfig config_;
  std::unique_ptr<common::Consumer> consumer_;
  std::unique_ptr<common::Producer> dlq_;
  std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory_;
  std::unique_ptr<Workers> workers_;
  SinkStatus status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> operator_paused_{false};

  // Owned by the Run() thread.
  std::unique_ptr<Batch> open_batch_;
  std::chrono::steady_clock::time_point batch_opened_;
  bool paused_ = false;
  bool throttled_ = false;
  std::chrono::steady_clock::time_point throttled_since_{};
  std::chrono::steady_clock::time_point last_status_write_;
  // Forward declared to keep librdkafka and friends out of this header.
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tweetstream::sink
