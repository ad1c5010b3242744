// DeadLetterQueue on its own, over the in-memory producer of tests/fakes/: a record is done only once
// its dead letter is acknowledged; failed deliveries (and produces refused at once) are produced
// again after a backoff, capped by retry_max; DEGRADED lasts while any record waits and its cause
// is recorded once per new cause; records are counted once, not per attempt. The queue reads the
// steady clock itself (no clock to inject), so the backoff is seen at its ends: 0 (due at once),
// an hour (not due within the test), and an hour capped to 0 by retry_max. Unit: no sockets.
// sink_app_test.cc covers the same paths through SinkApp (headers of one dead letter, a failing topic).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sink-connector/dead_letter_queue.h"
#include "tests/fakes/fake_producer.h"

namespace tweetstream::testing {
namespace {

using std::chrono::milliseconds;

// The fake producer, refusing Produce() itself (as librdkafka does for a record too large) while
// `refuse` is set.
class RefusingProducer : public common::Producer {
 public:
  RefusingProducer(FakeProducer::Shared* shared, const bool* refuse) : fake_(shared), refuse_(refuse) {}
  absl::Status Produce(common::ProducerRecord record) override {
    if (*refuse_) return absl::InvalidArgumentError("Broker: Message size too large");
    return fake_.Produce(std::move(record));
  }
  void Poll(milliseconds timeout) override { fake_.Poll(timeout); }
  absl::Status Flush(milliseconds timeout) override { return fake_.Flush(timeout); }
  common::ProducerCounters Counters() const override { return fake_.Counters(); }

 private:
  FakeProducer fake_;
  const bool* refuse_;
};

class DeadLetterQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { status_.SetState(sink::SinkState::kRunning); }

  std::unique_ptr<sink::DeadLetterQueue> Make(milliseconds retry_initial, milliseconds retry_max,
                                              std::unique_ptr<common::Producer> producer = nullptr,
                                              std::string topic = "tweets-dlq") {
    sink::DeadLetterOptions options;
    options.topic = std::move(topic);
    options.connector = "sink-7";
    options.retry_initial = retry_initial;
    options.retry_max = retry_max;
    options.on_dead_letter = [this](const std::string& error_class, const std::string& message) {
      ledger_.push_back(error_class + " | " + message);
    };
    if (!producer && !options.topic.empty()) producer = std::make_unique<FakeProducer>(&kafka_);
    return std::make_unique<sink::DeadLetterQueue>(std::move(options), std::move(producer), &status_,
                                                   [this](const sink::SinkItem& item) { done_.push_back(item.offset); });
  }

  static std::unique_ptr<sink::SinkItem> Record(int64_t offset, const std::string& key) {
    auto item = std::make_unique<sink::SinkItem>();
    item->tp = {"tweets", 2};
    item->offset = offset;
    item->key = key;
    item->value = "value of " + key;
    return item;
  }

  connector::v1::ConnectorStatus Status() const {
    connector::v1::ConnectorStatus out;
    status_.FillProto(&out);
    return out;
  }

  // Entries of the recent-error ring that name the dead-letter topic's failure.
  int TopicErrors() const {
    int n = 0;
    const connector::v1::ConnectorStatus status = Status();
    for (const auto& e : status.last_errors()) n += absl::StartsWith(e.message(), "dead-letter topic ") ? 1 : 0;
    return n;
  }

