// The fake X API server, exercised with a real HTTP client (libcurl's easy API, used directly here
// so that the server is tested independently of the project's own HTTP client).

#include "tests/fake_x_api/fake_x_api_server.h"

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tweetstream::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct FetchOptions {
  std::string method = "GET";
  std::vector<std::string> headers{};  // "Name: value"
  std::string body{};
  long timeout_ms = 3000;
  bool accept_gzip = false;  // sends Accept-Encoding and decodes, as a production client may
  std::function<void()> on_data{};  // called on the client thread whenever body bytes arrive
};

struct FetchResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  // Steady-clock times at which body bytes arrived (one per write callback).
  std::vector<Clock::time_point> arrivals;
  std::function<void()> on_data;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<FetchResult*>(user);
  r->body.append(data, size * n);
  r->arrivals.push_back(Clock::now());
  if (r->on_data) r->on_data();
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<FetchResult*>(user);
  absl::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    r->headers[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

// One request with a fresh easy handle (no connection reuse between calls).
FetchResult Fetch(const std::string& url, const FetchOptions& opt = {}) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  FetchResult r;
  r.on_data = opt.on_data;
  if (!initialized) {
    r.code = CURLE_FAILED_INIT;
    return r;
  }
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  for (const auto& h : opt.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, opt.method.c_str());
  if (!opt.body.empty() || opt.method == "POST") {  // a POST always carries Content-Length
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, opt.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(opt.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, opt.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (opt.accept_gzip) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return r;
}

std::string Escape(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string out(e);
  curl_free(e);
  return out;
}

std::unique_ptr<FakeXApiServer> StartServer() {
  auto server = FakeXApiServer::Start();
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

// A search page as the API sends it: non-BMP emoji as surrogate-pair escapes, BMP characters raw.
constexpr char kSearchPage[] =
    R"({"data":[{"id":"1800000000000000002","text":"Stream it \ud83d\ude80 — café &amp; Kafka",)"
    R"("edit_history_tweet_ids":["1800000000000000002"]}],)"
    R"("meta":{"newest_id":"1800000000000000002","oldest_id":"1800000000000000002",)"
    R"("result_count":1,"next_token":"b26v89c19zqg8o3f"}})";

TEST(FakeXApiServerTest, RoutedJsonResponseArrivesIntact) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  ScriptedResponse page{.status = 200, .body = kSearchPage};
  page.headers = RateLimitHeaders(450, 449, 1665183229);
  page.headers.emplace_back("content-type", "application/json; charset=utf-8");
  server->Route("GET", "/2/tweets/search/recent",
                [page](const RecordedRequest&) { return page; });

  FetchResult r = Fetch(server->base_url() + "/2/tweets/search/recent?query=kafka");
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kSearchPage);
  EXPECT_EQ(r.headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(r.headers["x-rate-limit-limit"], "450");
  EXPECT_EQ(r.headers["x-rate-limit-remaining"], "449");
  EXPECT_EQ(r.headers["x-rate-limit-reset"], "1665183229");

  // The same with gzip negotiated, as production clients ask for it: still intact once decoded.
  FetchResult gz = Fetch(server->base_url() + "/2/tweets/search/recent?query=kafka",
                         {.accept_gzip = true});
  ASSERT_EQ(gz.code, CURLE_OK) << curl_easy_strerror(gz.code);
  EXPECT_EQ(gz.body, kSearchPage);
}

TEST(FakeXApiServerTest, DefaultContentTypeIsJsonAndStatusIsScripted) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Route("GET", "/2/tweets/search/recent", [](const RecordedRequest&) {
    return ScriptedResponse{.status = 429,
                            .headers = RateLimitHeaders(450, 0, 1700000000),
                            .body = R"({"title":"Too Many Requests","status":429})"};
  });
  FetchResult r = Fetch(server->base_url() + "/2/tweets/search/recent");
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["x-rate-limit-remaining"], "0");
}

