// OffsetTracker on its own: the records in flight and their bytes per partition, the contiguous
// watermark and what may be committed, and generations (sink_app_test.cc keeps the two cases it
// already had: completion out of order, and a late Done from an earlier assignment). Unit: no I/O.

#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sink-connector/offset_tracker.h"

namespace tweetstream::testing {
namespace {

using Candidates = std::map<common::TopicPartition, int64_t>;

const common::TopicPartition kP0{"tweets", 0};
const common::TopicPartition kP1{"tweets", 1};

TEST(OffsetTrackerTest, AnUnassignedPartitionHasNoGenerationNoWatermarkAndTakesNoRecords) {
  sink::OffsetTracker tracker;
  EXPECT_EQ(tracker.Generation(kP0), std::nullopt);
  EXPECT_EQ(tracker.Watermark(kP0), std::nullopt);
  EXPECT_FALSE(tracker.Add(kP0, 1, 0, 100));
  tracker.Done(kP0, 1, 0);  // ignored, no crash
  EXPECT_EQ(tracker.Pending(), 0);
  EXPECT_EQ(tracker.PendingBytes(), 0);
  EXPECT_TRUE(tracker.CommitCandidates().empty());
  EXPECT_TRUE(tracker.Assigned().empty());
}

TEST(OffsetTrackerTest, AnAssignedPartitionWithoutRecordsHasNothingToCommit) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  EXPECT_EQ(tracker.Generation(kP0), gen);
  EXPECT_EQ(tracker.Watermark(kP0), std::nullopt);
  EXPECT_TRUE(tracker.CommitCandidates().empty());
  EXPECT_EQ(tracker.Assigned(), std::vector<common::TopicPartition>{kP0});
}

TEST(OffsetTrackerTest, OneRecordIsCommittableAtItsOwnOffsetUntilDoneThenOnePastIt) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  ASSERT_TRUE(tracker.Add(kP0, gen, 42, 7));
  EXPECT_EQ(tracker.Watermark(kP0), 42);
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_EQ(tracker.PendingBytes(), 7);
  EXPECT_EQ(tracker.CommitCandidates(), (Candidates{{kP0, 42}}));  // never past the record in flight
  tracker.Done(kP0, gen, 42);
  EXPECT_EQ(tracker.Watermark(kP0), 43);
  EXPECT_EQ(tracker.Pending(), 0);
  EXPECT_EQ(tracker.PendingBytes(), 0);
  EXPECT_EQ(tracker.CommitCandidates(), (Candidates{{kP0, 43}}));
  tracker.MarkCommitted(kP0, 43);
  EXPECT_TRUE(tracker.CommitCandidates().empty());  // nothing new since the commit
}

TEST(OffsetTrackerTest, AGapInOffsetsIsNotAHoldOnlyRecordsInFlightAre) {
  // Compacted topics and transaction markers leave gaps: only offsets that were added can hold.
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  ASSERT_TRUE(tracker.Add(kP0, gen, 3));
  ASSERT_TRUE(tracker.Add(kP0, gen, 10));
  tracker.Done(kP0, gen, 3);
  EXPECT_EQ(tracker.Watermark(kP0), 10);
  tracker.Done(kP0, gen, 10);
  EXPECT_EQ(tracker.Watermark(kP0), 11);
}

TEST(OffsetTrackerTest, ACommitNeverGoesBackWhenAnOlderOffsetIsConsumedAgain) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  ASSERT_TRUE(tracker.Add(kP0, gen, 10));
  tracker.Done(kP0, gen, 10);
  tracker.MarkCommitted(kP0, 11);
  ASSERT_TRUE(tracker.Add(kP0, gen, 5));  // a replay below what is committed
  EXPECT_EQ(tracker.Watermark(kP0), 5);   // it is in flight: the lowest offset not done
  EXPECT_TRUE(tracker.CommitCandidates().empty()) << "a commit would move the group's offset back";
  tracker.Done(kP0, gen, 5);
  EXPECT_EQ(tracker.Watermark(kP0), 11);
  EXPECT_TRUE(tracker.CommitCandidates().empty());
}

TEST(OffsetTrackerTest, MarkCommittedKeepsTheHighestItWasTold) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  for (int64_t o = 0; o < 5; ++o) ASSERT_TRUE(tracker.Add(kP0, gen, o));
  for (int64_t o = 0; o < 5; ++o) tracker.Done(kP0, gen, o);
  tracker.MarkCommitted(kP0, 5);
  tracker.MarkCommitted(kP0, 2);  // a commit that finished late
  EXPECT_TRUE(tracker.CommitCandidates().empty());
  tracker.MarkCommitted(kP1, 9);  // an unassigned partition: ignored
  EXPECT_EQ(tracker.Watermark(kP1), std::nullopt);
}

TEST(OffsetTrackerTest, ARecordAddedTwiceIsCountedOnceAndDoneOnce) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  ASSERT_TRUE(tracker.Add(kP0, gen, 1, 100));
  ASSERT_TRUE(tracker.Add(kP0, gen, 1, 100));
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_EQ(tracker.PendingBytes(), 100);
  tracker.Done(kP0, gen, 1);
  tracker.Done(kP0, gen, 1);  // a second report of the same record
  tracker.Done(kP0, gen, 2);  // a record never added
  EXPECT_EQ(tracker.Pending(), 0);
  EXPECT_EQ(tracker.PendingBytes(), 0);
  EXPECT_EQ(tracker.Watermark(kP0), 2);
}

