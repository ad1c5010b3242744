// tweet-sink under the faults nobody tests, against the real Kafka broker and the real Elasticsearch
// node: a write block and a missing index on the node itself (not the record's fault: held, DEGRADED,
// nothing dead-lettered, recovered by itself), the node behind a fault proxy (429 storms, answers lost
// after indexing, delayed and reordered answers, items rewritten to 429/503), 30 kill -9 of the sink
// at random moments while it consumes a 100,000-tweet topic, and the ordering of a tombstone after an
// index of the same id. Each test prints what it did.

#include <signal.h>

#include <rapidjson/document.h>

#include <iostream>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"
#include "tests/e2e/es_fault_proxy.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShortSession[] = "--consumer-property=session.timeout.ms=6000,heartbeat.interval.ms=1000";

std::string FaultId(int i) { return absl::StrCat(1810000000000000000LL + i); }

tweet::v1::TweetEnvelope FaultTweet(int i) {
  tweet::v1::TweetEnvelope e;
  auto* t = e.mutable_tweet();
  t->set_id(FaultId(i));
  t->set_text(absl::StrFormat("fault tweet %d #Kafka 🚀", i));
  t->set_author_id(absl::StrCat(7000 + i % 40));
  t->mutable_created_at()->set_seconds(1700000000 + i);
  e.mutable_ingestion()->set_connector("fault-e2e");
  return e;
}

class SinkFaultE2eTest : public SinkTopicE2eTest {
 protected:
  void SetUp() override {
    SinkTopicE2eTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(common::EnsureTopic(kafka_, dlq_topic_, 1, 1, std::chrono::seconds(20)).ok());
  }

  void ProduceTweets(int from, int to) {
    for (int i = from; i < to; ++i) Produce(FaultId(i), FaultTweet(i).SerializeAsString());
    ASSERT_TRUE(producer_->Flush(std::chrono::seconds(60)).ok());
    ASSERT_EQ(producer_->Counters().failed, 0);
  }
  std::set<std::string> TweetIds(int from, int to) {
    std::set<std::string> ids;
    for (int i = from; i < to; ++i) ids.insert(FaultId(i));
    return ids;
  }

  std::vector<std::string> SinkArgs(const std::string& group, const std::string& es_url,
                                    const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {SinkBinary(), "--topic=" + topic_, "--group-id=" + group + "-" + topic_,
                                     "--bootstrap-servers=" + kafka_, "--es-url=" + es_url, "--index=" + index_,
                                     "--dlq-topic=" + dlq_topic_, "--status-file=" + status_file_,
                                     "--linger=100ms", "--retry-backoff-initial=200ms", "--retry-backoff-max=1s",
                                     "--control-addr=", "--metrics-addr="};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string StateAndCause() {
    auto s = Status();
    if (!s.IsObject() || !s.HasMember("state")) return "";
    return absl::StrCat(s["state"].GetString(), ": ", s.HasMember("cause") ? s["cause"].GetString() : "");
  }

  // Records in the dead-letter topic (reads for a few seconds: for tests that expect none or few).
  size_t DeadLetters() {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "fault-dlq-reader-" + topic_;
    options.topics = {dlq_topic_};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok());
    size_t n = 0;
    const absl::Time until = absl::Now() + absl::Seconds(6);
    while (absl::Now() < until) {
      auto records = (*consumer)->Poll(100, std::chrono::milliseconds(200));
      if (records.ok()) n += records->size();
    }
    (void)(*consumer)->Close();
    return n;
  }

