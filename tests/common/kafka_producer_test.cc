// common/kafka_producer: both produce paths against the real Kafka broker — every record arrives with
// the key, value and headers it was given (ProduceCopy: also after the caller reused its buffer, through
// the arena, past the arena's bound and with no arena at all), every delivery is counted and the
// latency histogram sees each delivered record once; failed deliveries are counted, not observed; and
// the interface's default ProduceCopy (used by the fakes) builds the same record.

#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "common/metrics.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_producer.h"
#include "tests/common/test_util.h"

namespace tweetstream::testing {
namespace {

constexpr std::pair<absl::string_view, absl::string_view> kHeaders[] = {
    {"content-type", "application/x-protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};

// Value of record i: sizes from 0 to ~20 KB, so that the arena's blocks fill at different offsets.
std::string ValueOf(int i) {
  std::string value(static_cast<size_t>((i * 7919) % 20000), '\0');
  for (size_t j = 0; j < value.size(); ++j) value[j] = static_cast<char>('a' + (i + j) % 26);
  return value;
}

class KafkaProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start kafka";
  }

  std::string NewTopic(const std::string& what) {
    const std::string topic = absl::StrCat("producer-test-", what, "-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
    EXPECT_TRUE(common::EnsureTopic(kafka_, topic, 3, 1, std::chrono::seconds(30)).ok());
    return topic;
  }

  // Every record of `topic`, from the beginning, until `count` arrived (or 60 s passed).
  std::vector<common::ConsumerRecord> ReadTopic(const std::string& topic, size_t count) {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "producer-test-reader-" + topic;
    options.topics = {topic};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    std::vector<common::ConsumerRecord> out;
    if (!consumer.ok()) return out;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (out.size() < count && absl::Now() < deadline) {
      auto records = (*consumer)->Poll(1000, std::chrono::milliseconds(200));
      if (records.ok()) out.insert(out.end(), records->begin(), records->end());
    }
    (void)(*consumer)->Close();
    return out;
  }

  // Produces `n` records with ProduceCopy from one reused buffer (scribbled over after each call),
  // then checks what the broker holds, the counters and the histogram. A long linger keeps the records
  // in flight (in the arena) while the loop runs.
  void ProduceCopyRoundTrip(size_t arena_bytes, int n, int linger_ms) {
    const std::string topic = NewTopic(absl::StrCat("copy", arena_bytes));
    common::KafkaProducerOptions options;
    options.bootstrap_servers = kafka_;
    options.linger_ms = linger_ms;
    options.copy_arena_bytes = arena_bytes;
    auto producer = common::CreateKafkaProducer(options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    common::Histogram histogram(common::ExponentialBuckets(0.001, 2, 16));
    std::string key;
    std::string buffer;
    common::ProducerRecordRef record;
    record.topic = topic;
    record.headers = kHeaders;
    record.delivery_seconds = &histogram;
    for (int i = 0; i < n; ++i) {
      key = absl::StrCat("key-", i);
      buffer = ValueOf(i);
      record.key = key;
      record.value = buffer;
      ASSERT_TRUE((*producer)->ProduceCopy(record).ok()) << i;
      // The producer kept nothing of ours: the caller may reuse its buffers at once.
      key.assign(key.size(), '#');
      buffer.assign(buffer.size(), '#');
      if (i % 100 == 0) (*producer)->Poll(std::chrono::milliseconds(0));
    }
    ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(60)).ok());
    const common::ProducerCounters counters = (*producer)->Counters();
    EXPECT_EQ(counters.produced, n);
    EXPECT_EQ(counters.delivered, n);
    EXPECT_EQ(counters.failed, 0);
    EXPECT_EQ(histogram.Snapshot().count, static_cast<uint64_t>(n));

    std::map<std::string, common::ConsumerRecord> by_key;
    for (auto& r : ReadTopic(topic, static_cast<size_t>(n))) by_key[r.key.value_or("")] = std::move(r);
    ASSERT_EQ(by_key.size(), static_cast<size_t>(n));
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"content-type", "application/x-protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};
    for (int i = 0; i < n; ++i) {
      const auto it = by_key.find(absl::StrCat("key-", i));
      ASSERT_NE(it, by_key.end()) << i;
      ASSERT_TRUE(it->second.value.has_value()) << i << ": an empty value must not become a null value";
      EXPECT_EQ(*it->second.value, ValueOf(i)) << i;
      EXPECT_EQ(it->second.headers, headers) << i;
    }
  }

  std::string kafka_;
};

TEST_F(KafkaProducerTest, ProduceCopyThroughTheArenaDeliversWhatItWasGiven) {
  ProduceCopyRoundTrip(size_t{64} << 20, 3000, /*linger_ms=*/5);
}

TEST_F(KafkaProducerTest, ProduceCopyPastTheArenasBoundDeliversWhatItWasGiven) {
  // 2 blocks of 1 MiB for ~30 MB of values all in flight: most records go through librdkafka's copy.
  ProduceCopyRoundTrip(size_t{2} << 20, 3000, /*linger_ms=*/1000);
}

TEST_F(KafkaProducerTest, ProduceCopyWithoutArenaDeliversWhatItWasGiven) {
  ProduceCopyRoundTrip(0, 1000, /*linger_ms=*/5);
}

TEST_F(KafkaProducerTest, ProduceCopyRefusesATooLargeValueAndGoesOn) {
  const std::string topic = NewTopic("large");
  common::KafkaProducerOptions options;
  options.bootstrap_servers = kafka_;
  options.linger_ms = 5;
  auto producer = common::CreateKafkaProducer(options);
  ASSERT_TRUE(producer.ok());
  common::Histogram histogram(common::ExponentialBuckets(0.001, 2, 16));
  const std::string large(size_t{3} << 20, 'x');  // above message.max.bytes (1 MB), and above a block
  const std::string small = "small";
  common::ProducerRecordRef record;
  record.topic = topic;
  record.headers = kHeaders;
  record.delivery_seconds = &histogram;
  record.key = "large";
  record.value = large;
  const absl::Status refused = (*producer)->ProduceCopy(record);
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  record.key = "small";
  record.value = small;
  ASSERT_TRUE((*producer)->ProduceCopy(record).ok());
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(30)).ok());
  EXPECT_EQ((*producer)->Counters().produced, 1);
  EXPECT_EQ((*producer)->Counters().delivered, 1);
  EXPECT_EQ(histogram.Snapshot().count, 1u);
  const auto records = ReadTopic(topic, 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "small");
  EXPECT_EQ(records[0].value, "small");
}