TEST(FakeXApiServerTest, RecordsMethodPathDecodedParamsHeadersAndBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Route("GET", "/2/tweets/search/recent",
                [](const RecordedRequest&) { return ScriptedResponse{.body = "{}"}; });
  server->Route("POST", "/2/tweets/search/stream/rules",
                [](const RecordedRequest&) { return ScriptedResponse{.status = 201, .body = "{}"}; });

  const std::string query = "a b&c #Kafka café";
  FetchResult get = Fetch(
      absl::StrCat(server->base_url(), "/2/tweets/search/recent?query=", Escape(query),
                   "&max_results=100&tweet.fields=", Escape("created_at,lang"),
                   "&expansions=author_id&expansions=geo.place_id"),
      {.headers = {"Authorization: Bearer x", "User-Agent: tweetstream-test/1.0"}});
  ASSERT_EQ(get.code, CURLE_OK) << curl_easy_strerror(get.code);
  const std::string rule = R"({"add":[{"value":"#Kafka -is:retweet","tag":"kafka"}]})";
  FetchResult post =
      Fetch(server->base_url() + "/2/tweets/search/stream/rules?dry_run=true",
            {.method = "POST", .headers = {"Content-Type: application/json"}, .body = rule});
  ASSERT_EQ(post.code, CURLE_OK) << curl_easy_strerror(post.code);
  EXPECT_EQ(post.status, 201);

  std::vector<RecordedRequest> all = server->Requests();
  ASSERT_EQ(all.size(), 2u);
  const RecordedRequest& g = all[0];
  EXPECT_EQ(g.method, "GET");
  EXPECT_EQ(g.path, "/2/tweets/search/recent");
  EXPECT_EQ(g.Param("query"), query);
  EXPECT_EQ(g.Param("max_results"), "100");
  EXPECT_EQ(g.Param("tweet.fields"), "created_at,lang");
  EXPECT_EQ(g.Param("absent"), "");
  auto [first, last] = g.params.equal_range("expansions");
  std::vector<std::string> expansions;
  for (auto it = first; it != last; ++it) expansions.push_back(it->second);
  EXPECT_THAT(expansions, ElementsAre("author_id", "geo.place_id"));
  EXPECT_EQ(g.headers.at("authorization"), "Bearer x");
  EXPECT_EQ(g.headers.at("user-agent"), "tweetstream-test/1.0");
  EXPECT_EQ(g.headers.count("remote_addr"), 0u) << "httplib's pseudo-headers are not recorded";
  EXPECT_TRUE(g.body.empty());

  const RecordedRequest& p = all[1];
  EXPECT_EQ(p.method, "POST");
  EXPECT_EQ(p.path, "/2/tweets/search/stream/rules");
  EXPECT_THAT(p.params, ElementsAre(Pair("dry_run", "true")));
  EXPECT_EQ(p.headers.at("content-type"), "application/json");
  EXPECT_EQ(p.body, rule);

  EXPECT_EQ(server->RequestsTo("/2/tweets/search/stream/rules").size(), 1u);
  EXPECT_TRUE(server->WaitForRequests(2, milliseconds(10)));
  server->ClearRequests();
  EXPECT_TRUE(server->Requests().empty());
}

TEST(FakeXApiServerTest, RouteSequenceServesInOrderThenRepeatsTheLast) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->RouteSequence("GET", "/2/tweets/search/recent",
                        {ScriptedResponse{.body = R"({"page":1})"},
                         ScriptedResponse{.body = R"({"page":2})"},
                         ScriptedResponse{.status = 503, .body = R"({"page":"last"})"}});
  std::vector<std::string> bodies;
  std::vector<long> statuses;
  for (int i = 0; i < 5; ++i) {
    FetchResult r = Fetch(server->base_url() + "/2/tweets/search/recent");
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    bodies.push_back(r.body);
    statuses.push_back(r.status);
  }
  EXPECT_THAT(bodies, ElementsAre(R"({"page":1})", R"({"page":2})", R"({"page":"last"})",
                                  R"({"page":"last"})", R"({"page":"last"})"));
  EXPECT_THAT(statuses, ElementsAre(200, 200, 503, 503, 503));
}

TEST(FakeXApiServerTest, UnknownRouteIs404WithHtmlBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Route("GET", "/2/tweets/search/recent",
                [](const RecordedRequest&) { return ScriptedResponse{.body = "{}"}; });
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/2/tweets/search/recnet"}, {"POST", "/2/tweets/search/recent"}}) {
    FetchResult r = Fetch(server->base_url() + path, {.method = method});
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 404) << method << " " << path;
    EXPECT_TRUE(absl::StartsWith(r.headers["content-type"], "text/html")) << r.headers["content-type"];
    EXPECT_TRUE(absl::StrContains(r.body, "<html")) << r.body;
  }
  EXPECT_EQ(server->Requests().size(), 2u) << "unknown routes are recorded too";
}

TEST(FakeXApiServerTest, DropConnectionIsANetworkErrorWithoutStatus) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->RouteSequence("GET", "/2/tweets/search/stream",
                        {ScriptedResponse{.drop_connection = true}, ScriptedResponse{.body = "{}"}});
  FetchResult dropped = Fetch(server->base_url() + "/2/tweets/search/stream");
  EXPECT_EQ(dropped.code, CURLE_GOT_NOTHING) << curl_easy_strerror(dropped.code);
  EXPECT_EQ(dropped.status, 0) << "no status line reached the client";
  EXPECT_TRUE(dropped.body.empty());
  // The request was still recorded, and the server keeps serving afterwards.
  EXPECT_EQ(server->Requests().size(), 1u);
  FetchResult next = Fetch(server->base_url() + "/2/tweets/search/stream");
  EXPECT_EQ(next.code, CURLE_OK) << curl_easy_strerror(next.code);
  EXPECT_EQ(next.status, 200);
}

