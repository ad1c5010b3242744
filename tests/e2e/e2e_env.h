#pragma once
// Shared by the end-to-end tests: the real Kafka broker and Elasticsearch node (addresses from
// TWEETSTREAM_KAFKA / TWEETSTREAM_ES_URL, defaults of scripts/services.sh), unique topic/index names
// per test, and the queries the tests assert with.

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
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

}  // namespace tweetstream::testing
