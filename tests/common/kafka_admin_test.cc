// RdKafkaAdmin against the real broker (TWEETSTREAM_KAFKA, default 127.0.0.1:9092): watermarks, a
// group's commits made from outside it (and refused while it has a member), offsets for a time,
// topic creation and configuration, a compacted topic read whole, all on ONE librdkafka client (and
// a new one when the bootstrap servers change), from several threads at once.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/kafka_admin.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace tweetstream::common {
namespace {

constexpr std::chrono::milliseconds kTimeout{20000};

class KafkaAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = testing::EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start kafka";
    KafkaProducerOptions options;
    options.bootstrap_servers = kafka_;
    options.client_id = "kafka-admin-test";
    options.linger_ms = 0;
    auto producer = CreateKafkaProducer(options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  std::string Name(const std::string& what) {
    return absl::StrCat("kafka-admin-test-", what, "-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }

  // Produces `records` (key -> value; nullopt = tombstone) in order and waits for every delivery;
  // adds how many landed on each partition to *per_partition.
  void Produce(const std::string& topic, const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
               std::map<int32_t, int64_t>* per_partition = nullptr) {
    auto delivered = std::make_shared<std::vector<DeliveryReport>>();
    for (const auto& [key, value] : records) {
      ProducerRecord record;
      record.topic = topic;
      record.key = key;
      record.value = value;
      record.on_delivery = [delivered](const DeliveryReport& r) { delivered->push_back(r); };
      ASSERT_TRUE(producer_->Produce(std::move(record)).ok());
    }
    ASSERT_TRUE(producer_->Flush(kTimeout).ok());
    ASSERT_EQ(delivered->size(), records.size());
    for (const auto& r : *delivered) {
      ASSERT_TRUE(r.status.ok()) << r.status;
      if (per_partition != nullptr) ++(*per_partition)[r.partition];
    }
  }

  std::string kafka_;
  std::unique_ptr<Producer> producer_;
};

TEST_F(KafkaAdminTest, OffsetsAndCommitsOfAGroupOnOneClient) {
  RdKafkaAdmin admin;
  const std::string topic = Name("offsets");
  const std::string group = Name("group");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 2, 1, kTimeout, {}).ok());
  std::map<int32_t, int64_t> count;
  std::vector<std::pair<std::string, std::optional<std::string>>> records;
  for (int i = 0; i < 20; ++i) records.push_back({absl::StrCat("key-", i), absl::StrCat("value-", i)});
  Produce(topic, records, &count);

  auto ends = admin.EndOffsets(kafka_, topic, kTimeout);
  ASSERT_TRUE(ends.ok()) << ends.status();
  ASSERT_EQ(ends->size(), 2u);
  for (const auto& info : *ends) {
    EXPECT_EQ(info.low, 0);
    EXPECT_EQ(info.high, count[info.partition]) << "partition " << info.partition;
    EXPECT_EQ(info.committed, -1);
  }

  auto before = admin.GroupOffsets(kafka_, group, topic, kTimeout);
  ASSERT_TRUE(before.ok()) << before.status();
  for (const auto& info : *before) {
    EXPECT_EQ(info.committed, -1);  // a group that never committed
    EXPECT_EQ(info.Lag(), count[info.partition]);
  }

  ASSERT_TRUE(admin.CommitGroupOffsets(kafka_, group, topic, {{0, 1}, {1, count[1]}}, kTimeout).ok());
  auto after = admin.GroupOffsets(kafka_, group, topic, kTimeout);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].partition, 0);
  EXPECT_EQ((*after)[0].committed, 1);
  EXPECT_EQ((*after)[0].Lag(), count[0] - 1);
  EXPECT_EQ((*after)[1].committed, count[1]);
  EXPECT_EQ((*after)[1].Lag(), 0);

  // The one-shot form reads the same commits.
  auto one_shot = DescribeGroupOffsets(kafka_, group, topic, kTimeout);
  ASSERT_TRUE(one_shot.ok()) << one_shot.status();
  EXPECT_EQ((*one_shot)[0].committed, 1);

  EXPECT_EQ(admin.clients_created(), 1);  // every call above on the same client
}

