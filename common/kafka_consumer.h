#pragma once
// A narrow Kafka consumer interface in our own types, with the librdkafka implementation.
// Offsets are committed only explicitly (auto-commit off): the sink decides what is done.
// Thread-safety: use from one thread.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
// The admin calls (offsets, topics) that used to be declared here.
#include "common/kafka_admin.h"

namespace tweetstream::common {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  }
  friend bool operator==(const TopicPartition& a, const TopicPartition& b) = default;
};

struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  // Unset for a tombstone (null value).
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = -1;
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Returns up to `max_records` records, waiting up to `timeout` for the first one. Errors that the
  // client recovers from by itself are logged, not returned; a returned error is fatal
  // (e.g. authentication) or UNAVAILABLE while no broker answers.
  virtual absl::StatusOr<std::vector<ConsumerRecord>> Poll(size_t max_records,
                                                           std::chrono::milliseconds timeout) = 0;
  // Commits, synchronously, the given next-offsets-to-read.
  virtual absl::Status Commit(const std::map<TopicPartition, int64_t>& next_offsets) = 0;
  // Partitions currently assigned to this member.
  virtual std::vector<TopicPartition> Assignment() = 0;
  // Stops / restarts fetching from these partitions while staying in the group (backpressure).
  virtual absl::Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual absl::Status Resume(const std::vector<TopicPartition>& partitions) = 0;
  // Leaves the group cleanly (revocation hooks run for what is still assigned).
  virtual absl::Status Close() = 0;
};

// Rebalance hooks, called on the polling thread from inside Poll()/Close(). `on_revoke` runs BEFORE
// the partitions are given up: it may still Commit() offsets for them (and should: whatever is done).
struct RebalanceHooks {
  std::function<void(const std::vector<TopicPartition>&)> on_assign;
  std::function<void(const std::vector<TopicPartition>&)> on_revoke;
};

struct KafkaConsumerOptions {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id = "tweet-sink";
  std::string client_id = "tweet-sink";
  std::vector<std::string> topics = {"twitter-stream"};
  // Where a new group starts: "earliest" or "latest".
  std::string start_from = "earliest";
  std::map<std::string, std::string> extra;
  RebalanceHooks hooks;
};

absl::StatusOr<std::unique_ptr<Consumer>> CreateKafkaConsumer(const KafkaConsumerOptions& options);

}  // namespace tweetstream::common
