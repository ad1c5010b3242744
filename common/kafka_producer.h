#pragma once
// A narrow Kafka producer interface in our own types (no librdkafka type leaks through), with the
// librdkafka implementation. Delivery is asynchronous: Produce() enqueues, the delivery report comes
// back through the callback given to the record, served by Poll() or Flush() on the caller's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/metrics.h"

namespace tweetstream::common {

// Result of one delivery: OK with partition/offset, or the final error (the producer already
// retried what is retriable; a failed delivery is final).
struct DeliveryReport {
  absl::Status status;
  int32_t partition = -1;
  int64_t offset = -1;
};

struct ProducerRecord {
  std::string topic;
  std::string key;
  // Unset = a null value (a tombstone: "this key was deleted").
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  // Called once, on the thread that calls Poll()/Flush(). May be empty.
  std::function<void(const DeliveryReport&)> on_delivery;
};

// A record whose bytes stay the caller's: ProduceCopy() copies what it keeps before it returns, so a
// hot loop can reuse its buffers and its constant headers (no per-record allocation on the caller's
// side, no per-record callback). Everything is borrowed for the duration of the call only.
struct ProducerRecordRef {
  absl::string_view topic;
  absl::string_view key;
  absl::string_view value;  // always a value (a tombstone goes through Produce with an unset value)
  absl::Span<const std::pair<absl::string_view, absl::string_view>> headers;
  // When set, each record that is delivered has its latency observed here, in seconds: from the call to
  // ProduceCopy() (a wait for room in a full queue included) to the broker's acknowledgement, read on
  // the thread that serves the delivery report. Failed deliveries are counted (ProducerCounters), not
  // observed. Not owned; must outlive the producer's last delivery report.
  Histogram* delivery_seconds = nullptr;
};

struct ProducerCounters {
  int64_t produced = 0;   // enqueued
  int64_t delivered = 0;  // acknowledged by the broker
  int64_t failed = 0;     // delivery failed for good
};

class Producer {
 public:
  virtual ~Producer() = default;
  // Enqueues a record. When the local queue is full it serves delivery reports and waits (up to
  // `enqueue_timeout` of the options) instead of growing memory: a full queue slows the reader.
  // RESOURCE_EXHAUSTED when the queue stayed full; INVALID_ARGUMENT for a record the broker will
  // never take (too large). Takes the record by value: move it in (the librdkafka implementation
  // keeps the moved value until the delivery report instead of copying it).
  virtual absl::Status Produce(ProducerRecord record) = 0;
  // The same for a borrowed record (see ProducerRecordRef), same status codes, same ordering with
  // Produce(). The default builds a ProducerRecord (copies, and an on_delivery that observes
  // `delivery_seconds`) and calls Produce(); the librdkafka implementation copies the value into a
  // bounded arena of its own (KafkaProducerOptions::copy_arena_bytes) and allocates nothing per record
  // itself (librdkafka still allocates its message and the headers).
  virtual absl::Status ProduceCopy(const ProducerRecordRef& record);
  // Serves pending delivery reports, waiting up to `timeout` for the first.
  virtual void Poll(std::chrono::milliseconds timeout) = 0;
  // Waits until every enqueued record is delivered or failed; DEADLINE_EXCEEDED if some are still
  // in flight at the deadline.
  virtual absl::Status Flush(std::chrono::milliseconds timeout) = 0;
  virtual ProducerCounters Counters() const = 0;
  // OK, or INTERNAL with the reason once the producer hit a fatal error (librdkafka's idempotent
  // producer raises one when it can no longer guarantee ordering without gaps or duplicates, e.g. the
  // broker lost acknowledged records or fenced the producer id). A fatal producer stays unusable:
  // every later Produce() fails and the owner has to stop and start again with a new producer.
  // Any thread; it does not need Poll() to be called (it reads librdkafka's state directly).
  virtual absl::Status FatalError() const { return absl::OkStatus(); }
};

struct KafkaProducerOptions {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string client_id = "tweet-source";
  // zstd: tweets are small and repetitive JSON-like protobuf; zstd compresses them best per CPU.
  std::string compression = "zstd";
  // Wait a little to fill batches: throughput over latency for a firehose of small records.
  int linger_ms = 20;
  int batch_size_bytes = 1 << 20;
  // Bound on the local queue: memory stays bounded whatever the reader's speed.
  int queue_max_messages = 100000;
  int queue_max_kbytes = 256 * 1024;
  // A delivery that is not confirmed within this time fails (and the cursor never passes it).
  std::chrono::milliseconds delivery_timeout{120000};
  // ProduceCopy() keeps the values of records in flight in blocks of 1 MiB, never more than this many
  // bytes (beyond: librdkafka copies each value, one allocation per record); up to 32 spare blocks
  // stay allocated for reuse. 0 = always let librdkafka copy.
  size_t copy_arena_bytes = size_t{64} << 20;
  // How long Produce() or ProduceCopy() waits for room in a full queue before giving up (counted from
  // the first time it finds the queue full).
  std::chrono::milliseconds enqueue_timeout{60000};
  // Extra librdkafka properties, applied last (for operators; not validated here).
  std::map<std::string, std::string> extra;
};

// librdkafka producer: enable.idempotence=true and acks=all, always (see DESIGN.md).
absl::StatusOr<std::unique_ptr<Producer>> CreateKafkaProducer(const KafkaProducerOptions& options);

// For tests only: raises a fabricated fatal error with `reason` in a producer made by
// CreateKafkaProducer, through librdkafka's own test hook (rd_kafka_test_fatal_error: a real fatal
// error of the idempotent producer cannot be caused on purpose). INVALID_ARGUMENT for another
// Producer, FAILED_PRECONDITION when a fatal error was raised already.
absl::Status TriggerFatalErrorForTesting(Producer* producer, const std::string& reason);

}  // namespace tweetstream::common