TEST(FakeXApiServerTest, DelayMakesAShorterClientTimeoutFire) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Route("GET", "/2/tweets/search/recent", [](const RecordedRequest&) {
    return ScriptedResponse{.body = "{}", .delay = milliseconds(3000)};
  });
  const auto start = Clock::now();
  FetchResult r = Fetch(server->base_url() + "/2/tweets/search/recent", {.timeout_ms = 200});
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT) << curl_easy_strerror(r.code);
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_GE(elapsed, milliseconds(150));
  // Destroying the server while the handler still sleeps must not wait for the 3 s delay.
  const auto stop_start = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - stop_start, milliseconds(1000));
}

// Filtered-stream framing: messages terminated by \r\n, with bare \r\n keep-alives between them.
std::vector<std::string> StreamChunks() {
  return {R"({"data":{"id":"1800000000000000010","text":"hello \ud83d\udc4b"},)"
          R"("matching_rules":[{"id":"1500000000000000001","tag":"kafka"}]})"
          "\r\n",
          "\r\n", "\r\n",
          R"({"data":{"id":"1800000000000000011","text":"second"},)"
          R"("matching_rules":[{"id":"1500000000000000001","tag":"kafka"}]})"
          "\r\n"};
}

TEST(FakeXApiServerTest, ChunkedStreamArrivesAsTheConcatenationOfTheChunks) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const milliseconds chunk_delay(100);
  server->Route("GET", "/2/tweets/search/stream", [chunk_delay](const RecordedRequest&) {
    return ScriptedResponse{.chunks = StreamChunks(), .chunk_delay = chunk_delay};
  });
  const std::string expected = absl::StrJoin(StreamChunks(), "");
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip ? "with Accept-Encoding" : "identity");
    FetchResult r = Fetch(server->base_url() + "/2/tweets/search/stream", {.accept_gzip = gzip});
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
    EXPECT_EQ(r.body, expected);
    // Streamed, not buffered: the first message arrived well before the last chunk was sent
    // (3 delays of 100 ms separate them).
    ASSERT_FALSE(r.arrivals.empty());
    EXPECT_GE(r.arrivals.back() - r.arrivals.front(), milliseconds(150));
  }
}

TEST(FakeXApiServerTest, DestructorReturnsPromptlyWhileAStreamIsOpen) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  // A stream that would last many minutes: messages, then a keep-alive every 20 s like the real
  // one. The server is destroyed while its handler waits out a chunk delay.
  std::vector<std::string> chunks = StreamChunks();
  for (int i = 0; i < 60; ++i) chunks.push_back("\r\n");
  server->Route("GET", "/2/tweets/search/stream", [chunks](const RecordedRequest&) {
    return ScriptedResponse{.chunks = chunks, .chunk_delay = milliseconds(20000)};
  });
  const std::string url = server->base_url() + "/2/tweets/search/stream";
  std::promise<void> first_data;
  std::promise<FetchResult> done;
  std::future<FetchResult> result = done.get_future();
  std::thread client([&first_data, &done, url] {
    bool signalled = false;
    auto on_data = [&first_data, &signalled] {
      if (!signalled) first_data.set_value();
      signalled = true;
    };
    done.set_value(Fetch(url, {.timeout_ms = 20000, .on_data = on_data}));
    if (!signalled) first_data.set_value();
  });

  // The stream is open and its first message has reached the client. (No ASSERT from here on:
  // the client thread must be joined or detached on every path.)
  EXPECT_EQ(first_data.get_future().wait_for(std::chrono::seconds(3)), std::future_status::ready);
  EXPECT_EQ(result.wait_for(milliseconds(0)), std::future_status::timeout) << "stream ended early";
  const auto start = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(1500));

  // The client sees the stream end as a network error (no terminating chunk), not a hang.
  const bool finished = result.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  EXPECT_TRUE(finished);
  if (!finished) {
    client.detach();  // a hung client must fail the test, not hang it
    return;
  }
  client.join();
  FetchResult r = result.get();
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StartsWith(r.body, StreamChunks()[0])) << r.body;
}

TEST(FakeXApiServerTest, DestructorClosesIdleKeepAliveConnections) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  server->Route("GET", "/ping", [](const RecordedRequest&) { return ScriptedResponse{.body = "{}"}; });
  // A client that keeps its connection open (libcurl's connection cache) while the server goes.
  CURL* curl = curl_easy_init();
  const std::string url = server->base_url() + "/ping";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3000L);
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  const auto start = Clock::now();
  server.reset();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  curl_easy_cleanup(curl);
}

}  // namespace
}  // namespace tweetstream::testing
