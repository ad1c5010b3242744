#pragma once
// An in-memory Consumer for unit tests: serves scripted records, records every commit (with the value
// of an observer callback at commit time), honours pause/resume.

#include <deque>
#include <functional>
#include <set>

#include "absl/synchronization/mutex.h"
#include "common/kafka_consumer.h"

namespace tweetstream::testing {

class FakeConsumer : public common::Consumer {
 public:
  struct Commit {
    std::map<common::TopicPartition, int64_t> offsets;
    int observed = 0;  // what `observer` returned when the commit happened
  };
  struct Shared {
    absl::Mutex mu;
    std::deque<common::ConsumerRecord> records ABSL_GUARDED_BY(mu);
    std::vector<Commit> commits ABSL_GUARDED_BY(mu);
    std::set<common::TopicPartition> paused ABSL_GUARDED_BY(mu);
    std::function<int()> observer;
    // Called inside Poll() after the records were taken and before they are returned, on the polling
    // thread: where librdkafka serves a rebalance (a revocation between two fetched messages).
    std::function<void()> inside_poll;
  };
  explicit FakeConsumer(Shared* shared) : shared_(shared) {}

  absl::StatusOr<std::vector<common::ConsumerRecord>> Poll(size_t max_records, std::chrono::milliseconds timeout) override {
    std::vector<common::ConsumerRecord> out;
    {
      absl::MutexLock lock(&shared_->mu);
      for (auto it = shared_->records.begin(); it != shared_->records.end() && out.size() < max_records;) {
        if (shared_->paused.count({it->topic, it->partition})) {
          ++it;
          continue;
        }
        out.push_back(*it);
        it = shared_->records.erase(it);
      }
    }
    if (shared_->inside_poll) shared_->inside_poll();
    if (out.empty()) absl::SleepFor(absl::FromChrono(std::min(timeout, std::chrono::milliseconds(20))));
    return out;
  }
  absl::Status Commit(const std::map<common::TopicPartition, int64_t>& next_offsets) override {
    const int observed = shared_->observer ? shared_->observer() : 0;
    absl::MutexLock lock(&shared_->mu);
    shared_->commits.push_back({next_offsets, observed});
    return absl::OkStatus();
  }
  std::vector<common::TopicPartition> Assignment() override { return {}; }
  absl::Status Pause(const std::vector<common::TopicPartition>& tps) override {
    absl::MutexLock lock(&shared_->mu);
    for (const auto& tp : tps) shared_->paused.insert(tp);
    return absl::OkStatus();
  }
  absl::Status Resume(const std::vector<common::TopicPartition>& tps) override {
    absl::MutexLock lock(&shared_->mu);
    for (const auto& tp : tps) shared_->paused.erase(tp);
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  Shared* shared_;
};

}  // namespace tweetstream::testing
