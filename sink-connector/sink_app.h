#pragma once
// The tweet-sink application: consumes `twitter-stream` in a consumer group, renders each
// TweetEnvelope as an Elasticsearch document and writes it with `_bulk` (`_id` = tweet id, so every
// replay is idempotent), checks every item of every bulk response, and commits each partition's
// offset as a contiguous watermark: never past a record that is not yet indexed or dead-lettered.
//
// Rooms: bulk_request.h (items, action lines, versions), bulk_sender.h (workers, retries,
// bisection), bulk_errors.h (whose fault an item error is), dead_letter_queue.h (the DLQ),
// offset_tracker.h (the watermark); this file is the run loop, flow control, rebalances, commits.
// Threads: the caller's thread runs Run(): it polls Kafka, closes batches (records, bytes, linger),
// commits watermarks, serves rebalances and the dead-letter producer. `max_in_flight` worker threads
// send the bulk requests (each with its own HTTP connection) and retry what is retriable.
// Flow: when the records in flight reach `max_pending_records`, or their bytes `max_pending_bytes`,
// the sink stops taking records, and pauses the partitions if that lasts (the consumer keeps polling
// so it stays in the group); it resumes when both have fallen to half.
// Failure: transient errors (Elasticsearch down, 429, 5xx, timeouts) and errors that are not the
// record's fault (authorization on an index, a missing index, write blocks) never stop the sink and
// never dead-letter: it holds, retries with capped, jittered backoff and reports DEGRADED with the
// cause; rejected credentials make it FAILED with the reason, and Run() returns them. Records that
// can never be indexed (not a TweetEnvelope, an invalid id, rejected by the mapping) go to the
// dead-letter topic with the reason in headers.
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
#include "sink-connector/bulk_request.h"
#include "sink-connector/bulk_sender.h"
#include "sink-connector/dead_letter_queue.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_config.h"
#include "sink-connector/sink_status.h"

namespace tweetstream::sink {

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

  // The flow figures (records and bytes in flight, SinkItem::bytes()); for tests and the status.
  int64_t pending_records() const;
  int64_t pending_bytes() const;

 private:
  SinkApp(SinkConfig config, std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory);
  static absl::Status Prepare(const SinkConfig& config, common::HttpClient* http);
  // Builds the sender and the dead-letter queue (the constructor's second half).
  void Start(std::unique_ptr<common::Producer> dlq, std::vector<std::unique_ptr<common::HttpClient>> https);

  void Accept(common::ConsumerRecord&& record);
  void CloseBatch();
  // Applies finished bulks' outcomes; serves the dead-letter queue.
  void Drain();
  void Done(const SinkItem& item);
  void CommitDone(const std::vector<common::TopicPartition>* only = nullptr);
  // Pauses / resumes the partitions by the records and bytes in flight (and the operator's pause).
  void UpdateFlow();
  void WriteStatusIfDue(bool force = false);
  // Waits (bounded) until `pred` holds, draining meanwhile.
  bool WaitDraining(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

  SinkConfig config_;
  std::function<absl::StatusOr<std::unique_ptr<common::HttpClient>>()> http_factory_;
  SinkStatus status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> operator_paused_{false};
  // True when the consumer serves rebalance hooks (Create()): a partition without a current
  // assignment is then never tracked (its records belong to another member).
  bool hooks_wired_ = false;

  // Owned by the Run() thread.
  std::unique_ptr<BulkBatch> open_batch_;
  std::chrono::steady_clock::time_point batch_opened_;
  bool paused_ = false;
  bool throttled_ = false;
  std::chrono::steady_clock::time_point throttled_since_{};
  std::chrono::steady_clock::time_point last_status_write_;
  // Forward declared to keep librdkafka and friends out of this header.
  struct State;
  std::unique_ptr<State> state_;
  std::unique_ptr<common::Consumer> consumer_;
  // Last, destroyed first (and explicitly in the destructor): their threads and delivery reports
  // touch everything above.
  std::unique_ptr<DeadLetterQueue> dead_letters_;
  std::unique_ptr<BulkSender> sender_;
};

}  // namespace tweetstream::sink
