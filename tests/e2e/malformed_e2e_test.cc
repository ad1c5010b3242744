// Hostile input through the real binaries (issue 16, point 4). The sink's half: any producer can
// write to the topic.
// 1,500 bad records of every kind (random bytes, truncated envelopes, invalid UTF-8 and lone
// surrogates in the text, broken Confluent frames, ids Elasticsearch cannot take, null values without
// a key) interleaved with 1,500 good ones (emoji, right-to-left text, a 300 KB text, a 200 KB header)
// go through the real tweet-sink into the real Elasticsearch: it never crashes, exactly the good ids are
// indexed, once, and every bad record is in the dead-letter topic with its class and reason, counted.

#include <unistd.h>

#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gmock/gmock.h"
#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

constexpr int kGood = 1500;
constexpr int kBad = 1500;

std::string GoodId(int i) { return absl::StrCat(1810000000000000000LL + i); }

tweet::v1::TweetEnvelope Good(int i) {
  tweet::v1::TweetEnvelope e;
  e.mutable_tweet()->set_id(GoodId(i));
  static const char* kTexts[] = {"plain text about #kafka", "emoji 🚀🔥👩‍👩‍👧 and ünïcödé",
                                 "مرحبا بالعالم right-to-left", "quotes \" and \\ backslashes </script>"};
  e.mutable_tweet()->set_text(i == 7 ? std::string(300 * 1024, 'x') : absl::StrCat(kTexts[i % 4], " ", i));
  e.mutable_tweet()->set_author_id(absl::StrCat(4200 + i % 10));
  e.mutable_tweet()->mutable_created_at()->set_seconds(1750000000 + i);
  e.mutable_author()->set_id(absl::StrCat(4200 + i % 10));
  e.mutable_author()->set_username(absl::StrCat("user_", i % 10));
  return e;
}

struct Bad {
  std::string key;
  std::optional<std::string> value;
  std::string error_class;  // what the dead-letter header must say
};

// The bad record number `i`, deterministic from `rng`. Each kind's expected class comes from what
// the record is, checked here with the generated Protobuf parser where it matters.
Bad MakeBad(int i, std::mt19937_64& rng) {
  google::protobuf::LogSilencer quiet;  // the invalid UTF-8 below is on purpose
  const std::string key = absl::StrCat("bad-", i);
  auto bytes = [&rng](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xff);
    return s;
  };
  switch (i % 8) {
    case 0: {  // random bytes that are no envelope (and not a Confluent frame: no leading 0)
      for (;;) {
        std::string v = bytes(1 + rng() % 300);
        tweet::v1::TweetEnvelope e;
        if (v[0] != '\0' && !e.ParseFromString(v)) return {key, v, "DecodeError"};
      }
    }
    case 1: {  // a real envelope cut short where the parser refuses it
      const std::string whole = Good(100000 + i).SerializeAsString();
      for (;;) {
        std::string v = whole.substr(0, 1 + rng() % (whole.size() - 1));
        tweet::v1::TweetEnvelope e;
        if (v[0] != '\0' && !e.ParseFromString(v)) return {key, v, "DecodeError"};
      }
    }
    case 2: {  // invalid UTF-8 in the text (a proto3 string field must be UTF-8)
      tweet::v1::TweetEnvelope e = Good(200000 + i);
      e.mutable_tweet()->set_text(std::string("broken \xff\xfe text ") + bytes(8));
      return {key, e.SerializePartialAsString(), "DecodeError"};
    }
    case 3: {  // a lone surrogate, CESU-style (ED A0 80): not UTF-8 either
      tweet::v1::TweetEnvelope e = Good(300000 + i);
      e.mutable_tweet()->set_text("lone surrogate \xed\xa0\x80 here");
      return {key, e.SerializePartialAsString(), "DecodeError"};
    }
    case 4: {  // a Confluent frame cut inside its header, or naming another message of the schema
      std::string v("\x00\x00\x00\x00\x07", 5);
      if (i % 16 == 4) v += std::string("\x02\x02", 2) + Good(400000 + i).SerializeAsString();  // message index [1]
      return {key, v, "DecodeError"};
    }
    case 5: {  // a tweet id Elasticsearch cannot take: empty, or longer than 512 bytes
      tweet::v1::TweetEnvelope e = Good(500000 + i);
      e.mutable_tweet()->set_id(i % 16 == 5 ? std::string() : std::string(600, '9'));
      return {key, e.SerializeAsString(), "InvalidKey"};
    }
    case 6:  // a null value without a key: no tombstone of any tweet
      return {"", std::nullopt, "InvalidRecord"};
    default: {  // Protobuf garbage that claims a huge nested tweet
      return {key, std::string("\x0a\xff\xff\xff\xff\x07", 6) + bytes(20), "DecodeError"};
    }
  }
}

