// tweet-sink against the real Kafka broker and the real Elasticsearch node, with faults: the exact
// set, dead-lettering, Elasticsearch stopped mid-run, kill -9 and restart, two sinks in one group with
// one killed, tombstones. Records are produced by the test itself (synthetic envelopes) with the
// project's Kafka producer, and by tweet-source from the fixtures.

#include <signal.h>

#include <rapidjson/document.h>

#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "common/rfc3339.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShortSession[] = "--consumer-property=session.timeout.ms=6000,heartbeat.interval.ms=1000";

std::string SyntheticId(int i) { return absl::StrCat(1800000000000000000LL + i); }

tweet::v1::TweetEnvelope Synthetic(int i) {
  tweet::v1::TweetEnvelope e;
  auto* t = e.mutable_tweet();
  t->set_id(SyntheticId(i));
  t->set_text(absl::StrFormat("Synthetic tweet %d about #Kafka and \"quotes\" \\ 🚀 &amp; ünïcödé", i));
  t->set_author_id(absl::StrCat(9000 + i % 50));
  t->set_lang(i % 3 == 0 ? "de" : "en");
  t->mutable_created_at()->set_seconds(1700000000 + i);
  auto* tag = t->mutable_entities()->add_hashtags();
  tag->set_start(30);
  tag->set_end(36);
  tag->set_tag("Kafka");
  t->mutable_public_metrics()->set_like_count(i % 1000);
  e.mutable_author()->set_id(absl::StrCat(9000 + i % 50));
  e.mutable_author()->set_username(absl::StrCat("synthetic_user_", i % 50));
  e.mutable_ingestion()->set_connector("e2e-test");
  return e;
}

class SinkE2eTest : public SinkTopicE2eTest {
 protected:
  void ProduceSynthetic(int from, int to) {
    for (int i = from; i < to; ++i) Produce(SyntheticId(i), Synthetic(i).SerializeAsString());
    ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
    ASSERT_EQ(producer_->Counters().failed, 0);
  }
  std::set<std::string> SyntheticIds(int from, int to) {
    std::set<std::string> ids;
    for (int i = from; i < to; ++i) ids.insert(SyntheticId(i));
    return ids;
  }

