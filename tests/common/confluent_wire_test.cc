// The Confluent Schema Registry wire format (common/confluent_wire.h) against the bytes Confluent's
// documentation gives, and tweet-source's --value-format=confluent-protobuf on every record it produces.
// (Bytes made by Confluent's own Python serializer are checked against both binaries by
// tests/schema/schema_topic_decode_test.py.)

#include "common/confluent_wire.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "source-connector/source_app.h"
#include "tests/fakes/fake_producer.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(ConfluentWireTest, PrefixIsMagicByteBigEndianIdAndTheIndexArray) {
  // A file's first message: Confluent writes [0] as a single 0 byte.
  EXPECT_EQ(common::ConfluentProtobufPrefix(1), Bytes({0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(common::ConfluentProtobufPrefix(0x01020304, {0}), Bytes({0, 1, 2, 3, 4, 0}));
  // [1, 2] (the third nested message of the second top-level one): count 2, then 1 and 2, zigzag.
  EXPECT_EQ(common::ConfluentProtobufPrefix(7, {1, 2}), Bytes({0, 0, 0, 0, 7, 4, 2, 4}));
  // Zigzag varints: 0->0, -1->1, 1->2, 63->126, 64->128 (two bytes).
  std::string v;
  for (int n : {0, -1, 1, 63, 64}) common::AppendZigzagVarint(n, &v);
  EXPECT_EQ(v, Bytes({0, 1, 2, 126, 0x80, 0x01}));
}

TEST(ConfluentWireTest, UnframeReadsWhatWasFramedAndThePayloadAfterIt) {
  for (const std::vector<int32_t>& indexes : std::vector<std::vector<int32_t>>{{0}, {1, 2}, {3}, {70, 0, 5}}) {
    const std::string value = common::ConfluentProtobufPrefix(2147483647u, indexes) + "payload";
    auto frame = common::UnframeConfluentProtobuf(value);
    ASSERT_TRUE(frame.ok()) << frame.status();
    EXPECT_EQ(frame->schema_id, 2147483647u);
    EXPECT_EQ(frame->message_indexes, indexes);
    EXPECT_EQ(frame->payload, "payload");
  }
  // [0] spelled out (count 1, index 0) is the same message as the shorthand.
  // (The payload is a view into the value: the value must outlive it; ASan's stack-use-after-scope
  // caught a temporary here.)
  const std::string spelled_value = Bytes({0, 0, 0, 0, 9, 2, 0}) + "x";
  auto spelled = common::UnframeConfluentProtobuf(spelled_value);
  ASSERT_TRUE(spelled.ok());
  EXPECT_THAT(spelled->message_indexes, ElementsAre(0));
  EXPECT_EQ(spelled->payload, "x");
}

TEST(ConfluentWireTest, APlainProtobufValueNeverLooksFramedAndBadFramesSayWhy) {
  tweet::v1::TweetEnvelope envelope;
  envelope.mutable_tweet()->set_id("1");
  EXPECT_FALSE(common::LooksConfluentFramed(envelope.SerializeAsString()));
  EXPECT_FALSE(common::LooksConfluentFramed(""));
  EXPECT_THAT(std::string(common::UnframeConfluentProtobuf(Bytes({0, 0, 0})).status().message()),
              HasSubstr("shorter than magic byte, schema id and message index"));
  EXPECT_THAT(std::string(common::UnframeConfluentProtobuf(Bytes({0, 0, 0, 0, 1, 0x80})).status().message()),
              HasSubstr("truncated message-index array"));
  EXPECT_THAT(std::string(common::UnframeConfluentProtobuf(Bytes({0, 0, 0, 0, 1, 1})).status().message()),
              HasSubstr("message-index array of -1 entries"));
  // Two indexes announced, one byte left; two announced, both cut mid-varint.
  EXPECT_THAT(std::string(common::UnframeConfluentProtobuf(Bytes({0, 0, 0, 0, 1, 4, 2})).status().message()),
              HasSubstr("message-index array of 2 entries"));
  EXPECT_THAT(std::string(common::UnframeConfluentProtobuf(Bytes({0, 0, 0, 0, 1, 4, 0x80, 0x80})).status().message()),
              HasSubstr("truncated message-index array"));
  EXPECT_TRUE(absl::IsInvalidArgument(common::UnframeConfluentProtobuf("\x0a\x01").status()));
}

// Synthetic mode through the fake producer, once plain and once framed with the same seed.
std::vector<common::ProducerRecord> RunSynthetic(const std::string& value_format, int64_t schema_id) {
  source::SourceConfig config;
  config.mode = "synthetic";
  config.count = 20;
  config.seed = 14;
  config.value_format = value_format;
  config.value_schema_id = schema_id;
  FakeProducer::Shared shared;
  {
    auto http = common::CurlHttpClient::Create();
    EXPECT_TRUE(http.ok());
    auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&shared), std::move(*http));
    EXPECT_TRUE(app.ok()) << app.status();
    if (!app.ok()) return {};
    source::SourceSummary summary;
    EXPECT_TRUE((*app)->Run(&summary).ok());
  }
  return shared.records;
}