class MalformedE2eTest : public SinkTopicE2eTest {
 protected:
  // Every record of `topic` from the start: until `expected` have come and 2 s pass without more.
  std::vector<common::ConsumerRecord> ReadAll(const std::string& topic, size_t expected) {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "malformed-reader-" + topic;
    options.topics = {topic};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok()) << consumer.status();
    std::vector<common::ConsumerRecord> out;
    if (!consumer.ok()) return out;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    absl::Time last = absl::Now();
    while (absl::Now() < deadline && !(out.size() >= expected && absl::Now() - last > absl::Seconds(2))) {
      auto records = (*consumer)->Poll(500, std::chrono::milliseconds(200));
      if (records.ok() && !records->empty()) {
        out.insert(out.end(), records->begin(), records->end());
        last = absl::Now();
      }
    }
    (void)(*consumer)->Close();
    return out;
  }
};

TEST_F(MalformedE2eTest, HostileRecordsAreDeadLetteredWithTheirReasonAndEveryGoodOneIsIndexedOnce) {
  std::mt19937_64 rng(16);
  std::map<std::string, int> bad_by_class;
  std::set<std::string> good_ids;
  int bad_made = 0;
  for (int i = 0; i < kGood + kBad; ++i) {
    if (i % 2 == 0) {
      const int g = i / 2;
      common::ProducerRecord r;
      r.topic = topic_;
      r.key = GoodId(g);
      r.value = Good(g).SerializeAsString();
      if (g == 11) r.headers.push_back({"x-oversized", std::string(200 * 1024, 'h')});  // odd, not bad
      ASSERT_TRUE(producer_->Produce(std::move(r)).ok());
      good_ids.insert(GoodId(g));
    } else {
      Bad b = MakeBad(bad_made++, rng);
      ++bad_by_class[b.error_class];
      common::ProducerRecord r;
      r.topic = topic_;
      if (!b.key.empty()) r.key = b.key;
      r.value = b.value;
      ASSERT_TRUE(producer_->Produce(std::move(r)).ok());
    }
  }
  ASSERT_TRUE(producer_->Flush(std::chrono::seconds(60)).ok());
  ASSERT_EQ(producer_->Counters().failed, 0);

  ProcessResult sink = RunProcess({SinkBinary(), "--topic=" + topic_, "--group-id=" + topic_ + "-g",
                                   "--bootstrap-servers=" + kafka_, "--es-url=" + es_url_, "--index=" + index_,
                                   "--dlq-topic=" + dlq_topic_, "--status-file=" + status_file_,
                                   "--linger=100ms", "--exit-when-idle=5s"},
                                  {}, std::chrono::minutes(4));
  ASSERT_EQ(sink.exit_code, 0) << sink.err.substr(0, 4000);

  // The index: exactly the good ids, each once, the long text whole.
  EXPECT_EQ(Count(), kGood);
  EXPECT_EQ(Ids(), good_ids);
  const auto docs = Documents();
  ASSERT_TRUE(docs.count(GoodId(7)));
  EXPECT_NE(docs.at(GoodId(7)).find(std::string(300 * 1024, 'x')), std::string::npos) << "the 300 KB text";

  // The dead-letter topic: every bad record, with its class and a reason, nothing else.
  const std::vector<common::ConsumerRecord> dead = ReadAll(dlq_topic_, kBad);
  ASSERT_EQ(dead.size(), static_cast<size_t>(kBad));
  std::map<std::string, int> dead_by_class;
  for (const auto& r : dead) {
    std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
    ++dead_by_class[headers["dlq.error.class"]];
    EXPECT_FALSE(headers["dlq.error.message"].empty()) << "offset " << headers["dlq.original.offset"];
    EXPECT_EQ(headers["dlq.original.topic"], topic_);
    EXPECT_FALSE(r.key.has_value() && good_ids.count(*r.key)) << "a good record was dead-lettered: " << *r.key;
  }
  EXPECT_EQ(dead_by_class, bad_by_class);

  // The counters say the same.
  auto status = Status();
  ASSERT_TRUE(status.IsObject() && status.HasMember("counters"));
  EXPECT_EQ(status["counters"]["consumed"].GetInt64(), kGood + kBad);
  EXPECT_EQ(status["counters"]["indexed"].GetInt64(), kGood);
  EXPECT_EQ(status["counters"]["undecodable"].GetInt64(), kBad);
  EXPECT_EQ(status["counters"]["dead_lettered"].GetInt64(), kBad);
  std::printf("malformed: %d good indexed, %d bad dead-lettered by class:", kGood, kBad);
  for (const auto& [c, n] : dead_by_class) std::printf(" %s=%d", c.c_str(), n);
  std::printf("\n");
}

