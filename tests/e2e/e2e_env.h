#pragma once
// Shared by the end-to-end tests: the real Kafka broker and Elasticsearch node (addresses from
// TWEETSTREAM_KAFKA / TWEETSTREAM_ES_URL, defaults of scripts/services.sh), unique topic/index names
// per test, and the queries the tests assert with.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "gtest/gtest.h"
#include "sink-connector/es_client.h"
#include "tests/common/test_util.h"

namespace tweetstream::testing {

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    es_url_ = EnvOr("TWEETSTREAM_ES_URL", "http://127.0.0.1:9200");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start";
    auto http = common::CurlHttpClient::Create();
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    sink::EsOptions options;
    options.urls = {es_url_};
    options.timeout = std::chrono::seconds(10);
    es_ = std::make_unique<sink::EsClient>(http_.get(), options);
    auto info = es_->Info();
    ASSERT_TRUE(info.ok()) << info.status() << "\nStart the services with: scripts/services.sh start";
    const std::string suffix = absl::StrCat(getpid(), "-", absl::ToUnixMillis(absl::Now()));
    topic_ = "e2e-tweets-" + suffix;
    index_ = "e2e-twitter-" + suffix;
  }

  void TearDown() override {
    if (es_) {
      (void)es_->Request("DELETE", "/" + index_ + "*");
      (void)es_->Request("DELETE", "/_index_template/tweetstream-" + index_);
    }
  }

  // Document count of the index after a refresh (-1 when it cannot be read, e.g. while ES is down).
  int64_t Count(const std::string& index = "") {
    const std::string name = index.empty() ? index_ : index;
    (void)es_->Request("POST", "/" + name + "/_refresh");
    auto response = es_->Request("GET", "/" + name + "/_count");
    if (!response.ok() || response->status != 200) return -1;
    rapidjson::Document doc;
    doc.Parse(response->body.c_str());
    return doc.HasMember("count") ? doc["count"].GetInt64() : -1;
  }

  // Every document's _source by _id (the index must hold at most 10,000 documents).
  std::map<std::string, std::string> Documents(const std::string& index = "") {
    const std::string name = index.empty() ? index_ : index;
    std::map<std::string, std::string> docs;
    (void)es_->Request("POST", "/" + name + "/_refresh");
    auto response = es_->Request("POST", "/" + name + "/_search", R"({"size":10000,"query":{"match_all":{}}})");
    EXPECT_TRUE(response.ok() && response->status == 200) << (response.ok() ? response->body : response.status().ToString());
    if (!response.ok() || response->status != 200) return docs;
    rapidjson::Document doc;
    doc.Parse(response->body.data(), response->body.size());
    for (const auto& hit : doc["hits"]["hits"].GetArray()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      hit["_source"].Accept(writer);
      docs[hit["_id"].GetString()] = buffer.GetString();
    }
    return docs;
  }

  // All ids of the index (or pattern), through the scroll API (any mapping, any size).
  std::set<std::string> Ids(const std::string& index = "") {
    const std::string name = index.empty() ? index_ : index;
    std::set<std::string> ids;
    (void)es_->Request("POST", "/" + name + "/_refresh");
    auto response = es_->Request("POST", "/" + name + "/_search?scroll=1m",
                                 R"({"size":5000,"_source":false,"sort":["_doc"]})");
    std::string scroll_id;
    while (response.ok() && response->status == 200) {
      rapidjson::Document doc;
      doc.Parse(response->body.data(), response->body.size());
      const auto& hits = doc["hits"]["hits"];
      if (doc.HasMember("_scroll_id")) scroll_id = doc["_scroll_id"].GetString();
      if (hits.Size() == 0) break;
      for (const auto& hit : hits.GetArray()) ids.insert(hit["_id"].GetString());
      response = es_->Request("POST", "/_search/scroll",
                              absl::StrCat(R"({"scroll":"1m","scroll_id":")", scroll_id, R"("})"));
    }
    EXPECT_TRUE(response.ok() && response->status == 200) << (response.ok() ? response->body : response.status().ToString());
    if (!scroll_id.empty()) (void)es_->Request("DELETE", "/_search/scroll", absl::StrCat(R"({"scroll_id":")", scroll_id, R"("})"));
    return ids;
  }

  std::string kafka_, es_url_, topic_, index_;
  std::unique_ptr<common::HttpClient> http_;
  std::unique_ptr<sink::EsClient> es_;
};

// A topic of the test's own (3 partitions), its dead-letter topic, a producer and the sink's status
// file: what the sink's end-to-end tests share.
class SinkTopicE2eTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (HasFatalFailure()) return;
    dlq_topic_ = topic_ + "-dlq";
    status_file_ = absl::StrCat(::testing::TempDir(), "/sink-status-", getpid(), "-", absl::ToUnixMillis(absl::Now()), ".json");
    ASSERT_TRUE(common::EnsureTopic(kafka_, topic_, 3, 1, std::chrono::seconds(20)).ok());
    common::KafkaProducerOptions options;
    options.bootstrap_servers = kafka_;
    auto producer = common::CreateKafkaProducer(options);
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  // A record on the test's topic; no value = a tombstone.
  void Produce(const std::string& key, const std::optional<std::string>& value) {
    common::ProducerRecord r;
    r.topic = topic_;
    r.key = key;
    if (value) r.value = *value;
    ASSERT_TRUE(producer_->Produce(std::move(r)).ok());
  }

  // The sink's --status-file (an empty document until it is written).
  rapidjson::Document Status() {
    rapidjson::Document doc;
    auto content = ReadFile(status_file_);
    if (content.ok()) doc.Parse(content->c_str());
    return doc;
  }

  std::string dlq_topic_, status_file_;
  std::unique_ptr<common::Producer> producer_;
};

}  // namespace tweetstream::testing
