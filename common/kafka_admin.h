#pragma once
// KafkaAdmin: the Kafka questions and admin operations of the control planes and the sink's probe
// (partition watermarks, a group's committed offsets, committing them from outside the group,
// offsets for a time, creating and describing a topic, reading a compacted topic whole), in our own
// types. RdKafkaAdmin is the librdkafka implementation: ONE long-lived client per object, made on
// the first call and reused by every later one, so a status poll or a GetOffsets costs the requests
// it sends and not a new client (connections, metadata, coordinator lookup) each time.
//
// Every call names the cluster (`bootstrap_servers`, as the caller's current configuration says):
// RdKafkaAdmin keeps the client of the last cluster asked and makes a new one when the address
// changes (an UpdateConfig of bootstrap-servers), so no call ever goes to a cluster the
// configuration no longer names. Calls in flight on the old client finish on it.
//
// Status codes (what the caller should do):
//   NOT_FOUND           the topic does not exist (offsets, describe)
//   UNAVAILABLE         no broker answered, or the broker failed the request: retry later
//   DEADLINE_EXCEEDED   no answer within `timeout`: retry
//   FAILED_PRECONDITION CommitGroupOffsets while the group has active members: stop them first
//   PERMISSION_DENIED   the principal lacks the rights (describe)
//   INVALID_ARGUMENT    the client could not be configured (a malformed address), a bad topic spec
// Thread-safety: every method may be called from any thread, concurrently.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tweetstream::common {

// Offsets of one partition: the group's commit (-1 when none) and the log's watermarks.
struct PartitionOffsetInfo {
  int32_t partition = 0;
  int64_t committed = -1;
  int64_t low = 0;   // first offset still in the log
  int64_t high = 0;  // next offset to be written (the end)
  // Records the group has still to read: high - committed, or high - low without a commit.
  int64_t Lag() const { return committed >= 0 ? std::max<int64_t>(0, high - committed) : high - low; }
};

class KafkaAdmin {
 public:
  virtual ~KafkaAdmin() = default;

  // Every partition of `topic` (ascending) with its watermarks; `committed` stays -1.
  virtual absl::StatusOr<std::vector<PartitionOffsetInfo>> EndOffsets(const std::string& bootstrap_servers,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) = 0;
  // EndOffsets plus `group`'s committed offsets (-1 where the group has none).
  virtual absl::StatusOr<std::vector<PartitionOffsetInfo>> GroupOffsets(const std::string& bootstrap_servers,
                                                                        const std::string& group,
                                                                        const std::string& topic,
                                                                        std::chrono::milliseconds timeout) = 0;
  // Commits `next_offsets` (partition -> next offset to read) for `group` from outside the group.
  // FAILED_PRECONDITION while the group has active members (the broker refuses).
  virtual absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                          const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                          std::chrono::milliseconds timeout) = 0;
  // Per partition of `topic`: the first offset whose timestamp is >= `timestamp_ms` (the end offset
  // when there is none).
  virtual absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                                         const std::string& topic, int64_t timestamp_ms,
                                                                         std::chrono::milliseconds timeout) = 0;
  // Creates `topic` if it does not exist (replication_factor -1 = the broker's default). OK when it
  // already exists. After a creation, waits (bounded) until every broker reports it led.
  virtual absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                                   int replication_factor, std::chrono::milliseconds timeout,
                                   const std::map<std::string, std::string>& topic_config) = 0;
  // The topic's configuration as the broker applies it ("cleanup.policy" -> "compact", ...).
  virtual absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                                 const std::string& topic,
                                                                                 std::chrono::milliseconds timeout) = 0;
  // Reads a (compacted) topic from its beginning to its current end, all partitions: the last value
  // of every key (a key whose last record is a tombstone is absent). An absent topic reads as empty.
  // DEADLINE_EXCEEDED when the end was not reached within `timeout`.
  virtual absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                                const std::string& topic,
                                                                                std::chrono::milliseconds timeout) = 0;
};

class RdKafkaAdmin final : public KafkaAdmin {
 public:
  // Makes no connection: the client is made on the first call.
  explicit RdKafkaAdmin(std::string client_id = "tweetstream-admin") : client_id_(std::move(client_id)) {}
  ~RdKafkaAdmin() override;
  RdKafkaAdmin(const RdKafkaAdmin&) = delete;
  RdKafkaAdmin& operator=(const RdKafkaAdmin&) = delete;

  absl::StatusOr<std::vector<PartitionOffsetInfo>> EndOffsets(const std::string& bootstrap_servers,
                                                              const std::string& topic,
                                                              std::chrono::milliseconds timeout) override;
  absl::StatusOr<std::vector<PartitionOffsetInfo>> GroupOffsets(const std::string& bootstrap_servers,
                                                                const std::string& group, const std::string& topic,
                                                                std::chrono::milliseconds timeout) override;
  absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                  const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                  std::chrono::milliseconds timeout) override;
  absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                                 const std::string& topic, int64_t timestamp_ms,
                                                                 std::chrono::milliseconds timeout) override;
  absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                           int replication_factor, std::chrono::milliseconds timeout,
                           const std::map<std::string, std::string>& topic_config) override;
  absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                         const std::string& topic,
                                                                         std::chrono::milliseconds timeout) override;
  absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                        const std::string& topic,
                                                                        std::chrono::milliseconds timeout) override;

  // librdkafka clients made so far (1 after any number of calls to one cluster; +1 per change of
  // address). For tests and the report of what a call costs.
  int clients_created() const;

 private:
  struct Client;
  // The client for `bootstrap_servers`: the current one, or a new one replacing it.
  absl::StatusOr<std::shared_ptr<Client>> ClientFor(const std::string& bootstrap_servers);

  const std::string client_id_;
  mutable absl::Mutex mu_;
  std::shared_ptr<Client> client_ ABSL_GUARDED_BY(mu_);
  int clients_created_ ABSL_GUARDED_BY(mu_) = 0;
};

// One-shot forms for start-up code and tests (each makes and drops a client: not for a loop).
// Same contracts as the KafkaAdmin methods above.
absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                         int replication_factor, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& topic_config = {});
absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                       const std::string& topic,
                                                                       std::chrono::milliseconds timeout);
absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout);
absl::StatusOr<std::vector<PartitionOffsetInfo>> DescribeGroupOffsets(const std::string& bootstrap_servers,
                                                                      const std::string& group,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout);
absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                std::chrono::milliseconds timeout);
absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                               const std::string& topic, int64_t timestamp_ms,
                                                               std::chrono::milliseconds timeout);

// OK when a broker at `bootstrap_servers` answers a metadata request within `timeout`; UNAVAILABLE
// naming the address otherwise.
absl::Status CheckKafkaReachable(const std::string& bootstrap_servers, std::chrono::milliseconds timeout);

}  // namespace tweetstream::common
