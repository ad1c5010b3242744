// CurlHttpClient (common/http_client.h) against a loopback HTTP server this test starts: what Send()
// promises (an HTTP error is an OK call; headers lower-cased, sent in order; redirects returned, not
// followed; gzip decoded; one connection kept alive; the transport's status codes: timeout, refused,
// malformed URL, cancel), what Stream() promises beyond tests/source-connector/x_stream_test.cc (a
// cancel while nothing arrives, the 64 KiB cap of an error body, a bare error status), and the URL
// helpers. No sleeps: a hanging handler waits until the test lets it go.

#include <signal.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace tweetstream::common {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(compressBound(text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// What the server saw of the last request.
struct Seen {
  std::string method, path, body, user_agent, accept_encoding;
  std::vector<std::string> multi;  // every X-Multi header, in order
  int remote_port = 0;
  int requests = 0;
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Put(".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Delete(".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] {
      // A write to a socket the client closed (timeouts, cancels) must not kill the test process.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      server_.listen_after_bind();
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_TRUE(server_.is_running());
    auto http = CurlHttpClient::Create();
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }

  void TearDown() override {
    http_.reset();  // closes its kept-alive connection, which the server would otherwise wait out
    {
      absl::MutexLock lock(&mu_);
      released_ = true;
    }
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    {
      absl::MutexLock lock(&mu_);
      seen_.method = req.method;
      seen_.path = req.path;
      seen_.body = req.body;
      seen_.user_agent = req.get_header_value("User-Agent");
      seen_.accept_encoding = req.get_header_value("Accept-Encoding");
      seen_.multi.clear();
      for (size_t i = 0; i < req.get_header_value_count("X-Multi"); ++i) {
        seen_.multi.push_back(req.get_header_value("X-Multi", i));
      }
      seen_.remote_port = req.remote_port;
      ++seen_.requests;
    }
    if (req.path == "/hang") {
      // Holds the answer until the test ends: a hung server.
      absl::MutexLock lock(&mu_);
      hanging_ = true;
      mu_.Await(absl::Condition(&released_));
      return;
    }
    if (req.path == "/redirect") {
      res.status = 302;
      res.set_header("Location", "/echo");
      res.set_content("moved", "text/plain");
      return;
    }
    if (req.path == "/gzip") {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Gzip(std::string(10000, 'z') + "end"), "text/plain");
      return;
    }
    if (req.path == "/teapot") {
      res.status = 418;
      res.set_header("X-Mixed-Case", "First");
      res.set_header("x-mixed-case", "Second");
      res.set_content("I'm a teapot", "text/plain");
      return;
    }
    if (req.path == "/big-error") {
      res.status = 503;
      res.set_content(std::string(100 * 1024, 'e'), "text/plain");
      return;
    }
    if (req.path == "/bare-401") {
      res.status = 401;
      return;
    }
    res.set_content(absl::StrCat(req.method, " ", req.path, " ", req.body), "text/plain");
  }

  std::string Url(const std::string& path) const { return absl::StrCat("http://127.0.0.1:", port_, path); }

  Seen LastSeen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  // Waits (bounded) until the /hang handler holds a request.
  bool WaitUntilHanging() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&hanging_), absl::Seconds(10));
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::unique_ptr<CurlHttpClient> http_;
  absl::Mutex mu_;
  Seen seen_;
  bool hanging_ = false;
  bool released_ = false;
};

TEST_F(HttpClientTest, AnHttpErrorIsAnOkCallWithTheStatusBodyAndLowerCasedHeaders) {
  HttpRequest request;
  request.url = Url("/teapot");
  auto r = http_->Send(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, "I'm a teapot");
  EXPECT_EQ(r->Header("x-mixed-case"), "First");  // the first of two
  EXPECT_EQ(r->Header("content-type"), "text/plain");
  EXPECT_EQ(r->Header("X-Mixed-Case"), "");  // lookups are by the lower-case name
  EXPECT_EQ(r->Header("x-absent"), "");
}

TEST_F(HttpClientTest, MethodBodyAndHeadersReachTheServerInOrder) {
  HttpRequest request;
  request.method = "POST";
  request.url = Url("/echo");
  request.body = std::string("a\0b", 3) + std::string(200000, 'x');  // binary and larger than curl's buffer
  request.headers = {{"X-Multi", "one"}, {"Content-Type", "application/x-ndjson"}, {"X-Multi", "two"}};
  auto r = http_->Send(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  Seen seen = LastSeen();
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, request.body);
  EXPECT_THAT(seen.multi, ::testing::ElementsAre("one", "two"));
  EXPECT_EQ(seen.user_agent, "tweetstream/" TWEETSTREAM_VERSION);

  for (const char* method : {"PUT", "DELETE"}) {
    request.method = method;
    request.body = "b";
    auto other = http_->Send(request);
    ASSERT_TRUE(other.ok()) << other.status();
    EXPECT_EQ(other->body, absl::StrCat(method, " /echo b"));
  }
}

TEST_F(HttpClientTest, TheUserAgentOptionIsSent) {
  CurlHttpClientOptions options;
  options.user_agent = "tweetstream-test/9";
  auto http = CurlHttpClient::Create(options);
  ASSERT_TRUE(http.ok());
  HttpRequest request;
  request.url = Url("/echo");
  ASSERT_TRUE((*http)->Send(request).ok());
  EXPECT_EQ(LastSeen().user_agent, "tweetstream-test/9");
}

TEST_F(HttpClientTest, ARedirectIsReturnedNotFollowed) {
  HttpRequest request;
  request.url = Url("/redirect");
  auto r = http_->Send(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->Header("location"), "/echo");
  EXPECT_EQ(r->body, "moved");
  EXPECT_EQ(LastSeen().requests, 1);
}

