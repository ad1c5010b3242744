// EsClient::Bulk over loopback HTTP (a cpp-httplib server the test starts, answering what a broken
// proxy or a hostile server could): an item status that is not an HTTP status must never be read as
// success. 4294967497 narrowed to int is 201 ("created"): the record would be committed unindexed.
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/http_client.h"
#include "gtest/gtest.h"
#include "sink-connector/es_client.h"

namespace tweetstream::sink {
namespace {

class EsClientBulkTest : public ::testing::Test {
 protected:
  void Serve(const std::string& body) {
    server_.Post("/_bulk", [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  absl::StatusOr<std::vector<BulkItemResult>> Bulk(size_t items) {
    auto http = common::CurlHttpClient::Create();
    EXPECT_TRUE(http.ok());
    EsOptions options;
    options.urls = {absl::StrCat("http://127.0.0.1:", port_)};
    options.timeout = std::chrono::seconds(5);
    EsClient client(std::move(*http), options);
    std::string ndjson;
    for (size_t i = 0; i < items; ++i) ndjson += absl::StrCat(R"({"index":{"_id":")", i, "\"}}\n{}\n");
    return client.Bulk(ndjson, items);
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(EsClientBulkTest, ReadsHttpItemStatuses) {
  Serve(R"({"took":1,"errors":true,"items":[{"index":{"_id":"0","status":201}},)"
        R"({"index":{"_id":"1","status":429,"error":{"type":"es_rejected_execution_exception","reason":"busy"}}}]})");
  auto items = Bulk(2);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].status, 201);
  EXPECT_EQ((*items)[1].status, 429);
}

TEST_F(EsClientBulkTest, AStatusBeyond32BitsIsNotReadAsCreated) {
  Serve(R"({"took":1,"errors":false,"items":[{"index":{"_id":"0","status":4294967497}}]})");
  auto items = Bulk(1);
  ASSERT_FALSE(items.ok()) << "status 4294967497 was read as " << (*items)[0].status;
  EXPECT_NE(std::string(items.status().message()).find("not an HTTP status"), std::string::npos) << items.status();
}

TEST_F(EsClientBulkTest, AStatusAbove599IsRefused) {
  Serve(R"({"took":1,"errors":false,"items":[{"index":{"_id":"0","status":600}}]})");
  EXPECT_FALSE(Bulk(1).ok());
}

}  // namespace
}  // namespace tweetstream::sink
