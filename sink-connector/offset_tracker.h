#pragma once
// Which consumed records are done, per partition, and the offset that may be committed: the
// contiguous watermark — the lowest offset that is not yet done (indexed, deleted or dead-lettered),
// or one past the highest offset seen when everything is done. Bulks may finish in any order; the
// committed offset never passes a record that is still in flight.
//
// Each assignment of a partition gets a new generation: work that started under an earlier
// assignment (abandoned at a revocation) cannot mark records of the current one as done.
// Thread-safety: all methods may be called from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/kafka_consumer.h"

namespace tweetstream::sink {

class OffsetTracker {
 public:
  // Starts tracking a partition (a new generation); returns that generation.
  int64_t Assign(const common::TopicPartition& tp);
  // Stops tracking a partition; later Add/Done for it are ignored.
  void Forget(const common::TopicPartition& tp);
  // The current generation of an assigned partition, or nullopt.
  std::optional<int64_t> Generation(const common::TopicPartition& tp) const;

  // A record was consumed and is now in flight. Returns false (and ignores it) when the partition is
  // not assigned under `generation`.
  // `bytes`: the memory the record holds until it is done (counted in PendingBytes()).
  bool Add(const common::TopicPartition& tp, int64_t generation, int64_t offset, int64_t bytes = 0);
  // A record is done. Ignored when the partition or generation no longer match.
  void Done(const common::TopicPartition& tp, int64_t generation, int64_t offset);

  // Next offsets to commit, for partitions whose watermark moved past what was last returned as
  // committed (see MarkCommitted).
  std::map<common::TopicPartition, int64_t> CommitCandidates() const;
  // The watermark of one partition (nullopt before its first record).
  std::optional<int64_t> Watermark(const common::TopicPartition& tp) const;
  // Records that were committed up to `next_offset`.
  void MarkCommitted(const common::TopicPartition& tp, int64_t next_offset);

  // Records in flight, over all partitions / for some partitions.
  int64_t Pending() const;
  int64_t Pending(const std::vector<common::TopicPartition>& tps) const;
  // Bytes of the records in flight, over all partitions.
  int64_t PendingBytes() const;
  std::vector<common::TopicPartition> Assigned() const;

 private:
  struct Partition {
    int64_t generation = 0;
    std::map<int64_t, int64_t> in_flight;  // offset -> bytes
    std::optional<int64_t> next_after_highest;  // highest offset added + 1
    int64_t committed = -1;                       // last committed next-offset
    std::optional<int64_t> WatermarkLocked() const;
  };

  void DropLocked(const Partition& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable absl::Mutex mu_;
  std::map<common::TopicPartition, Partition> partitions_ ABSL_GUARDED_BY(mu_);
  int64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tweetstream::sink
