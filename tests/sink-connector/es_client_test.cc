// EsClient against the real Elasticsearch (or OpenSearch) node (TWEETSTREAM_ES_URL, default
// http://127.0.0.1:9200): what server it is, an index template, a bulk whose items succeed and fail
// one by one, the document count the sink's status shows, failover to the next URL, and the codes
// when no host answers (no credential in any message). es_client_bulk_test covers hostile bulk answers.

#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/http_client.h"
#include "gtest/gtest.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_control.h"
#include "tests/common/test_util.h"

namespace tweetstream::sink {
namespace {

class EsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    es_url_ = testing::EnvOr("TWEETSTREAM_ES_URL", "http://127.0.0.1:9200");
    es_ = Client({es_url_});
    auto info = es_->Info();
    ASSERT_TRUE(info.ok()) << info.status() << "\nStart the services with: scripts/services.sh start es";
    index_ = absl::StrCat("es-client-test-", getpid(), "-", absl::ToUnixMicros(absl::Now()));
  }
  void TearDown() override {
    if (es_ != nullptr && !index_.empty()) {
      (void)es_->Request("DELETE", "/" + index_);
      (void)es_->Request("DELETE", "/_index_template/" + index_);
    }
  }
  static std::unique_ptr<EsClient> Client(std::vector<std::string> urls) {
    auto http = common::CurlHttpClient::Create();
    EXPECT_TRUE(http.ok());
    EsOptions options;
    options.urls = std::move(urls);
    options.timeout = std::chrono::seconds(10);
    return std::make_unique<EsClient>(std::move(*http), options);
  }

  std::string es_url_;
  std::string index_;
  std::unique_ptr<EsClient> es_;
};

TEST_F(EsClientTest, InfoNamesTheServerAndItsVersion) {
  auto info = es_->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->distribution == "elasticsearch" || info->distribution == "opensearch") << info->distribution;
  EXPECT_GE(info->major, 1);
  EXPECT_TRUE(absl::StartsWith(info->version, absl::StrCat(info->major, "."))) << info->version;
  EXPECT_EQ(es_->current_url(), es_url_);
}

TEST_F(EsClientTest, TemplateBulkPerItemOutcomesAndTheDocumentCount) {
  const std::string tmpl = absl::StrCat(R"({"index_patterns":[")", index_, R"("],"template":{"mappings":)",
                                        R"({"dynamic":"strict","properties":{"n":{"type":"integer"}}}}})");
  ASSERT_TRUE(es_->PutIndexTemplate(index_, tmpl).ok());
  auto got = es_->Request("GET", "/_index_template/" + index_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 200);
  EXPECT_NE(got->body.find(index_), std::string::npos);

  const std::string action = absl::StrCat(R"({"index":{"_index":")", index_, R"(","_id":")");
  const std::string ndjson = absl::StrCat(action, "1\"}}\n", R"({"n":1})", "\n",             //
                                          action, "2\"}}\n", R"({"n":2})", "\n",             //
                                          action, "3\"}}\n", R"({"n":"not a number"})", "\n",  //
                                          action, "4\"}}\n", R"({"unknown":true})", "\n");
  auto items = es_->Bulk(ndjson, 4);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].status, 201);
  EXPECT_EQ((*items)[1].status, 201);
  EXPECT_EQ((*items)[2].status, 400);
  EXPECT_TRUE(absl::StrContains((*items)[2].error_type, "parsing_exception")) << (*items)[2].error_type;
  EXPECT_FALSE((*items)[2].error_reason.empty());
  EXPECT_EQ((*items)[3].status, 400);  // strict mapping: the field is refused
  EXPECT_TRUE((*items)[0].error_type.empty());

  // The same document again is an update (200), not a second document.
  auto again = es_->Bulk(absl::StrCat(action, "1\"}}\n", R"({"n":10})", "\n"), 1);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0].status, 200);

  auto refreshed = es_->Request("POST", "/" + index_ + "/_refresh");
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  SinkConfig config;
  config.index = index_;
  EXPECT_EQ(CountIndexDocuments(es_.get(), config), 2);
  config.index = index_ + "-absent";
  EXPECT_EQ(CountIndexDocuments(es_.get(), config), 0);  // not created yet: nothing indexed
}

TEST_F(EsClientTest, ARefusedTemplateIsInvalidArgumentWithTheReason) {
  absl::Status s = es_->PutIndexTemplate(index_, R"({"index_patterns":"x","no_such_key":1})");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("400"), absl::string_view::npos) << s;
}

TEST_F(EsClientTest, FailsOverToTheNextUrlAndStaysThere) {
  auto es = Client({"http://127.0.0.1:1", es_url_});  // nothing listens on port 1
  auto info = es->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(es->current_url(), es_url_);
  auto health = es->Request("GET", "/_cluster/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(es->current_url(), es_url_);
}

TEST_F(EsClientTest, NoHostAnsweringIsUnavailableAndNamesNoCredential) {
  auto es = Client({"http://elastic:s3cr3t-pw@127.0.0.1:1"});
  auto info = es->Info();
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable) << info.status();
  EXPECT_EQ(info.status().message().find("s3cr3t-pw"), absl::string_view::npos) << info.status();
  auto bulk = es->Bulk("{\"index\":{\"_index\":\"x\"}}\n{}\n", 1);
  EXPECT_EQ(bulk.status().code(), absl::StatusCode::kUnavailable) << bulk.status();
  EXPECT_EQ(bulk.status().message().find("s3cr3t-pw"), absl::string_view::npos) << bulk.status();
  EXPECT_EQ(es->current_url().find("s3cr3t-pw"), std::string::npos);
}

TEST(EsHttpErrorTest, EachStatusHasTheCodeTheCallerActsOn) {
  struct Case {
    int status;
    absl::StatusCode code;
  } cases[] = {
      {401, absl::StatusCode::kUnauthenticated},  {403, absl::StatusCode::kPermissionDenied},
      {413, absl::StatusCode::kResourceExhausted}, {429, absl::StatusCode::kUnavailable},
      {408, absl::StatusCode::kUnavailable},       {503, absl::StatusCode::kUnavailable},
      {400, absl::StatusCode::kInvalidArgument},   {404, absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    common::HttpResponse response;
    response.status = c.status;
    response.body = R"({"error":{"type":"some_exception","reason":"why"},"status":)" + std::to_string(c.status) + "}";
    absl::Status s = EsHttpError(response, "PUT _index_template/t");
    EXPECT_EQ(s.code(), c.code) << c.status << ": " << s;
    EXPECT_TRUE(absl::StartsWith(s.message(), absl::StrCat("PUT _index_template/t: HTTP ", c.status))) << s;
  }
}

}  // namespace
}  // namespace tweetstream::sink