// The source's half: a stream capture replayed by the real tweet-source, 500 good lines beside 500 bad
// ones of ten kinds (truncated JSON, raw invalid UTF-8, 100,000 nested arrays, a number beyond 64 bits, a
// wrong type for the id, the text or `data`, no text, an array for a body, a 2 MB text the topic cannot
// take). Every bad line is skipped, counted and named with its file:line; every good one is on the topic
// exactly once; a lone surrogate escape is repaired (U+FFFD) rather than written as invalid UTF-8.
TEST_F(MalformedE2eTest, BadLinesOfAReplayAreSkippedWithFileAndLineAndEveryGoodTweetIsProducedOnce) {
  constexpr int kLines = 1000;
  auto good_line = [](int i, const std::string& text) {
    const std::string id = absl::StrCat(1820000000000000000LL + i);
    return absl::StrCat(R"({"data":{"id":")", id, R"(","text":")", text, R"(","author_id":"42",)",
                        R"("created_at":"2026-12-01T00:00:00.000Z","edit_history_tweet_ids":[")", id,
                        R"("]},"includes":{"users":[{"id":"42","name":"A","username":"a"}]}})");
  };
  const std::vector<std::string> bad_kinds = {
      R"({"data":{"id":"1","text":"truncated)",
      "{\"data\":{\"id\":\"1830000000000000001\",\"text\":\"raw \xff\xfe bytes\",\"author_id\":\"42\"}}",
      absl::StrCat(R"({"data":)", std::string(100000, '['), std::string(100000, ']'), "}"),
      R"({"data":{"id":"1830000000000000003","text":"t","public_metrics":{"like_count":123456789012345678901234567890}}})",
      R"({"data":{"id":{"x":1},"text":"an object for an id"}})",
      R"({"data":{"id":"1830000000000000005","author_id":"42"}})",
      R"({"data":"a string"})",
      R"([1,2,3])",
      R"({"data":{"id":"1830000000000000008","text":5}})",
      absl::StrCat(R"({"data":{"id":"1830000000000000009","text":")", std::string(2 << 20, 'y'), R"("}})"),
  };
  const std::string path = absl::StrCat(::testing::TempDir(), "/malformed-", getpid(), ".jsonl");
  std::set<std::string> good_ids, repaired_ids;
  std::vector<int> bad_lines;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (int line = 1; line <= kLines; ++line) {
      const int i = line / 2;
      if (line % 2 == 1) {
        const bool lone = i % 25 == 0;  // "\ud83d" alone: valid JSON, no Unicode character
        out << good_line(i, lone ? "lone \\ud83d surrogate" : absl::StrCat("good ", i, " 🚀 مرحبا")) << "\n";
        (lone ? repaired_ids : good_ids).insert(absl::StrCat(1820000000000000000LL + i));
      } else {
        out << bad_kinds[i % bad_kinds.size()] << "\n";
        bad_lines.push_back(line);
      }
    }
  }
  const std::string topic = topic_ + "-replay";
  const std::string status_file = status_file_ + ".source";
  ProcessResult source = RunProcess({SourceBinary(), "--mode=replay", "--replay-file=" + path, "--topic=" + topic,
                                     "--bootstrap-servers=" + kafka_, "--partitions=1", "--replication-factor=1",
                                     "--control-addr=", "--metrics-addr=", "--status-file=" + status_file},
                                    {}, std::chrono::minutes(3));
  ASSERT_EQ(source.exit_code, 0) << source.err.substr(0, 4000);
  // "skipped FILE:LINE: why" (the body), "skipped FILE:LINE data ...: why" (its tweet) or "tweet ID skipped
  // (FILE:LINE): its record ... is larger than ..." (too large for the topic).
  for (int line : bad_lines) {
    const std::string where = absl::StrCat(path, ":", line);
    EXPECT_TRUE(absl::StrContains(source.err, "skipped " + where + ": ") ||
                absl::StrContains(source.err, "skipped " + where + " data") ||
                absl::StrContains(source.err, "skipped (" + where + "): its record"))
        << "bad line " << line << " is not named";
  }
  auto status_text = ReadFile(status_file);
  ASSERT_TRUE(status_text.ok());
  rapidjson::Document status;
  status.Parse(status_text->c_str());
  ASSERT_TRUE(status.IsObject() && status.HasMember("counters"));
  EXPECT_EQ(status["counters"]["skipped"].GetInt64(), static_cast<int64_t>(bad_lines.size()));
  EXPECT_EQ(status["counters"]["too_large"].GetInt64(), 50);  // the 2 MB texts (one kind in ten)
  EXPECT_EQ(status["counters"]["delivery_failed"].GetInt64(), 0);

  std::set<std::string> all = good_ids;
  all.insert(repaired_ids.begin(), repaired_ids.end());
  const std::vector<common::ConsumerRecord> records = ReadAll(topic, all.size());
  std::multiset<std::string> keys;
  for (const auto& r : records) {
    tweet::v1::TweetEnvelope e;
    ASSERT_TRUE(e.ParseFromString(r.value.value_or(""))) << "record " << r.key.value_or("") << " is no envelope";
    keys.insert(e.tweet().id());
    if (repaired_ids.count(e.tweet().id())) {
      EXPECT_EQ(e.tweet().text(), "lone \xEF\xBF\xBD surrogate") << "the lone surrogate becomes U+FFFD";
    }
  }
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()), all);
  EXPECT_EQ(keys.size(), all.size()) << "a tweet was produced twice";
  std::printf("malformed replay: %zu good (%zu repaired) produced once, %zu bad lines skipped and named\n", all.size(),
              repaired_ids.size(), bad_lines.size());
}

}  // namespace
}  // namespace tweetstream::testing