  std::vector<std::string> SinkArgs(const std::string& group, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {SinkBinary(), "--topic=" + topic_, "--group-id=" + group,
                                     "--bootstrap-servers=" + kafka_, "--es-url=" + es_url_, "--index=" + index_,
                                     "--dlq-topic=" + dlq_topic_, "--status-file=" + status_file_,
                                     "--linger=100ms", "--retry-backoff-max=2s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }


  // Waits (bounded) until the index holds at least `n` documents.
  bool WaitForCount(int64_t n, std::chrono::seconds timeout) {
    const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
    while (absl::Now() < deadline) {
      if (Count() >= n) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  }

  std::vector<common::ConsumerRecord> ReadDlq(size_t expected) {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "e2e-dlq-reader-" + topic_;
    options.topics = {dlq_topic_};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok());
    std::vector<common::ConsumerRecord> out;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (out.size() < expected && absl::Now() < deadline) {
      auto records = (*consumer)->Poll(100, std::chrono::milliseconds(200));
      if (records.ok()) out.insert(out.end(), records->begin(), records->end());
    }
    // A little longer, to see that nothing more arrives.
    auto more = (*consumer)->Poll(100, std::chrono::seconds(2));
    if (more.ok()) out.insert(out.end(), more->begin(), more->end());
    (void)(*consumer)->Close();
    return out;
  }

  ProcessResult Services(const std::string& command) {
    return RunProcess({"/bin/bash", SourceDir() + "/scripts/services.sh", command, "es"}, {}, std::chrono::minutes(4));
  }

};

TEST_F(SinkE2eTest, ExactSetFieldByFieldAndReconsumingChangesNothing) {
  ProduceSynthetic(0, 3000);
  ProcessResult source = RunProcess({SourceBinary(), "--mode=replay", "--replay-file=" + FixturePath("recent-search-twarc-brexit-2021-09-22.json"),
                                     "--topic=" + topic_, "--bootstrap-servers=" + kafka_}, {}, std::chrono::minutes(2));
  ASSERT_EQ(source.exit_code, 0) << source.err;
  ProcessResult sink = RunProcess(SinkArgs("exact-a", {"--exit-when-idle=6s"}), {}, std::chrono::minutes(3));
  ASSERT_EQ(sink.exit_code, 0) << sink.err;

  std::set<std::string> expected = SyntheticIds(0, 3000);
  auto page = ReadFile(FixturePath("recent-search-twarc-brexit-2021-09-22.json"));
  ASSERT_TRUE(page.ok());
  rapidjson::Document fixture;
  fixture.Parse(page->c_str());
  for (const auto& t : fixture["data"].GetArray()) expected.insert(t["id"].GetString());
  EXPECT_EQ(Ids(), expected);

  // Field by field for a sample of synthetic tweets.
  auto docs = Documents();
  for (int i : {0, 1, 777, 2999}) {
    const std::string id = SyntheticId(i);
    ASSERT_TRUE(docs.count(id)) << id;
    rapidjson::Document doc;
    doc.Parse(docs[id].c_str());
    const auto expected_envelope = Synthetic(i);
    EXPECT_EQ(std::string(doc["text"].GetString()), expected_envelope.tweet().text());
    EXPECT_EQ(std::string(doc["author"]["username"].GetString()), expected_envelope.author().username());
    EXPECT_EQ(std::string(doc["author_id"].GetString()), expected_envelope.tweet().author_id());
    EXPECT_EQ(std::string(doc["lang"].GetString()), expected_envelope.tweet().lang());
    EXPECT_EQ(doc["public_metrics"]["like_count"].GetInt64(), i % 1000);
    EXPECT_EQ(std::string(doc["entities"]["hashtags"][0]["tag"].GetString()), "Kafka");
    EXPECT_EQ(std::string(doc["created_at"].GetString()),
              common::Rfc3339Millis(absl::FromUnixSeconds(1700000000 + i)));
  }
  // A new group re-reads everything from the earliest offset: nothing changes.
  ProcessResult again = RunProcess(SinkArgs("exact-b", {"--exit-when-idle=6s"}), {}, std::chrono::minutes(3));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Count(), static_cast<int64_t>(expected.size()));
  EXPECT_EQ(Documents(), docs);
}

TEST_F(SinkE2eTest, PoisonRecordAndMappingConflictGoToTheDeadLetterTopicAndTheRestFlows) {
  // An index created by an operator with a conflicting mapping: `lang` as a number.
  auto created = es_->Request("PUT", "/" + index_, R"({"mappings":{"properties":{"lang":{"type":"long"}}}})");
  ASSERT_TRUE(created.ok() && created->status == 200) << (created.ok() ? created->body : "");
  for (int i = 0; i < 50; ++i) {
    auto e = Synthetic(i);
    e.mutable_tweet()->clear_lang();
    Produce(SyntheticId(i), e.SerializeAsString());
  }
  // Field 1 (the tweet) claiming ~4 GB of bytes that are not there: no Protobuf parser accepts it.
  Produce("poison-key", std::string("\x0a\xf0\xff\xff\xff\x0f garbage", 14));
  Produce(SyntheticId(50), Synthetic(50).SerializeAsString());  // lang "en": conflicts with the mapping
  ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());

  ChildProcess sink(SinkArgs("dlq"), {});
  // While it runs: both bad records dead-lettered, the connector RUNNING.
  bool running_with_two = false;
  for (int i = 0; i < 300 && !running_with_two; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    auto status = Status();
    if (status.IsObject() && status["counters"]["dead_lettered"].GetInt64() == 2) {
      running_with_two = std::string(status["state"].GetString()) == "RUNNING";
      EXPECT_TRUE(running_with_two) << status["state"].GetString();
      break;
    }
  }
  EXPECT_TRUE(running_with_two);
  EXPECT_TRUE(WaitForCount(50, std::chrono::seconds(30)));
  sink.Signal(SIGTERM);
  ProcessResult result = sink.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Ids(), SyntheticIds(0, 50));

  auto dead = ReadDlq(2);
  ASSERT_EQ(dead.size(), 2u);
  std::map<std::string, std::map<std::string, std::string>> by_key;
  for (const auto& r : dead) by_key[r.key.value_or("")] = {r.headers.begin(), r.headers.end()};
  ASSERT_TRUE(by_key.count("poison-key"));
  ASSERT_TRUE(by_key.count(SyntheticId(50)));
  EXPECT_EQ(by_key["poison-key"]["dlq.error.class"], "DecodeError");
  EXPECT_EQ(by_key["poison-key"]["dlq.original.topic"], topic_);
  EXPECT_FALSE(by_key["poison-key"]["dlq.original.offset"].empty());
  EXPECT_FALSE(by_key["poison-key"]["dlq.time"].empty());
  EXPECT_EQ(by_key[SyntheticId(50)]["dlq.error.class"], "mapper_parsing_exception");
  EXPECT_THAT(by_key[SyntheticId(50)]["dlq.error.message"], HasSubstr("lang"));
  for (const auto& r : dead) {
    if (r.key == SyntheticId(50)) {
      EXPECT_EQ(r.value, Synthetic(50).SerializeAsString());  // the original bytes
    }
  }
}

