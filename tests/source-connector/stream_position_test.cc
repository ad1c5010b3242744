// The hand-offs of stream mode (stream_position.h) and the pure parts of recovery (stream_recovery.h):
// the position over confirmed deliveries only, the hold while a recovery runs, the bounded queue that
// pauses the reader, which rules recent search can express, and the rule tag added to a search page.

#include "source-connector/stream_position.h"

#include <rapidjson/document.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "source-connector/stream_recovery.h"

namespace tweetstream::source {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1764000000);

TEST(DeliveryPositionTest, MovesOnlyOverAContiguousRunOfConfirmedDeliveries) {
  DeliveryPosition p;
  const uint64_t a = p.Track("101", kT0), b = p.Track("103", kT0 + absl::Seconds(1)),
                 c = p.Track("102", kT0 + absl::Seconds(2));
  p.Confirm(b, absl::OkStatus());
  EXPECT_EQ(p.Get().newest_id, "");  // the first is not confirmed yet
  p.Confirm(a, absl::OkStatus());
  EXPECT_EQ(p.Get().newest_id, "103");  // the newest id of the run, not the last one read
  EXPECT_EQ(p.Get().read_at, kT0 + absl::Seconds(1));
  p.Confirm(c, absl::OkStatus());
  EXPECT_EQ(p.Get().newest_id, "103");
  EXPECT_EQ(p.Get().read_at, kT0 + absl::Seconds(2));
  EXPECT_EQ(p.outstanding(), 0);
}

TEST(DeliveryPositionTest, AFailedDeliveryStopsThePositionForGood) {
  DeliveryPosition p;
  const uint64_t a = p.Track("1", kT0), b = p.Track("2", kT0), c = p.Track("3", kT0);
  p.Confirm(a, absl::OkStatus());
  p.Confirm(c, absl::OkStatus());
  p.Confirm(b, absl::DeadlineExceededError("message timed out"));
  EXPECT_EQ(p.Get().newest_id, "1");
  EXPECT_THAT(std::string(p.failure().message()), HasSubstr("timed out"));
  const uint64_t d = p.Track("4", kT0);
  p.Confirm(d, absl::OkStatus());
  EXPECT_EQ(p.Get().newest_id, "1");
}

TEST(DeliveryPositionTest, WhatIsReadDuringARecoveryIsHeldUntilItEnds) {
  DeliveryPosition p;
  p.Seed({"50", kT0});
  const uint64_t a = p.Track("60", kT0 + absl::Seconds(1));
  p.Hold();
  const uint64_t b = p.Track("90", kT0 + absl::Seconds(2));  // streamed after the reconnect
  const uint64_t c = p.Track("70", kT0 + absl::Seconds(3));  // recovered
  p.Confirm(a, absl::OkStatus());
  p.Confirm(b, absl::OkStatus());
  p.Confirm(c, absl::OkStatus());
  EXPECT_EQ(p.Get().newest_id, "60");  // not past the reconnect while the recovery runs
  p.Touch(kT0 + absl::Minutes(5));
  EXPECT_EQ(p.Get().read_at, kT0 + absl::Seconds(1));  // no touch while held
  p.Release();
  EXPECT_EQ(p.Get().newest_id, "90");
  EXPECT_FALSE(p.held());
}

TEST(StreamLineQueueTest, AFullQueuePausesTheReaderUntilThereIsRoom) {
  StreamLineQueue queue(/*max_bytes=*/1000, /*max_lines=*/2);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(queue.Push(StreamItem{.line = "a"}, &stop));
  ASSERT_TRUE(queue.Push(StreamItem{.line = "b"}, &stop));
  // A connect marker always goes in.
  ASSERT_TRUE(queue.Push(StreamItem{.kind = StreamItem::Kind::kConnected}, &stop));
  std::atomic<bool> pushed{false};
  std::thread reader([&] {
    pushed = queue.Push(StreamItem{.line = "c"}, &stop);
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(pushed.load());
  StreamItem item;
  ASSERT_TRUE(queue.Pop(&item, absl::Seconds(1)));
  EXPECT_EQ(item.line, "a");
  reader.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(queue.full_waits(), 1);
  // Stopping releases a reader that waits.
  std::thread stopped([&] { EXPECT_FALSE(queue.Push(StreamItem{.line = "d"}, &stop)); });
  stop = true;
  stopped.join();
}

TEST(StreamRecoveryTest, RulesWithStreamOnlyOperatorsAreNotSearchQueries) {
  EXPECT_EQ(SearchInexpressible("#kafka lang:en -is:retweet"), "");
  EXPECT_EQ(SearchInexpressible("\"bio: is a word\" cats"), "");  // inside quotes: text, not an operator
  EXPECT_THAT(SearchInexpressible("sample:10 dogs"), HasSubstr("sample:"));
  EXPECT_THAT(SearchInexpressible("cats (-bio:robot OR followers_count:100)"), HasSubstr("bio:"));
  EXPECT_THAT(SearchInexpressible(std::string(600, 'a')), HasSubstr("512"));
}

TEST(StreamRecoveryTest, APageIsTaggedWithTheRuleAsTheStreamWouldHaveDeliveredIt) {
  auto tagged = TagWithRule(R"({"data":[{"id":"1","text":"x"}],"meta":{"result_count":1}})",
                            RecoveryRule{"77", "cats", "src:pets"});
  ASSERT_TRUE(tagged.ok()) << tagged.status();
  rapidjson::Document doc;
  doc.Parse(tagged->c_str());
  ASSERT_TRUE(doc.HasMember("matching_rules"));
  EXPECT_STREQ(doc["matching_rules"][0]["id"].GetString(), "77");
  EXPECT_STREQ(doc["matching_rules"][0]["tag"].GetString(), "src:pets");
  EXPECT_EQ(doc["data"].Size(), 1u);
  EXPECT_FALSE(TagWithRule("<html>", RecoveryRule{}).ok());
}

}  // namespace
}  // namespace tweetstream::source