TEST(ConfluentWireTest, TheSourceFramesEveryValueWithTheSchemaIdAndTheSameEnvelopeBytes) {
  const auto plain = RunSynthetic("plain", 0);
  const auto framed = RunSynthetic("confluent-protobuf", 4242);
  ASSERT_EQ(plain.size(), 20u);
  ASSERT_EQ(framed.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    std::map<std::string, std::string> plain_headers(plain[i].headers.begin(), plain[i].headers.end());
    std::map<std::string, std::string> headers(framed[i].headers.begin(), framed[i].headers.end());
    EXPECT_EQ(plain_headers["content-type"], "application/x-protobuf");
    EXPECT_EQ(headers["content-type"], "application/vnd.confluent.protobuf");
    EXPECT_EQ(headers["schema"], "tweetstream.tweet.v1.TweetEnvelope");
    ASSERT_TRUE(framed[i].value.has_value());
    EXPECT_EQ(framed[i].value->substr(0, 6), Bytes({0, 0, 0, 0x10, 0x92, 0}));  // 4242 = 0x1092
    auto frame = common::UnframeConfluentProtobuf(*framed[i].value);
    ASSERT_TRUE(frame.ok()) << frame.status();
    tweet::v1::TweetEnvelope got, want;
    ASSERT_TRUE(got.ParseFromArray(frame->payload.data(), static_cast<int>(frame->payload.size())));
    ASSERT_TRUE(want.ParseFromString(*plain[i].value));
    EXPECT_EQ(got.tweet().id(), framed[i].key);
    // Only the ingestion time differs between the two runs.
    got.mutable_ingestion()->clear_ingested_at();
    want.mutable_ingestion()->clear_ingested_at();
    EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString()) << "record " << i;
  }
}

TEST(ConfluentWireTest, TheSourceRefusesAFramedFormatWithoutASchemaIdOrARegistry) {
  source::SourceConfig config;
  config.mode = "synthetic";
  config.value_format = "confluent-protobuf";
  EXPECT_THAT(std::string(config.Validate().message()), HasSubstr("--schema-registry-url"));
  config.value_schema_id = 1;
  EXPECT_TRUE(config.Validate().ok());
  config.schema_registry_url = "http://user:secret@127.0.0.1:8081";
  EXPECT_THAT(std::string(config.Validate().message()), HasSubstr("credentials in the URL are not supported"));
  EXPECT_THAT(std::string(config.Validate().message()), ::testing::Not(HasSubstr("secret")));
  config.schema_registry_url.clear();
  config.value_format = "avro";
  EXPECT_THAT(std::string(config.Validate().message()), HasSubstr("not one of plain, confluent-protobuf"));
}

}  // namespace
}  // namespace tweetstream::testing
