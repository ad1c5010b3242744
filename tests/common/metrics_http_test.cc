// MetricsHttpServer over loopback: /metrics serves the registry's text, /healthz "ok", other
// paths 404; port 0, bind failures, bad addresses, and a clean stop.

#include "common/metrics_http.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <httplib.h>

#include "common/metrics.h"

namespace tweetstream::common {
namespace {

std::unique_ptr<httplib::Client> ClientFor(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(5, 0);
  client->set_write_timeout(5, 0);
  return client;
}

TEST(MetricsHttpServerTest, ServesMetricsHealthzAnd404) {
  MetricsRegistry registry;
  Counter* indexed = registry.AddCounter("tweetstream_sink_indexed", "Documents indexed.");
  int scrapes = 0;
  registry.AddGaugeFunction("tweetstream_scrapes", "Scrapes so far.", [&] { return ++scrapes; });

  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  auto client = ClientFor(port);

  indexed->Inc(41);
  auto res = client->Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body,
            "# HELP tweetstream_scrapes Scrapes so far.\n"
            "# TYPE tweetstream_scrapes gauge\n"
            "tweetstream_scrapes 1\n"
            "# HELP tweetstream_sink_indexed_total Documents indexed.\n"
            "# TYPE tweetstream_sink_indexed_total counter\n"
            "tweetstream_sink_indexed_total 41\n");

  indexed->Inc();
  res = client->Get("/metrics");  // the same keep-alive connection
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_NE(res->body.find("tweetstream_sink_indexed_total 42\n"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("tweetstream_scrapes 2\n"), std::string::npos) << res->body;

  res = client->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok");

  for (const char* path : {"/", "/metrics/", "/metricsx", "/nope"}) {
    res = client->Get(path);
    ASSERT_TRUE(res) << path << ": " << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 404) << path;
  }
  res = client->Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 404) << "only GET is served";
}

TEST(MetricsHttpServerTest, BindFailureIsUnavailableAndNamesTheAddress) {
  MetricsRegistry registry;
  auto first = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsHttpServer::Start(taken, &registry);
  ASSERT_FALSE(second.ok()) << "two servers on one port";
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(second.status().message().find(taken), absl::string_view::npos) << second.status();

  auto foreign = MetricsHttpServer::Start("192.0.2.1:0", &registry);  // TEST-NET-1: not ours
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kUnavailable) << foreign.status();
}

TEST(MetricsHttpServerTest, MalformedAddressesAreInvalidArguments) {
  MetricsRegistry registry;
  for (const char* address : {"", "9464", "localhost", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:65536",
                              "127.0.0.1:-1", "::1:9464"}) {
    auto server = MetricsHttpServer::Start(address, &registry);
    ASSERT_FALSE(server.ok()) << address;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << address << ": " << server.status();
  }
  auto no_registry = MetricsHttpServer::Start("127.0.0.1:0", nullptr);
  EXPECT_EQ(no_registry.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MetricsHttpServerTest, StopsOnDestructionAndThePortCanBeReused) {
  MetricsRegistry registry;
  auto server = MetricsHttpServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  auto client = ClientFor(port);
  auto res = client->Get("/healthz");  // leaves a keep-alive connection open during the stop
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  server->reset();

  auto after = ClientFor(port)->Get("/healthz");
  EXPECT_FALSE(after) << "still serving after destruction";

  // The same fixed port again (SO_REUSEADDR: old connections in TIME_WAIT do not block a restart).
  auto again = MetricsHttpServer::Start("127.0.0.1:" + std::to_string(port), &registry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->port(), port);
  res = ClientFor(port)->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->body, "ok");
}

}  // namespace
}  // namespace tweetstream::common