TEST_F(KafkaAdminTest, MissingTopicIsNotFound) {
  RdKafkaAdmin admin;
  const std::string topic = Name("absent");
  EXPECT_EQ(admin.EndOffsets(kafka_, topic, kTimeout).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(admin.GroupOffsets(kafka_, "g", topic, kTimeout).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(admin.CommitGroupOffsets(kafka_, "g", topic, {{0, 0}}, kTimeout).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(admin.DescribeTopicConfig(kafka_, topic, kTimeout).status().code(), absl::StatusCode::kNotFound);
  auto read = admin.ReadCompactedTopic(kafka_, topic, kTimeout);
  ASSERT_TRUE(read.ok()) << read.status();  // an absent cursor topic: no cursor yet
  EXPECT_TRUE(read->empty());
  // Asking did not create it.
  EXPECT_EQ(admin.EndOffsets(kafka_, topic, kTimeout).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(KafkaAdminTest, CommitIsRefusedWhileTheGroupHasAMember) {
  RdKafkaAdmin admin;
  const std::string topic = Name("busy");
  const std::string group = Name("busy-group");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 1, 1, kTimeout, {}).ok());
  Produce(topic, {{"k", "v"}});
  KafkaConsumerOptions options;
  options.bootstrap_servers = kafka_;
  options.group_id = group;
  options.client_id = "kafka-admin-test-member";
  options.topics = {topic};
  auto consumer = CreateKafkaConsumer(options);
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while ((*consumer)->Assignment().empty() && absl::Now() < deadline) {
    ASSERT_TRUE((*consumer)->Poll(10, std::chrono::milliseconds(200)).ok());
  }
  ASSERT_FALSE((*consumer)->Assignment().empty()) << "the member never got its partition";
  absl::Status refused = admin.CommitGroupOffsets(kafka_, group, topic, {{0, 0}}, kTimeout);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(refused.message().find("has active members"), absl::string_view::npos) << refused;
  ASSERT_TRUE((*consumer)->Close().ok());
  // Once it left, the same commit goes through.
  absl::Status ok = admin.CommitGroupOffsets(kafka_, group, topic, {{0, 1}}, kTimeout);
  EXPECT_TRUE(ok.ok()) << ok;
  auto offsets = admin.GroupOffsets(kafka_, group, topic, kTimeout);
  ASSERT_TRUE(offsets.ok()) << offsets.status();
  EXPECT_EQ((*offsets)[0].committed, 1);
}

TEST_F(KafkaAdminTest, OffsetsForATimeAreTheFirstRecordsAtOrAfterIt) {
  RdKafkaAdmin admin;
  const std::string topic = Name("time");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 2, 1, kTimeout, {}).ok());
  std::map<int32_t, int64_t> first_batch;
  std::vector<std::pair<std::string, std::optional<std::string>>> a, b;
  for (int i = 0; i < 10; ++i) a.push_back({absl::StrCat("a", i), "x"});
  for (int i = 0; i < 10; ++i) b.push_back({absl::StrCat("b", i), "y"});
  Produce(topic, a, &first_batch);
  // Every record of the first batch is stamped before `mid`, every one of the second at or after it.
  const int64_t mid = absl::ToUnixMillis(absl::Now()) + 1;
  while (absl::ToUnixMillis(absl::Now()) < mid) {
  }
  std::map<int32_t, int64_t> second_batch;
  Produce(topic, b, &second_batch);

  auto at_mid = admin.OffsetsForTimestamp(kafka_, topic, mid, kTimeout);
  ASSERT_TRUE(at_mid.ok()) << at_mid.status();
  ASSERT_EQ(at_mid->size(), 2u);
  for (const auto& [p, offset] : *at_mid) EXPECT_EQ(offset, first_batch[p]) << "partition " << p;
  auto at_zero = admin.OffsetsForTimestamp(kafka_, topic, 0, kTimeout);
  ASSERT_TRUE(at_zero.ok()) << at_zero.status();
  for (const auto& [p, offset] : *at_zero) EXPECT_EQ(offset, 0) << "partition " << p;
  auto future = admin.OffsetsForTimestamp(kafka_, topic, mid + 3600 * 1000, kTimeout);
  ASSERT_TRUE(future.ok()) << future.status();
  for (const auto& [p, offset] : *future) {
    EXPECT_EQ(offset, first_batch[p] + second_batch[p]) << "partition " << p;  // none that late: the end
  }
}

TEST_F(KafkaAdminTest, CompactedTopicReadsTheLastValueOfEveryKeyAgainAndAgain) {
  RdKafkaAdmin admin;
  const std::string topic = Name("compacted");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 3, 1, kTimeout, {{"cleanup.policy", "compact"}}).ok());
  auto config = admin.DescribeTopicConfig(kafka_, topic, kTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->at("cleanup.policy"), "compact");
  // Creating it again is fine and changes nothing.
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 3, 1, kTimeout, {}).ok());

  Produce(topic, {{"source-a", "1"}, {"source-b", "2"}, {"source-a", "3"}, {"source-c", "4"}, {"source-b", std::nullopt}});
  const std::map<std::string, std::string> want = {{"source-a", "3"}, {"source-c", "4"}};
  for (int round = 0; round < 3; ++round) {  // the same client, assigned afresh each time
    auto values = admin.ReadCompactedTopic(kafka_, topic, kTimeout);
    ASSERT_TRUE(values.ok()) << values.status();
    EXPECT_EQ(*values, want) << "round " << round;
  }
  Produce(topic, {{"source-c", "5"}});
  auto values = admin.ReadCompactedTopic(kafka_, topic, kTimeout);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(values->at("source-c"), "5");
  EXPECT_EQ(admin.clients_created(), 1);
}

