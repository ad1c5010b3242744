// The registration tweet-source sends for --schema-registry-url (source-connector/schema_registry.h), over
// an in-memory HTTP client that answers as Confluent's REST API documents. (No registry speaking that API
// can run here: proto/README.md, "The Confluent wire format".)

#include "source-connector/schema_registry.h"

#include <rapidjson/document.h>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;

class AnsweringHttpClient : public common::HttpClient {
 public:
  explicit AnsweringHttpClient(std::vector<common::HttpResponse> answers) : answers_(std::move(answers)) {}
  absl::StatusOr<common::HttpResponse> Send(const common::HttpRequest& request) override {
    requests.push_back(request);
    if (answers_.empty()) return absl::UnavailableError("connection refused");
    common::HttpResponse r = answers_.front();
    answers_.erase(answers_.begin());
    return r;
  }
  std::vector<common::HttpRequest> requests;

 private:
  std::vector<common::HttpResponse> answers_;
};

const google::protobuf::FileDescriptor* TweetFile() { return tweet::v1::TweetEnvelope::descriptor()->file(); }

TEST(SchemaRegistryTest, RegistersTweetProtoUnderTheTopicSubjectAsConfluentSerializersDo) {
  AnsweringHttpClient http({common::HttpResponse{200, {}, R"({"id":17})"}});
  auto id = source::RegisterProtobufSchema(&http, "http://127.0.0.1:8081/", "twitter-stream-value", TweetFile(),
                                           std::chrono::seconds(5));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 17);
  ASSERT_EQ(http.requests.size(), 1u);  // the only import is a well-known type: nothing else registered
  EXPECT_EQ(http.requests[0].method, "POST");
  EXPECT_EQ(http.requests[0].url, "http://127.0.0.1:8081/subjects/twitter-stream-value/versions");
  rapidjson::Document body;
  body.Parse(http.requests[0].body.c_str());
  ASSERT_TRUE(body.IsObject());
  EXPECT_STREQ(body["schemaType"].GetString(), "PROTOBUF");
  EXPECT_EQ(body["references"].Size(), 0u);
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(body["schema"].GetString(), &decoded));
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(decoded));
  EXPECT_EQ(file.name(), "tweetstream/tweet/v1/tweet.proto");
  EXPECT_EQ(file.package(), "tweetstream.tweet.v1");
  EXPECT_EQ(file.message_type(0).name(), "TweetEnvelope");  // message index [0]
  EXPECT_THAT(file.dependency(), ::testing::ElementsAre("google/protobuf/timestamp.proto"));
}

TEST(SchemaRegistryTest, RefusalsAndOutagesSayWhatToDo) {
  AnsweringHttpClient conflict({common::HttpResponse{
      409, {}, R"({"error_code":409,"message":"Schema being registered is incompatible with an earlier schema"})"}});
  auto refused = source::RegisterProtobufSchema(&conflict, "http://r:8081", "t-value", TweetFile(), std::chrono::seconds(1));
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("HTTP 409 Schema being registered is incompatible"));

  AnsweringHttpClient unauthorized({common::HttpResponse{401, {}, R"({"error_code":401,"message":"Unauthorized"})"}});
  EXPECT_TRUE(absl::IsFailedPrecondition(
      source::RegisterProtobufSchema(&unauthorized, "http://r:8081", "t-value", TweetFile(), std::chrono::seconds(1)).status()));

  AnsweringHttpClient down({});
  EXPECT_TRUE(absl::IsUnavailable(
      source::RegisterProtobufSchema(&down, "http://r:8081", "t-value", TweetFile(), std::chrono::seconds(1)).status()));
  AnsweringHttpClient busy({common::HttpResponse{503, {}, "busy"}});
  EXPECT_TRUE(absl::IsUnavailable(
      source::RegisterProtobufSchema(&busy, "http://r:8081", "t-value", TweetFile(), std::chrono::seconds(1)).status()));
}

}  // namespace
}  // namespace tweetstream::testing
