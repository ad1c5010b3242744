// The cursor topic against the real Kafka broker: created compacted with the configured replication
// factor (not always 1), an existing topic that is not compacted refused at start with a clear error,
// and cursors that survive a new store (read back from the topic).

#include "source-connector/cursor_store.h"

#include <librdkafka/rdkafkacpp.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::chrono::milliseconds kTimeout{30000};

class CursorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start kafka";
    common::KafkaProducerOptions options;
    options.bootstrap_servers = kafka_;
    options.linger_ms = 0;
    auto producer = common::CreateKafkaProducer(options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  std::string TopicName(const std::string& what) {
    return absl::StrCat("cursor-store-test-", what, "-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }

  // How many brokers the cluster has (from a metadata request).
  int BrokerCount() {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", kafka_, err);
    std::unique_ptr<RdKafka::Producer> p(RdKafka::Producer::create(conf.get(), err));
    if (!p) return -1;
    RdKafka::Metadata* raw = nullptr;
    if (p->metadata(true, nullptr, &raw, 10000) != RdKafka::ERR_NO_ERROR) return -1;
    std::unique_ptr<RdKafka::Metadata> md(raw);
    return static_cast<int>(md->brokers()->size());
  }

  std::string kafka_;
  std::unique_ptr<common::Producer> producer_;
};

TEST_F(CursorStoreTest, TheCursorTopicIsCreatedCompactedAndKeepsCursors) {
  const std::string topic = TopicName("created");
  auto store = source::KafkaCursorStore::Create(kafka_, topic, 1, producer_.get(), kTimeout);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Save("src/search/cats", source::Cursor{"1500000000000000001", "2026-12-02T00:00:00Z"}).ok());
  auto config = common::DescribeTopicConfig(kafka_, topic, kTimeout);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)["cleanup.policy"], "compact");
  auto again = source::KafkaCursorStore::Create(kafka_, topic, 1, producer_.get(), kTimeout);
  ASSERT_TRUE(again.ok()) << again.status();
  auto cursor = (*again)->Get("src/search/cats");
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, "1500000000000000001");
}

TEST_F(CursorStoreTest, TheCursorTopicFollowsTheReplicationFactor) {
  // One more replica than there are brokers: the broker must be asked for exactly that, and refuse.
  // (It used to be created with one replica whatever --replication-factor said.)
  const int brokers = BrokerCount();
  ASSERT_GT(brokers, 0);
  const std::string topic = TopicName("replicas");
  auto store = source::KafkaCursorStore::Create(kafka_, topic, brokers + 1, producer_.get(), kTimeout);
  ASSERT_FALSE(store.ok()) << "created " << topic << " although the cluster has only " << brokers << " broker(s)";
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(topic));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("eplication factor"));
  EXPECT_EQ(common::DescribeTopicConfig(kafka_, topic, kTimeout).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CursorStoreTest, AnExistingCursorTopicThatIsNotCompactedIsAConfigurationError) {
  const std::string topic = TopicName("delete-policy");
  ASSERT_TRUE(common::EnsureTopic(kafka_, topic, 1, 1, kTimeout, {{"cleanup.policy", "delete"}}).ok());
  auto store = source::KafkaCursorStore::Create(kafka_, topic, 1, producer_.get(), kTimeout);
  ASSERT_FALSE(store.ok()) << "a cursor topic with cleanup.policy=delete was accepted";
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  const std::string message(store.status().message());
  EXPECT_THAT(message, HasSubstr(topic));
  EXPECT_THAT(message, HasSubstr("cleanup.policy=delete"));
  EXPECT_THAT(message, HasSubstr("cleanup.policy=compact"));
}

TEST_F(CursorStoreTest, CompactAndDeleteIsAcceptedWithAWarning) {
  const std::string topic = TopicName("compact-delete");
  ASSERT_TRUE(common::EnsureTopic(kafka_, topic, 1, 1, kTimeout, {{"cleanup.policy", "compact,delete"}}).ok());
  auto store = source::KafkaCursorStore::Create(kafka_, topic, 1, producer_.get(), kTimeout);
  EXPECT_TRUE(store.ok()) << store.status();
}

}  // namespace
}  // namespace tweetstream::testing