  FakeProducer::Shared kafka_;
  sink::SinkStatus status_;
  std::vector<int64_t> done_;
  std::vector<std::string> ledger_;
};

TEST_F(DeadLetterQueueTest, WithoutATopicARecordIsDoneAtOnceAndToldToTheLedger) {
  auto dlq = Make(milliseconds(0), milliseconds(0), nullptr, "");
  dlq->Send(Record(5, "k5"), "DecodeError", "not an envelope");
  EXPECT_EQ(done_, std::vector<int64_t>{5});
  EXPECT_EQ(ledger_, std::vector<std::string>{"DecodeError | tweets/2@5: not an envelope"});
  EXPECT_EQ(dlq->Outstanding(), 0);
  dlq->Serve();  // nothing more happens
  EXPECT_EQ(done_.size(), 1u);
}

TEST_F(DeadLetterQueueTest, AProducerWithoutATopicProducesNothing) {
  auto dlq = Make(milliseconds(0), milliseconds(0), std::make_unique<FakeProducer>(&kafka_), "");
  dlq->Send(Record(1, "k1"), "InvalidKey", "empty");
  dlq->Serve();
  EXPECT_TRUE(kafka_.records.empty());
  EXPECT_EQ(done_, std::vector<int64_t>{1});
}

TEST_F(DeadLetterQueueTest, ARecordIsDoneOnlyOnceItsDeadLetterIsAcknowledged) {
  auto dlq = Make(milliseconds(0), milliseconds(0));
  kafka_.hold_deliveries = true;  // in the producer, not yet acknowledged
  dlq->Send(Record(9, "k9"), "mapper_parsing_exception", "failed to parse");
  dlq->Serve();
  dlq->Serve();
  EXPECT_TRUE(done_.empty()) << "done before the broker acknowledged its dead letter";
  EXPECT_TRUE(ledger_.empty());
  EXPECT_EQ(dlq->Outstanding(), 1);
  EXPECT_EQ(status_.counters().dead_lettered.load(), 0);
  EXPECT_EQ(kafka_.records.size(), 1u);

  kafka_.hold_deliveries = false;
  dlq->Serve();
  EXPECT_EQ(done_, std::vector<int64_t>{9});
  EXPECT_EQ(ledger_.size(), 1u);
  EXPECT_EQ(dlq->Outstanding(), 0);
  EXPECT_EQ(status_.counters().dead_lettered.load(), 1);
  dlq->Serve();
  EXPECT_EQ(done_.size(), 1u);
  EXPECT_EQ(status_.state(), sink::SinkState::kRunning);
}

TEST_F(DeadLetterQueueTest, FlushServesTheAcknowledgements) {
  auto dlq = Make(milliseconds(0), milliseconds(0));
  dlq->Send(Record(3, "k3"), "DecodeError", "x");
  dlq->Flush(milliseconds(100));
  EXPECT_EQ(done_, std::vector<int64_t>{3});
}

TEST_F(DeadLetterQueueTest, TheDeadLetterHoldsTheOriginalKeyValueAndHeaders) {
  auto dlq = Make(milliseconds(0), milliseconds(0));
  auto tombstone = Record(12, "\xff bad key");
  tombstone->value.reset();  // a null value stays null
  dlq->Send(Record(11, "k11"), "mapper_parsing_exception", "failed to parse field [lang]");
  dlq->Send(std::move(tombstone), "InvalidKey", "tweet id is not valid UTF-8");
  ASSERT_EQ(kafka_.records.size(), 2u);
  const auto& letter = kafka_.records[0];
  EXPECT_EQ(letter.topic, "tweets-dlq");
  EXPECT_EQ(letter.key, "k11");
  EXPECT_EQ(letter.value, "value of k11");
  std::map<std::string, std::string> h(letter.headers.begin(), letter.headers.end());
  EXPECT_EQ(h.size(), letter.headers.size()) << "a header given twice";
  EXPECT_EQ(h["dlq.original.topic"], "tweets");
  EXPECT_EQ(h["dlq.original.partition"], "2");
  EXPECT_EQ(h["dlq.original.offset"], "11");
  EXPECT_EQ(h["dlq.error.class"], "mapper_parsing_exception");
  EXPECT_EQ(h["dlq.error.message"], "failed to parse field [lang]");
  EXPECT_EQ(h["dlq.connector"], "sink-7");
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, h["dlq.time"], &time, &error)) << h["dlq.time"] << ": " << error;
  EXPECT_EQ(h.size(), 7u);

  EXPECT_EQ(kafka_.records[1].key, "\xff bad key");
  EXPECT_FALSE(kafka_.records[1].value.has_value());
}

TEST_F(DeadLetterQueueTest, AFailedDeliveryIsProducedAgainHeldAsDegradedAndTheRecordCountedOnce) {
  auto dlq = Make(milliseconds(0), milliseconds(0));  // due again at once
  kafka_.failure = "Broker: Unknown topic or partition";
  kafka_.fail_deliveries = true;
  dlq->Send(Record(4, "k4"), "DecodeError", "garbage");
  for (int i = 0; i < 3; ++i) dlq->Serve();
  EXPECT_EQ(kafka_.records.size(), 4u) << "each Serve delivers the failure and produces again";
  EXPECT_TRUE(done_.empty());
  EXPECT_EQ(dlq->Outstanding(), 1);
  const auto failing = Status();
  EXPECT_TRUE(failing.degraded());
  EXPECT_TRUE(absl::StrContains(failing.cause(), "dead-letter topic tweets-dlq: Broker: Unknown topic or partition"))
      << failing.cause();
  EXPECT_TRUE(absl::StrContains(failing.cause(), "holding 1 record(s)")) << failing.cause();

  kafka_.fail_deliveries = false;  // the operator creates the topic
  dlq->Serve();
  EXPECT_EQ(done_, std::vector<int64_t>{4});
  EXPECT_EQ(ledger_, std::vector<std::string>{"DecodeError | tweets/2@4: garbage"}) << "attempts counted, not records";
  EXPECT_EQ(status_.counters().dead_lettered.load(), 1);
  EXPECT_EQ(dlq->Outstanding(), 0);
  EXPECT_FALSE(Status().degraded()) << Status().cause();
}

