// The scale-out setup: a three-broker KRaft cluster (scripts/kafka-cluster.sh; replication factor 3,
// min.insync.replicas=2) with tweet-source and tweet-sink running on it, and the broker that leads a
// partition of the topic killed with SIGKILL mid-run, then restarted. Both connectors must carry on by
// themselves: the source finishes with every tweet delivered and none failed, the topic holds each tweet
// exactly once (no producer retry wrote one twice), and the index holds exactly the generated ids.
//
// The test starts the cluster when it is not running and stops it again at the end if it started it.
// The search server is the one of scripts/services.sh (TWEETSTREAM_ES_URL).

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/kafka_consumer.h"
#include "gtest/gtest.h"
#include "source-connector/synthetic.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"

namespace tweetstream::testing {
namespace {

using Clock = std::chrono::steady_clock;

ProcessResult Cluster(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/bash", SourceDir() + "/scripts/kafka-cluster.sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {}, std::chrono::minutes(6));
}

struct PartitionInfo {
  int32_t leader = -1;
  int isr = 0;
};

// Leader and in-sync replica count of each partition of `topic`, as the cluster's metadata says.
std::map<int32_t, PartitionInfo> Partitions(const std::string& bootstrap, const std::string& topic) {
  std::map<int32_t, PartitionInfo> out;
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) return out;
  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, handle, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int t = 0; t < md->topic_cnt; ++t) {
      for (int p = 0; p < md->topics[t].partition_cnt; ++p) {
        const auto& part = md->topics[t].partitions[p];
        out[part.id] = {part.leader, part.isr_cnt};
      }
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(handle);
  rd_kafka_destroy(rk);
  return out;
}

class ClusterE2eTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();  // the search server, the names; kafka_ is replaced by the cluster below
    if (HasFatalFailure()) return;
    started_cluster_ = Cluster({"status"}).exit_code != 0;
    ProcessResult start = Cluster({"start"});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    ProcessResult bootstrap = Cluster({"bootstrap"});
    ASSERT_EQ(bootstrap.exit_code, 0) << bootstrap.err;
    kafka_ = std::string(absl::StripAsciiWhitespace(bootstrap.out));
    ASSERT_TRUE(common::CheckKafkaReachable(kafka_, std::chrono::seconds(30)).ok()) << kafka_;
    status_file_ = absl::StrCat(::testing::TempDir(), "/cluster-source-status-", getpid(), ".json");
  }

  void TearDown() override {
    // A node this test killed and could not restart is started again, so the cluster is whole for the
    // next run; the cluster is stopped if this test started it.
    if (killed_ >= 0) (void)Cluster({"start", absl::StrCat(killed_)});
    if (started_cluster_) (void)Cluster({"stop"});
    E2eTest::TearDown();
  }

  int64_t SourceCounter(const char* name) {
    rapidjson::Document doc;
    auto content = ReadFile(status_file_);
    if (!content.ok()) return -1;
    doc.Parse(content->c_str());
    if (!doc.IsObject() || !doc.HasMember("counters")) return -1;
    return doc["counters"][name].GetInt64();
  }

  bool WaitFor(const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return done();
  }

  bool started_cluster_ = false;
  int killed_ = -1;
  std::string status_file_;
};

