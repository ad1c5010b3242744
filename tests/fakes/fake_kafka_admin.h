#pragma once
// An in-memory KafkaAdmin for unit tests of the control services and the sink probe (no sockets):
// topics with per-partition watermarks and record timestamps, groups' commits, compacted topics as
// key -> value maps. Every call is counted and records the bootstrap servers it named; a test can
// make every call fail with `error` (a broker down) and groups refuse commits (`active_groups`).

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/kafka_admin.h"

namespace tweetstream::testing {

class FakeKafkaAdmin : public common::KafkaAdmin {
 public:
  struct Partition {
    int64_t low = 0;
    int64_t high = 0;
    // Timestamp (ms) of each offset in [low, high), for OffsetsForTimestamp.
    std::vector<int64_t> timestamps_ms;
  };

  absl::Mutex mu;
  std::map<std::string, std::map<int32_t, Partition>> topics ABSL_GUARDED_BY(mu);
  // group -> topic -> partition -> next offset to read
  std::map<std::string, std::map<std::string, std::map<int32_t, int64_t>>> commits ABSL_GUARDED_BY(mu);
  std::map<std::string, std::map<std::string, std::string>> compacted ABSL_GUARDED_BY(mu);
  std::set<std::string> active_groups ABSL_GUARDED_BY(mu);
  absl::Status error ABSL_GUARDED_BY(mu);  // non-OK: every call fails with it
  std::vector<std::string> calls ABSL_GUARDED_BY(mu);  // "Method bootstrap"

  std::vector<std::string> Calls() {
    absl::MutexLock lock(&mu);
    return calls;
  }
  void SetError(absl::Status status) {
    absl::MutexLock lock(&mu);
    error = std::move(status);
  }

  absl::StatusOr<std::vector<common::PartitionOffsetInfo>> EndOffsets(const std::string& bootstrap,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("EndOffsets " + bootstrap);
    return EndsLocked(topic);
  }
  absl::StatusOr<std::vector<common::PartitionOffsetInfo>> GroupOffsets(const std::string& bootstrap,
                                                                        const std::string& group,
                                                                        const std::string& topic,
                                                                        std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("GroupOffsets " + bootstrap);
    auto out = EndsLocked(topic);
    if (!out.ok()) return out;
    for (auto& info : *out) {
      auto g = commits[group][topic].find(info.partition);
      if (g != commits[group][topic].end()) info.committed = g->second;
    }
    return out;
  }
  absl::Status CommitGroupOffsets(const std::string& bootstrap, const std::string& group, const std::string& topic,
                                  const std::map<int32_t, int64_t>& next_offsets, std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("CommitGroupOffsets " + bootstrap);
    if (!error.ok()) return error;
    if (!topics.count(topic)) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    if (active_groups.count(group)) {
      return absl::FailedPreconditionError(absl::StrCat("group ", group, " has active members"));
    }
    for (const auto& [p, offset] : next_offsets) commits[group][topic][p] = offset;
    return absl::OkStatus();
  }
  absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap, const std::string& topic,
                                                                 int64_t timestamp_ms, std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("OffsetsForTimestamp " + bootstrap);
    if (!error.ok()) return error;
    auto t = topics.find(topic);
    if (t == topics.end()) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    std::map<int32_t, int64_t> out;
    for (const auto& [p, part] : t->second) {
      out[p] = part.high;
      for (size_t i = 0; i < part.timestamps_ms.size(); ++i) {
        if (part.timestamps_ms[i] >= timestamp_ms) {
          out[p] = part.low + static_cast<int64_t>(i);
          break;
        }
      }
    }
    return out;
  }
  absl::Status EnsureTopic(const std::string& bootstrap, const std::string& topic, int partitions, int,
                           std::chrono::milliseconds, const std::map<std::string, std::string>&) override {
    absl::MutexLock lock(&mu);
    calls.push_back("EnsureTopic " + bootstrap);
    if (!error.ok()) return error;
    if (!topics.count(topic)) {
      for (int p = 0; p < partitions; ++p) topics[topic][p] = Partition{};
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap,
                                                                         const std::string& topic,
                                                                         std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("DescribeTopicConfig " + bootstrap);
    if (!error.ok()) return error;
    if (!topics.count(topic)) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    return std::map<std::string, std::string>{};
  }
  absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap,
                                                                        const std::string& topic,
                                                                        std::chrono::milliseconds) override {
    absl::MutexLock lock(&mu);
    calls.push_back("ReadCompactedTopic " + bootstrap);
    if (!error.ok()) return error;
    auto it = compacted.find(topic);
    if (it == compacted.end()) return std::map<std::string, std::string>{};
    return it->second;
  }

 private:
  absl::StatusOr<std::vector<common::PartitionOffsetInfo>> EndsLocked(const std::string& topic)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (!error.ok()) return error;
    auto t = topics.find(topic);
    if (t == topics.end()) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    std::vector<common::PartitionOffsetInfo> out;
    for (const auto& [p, part] : t->second) {
      common::PartitionOffsetInfo info;
      info.partition = p;
      info.low = part.low;
      info.high = part.high;
      out.push_back(info);
    }
    return out;
  }
};

}  // namespace tweetstream::testing
