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

// Creates `topic` if it does not exist (partitions, replication factor; -1 = the broker's
// default.replication.factor, Kafka >= 2.4). OK when it already exists.
// UNAVAILABLE naming the address when no broker answered within `timeout`.
absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                         int replication_factor, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& topic_config = {});

// The configuration of an existing topic as the broker applies it (its own settings and the broker's
// defaults for the rest), e.g. "cleanup.policy" -> "compact", "max.message.bytes" -> "1048588".
// NOT_FOUND when the topic does not exist; UNAVAILABLE/DEADLINE_EXCEEDED when the broker does not
// answer within `timeout`; PERMISSION_DENIED without DescribeConfigs rights.
absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                       const std::string& topic,
                                                                       std::chrono::milliseconds timeout);

// Reads a (compacted) topic from its beginning to its current end, all partitions, and returns the last
// value of every key (keys whose last record is a tombstone are absent). A topic that does not exist
// reads as empty. DEADLINE_EXCEEDED when the end was not reached within `timeout`.
absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout);

// OK when a broker at `bootstrap_servers` answers a metadata request within `timeout`; UNAVAILABLE
// naming the address otherwise.
absl::Status CheckKafkaReachable(const std::string& bootstrap_servers, std::chrono::milliseconds timeout);

// Offsets of one partition: the group's commit (-1 when none) and the log's watermarks.
struct PartitionOffsetInfo {
  int32_t partition = 0;
  int64_t committed = -1;
  int64_t low = 0;   // first offset still in the log
  int64_t high = 0;  // next offset to be written (the end)
  // Records the group has still to read: high - committed, or high - low without a commit.
  int64_t Lag() const { return committed >= 0 ? std::max<int64_t>(0, high - committed) : high - low; }
};

// Every partition of `topic` with `group`'s committed offsets and the watermarks. NOT_FOUND when the
// topic does not exist; UNAVAILABLE when the broker does not answer within `timeout`.
absl::StatusOr<std::vector<PartitionOffsetInfo>> DescribeGroupOffsets(const std::string& bootstrap_servers,
                                                                      const std::string& group,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout);

// Commits `next_offsets` (partition -> next offset to read) for `group` from outside the group. The
// broker refuses while the group has active members: FAILED_PRECONDITION then (stop the sink first).
absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                std::chrono::milliseconds timeout);

// Per partition of `topic`: the first offset whose timestamp is >= `timestamp_ms` (the end offset when
// there is none).
absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                               const std::string& topic, int64_t timestamp_ms,
                                                               std::chrono::milliseconds timeout);

}  // namespace tweetstream::common