  // Waits (bounded) until the status says DEGRADED with `needle` in its cause.
  bool WaitForDegraded(const std::string& needle, ChildProcess* sink, std::chrono::seconds timeout) {
    const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
    while (absl::Now() < deadline && sink->Running()) {
      const std::string s = StateAndCause();
      if (absl::StartsWith(s, "DEGRADED") && absl::StrContains(s, needle)) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

};

// An operator's index.blocks.write (what the disk flood stage does too): today's sink dead-lettered
// every tweet while saying RUNNING.
TEST_F(SinkFaultE2eTest, AWriteBlockOnTheIndexHoldsEverythingSaysDegradedAndRecovers) {
  auto created = es_->Request("PUT", "/" + index_);
  ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->body : created.status().ToString());
  auto blocked = es_->Request("PUT", "/" + index_ + "/_settings", R"({"index.blocks.write":true})");
  ASSERT_TRUE(blocked.ok() && blocked->status == 200) << (blocked.ok() ? blocked->body : "");
  ProduceTweets(0, 500);
  ChildProcess sink(SinkArgs("block", es_url_, {"--exit-when-idle=5s"}), {});
  const bool degraded = WaitForDegraded("cluster_block_exception", &sink, std::chrono::seconds(60));
  EXPECT_TRUE(degraded) << StateAndCause() << "\n" << sink.Stderr();
  absl::SleepFor(absl::Seconds(3));  // held for a while: still nothing indexed, nothing dead-lettered
  EXPECT_EQ(Count(), 0);
  auto unblocked = es_->Request("PUT", "/" + index_ + "/_settings", R"({"index.blocks.write":null})");
  ASSERT_TRUE(unblocked.ok() && unblocked->status == 200);
  ProcessResult result = sink.Wait(std::chrono::minutes(2));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Ids(), TweetIds(0, 500));
  EXPECT_EQ(DeadLetters(), 0u);
  std::cout << "write block: held 500 tweets while DEGRADED (" << degraded << "), indexed all after the block was lifted\n";
}

// action.auto_create_index excludes the index and nobody created it: the sink waits for it.
TEST_F(SinkFaultE2eTest, AMissingIndexWithAutoCreateOffIsHeldUntilTheIndexExists) {
  const std::string setting = absl::StrCat(R"({"persistent":{"action.auto_create_index":"-)", index_, R"(*,+*"}})");
  auto set = es_->Request("PUT", "/_cluster/settings", setting);
  ASSERT_TRUE(set.ok() && set->status == 200) << (set.ok() ? set->body : "");
  ProduceTweets(0, 300);
  ChildProcess sink(SinkArgs("noindex", es_url_, {"--exit-when-idle=5s"}), {});
  const bool degraded = WaitForDegraded("index_not_found_exception", &sink, std::chrono::seconds(60));
  (void)es_->Request("PUT", "/_cluster/settings", R"({"persistent":{"action.auto_create_index":null}})");
  EXPECT_TRUE(degraded) << StateAndCause() << "\n" << sink.Stderr();
  auto created = es_->Request("PUT", "/" + index_);
  ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->body : "");
  ProcessResult result = sink.Wait(std::chrono::minutes(2));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Ids(), TweetIds(0, 300));
  EXPECT_EQ(DeadLetters(), 0u);
  std::cout << "missing index: held 300 tweets while DEGRADED (" << degraded << "), indexed all once it existed\n";
}

// The node behind a fault proxy: rejection storms, answers lost after the node indexed, delayed
// answers (two bulks in flight finish out of order), items rewritten to 429/503. Exactly the input
// set in the index, nothing dead-lettered.
TEST_F(SinkFaultE2eTest, ThroughAFaultProxyExactlyTheInputSetIsIndexed) {
  EsFaultProxy proxy(es_url_, "tweetstream-" + index_);
  ASSERT_TRUE(proxy.ok());
  std::mt19937 rng(20261202);
  proxy.set_script([&rng](int) {
    switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
      case 0: case 1: return EsFaultProxy::BulkFault::kReject429;
      case 2: return EsFaultProxy::BulkFault::kDropAfterForward;
      case 3: case 4: return EsFaultProxy::BulkFault::kDelayAfterForward;
      case 5: return EsFaultProxy::BulkFault::kRewriteItems;
      default: return EsFaultProxy::BulkFault::kNone;
    }
  });
  ProduceTweets(0, 20000);
  ProcessResult result = RunProcess(
      SinkArgs("proxy", proxy.url(), {"--exit-when-idle=6s", "--batch-max-records=500", "--max-in-flight=3"}), {},
      std::chrono::minutes(5));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Ids(), TweetIds(0, 20000));
  EXPECT_EQ(DeadLetters(), 0u);
  EXPECT_GT(proxy.counts().rejected.load() + proxy.counts().dropped.load() + proxy.counts().rewritten.load(), 0);
  std::cout << "fault proxy: " << proxy.Summary() << "; "
            << proxy.counts().items_forwarded.load() - 20000 << " items sent again\n";
}