TEST_F(DeadLetterQueueTest, AFailedLetterWaitsForItsBackoff) {
  auto dlq = Make(std::chrono::hours(1), std::chrono::hours(2));
  kafka_.fail_deliveries = true;
  dlq->Send(Record(4, "k4"), "DecodeError", "garbage");
  for (int i = 0; i < 20; ++i) dlq->Serve();
  EXPECT_EQ(kafka_.records.size(), 1u) << "produced again before its backoff: a hot loop against a failing topic";
  EXPECT_EQ(dlq->Outstanding(), 1);
  EXPECT_TRUE(done_.empty());
  EXPECT_EQ(status_.state(), sink::SinkState::kDegraded);
}

TEST_F(DeadLetterQueueTest, TheBackoffIsCappedByRetryMax) {
  auto dlq = Make(std::chrono::hours(1), milliseconds(0));
  kafka_.fail_deliveries = true;
  dlq->Send(Record(4, "k4"), "DecodeError", "garbage");
  dlq->Serve();
  dlq->Serve();
  EXPECT_EQ(kafka_.records.size(), 3u) << "retry_max 0 did not cap retry_initial";
}

TEST_F(DeadLetterQueueTest, AProduceRefusedAtOnceIsRetriedLikeAFailedDelivery) {
  bool refuse = true;
  auto dlq = Make(milliseconds(0), milliseconds(0), std::make_unique<RefusingProducer>(&kafka_, &refuse));
  dlq->Send(Record(8, "k8"), "DecodeError", "garbage");
  EXPECT_EQ(dlq->Outstanding(), 1);
  EXPECT_TRUE(done_.empty());
  EXPECT_TRUE(absl::StrContains(Status().cause(), "Message size too large")) << Status().cause();
  dlq->Serve();
  EXPECT_TRUE(done_.empty());
  refuse = false;
  dlq->Serve();  // produced
  dlq->Serve();  // acknowledged
  EXPECT_EQ(done_, std::vector<int64_t>{8});
  EXPECT_EQ(status_.counters().dead_lettered.load(), 1);
  EXPECT_EQ(status_.state(), sink::SinkState::kRunning);
}

TEST_F(DeadLetterQueueTest, TheCauseIsRecordedOncePerNewCauseNotPerAttempt) {
  auto dlq = Make(milliseconds(0), milliseconds(0));
  kafka_.fail_deliveries = true;
  kafka_.failure = "Broker: Topic authorization failed";
  dlq->Send(Record(1, "k1"), "DecodeError", "garbage");
  for (int i = 0; i < 5; ++i) dlq->Serve();
  EXPECT_EQ(TopicErrors(), 1);
  kafka_.failure = "Broker: Message size too large";
  dlq->Serve();
  dlq->Serve();
  EXPECT_EQ(TopicErrors(), 2);
  EXPECT_TRUE(absl::StrContains(Status().cause(), "Message size too large")) << Status().cause();
}

TEST_F(DeadLetterQueueTest, DegradedLastsWhileAnyRecordWaitsAndClearsWhenNoneDoes) {
  auto dlq = Make(milliseconds(0), milliseconds(0));
  {
    absl::MutexLock lock(&kafka_.mu);
    kafka_.fail_keys.insert("bad");
  }
  dlq->Send(Record(1, "good"), "DecodeError", "x");
  dlq->Send(Record(2, "bad"), "DecodeError", "x");
  dlq->Serve();
  EXPECT_EQ(done_, std::vector<int64_t>{1});
  EXPECT_EQ(dlq->Outstanding(), 1);
  EXPECT_TRUE(Status().degraded());
  dlq->Send(Record(3, "good too"), "DecodeError", "x");
  dlq->Serve();
  EXPECT_EQ(done_, (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(Status().degraded()) << "a delivery of another record cleared the cause while 2 still waits";
  {
    absl::MutexLock lock(&kafka_.mu);
    kafka_.fail_keys.clear();
  }
  dlq->Serve();
  EXPECT_EQ(done_, (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(dlq->Outstanding(), 0);
  EXPECT_FALSE(Status().degraded()) << Status().cause();
  EXPECT_EQ(status_.counters().dead_lettered.load(), 3);
  EXPECT_EQ(ledger_.size(), 3u);
}

}  // namespace
}  // namespace tweetstream::testing