TEST_F(KafkaProducerTest, ProduceKeepsItsCallbackAndTombstones) {
  const std::string topic = NewTopic("produce");
  common::KafkaProducerOptions options;
  options.bootstrap_servers = kafka_;
  options.linger_ms = 5;
  auto producer = common::CreateKafkaProducer(options);
  ASSERT_TRUE(producer.ok());
  std::vector<common::DeliveryReport> reports;
  for (int i = 0; i < 3; ++i) {
    common::ProducerRecord record;
    record.topic = topic;
    record.key = absl::StrCat("k", i);
    if (i != 1) record.value = ValueOf(i + 1);  // record 1: a tombstone
    record.headers = {{"h", absl::StrCat("v", i)}};
    record.on_delivery = [&reports](const common::DeliveryReport& report) { reports.push_back(report); };
    ASSERT_TRUE((*producer)->Produce(std::move(record)).ok());
  }
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(30)).ok());
  ASSERT_EQ(reports.size(), 3u);
  for (const auto& report : reports) {
    EXPECT_TRUE(report.status.ok()) << report.status;
    EXPECT_GE(report.offset, 0);
  }
  std::map<std::string, common::ConsumerRecord> by_key;
  for (auto& r : ReadTopic(topic, 3)) by_key[r.key.value_or("")] = std::move(r);
  ASSERT_EQ(by_key.size(), 3u);
  EXPECT_EQ(by_key["k0"].value, ValueOf(1));
  EXPECT_FALSE(by_key["k1"].value.has_value());
  EXPECT_EQ(by_key["k2"].value, ValueOf(3));
  EXPECT_EQ(by_key["k2"].headers, (std::vector<std::pair<std::string, std::string>>{{"h", "v2"}}));
}

