#include "sink-connector/offset_tracker.h"

namespace tweetstream::sink {

std::optional<int64_t> OffsetTracker::Partition::WatermarkLocked() const {
  if (!in_flight.empty()) return *in_flight.begin();
  return next_after_highest;
}

int64_t OffsetTracker::Assign(const common::TopicPartition& tp) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) pending_ -= static_cast<int64_t>(it->second.in_flight.size());
  Partition& p = partitions_[tp];
  p = Partition{};
  p.generation = next_generation_++;
  return p.generation;
}

void OffsetTracker::Forget(const common::TopicPartition& tp) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  pending_ -= static_cast<int64_t>(it->second.in_flight.size());
  partitions_.erase(it);
}

std::optional<int64_t> OffsetTracker::Generation(const common::TopicPartition& tp) const {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  return it->second.generation;
}

bool OffsetTracker::Add(const common::TopicPartition& tp, int64_t generation, int64_t offset) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.generation != generation) return false;
  Partition& p = it->second;
  if (p.in_flight.insert(offset).second) ++pending_;
  if (!p.next_after_highest || offset + 1 > *p.next_after_highest) p.next_after_highest = offset + 1;
  return true;
}

void OffsetTracker::Done(const common::TopicPartition& tp, int64_t generation, int64_t offset) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.generation != generation) return;
  if (it->second.in_flight.erase(offset) > 0) --pending_;
}

std::map<common::TopicPartition, int64_t> OffsetTracker::CommitCandidates() const {
  absl::MutexLock lock(&mu_);
  std::map<common::TopicPartition, int64_t> out;
  for (const auto& [tp, p] : partitions_) {
    std::optional<int64_t> w = p.WatermarkLocked();
    if (w && *w > p.committed) out[tp] = *w;
  }
  return out;
}

std::optional<int64_t> OffsetTracker::Watermark(const common::TopicPartition& tp) const {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  return it->second.WatermarkLocked();
}

void OffsetTracker::MarkCommitted(const common::TopicPartition& tp, int64_t next_offset) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end() && next_offset > it->second.committed) it->second.committed = next_offset;
}

int64_t OffsetTracker::Pending() const {
  absl::MutexLock lock(&mu_);
  return pending_;
}

int64_t OffsetTracker::Pending(const std::vector<common::TopicPartition>& tps) const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const auto& tp : tps) {
    auto it = partitions_.find(tp);
    if (it != partitions_.end()) n += static_cast<int64_t>(it->second.in_flight.size());
  }
  return n;
}

std::vector<common::TopicPartition> OffsetTracker::Assigned() const {
  absl::MutexLock lock(&mu_);
  std::vector<common::TopicPartition> out;
  for (const auto& [tp, _] : partitions_) out.push_back(tp);
  return out;
}

}  // namespace tweetstream::sink