// 30 kill -9 at random moments while the sink consumes a 100,000-tweet topic (through a proxy that
// slows each bulk a little, so that every kill lands while there is work): exactly the input ids.
TEST_F(SinkFaultE2eTest, ThirtyKillNineAtRandomMomentsEndWithExactlyTheInputIds) {
  constexpr int kTweets = 100000, kKills = 30;
  EsFaultProxy proxy(es_url_, "tweetstream-" + index_);
  ASSERT_TRUE(proxy.ok());
  proxy.set_script([](int) { return EsFaultProxy::BulkFault::kNone; });
  ProduceTweets(0, kTweets);
  // Static membership: a restarted sink takes its partitions back at once, without waiting for the
  // killed member's session to expire.
  const std::vector<std::string> extra = {
      "--batch-max-records=500", "--max-in-flight=1",
      "--consumer-property=session.timeout.ms=6000,heartbeat.interval.ms=1000,group.instance.id=kill30-" + topic_};
  std::mt19937 rng(4242);
  std::vector<int64_t> counts;
  int kills = 0;
  for (; kills < kKills; ++kills) {
    const int64_t before = std::max<int64_t>(Count(), 0);
    if (before >= kTweets) break;
    ChildProcess sink(SinkArgs("kill30", proxy.url(), extra), {});
    // Wait until it makes progress (so the kill lands mid-work), then a random moment more.
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && sink.Running() && Count() <= before) absl::SleepFor(absl::Milliseconds(50));
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 700)(rng)));
    ASSERT_TRUE(sink.Running()) << sink.Stderr();
    sink.Signal(SIGKILL);
    sink.Wait(std::chrono::seconds(10));
    counts.push_back(Count());
  }
  EXPECT_EQ(kills, kKills) << "the topic was indexed before all the kills: they prove less";
  ASSERT_FALSE(counts.empty());
  EXPECT_LT(counts.back(), kTweets) << "the last kill did not land while the sink had work";
  ProcessResult last = RunProcess(SinkArgs("kill30", proxy.url(), {"--exit-when-idle=6s", extra[0], extra[2]}), {},
                                  std::chrono::minutes(6));
  EXPECT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(Ids(), TweetIds(0, kTweets));
  std::cout << kills << " kill -9 at index counts";
  for (int64_t c : counts) std::cout << " " << c;
  std::cout << "; " << proxy.counts().items_forwarded.load() - kTweets << " records indexed again after the kills\n";
}

// A tombstone after an index of the same id, in one batch, with a date-pattern index (deleted by
// query): today's sink ran the delete first and the tweet came back.
TEST_F(SinkFaultE2eTest, ATombstoneAfterAnIndexOfTheSameIdWinsInADatePatternIndex) {
  ProduceTweets(0, 20);
  Produce(FaultId(5), std::nullopt);
  Produce(FaultId(6), FaultTweet(6).SerializeAsString());  // indexed again after ...
  Produce(FaultId(6), std::nullopt);                        // ... and deleted last
  ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
  // One batch: the sink waits for the linger instead of sending what the first poll brought.
  auto args = SinkArgs("pattern", es_url_, {"--exit-when-idle=5s", "--linger=2s", "--send-when-idle=false"});
  for (auto& a : args) {
    if (a == "--index=" + index_) a = "--index=" + index_ + "-%Y.%m";
  }
  ProcessResult result = RunProcess(args, {}, std::chrono::minutes(2));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::set<std::string> expected = TweetIds(0, 20);
  expected.erase(FaultId(5));
  expected.erase(FaultId(6));
  EXPECT_EQ(Ids(index_ + "-*"), expected);
  (void)es_->Request("DELETE", "/_index_template/tweetstream-" + index_);
}

}  // namespace
}  // namespace tweetstream::testing