TEST_F(HttpClientTest, AGzipBodyIsAskedForAndDecoded) {
  HttpRequest request;
  request.url = Url("/gzip");
  auto r = http_->Send(request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, std::string(10000, 'z') + "end");
  EXPECT_THAT(LastSeen().accept_encoding, HasSubstr("gzip"));
}

TEST_F(HttpClientTest, OneConnectionIsKeptAliveAcrossRequests) {
  HttpRequest request;
  request.url = Url("/echo");
  ASSERT_TRUE(http_->Send(request).ok());
  const int first = LastSeen().remote_port;
  request.method = "POST";
  request.body = "again";
  ASSERT_TRUE(http_->Send(request).ok());
  EXPECT_EQ(LastSeen().remote_port, first);
}

TEST_F(HttpClientTest, AHungServerIsDeadlineExceededAfterTheTimeout) {
  HttpRequest request;
  request.url = Url("/hang");
  request.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = http_->Send(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(elapsed, 290ms);  // the timeout ended it (libcurl's timer may fire a fraction of a ms early)
  EXPECT_LT(elapsed, 5s);
}

TEST_F(HttpClientTest, NothingListeningIsUnavailableAndTheMessageHasNoCredentials) {
  HttpRequest request;
  request.url = absl::StrCat("http://user:s3cr3t@127.0.0.1:", testing::FreeLoopbackPort(), "/x?token=t0k3n");
  auto r = http_->Send(request);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr("127.0.0.1"));
  EXPECT_THAT(message, Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(message, Not(HasSubstr("t0k3n")));
}

TEST_F(HttpClientTest, AMalformedUrlIsInvalidArgument) {
  for (const char* url : {"nosuchscheme://127.0.0.1/x", "http://[::1/x"}) {
    HttpRequest request;
    request.url = url;
    auto r = http_->Send(request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << url << ": " << r.status();
  }
}

TEST_F(HttpClientTest, ACancelAbortsAHungRequestAndACancelledOneIsNeverSent) {
  std::atomic<bool> cancel{false};
  HttpRequest request;
  request.url = Url("/hang");
  request.timeout = 60s;
  request.cancel = &cancel;
  std::thread canceller([&] {
    if (WaitUntilHanging()) cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = http_->Send(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_LT(elapsed, 10s);

  const int before = LastSeen().requests;
  request.url = Url("/echo");
  auto again = http_->Send(request);  // the flag is still set
  EXPECT_EQ(again.status().code(), absl::StatusCode::kCancelled) << again.status();
  EXPECT_EQ(LastSeen().requests, before);
}

TEST_F(HttpClientTest, AStreamIsCancelledWhileNothingArrives) {
  std::atomic<bool> cancel{false};
  HttpRequest request;
  request.url = Url("/hang");
  request.cancel = &cancel;  // no idle timeout: only the cancel ends it
  std::thread canceller([&] {
    if (WaitUntilHanging()) cancel = true;
  });
  HttpResponse head;
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  absl::Status s = http_->Stream(request, [&](absl::string_view) { ++calls; return true; }, &head);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << s;
  EXPECT_EQ(head.status, 0);  // no response came
  EXPECT_EQ(calls, 0);
  EXPECT_LT(elapsed, 10s);
}

TEST_F(HttpClientTest, AStreamsErrorBodyIsKeptUpTo64KiBAndABareStatusIsKnown) {
  HttpRequest request;
  request.url = Url("/big-error");
  HttpResponse head;
  int calls = 0;
  absl::Status s = http_->Stream(request, [&](absl::string_view) { ++calls; return true; }, &head);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(head.status, 503);
  EXPECT_EQ(head.body, std::string(64 * 1024, 'e'));
  EXPECT_EQ(calls, 0);

  request.url = Url("/bare-401");
  s = http_->Stream(request, [&](absl::string_view) { ++calls; return true; }, &head);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(head.status, 401);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(calls, 0);
}

TEST_F(HttpClientTest, AStreamGetsTheBodyAndItsHeaders) {
  HttpRequest request;
  request.url = Url("/gzip");
  HttpResponse head;
  std::string got;
  absl::Status s = http_->Stream(request, [&](absl::string_view c) { got.append(c.data(), c.size()); return true; },
                                 &head);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-encoding"), "gzip");
  EXPECT_EQ(got, std::string(10000, 'z') + "end");
}

TEST(RedactUrlTest, DropsUserinfoAndTheQueryOnly) {
  EXPECT_EQ(RedactUrl("https://user:pw@es.example:9200/_bulk?refresh=true"), "https://es.example:9200/_bulk");
  EXPECT_EQ(RedactUrl("http://es.example/path/with@sign"), "http://es.example/path/with@sign");
  EXPECT_EQ(RedactUrl("http://user@host"), "http://host");
  EXPECT_EQ(RedactUrl("http://127.0.0.1:9200/"), "http://127.0.0.1:9200/");
  EXPECT_EQ(RedactUrl("/2/tweets/search/recent?query=secret"), "/2/tweets/search/recent");
}

TEST(UrlEncodeTest, KeepsUnreservedCharactersAndEncodesEveryOtherByte) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("from:x lang:en"), "from%3Ax%20lang%3Aen");
  EXPECT_EQ(UrlEncode("a+b/c?d=e&f#"), "a%2Bb%2Fc%3Fd%3De%26f%23");
  EXPECT_EQ(UrlEncode("\xC3\xA9"), "%C3%A9");  // é in UTF-8
  EXPECT_EQ(UrlEncode(std::string("\0", 1)), "%00");
  EXPECT_EQ(UrlEncode(""), "");
}

}  // namespace
}  // namespace tweetstream::common
