#include "sink-connector/offset_tracker.h"

namespace tweetstream::sink {

std::optional<int64_t> OffsetTracker::Partition::WatermarkLocked() const {
  if (!in_flight.empty()) return in_flight.begin()->first;
  return next_after_highest;
}

int64_t OffsetTracker::Assign(const common::TopicPartition& tp) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it != partitions_.end()) DropLocked(it->second);
  Partition& p = partitions_[tp];
  p = Partition{};
  p.generation = next_generation_++;
  return p.generation;
}

void OffsetTracker::Forget(const common::TopicPartition& tp) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return;
  DropLocked(it->second);
  partitions_.erase(it);
}

std::optional<int64_t> OffsetTracker::Generation(const common::TopicPartition& tp) const {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return std::nullopt;
  return it->second.generation;
}

void OffsetTracker::DropLocked(const Partition& p) {
  pending_ -= static_cast<int64_t>(p.in_flight.size());
  for (const auto& [offset, bytes] : p.in_flight) pending_bytes_ -= bytes;
}

bool OffsetTracker::Add(const common::TopicPartition& tp, int64_t generation, int64_t offset, int64_t bytes) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.generation != generation) return false;
  Partition& p = it->second;
  if (p.in_flight.emplace(offset, bytes).second) {
    ++pending_;
    pending_bytes_ += bytes;
  }
  if (!p.next_after_highest || offset + 1 > *p.next_after_highest) p.next_after_highest = offset + 1;
  return true;
}

void OffsetTracker::Done(const common::TopicPartition& tp, int64_t generation, int64_t offset) {
  absl::MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.generation != generation) return;
  auto record = it->second.in_flight.find(offset);
  if (record == it->second.in_flight.end()) return;
  --pending_;
  pending_bytes_ -= record->second;
  it->second.in_flight.erase(record);
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

int64_t OffsetTracker::PendingBytes() const {
  absl::MutexLock lock(&mu_);
  return pending_bytes_;
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