TEST_F(ClusterE2eTest, ALeaderKilledMidRunLosesAndDuplicatesNothing) {
  constexpr int kTweets = 6000;
  constexpr uint64_t kSeed = 31;
  // The topic is created by tweet-source with its default --replication-factor (the broker's
  // default.replication.factor: 3 on this cluster) and the broker's min.insync.replicas (2).
  ChildProcess source({SourceBinary(), "--mode=synthetic", absl::StrCat("--seed=", kSeed),
                       absl::StrCat("--count=", kTweets), "--rate=300", "--bootstrap-servers=" + kafka_,
                       "--topic=" + topic_, "--status-file=" + status_file_},
                      {});
  ChildProcess sink({SinkBinary(), "--bootstrap-servers=" + kafka_, "--topic=" + topic_,
                     "--group-id=" + topic_ + "-group", "--dlq-topic=" + topic_ + "-dlq", "--es-url=" + es_url_,
                     "--index=" + index_, "--linger=200ms",
                     "--consumer-property=session.timeout.ms=6000,heartbeat.interval.ms=1000"},
                    {});
  ASSERT_TRUE(WaitFor([&] { return Count() >= kTweets / 5; }, std::chrono::seconds(90)))
      << "the pipeline did not start: index " << Count() << "\n" << source.Stderr() << sink.Stderr();

  std::map<int32_t, PartitionInfo> before = Partitions(kafka_, topic_);
  ASSERT_EQ(before.size(), 3u);
  for (const auto& [p, info] : before) EXPECT_EQ(info.isr, 3) << "partition " << p << " is not on all three brokers";
  auto config = common::DescribeTopicConfig(kafka_, topic_, std::chrono::seconds(10));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)["min.insync.replicas"], "2");

  // Kill -9 the leader of partition 0 while tweets flow.
  killed_ = before[0].leader;
  ASSERT_GE(killed_, 1);
  ProcessResult kill = Cluster({"kill", absl::StrCat(killed_)});
  ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
  const int64_t at_kill = Count();
  // With two of three replicas in sync, writes go on: the index grows while the broker is dead.
  EXPECT_TRUE(WaitFor([&] { return Count() >= at_kill + 600; }, std::chrono::seconds(60)))
      << "nothing moved with one broker down: index " << Count() << " (" << at_kill << " at the kill)\n"
      << source.Stderr() << sink.Stderr();
  std::map<int32_t, PartitionInfo> during = Partitions(kafka_, topic_);
  EXPECT_NE(during[0].leader, killed_) << "partition 0 kept its dead leader";

  ProcessResult restart = Cluster({"start", absl::StrCat(killed_)});
  ASSERT_EQ(restart.exit_code, 0) << restart.out << restart.err;
  const int restarted = killed_;
  killed_ = -1;

  // The source ends by itself (--count) with everything delivered and nothing failed.
  ProcessResult source_result = source.Wait(std::chrono::seconds(120));
  ASSERT_EQ(source_result.exit_code, 0) << source_result.err;
  EXPECT_EQ(SourceCounter("delivered"), kTweets) << source_result.err;
  EXPECT_EQ(SourceCounter("delivery_failed"), 0) << source_result.err;

  // The topic holds each tweet exactly once: the end offsets add up to the count (idempotent producer).
  auto offsets = common::DescribeGroupOffsets(kafka_, topic_ + "-group", topic_, std::chrono::seconds(10));
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  int64_t records = 0;
  for (const auto& p : *offsets) records += p.high - p.low;
  EXPECT_EQ(records, kTweets) << "the topic holds " << records << " records for " << kTweets << " tweets";

  // The index: exactly the generated ids.
  EXPECT_TRUE(WaitFor([&] { return Count() >= kTweets; }, std::chrono::seconds(120)))
      << "index " << Count() << " of " << kTweets << "\n" << sink.Stderr();
  std::set<std::string> expected;
  source::SyntheticTweets generator(kSeed);
  for (int i = 0; i < kTweets; ++i) expected.insert(generator.Next().tweet().id());
  const std::set<std::string> ids = Ids();
  EXPECT_EQ(ids.size(), expected.size());
  EXPECT_TRUE(ids == expected) << "the index differs from the generated ids";

  // The restarted broker catches up: every partition back on all three.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto now = Partitions(kafka_, topic_);
        if (now.size() != 3) return false;
        for (const auto& [p, info] : now) if (info.isr != 3) return false;
        return true;
      },
      std::chrono::seconds(90)))
      << "node " << restarted << " did not rejoin the in-sync replicas";

  // The sink commits and exits 0 at SIGTERM, with nothing dead-lettered.
  sink.Signal(SIGTERM);
  ProcessResult sink_result = sink.Wait(std::chrono::seconds(60));
  EXPECT_EQ(sink_result.exit_code, 0) << sink_result.err;
  auto group = common::DescribeGroupOffsets(kafka_, topic_ + "-group", topic_, std::chrono::seconds(10));
  ASSERT_TRUE(group.ok()) << group.status();
  for (const auto& p : *group) EXPECT_EQ(p.committed, p.high) << "partition " << p.partition << " not committed to its end";
}

}  // namespace
}  // namespace tweetstream::testing