TEST(OffsetTrackerTest, PendingAndBytesAreKeptPerPartitionAndInTotal) {
  sink::OffsetTracker tracker;
  const int64_t g0 = tracker.Assign(kP0);
  const int64_t g1 = tracker.Assign(kP1);
  ASSERT_TRUE(tracker.Add(kP0, g0, 0, 10));
  ASSERT_TRUE(tracker.Add(kP0, g0, 1, 20));
  ASSERT_TRUE(tracker.Add(kP1, g1, 0, 300));
  EXPECT_EQ(tracker.Pending(), 3);
  EXPECT_EQ(tracker.PendingBytes(), 330);
  EXPECT_EQ(tracker.Pending({kP0}), 2);
  EXPECT_EQ(tracker.Pending({kP1}), 1);
  EXPECT_EQ(tracker.Pending({kP0, kP1}), 3);
  EXPECT_EQ(tracker.Pending({common::TopicPartition{"other", 0}}), 0);
  tracker.Done(kP0, g0, 1);
  EXPECT_EQ(tracker.PendingBytes(), 310);
  EXPECT_EQ(tracker.Watermark(kP0), 0);  // 0 still holds partition 0...
  EXPECT_EQ(tracker.Watermark(kP1), 0);
  tracker.Done(kP1, g1, 0);
  EXPECT_EQ(tracker.Watermark(kP1), 1);  // ...and nothing of partition 1
  EXPECT_EQ(tracker.CommitCandidates(), (Candidates{{kP0, 0}, {kP1, 1}}));
}

TEST(OffsetTrackerTest, EveryAssignmentGetsANewGenerationAcrossPartitions) {
  sink::OffsetTracker tracker;
  const int64_t a = tracker.Assign(kP0);
  const int64_t b = tracker.Assign(kP1);
  const int64_t c = tracker.Assign(kP0);  // reassigned without a Forget
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
  EXPECT_EQ(tracker.Generation(kP0), c);
  EXPECT_EQ(tracker.Generation(kP1), b);
}

TEST(OffsetTrackerTest, AReassignmentDropsWhatTheEarlierOneHadInFlight) {
  sink::OffsetTracker tracker;
  const int64_t old_gen = tracker.Assign(kP0);
  ASSERT_TRUE(tracker.Add(kP0, old_gen, 7, 50));
  ASSERT_TRUE(tracker.Add(kP0, old_gen, 8, 50));
  tracker.Done(kP0, old_gen, 7);
  tracker.MarkCommitted(kP0, 8);
  const int64_t gen = tracker.Assign(kP0);  // no Forget in between
  EXPECT_EQ(tracker.Pending(), 0);
  EXPECT_EQ(tracker.PendingBytes(), 0);
  EXPECT_EQ(tracker.Watermark(kP0), std::nullopt);  // the new owner starts from what it consumes
  EXPECT_FALSE(tracker.Add(kP0, old_gen, 9)) << "a record of the earlier assignment was taken";
  ASSERT_TRUE(tracker.Add(kP0, gen, 8, 5));
  EXPECT_EQ(tracker.CommitCandidates(), (Candidates{{kP0, 8}}));  // its own commits start afresh
  tracker.Done(kP0, old_gen, 8);  // the earlier assignment's bulk reports late
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_EQ(tracker.PendingBytes(), 5);
}

TEST(OffsetTrackerTest, ForgetDropsThePartitionItsRecordsAndTheirBytes) {
  sink::OffsetTracker tracker;
  const int64_t g0 = tracker.Assign(kP0);
  const int64_t g1 = tracker.Assign(kP1);
  ASSERT_TRUE(tracker.Add(kP0, g0, 0, 11));
  ASSERT_TRUE(tracker.Add(kP1, g1, 0, 22));
  tracker.Forget(kP0);
  tracker.Forget(common::TopicPartition{"never", 3});  // unknown: ignored
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_EQ(tracker.PendingBytes(), 22);
  EXPECT_EQ(tracker.Generation(kP0), std::nullopt);
  EXPECT_EQ(tracker.Assigned(), std::vector<common::TopicPartition>{kP1});
  EXPECT_FALSE(tracker.Add(kP0, g0, 1));
  tracker.Done(kP0, g0, 0);
  EXPECT_EQ(tracker.Pending(), 1);
  EXPECT_EQ(tracker.CommitCandidates(), (Candidates{{kP1, 0}}));
}

TEST(OffsetTrackerTest, RecordsDoneFromSeveralThreadsInAnyOrderLeaveNothingPending) {
  sink::OffsetTracker tracker;
  const int64_t gen = tracker.Assign(kP0);
  constexpr int kThreads = 4;
  constexpr int64_t kPerThread = 2000;
  for (int64_t o = 0; o < kThreads * kPerThread; ++o) ASSERT_TRUE(tracker.Add(kP0, gen, o, 3));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Thread t finishes offsets t, t + kThreads, ... from the highest down.
      for (int64_t o = kThreads * kPerThread - kThreads + t; o >= 0; o -= kThreads) tracker.Done(kP0, gen, o);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(tracker.Pending(), 0);
  EXPECT_EQ(tracker.PendingBytes(), 0);
  EXPECT_EQ(tracker.Watermark(kP0), kThreads * kPerThread);
}

}  // namespace
}  // namespace tweetstream::testing