TEST_F(SinkE2eTest, ElasticsearchStoppedForSixtySecondsAndTheBrokerRestartedLoseNothing) {
  ProduceSynthetic(0, 6000);
  ChildProcess sink(SinkArgs("es-outage", {"--batch-max-records=200", "--exit-when-idle=15s", "--max-pending-records=1000",
                                           kShortSession}), {});
  ASSERT_TRUE(WaitForCount(200, std::chrono::seconds(60))) << sink.Stderr();
  const absl::Time es_down = absl::Now();
  ProcessResult stop = Services("stop");
  ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
  ProduceSynthetic(6000, 8000);  // tweets keep arriving while Elasticsearch is down
  // For 60 s the status must say what is happening: DEGRADED, naming Elasticsearch and its address.
  int degraded_samples = 0, samples = 0;
  const int64_t at_stop = Status()["counters"]["indexed"].GetInt64();
  while (absl::Now() < es_down + absl::Seconds(60)) {
    auto status = Status();
    ++samples;
    if (status.IsObject() && std::string(status["state"].GetString()) == "DEGRADED") {
      const std::string cause = status["cause"].GetString();
      EXPECT_THAT(cause, HasSubstr(es_url_));
      ++degraded_samples;
    }
    ASSERT_TRUE(sink.Running()) << "the sink must not die while Elasticsearch is down:\n" << sink.Stderr();
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_GT(degraded_samples, samples / 2) << "DEGRADED in " << degraded_samples << " of " << samples << " looks";
  ProcessResult start = Services("start");
  ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
  const double es_outage = absl::ToDoubleSeconds(absl::Now() - es_down);
  // The broker restarted while the sink catches up.
  ASSERT_TRUE(WaitForCount(at_stop + 500, std::chrono::seconds(120))) << sink.Stderr();
  const absl::Time broker_down = absl::Now();
  ProcessResult kafka_stop = RunProcess({"/bin/bash", SourceDir() + "/scripts/services.sh", "stop", "kafka"}, {},
                                        std::chrono::minutes(2));
  ASSERT_EQ(kafka_stop.exit_code, 0) << kafka_stop.out << kafka_stop.err;
  absl::SleepFor(absl::Seconds(5));
  ASSERT_TRUE(sink.Running()) << "the sink must not die while the broker is down:\n" << sink.Stderr();
  ProcessResult kafka_start = RunProcess({"/bin/bash", SourceDir() + "/scripts/services.sh", "start", "kafka"}, {},
                                         std::chrono::minutes(3));
  ASSERT_EQ(kafka_start.exit_code, 0) << kafka_start.out << kafka_start.err;
  const double broker_outage = absl::ToDoubleSeconds(absl::Now() - broker_down);
  // A new producer: the old one's connections went with the broker.
  common::KafkaProducerOptions options;
  options.bootstrap_servers = kafka_;
  auto producer = common::CreateKafkaProducer(options);
  ASSERT_TRUE(producer.ok());
  producer_ = std::move(*producer);
  ProduceSynthetic(8000, 9000);
  ProcessResult result = sink.Wait(std::chrono::minutes(4));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(Ids(), SyntheticIds(0, 9000));
  auto final_status = Status();
  EXPECT_EQ(std::string(final_status["state"].GetString()), "STOPPED");
  std::cout << "Elasticsearch down " << es_outage << " s (DEGRADED in " << degraded_samples << " of " << samples
            << " looks), broker down " << broker_outage << " s; consumed " << final_status["counters"]["consumed"].GetInt64()
            << " records for 9000 tweets, all indexed\n";
}

TEST_F(SinkE2eTest, KillNineAndRestartIndexesExactlyTheProducedSet) {
  ProduceSynthetic(0, 20000);
  {
    // A short session timeout: the restarted member need not wait 45 s for the dead one to expire.
    ChildProcess sink(SinkArgs("kill9", {"--batch-max-records=250", kShortSession}), {});
    ASSERT_TRUE(WaitForCount(2000, std::chrono::seconds(90))) << sink.Stderr();
    sink.Signal(SIGKILL);
    sink.Wait(std::chrono::seconds(10));
  }
  const int64_t at_kill = Count();
  EXPECT_LT(at_kill, 20000) << "the sink finished before it was killed; the test proves nothing";
  ProcessResult restarted = RunProcess(SinkArgs("kill9", {"--exit-when-idle=6s", kShortSession}), {}, std::chrono::minutes(4));
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
  EXPECT_EQ(Ids(), SyntheticIds(0, 20000));
}

TEST_F(SinkE2eTest, TwoSinksInOneGroupOneKilledTogetherIndexTheExactSet) {
  ProduceSynthetic(0, 20000);
  // A short session timeout so that the survivor gets the dead member's partitions quickly.
  const std::vector<std::string> group_args = {"--batch-max-records=250", kShortSession};
  auto args_b = SinkArgs("pair", group_args);
  args_b.push_back("--exit-when-idle=15s");
  ChildProcess a(SinkArgs("pair", group_args), {});
  ChildProcess b(args_b, {});
  ASSERT_TRUE(WaitForCount(3000, std::chrono::seconds(90))) << a.Stderr() << b.Stderr();
  a.Signal(SIGKILL);
  a.Wait(std::chrono::seconds(10));
  EXPECT_LT(Count(), 20000) << "everything was indexed before the kill; the test proves nothing";
  ProcessResult survivor = b.Wait(std::chrono::minutes(4));
  ASSERT_EQ(survivor.exit_code, 0) << survivor.err;
  EXPECT_EQ(Ids(), SyntheticIds(0, 20000));
}

TEST_F(SinkE2eTest, ATombstoneDeletesItsDocument) {
  ProduceSynthetic(0, 10);
  Produce(SyntheticId(3), std::nullopt);        // the tweet was deleted
  Produce(SyntheticId(999999), std::nullopt);   // a tombstone for a tweet never indexed: fine
  ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
  ProcessResult sink = RunProcess(SinkArgs("tombstone", {"--exit-when-idle=6s"}), {}, std::chrono::minutes(2));
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  std::set<std::string> expected = SyntheticIds(0, 10);
  expected.erase(SyntheticId(3));
  EXPECT_EQ(Ids(), expected);
  EXPECT_THAT(sink.out, HasSubstr("deleted 2"));
}

TEST_F(SinkE2eTest, DatePatternIndexSplitsByCreationDay) {
  for (int i = 0; i < 6; ++i) {
    auto e = Synthetic(i);
    e.mutable_tweet()->mutable_created_at()->set_seconds(1700000000 + i * 86400);  // six days
    Produce(SyntheticId(i), e.SerializeAsString());
  }
  ASSERT_TRUE(producer_->Flush(std::chrono::seconds(30)).ok());
  auto args = SinkArgs("daily", {"--exit-when-idle=6s", "--es-gzip"});
  for (auto& a : args) {
    if (a == "--index=" + index_) a = "--index=" + index_ + "-%Y.%m.%d";
  }
  ProcessResult sink = RunProcess(args, {}, std::chrono::minutes(2));
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  for (int i = 0; i < 6; ++i) {
    const std::string day = absl::FormatTime("%Y.%m.%d", absl::FromUnixSeconds(1700000000 + i * 86400), absl::UTCTimeZone());
    EXPECT_EQ(Count(index_ + "-" + day), 1) << day;
  }
  EXPECT_EQ(Ids(index_ + "-*"), SyntheticIds(0, 6));
  (void)es_->Request("DELETE", "/_index_template/tweetstream-" + index_);
}

}  // namespace
}  // namespace tweetstream::testing