// No broker: every delivery times out; each is counted as failed, none is observed as a latency, and
// both paths release what they held (run under ASan to see it).
TEST(KafkaProducerNoBrokerTest, FailedDeliveriesAreCountedNotObserved) {
  common::KafkaProducerOptions options;
  options.bootstrap_servers = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  options.delivery_timeout = std::chrono::milliseconds(300);
  options.linger_ms = 5;
  options.copy_arena_bytes = size_t{1} << 20;  // one block: the rest falls back to librdkafka's copy
  auto producer = common::CreateKafkaProducer(options);
  ASSERT_TRUE(producer.ok());
  common::Histogram histogram(common::ExponentialBuckets(0.001, 2, 16));
  int callbacks = 0;
  const std::string value(20000, 'v');
  for (int i = 0; i < 100; ++i) {
    common::ProducerRecordRef ref;
    ref.topic = "no-broker";
    ref.key = "k";
    ref.value = value;
    ref.headers = kHeaders;
    ref.delivery_seconds = &histogram;
    ASSERT_TRUE((*producer)->ProduceCopy(ref).ok());
    common::ProducerRecord record;
    record.topic = "no-broker";
    record.key = "k";
    record.value = value;
    record.on_delivery = [&callbacks](const common::DeliveryReport& report) {
      EXPECT_TRUE(absl::IsDeadlineExceeded(report.status)) << report.status;
      ++callbacks;
    };
    ASSERT_TRUE((*producer)->Produce(std::move(record)).ok());
  }
  (void)(*producer)->Flush(std::chrono::seconds(10));
  const common::ProducerCounters counters = (*producer)->Counters();
  EXPECT_EQ(counters.produced, 200);
  EXPECT_EQ(counters.delivered, 0);
  EXPECT_EQ(counters.failed, 200);
  EXPECT_EQ(callbacks, 100);
  EXPECT_EQ(histogram.Snapshot().count, 0u);
}

// The interface's default ProduceCopy (FakeProducer does not override it): the same record as a
// ProducerRecord, its latency observed on delivery.
TEST(ProducerDefaultProduceCopyTest, BuildsTheSameRecordAndObservesDeliveries) {
  FakeProducer::Shared shared;
  FakeProducer producer(&shared);
  common::Histogram histogram(common::ExponentialBuckets(0.001, 2, 16));
  std::string value = "bytes";
  common::ProducerRecordRef ref;
  ref.topic = "t";
  ref.key = "k";
  ref.value = value;
  ref.headers = kHeaders;
  ref.delivery_seconds = &histogram;
  ASSERT_TRUE(producer.ProduceCopy(ref).ok());
  value = "reused";
  ref.value = absl::string_view();  // an empty view: an empty value, not a tombstone
  ref.delivery_seconds = nullptr;
  ASSERT_TRUE(producer.ProduceCopy(ref).ok());
  producer.Poll(std::chrono::milliseconds(0));
  ASSERT_EQ(shared.records.size(), 2u);
  EXPECT_EQ(shared.records[0].topic, "t");
  EXPECT_EQ(shared.records[0].key, "k");
  EXPECT_EQ(shared.records[0].value, "bytes");
  EXPECT_EQ(shared.records[0].headers, (std::vector<std::pair<std::string, std::string>>{
                                           {"content-type", "application/x-protobuf"},
                                           {"schema", "tweetstream.tweet.v1.TweetEnvelope"}}));
  EXPECT_EQ(shared.records[1].value, "");
  EXPECT_EQ(histogram.Snapshot().count, 1u);
}

}  // namespace
}  // namespace tweetstream::testing