TEST_F(KafkaAdminTest, ANewClientWhenTheBootstrapServersChange) {
  RdKafkaAdmin admin;
  const std::string topic = Name("switch");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 1, 1, kTimeout, {}).ok());
  ASSERT_TRUE(admin.EndOffsets(kafka_, topic, kTimeout).ok());
  EXPECT_EQ(admin.clients_created(), 1);
  // A configuration now naming a cluster that does not answer (nothing listens on port 1).
  auto down = admin.EndOffsets("127.0.0.1:1", topic, std::chrono::milliseconds(1500));
  EXPECT_TRUE(absl::IsUnavailable(down.status()) || absl::IsDeadlineExceeded(down.status())) << down.status();
  EXPECT_NE(down.status().message().find("127.0.0.1:1"), absl::string_view::npos) << down.status();
  EXPECT_EQ(admin.clients_created(), 2);
  auto back = admin.EndOffsets(kafka_, topic, kTimeout);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(admin.clients_created(), 3);
}

TEST_F(KafkaAdminTest, ConcurrentCallsShareTheClient) {
  RdKafkaAdmin admin;
  const std::string topic = Name("threads");
  const std::string group = Name("threads-group");
  ASSERT_TRUE(admin.EnsureTopic(kafka_, topic, 2, 1, kTimeout, {}).ok());
  Produce(topic, {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  ASSERT_TRUE(admin.CommitGroupOffsets(kafka_, group, topic, {{0, 0}, {1, 0}}, kTimeout).ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto offsets = admin.GroupOffsets(kafka_, group, topic, kTimeout);
        if (!offsets.ok()) continue;
        int64_t lag = 0;
        for (const auto& info : *offsets) lag += info.Lag();
        if (lag == 3) ++good;
      }
    });
  }
  threads.emplace_back([&] {
    auto values = admin.ReadCompactedTopic(kafka_, topic, kTimeout);
    if (values.ok() && values->size() == 3) ++good;
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 41);
  EXPECT_EQ(admin.clients_created(), 1);
}

}  // namespace
}  // namespace tweetstream::common
