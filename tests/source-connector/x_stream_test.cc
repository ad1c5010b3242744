// XStream against the fake X API with the real libcurl client: framing across chunk boundaries,
// keep-alives, cut and stalled connections, HTTP errors and the reconnect policy (on a fake clock,
// so backoffs cost no real time; the idle timeout is real time, since it measures the socket).
// Plus a deterministic byte-by-byte run through a scripted HttpClient, and CurlHttpClient::Stream.

#include "source-connector/x_stream.h"

#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "common/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "source-connector/x_json_mapper.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using source::XStream;
using source::XStreamOptions;
using source::XStreamStats;
using namespace std::chrono_literals;

constexpr char kStreamPath[] = "/2/tweets/search/stream";
constexpr char kToken[] = "stream-test-token-SECRET-0123456789";
constexpr char kRawCapture[] = "stream-filtered-raw-crlf-2021-02-10.txt";
constexpr char kTwarc[] = "stream-filtered-twarc-2021-04-01.jsonl";
constexpr char kTwarcTruncated[] = "stream-filtered-twarc-2021-04-01-truncated-tail.jsonl";

std::string Fixture(const std::string& name) {
  auto text = ReadFile(FixturePath(name));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

// The non-empty lines of a fixture, without their "\r\n" / "\n".
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

// data.id of a stream event, read with RapidJSON (independently of the code under test).
std::string EventId(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data")) return "";
  return doc["data"]["id"].GetString();
}

std::vector<std::string> Ids(const std::vector<std::string>& lines) {
  std::vector<std::string> ids;
  for (const auto& l : lines) ids.push_back(EventId(l));
  return ids;
}

// `text` cut at these byte offsets.
std::vector<std::string> Cut(const std::string& text, std::set<size_t> cuts) {
  std::vector<std::string> chunks;
  size_t from = 0;
  for (size_t at : cuts) {
    if (at <= from || at >= text.size()) continue;
    chunks.push_back(text.substr(from, at - from));
    from = at;
  }
  chunks.push_back(text.substr(from));
  return chunks;
}

// A request the server does not answer for long: where tests park the stream before they stop it
// (nothing of it can reach the counters, so they stay exact).
ScriptedResponse Parked() { return ScriptedResponse{.delay = 25s}; }

ScriptedResponse Streamed(std::vector<std::string> chunks, std::chrono::milliseconds delay = 5ms) {
  return ScriptedResponse{.chunks = std::move(chunks), .chunk_delay = delay};
}

class XStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto http = common::CurlHttpClient::Create();
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }

  XStreamOptions Options() {
    XStreamOptions options;
    options.base_url = server_->base_url();
    options.bearer_token = kToken;
    options.idle_timeout = 5s;  // longer than any scripted pause except Parked()'s
    options.connect_timeout = 2s;
    return options;
  }

  std::unique_ptr<XStream> MakeStream(const XStreamOptions& options) {
    auto stream = XStream::Create(http_.get(), options, &clock_);
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? std::move(*stream) : nullptr;
  }

  // Runs the stream on a thread until the server has seen `requests` requests (then stops it) or
  // Run() returns by itself. Delivered lines go to lines_ / wheres_.
  absl::Status RunUntilRequests(XStream& stream, size_t requests) {
    std::atomic<bool> stop{false};
    std::atomic<bool> returned{false};
    absl::Status result;
    std::thread runner([&] {
      result = stream.Run(
          [this](absl::string_view line, absl::string_view where) {
            lines_.emplace_back(line);
            wheres_.emplace_back(where);
          },
          &stop);
      returned = true;
    });
    // Until the server saw `requests` requests, or Run() returned by itself (a fatal status), for
    // at most 30 s: WaitForRequests in short slices so that a returned Run() ends the wait early.
    bool reached = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!reached && !returned && std::chrono::steady_clock::now() < deadline) {
      reached = server_->WaitForRequests(requests, 20ms);
    }
    stop = true;
    const auto stop_requested = std::chrono::steady_clock::now();
    runner.join();
    stop_latency_ = std::chrono::steady_clock::now() - stop_requested;
    EXPECT_TRUE(reached || returned) << "the stream neither made " << requests << " requests nor returned";
    return result;
  }

  std::vector<RecordedRequest> StreamRequests() { return server_->RequestsTo(kStreamPath); }

  std::unique_ptr<FakeXApiServer> server_;
  std::unique_ptr<common::CurlHttpClient> http_;
  common::FakeClock clock_;
  std::vector<std::string> lines_;
  std::vector<std::string> wheres_;
  std::chrono::steady_clock::duration stop_latency_{};
};

TEST_F(XStreamTest, RawCaptureSplitMidLineAndMidUtf8DeliversExactlyItsThreeEvents) {
  const std::string raw = Fixture(kRawCapture);
  const std::vector<std::string> events = Lines(raw);
  ASSERT_EQ(events.size(), 3u);
  // Cuts: inside the first multi-byte UTF-8 character, between every '\r' and its '\n', inside the
  // keep-alive, and every 700 bytes.
  std::set<size_t> cuts;
  size_t utf8 = 0;
  while (utf8 < raw.size() && static_cast<unsigned char>(raw[utf8]) < 0xC0) ++utf8;
  ASSERT_LT(utf8, raw.size()) << "the capture has non-ASCII text";
  cuts.insert(utf8 + 1);
  for (size_t at = raw.find("\r\n"); at != std::string::npos; at = raw.find("\r\n", at + 1)) cuts.insert(at + 1);
  for (size_t at = 700; at < raw.size(); at += 700) cuts.insert(at);
  server_->RouteSequence("GET", kStreamPath, {Streamed(Cut(raw, cuts), 10ms), Parked()});

  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 2).ok());

  EXPECT_THAT(lines_, ElementsAreArray(events));  // byte for byte: UTF-8 joined across chunks
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.messages, 3);
  EXPECT_EQ(stats.keep_alives, 1);  // the capture's one, between events 1 and 2
  EXPECT_EQ(stats.partial_lines_dropped, 0);
  EXPECT_EQ(stats.state, XStreamStats::State::kStopped);
  EXPECT_LT(stop_latency_, 3s) << "stop must abort a silent connection promptly";

  // The caller maps each line: three tweets, the French text intact.
  std::vector<std::string> mapped;
  for (const auto& line : lines_) {
    source::MappingContext context;
    context.mode = "stream";
    auto parsed = source::ParseXResponse(line, context);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->envelopes.size(), 1u);
    mapped.push_back(parsed->envelopes[0].tweet().id());
  }
  EXPECT_THAT(mapped, ElementsAreArray(Ids(events)));
  EXPECT_THAT(wheres_[0], HasSubstr("connection 1, line 1"));
}

TEST_F(XStreamTest, SendsTheFieldSelectionAndTheTokenOnlyInTheHeader) {
  server_->RouteSequence("GET", kStreamPath, {Parked()});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 1).ok());
  auto requests = StreamRequests();
  ASSERT_EQ(requests.size(), 1u);
  const source::XFieldSelection fields;
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].headers["authorization"], absl::StrCat("Bearer ", kToken));
  EXPECT_EQ(requests[0].Param("tweet.fields"), fields.tweet_fields);
  EXPECT_EQ(requests[0].Param("expansions"), fields.expansions);
  EXPECT_EQ(requests[0].Param("user.fields"), fields.user_fields);
  EXPECT_EQ(requests[0].Param("media.fields"), fields.media_fields);
  EXPECT_EQ(requests[0].Param("place.fields"), fields.place_fields);
  EXPECT_EQ(requests[0].Param("poll.fields"), fields.poll_fields);
  EXPECT_EQ(requests[0].params.count("backfill_minutes"), 0u);
  EXPECT_THAT(stream->StreamUrl(true), Not(HasSubstr(kToken)));
}

TEST_F(XStreamTest, ALineCutByTheDisconnectIsDroppedAndTheNextConnectionLosesNothing) {
  const std::vector<std::string> events = Lines(Fixture(kTwarc));
  ASSERT_EQ(events.size(), 7u);
  // Connection 1: events 1-3 and the first half of event 4, then the server hangs up.
  // Connection 2: event 4 again in full, then 5-7 ("\r\n" framing here; connection 1 uses "\n").
  std::string first = absl::StrCat(events[0], "\n", events[1], "\n", events[2], "\n");
  const std::string half = events[3].substr(0, events[3].size() / 2);
  std::string second;
  for (size_t i = 3; i < 7; ++i) absl::StrAppend(&second, events[i], "\r\n");
  server_->RouteSequence("GET", kStreamPath,
                         {Streamed({first, half}), Streamed(Cut(second, {100, 5000, 9000})), Parked()});

  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 3).ok());

  EXPECT_THAT(lines_, ElementsAreArray(events));  // every tweet once, none cut, none missing
  const std::vector<std::string> ids = Ids(lines_);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 7u);
  EXPECT_EQ(ids, Ids(events));
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.partial_lines_dropped, 1);
  EXPECT_EQ(stats.connects, 2);
  EXPECT_EQ(stats.reconnects, 1);
  // The connection before delivered messages: healthy, so the reconnect was immediate.
  EXPECT_THAT(clock_.Sleeps(), ElementsAre());
  // backfill_minutes is 0: the reconnect is recorded as a gap that could not be backfilled.
  EXPECT_EQ(stats.unbackfilled_gaps, 1);
  EXPECT_NE(stats.last_gap_start, absl::InfinitePast());
  EXPECT_THAT(wheres_[3], HasSubstr("connection 2, line 1"));
}

TEST_F(XStreamTest, TheTruncatedTailOfARecordingIsNeverDelivered) {
  const std::string text = Fixture(kTwarcTruncated);
  const std::vector<std::string> complete = Lines(Fixture(kTwarc));
  ASSERT_EQ(Lines(text).size(), 8u);  // the 7 events and the truncated 8th object
  ASSERT_EQ(complete.size(), 7u);
  // As recorded, the truncated object is followed by a line break: a complete line that is not a
  // JSON object. Then the same bytes without that last line break: a line cut by the disconnect.
  const std::string unterminated(absl::StripSuffix(absl::StripSuffix(text, "\n"), "\r"));
  ASSERT_NE(unterminated, text);
  server_->RouteSequence("GET", kStreamPath,
                         {Streamed(Cut(text, {3000, 15000, text.size() - 20})),
                          Streamed(Cut(unterminated, {5000, unterminated.size() - 10})), Parked()});

  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 3).ok());
  std::vector<std::string> expected = complete;
  expected.insert(expected.end(), complete.begin(), complete.end());
  EXPECT_THAT(lines_, ElementsAreArray(expected));
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.malformed_lines_dropped, 1);
  EXPECT_EQ(stats.partial_lines_dropped, 1);
  EXPECT_EQ(stats.messages, 14);
}

TEST_F(XStreamTest, AStalledConnectionIsDroppedAndReopened) {
  const std::vector<std::string> events = Lines(Fixture(kTwarc));
  // Connection 1 sends event 1, then nothing for 4 s: beyond the 1 s idle timeout.
  server_->RouteSequence("GET", kStreamPath,
                         {Streamed({events[0] + "\r\n", events[1] + "\r\n"}, 4000ms),
                          Streamed({events[2] + "\r\n", events[3] + "\r\n"}), Parked()});
  XStreamOptions options = Options();
  options.idle_timeout = 1s;
  auto stream = MakeStream(options);
  ASSERT_NE(stream, nullptr);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(RunUntilRequests(*stream, 3).ok());

  // Event 2 never arrived (the stalled connection was dropped before it was sent).
  EXPECT_THAT(Ids(lines_), ElementsAre(EventId(events[0]), EventId(events[2]), EventId(events[3])));
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.stalls, 1);
  // Noticed after the idle timeout, well before the server's 4 s pause ended.
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, 4s + 3s);
  ASSERT_GE(StreamRequests().size(), 2u);
}

TEST_F(XStreamTest, HttpErrorsBackOffPerPolicyOnTheInjectedClock) {
  const std::string raw = Fixture(kRawCapture);
  server_->RouteSequence(
      "GET", kStreamPath,
      // The drops come after answered requests on purpose: Stream() opens a fresh connection each
      // time, so libcurl's silent re-send on a dead *reused* connection cannot hide a drop (one
      // attempt is exactly one request, as X counts them).
      {ScriptedResponse{.status = 503, .body = R"({"title":"Service Unavailable","type":"about:blank","status":503})"},
       ScriptedResponse{.status = 429,
                        .body = R"({"title":"ConnectionException","detail":"This stream is currently at the maximum )"
                                R"(allowed connection limit.","connection_issue":"TooManyConnections",)"
                                R"("type":"https://api.twitter.com/2/problems/streaming-connection"})"},
       ScriptedResponse{.status = 503, .body = "{}"},
       ScriptedResponse{.status = 429, .headers = {{"content-type", "text/plain"}}, .body = "Rate limit exceeded"},
       ScriptedResponse{.drop_connection = true}, ScriptedResponse{.drop_connection = true},
       Streamed({raw}), Parked()});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 8).ok());

  // 503: 5 s; 429 TooManyConnections: 60 s; 503: 10 s; 429: 120 s; network: 250 ms, 500 ms.
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(5), absl::Seconds(60), absl::Seconds(10),
                                           absl::Seconds(120), absl::Milliseconds(250), absl::Milliseconds(500)));
  EXPECT_EQ(lines_.size(), 3u);
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.http_errors, 4);
  EXPECT_EQ(stats.network_errors, 2);
  EXPECT_EQ(stats.connect_attempts, 8);
  EXPECT_EQ(stats.connects, 1);
  EXPECT_EQ(stats.reconnects, 0);
  EXPECT_EQ(stats.unbackfilled_gaps, 0);  // nothing was connected before: no gap to report
}

TEST_F(XStreamTest, UnauthorizedFailsAfterExactlyOneRequestWithoutEchoingTheToken) {
  server_->RouteSequence("GET", kStreamPath,
                         {ScriptedResponse{.status = 401, .body = Fixture("error-401-unauthorized-2021-06.json")}});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  absl::Status status = RunUntilRequests(*stream, 2);  // returns by itself: a second request never comes
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("X_BEARER_TOKEN"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("Unauthorized"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(kToken)));
  EXPECT_EQ(StreamRequests().size(), 1u);
  EXPECT_THAT(clock_.Sleeps(), ElementsAre());
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.state, XStreamStats::State::kFailed);
  EXPECT_THAT(stats.last_error, Not(HasSubstr(kToken)));
}

TEST_F(XStreamTest, ForbiddenFailsAtOnce) {
  server_->RouteSequence(
      "GET", kStreamPath,
      {ScriptedResponse{.status = 403,
                        .body = R"({"title":"Client Forbidden","detail":"This request must be made using an )"
                                R"(approved developer account that is enrolled in the requested endpoint.",)"
                                R"("reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"})"}});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  absl::Status status = RunUntilRequests(*stream, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("access level"));
  EXPECT_EQ(StreamRequests().size(), 1u);
}

TEST_F(XStreamTest, UsageCapped429StopsAndSaysWhy) {
  server_->RouteSequence(
      "GET", kStreamPath,
      {ScriptedResponse{.status = 429,
                        .headers = RateLimitHeaders(50, 49, 1700000900),
                        .body = R"({"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap",)"
                                R"("type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly",)"
                                R"("scope":"Product"})"}});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  absl::Status status = RunUntilRequests(*stream, 2);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("usage cap is reached"));
  EXPECT_EQ(StreamRequests().size(), 1u);
  EXPECT_THAT(clock_.Sleeps(), ElementsAre());
}

TEST_F(XStreamTest, AnInStreamErrorObjectIsNotAMessageAndLeadsToAReconnect) {
  const std::vector<std::string> events = Lines(Fixture(kTwarc));
  const std::string disconnect =
      R"({"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect",)"
      R"("detail":"This stream has been disconnected for operational reasons.",)"
      R"("type":"https://api.twitter.com/2/problems/operational-disconnect"}]})";
  server_->RouteSequence("GET", kStreamPath,
                         {Streamed({disconnect + "\r\n"}),                           // error first: unhealthy
                          Streamed({events[0] + "\r\n", disconnect + "\r\n"}),     // after a message: healthy
                          Streamed({events[1] + "\r\n"}), Parked()});
  auto stream = MakeStream(Options());
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 4).ok());
  EXPECT_THAT(Ids(lines_), ElementsAre(EventId(events[0]), EventId(events[1])));
  const XStreamStats stats = stream->Stats();
  EXPECT_EQ(stats.stream_errors, 2);
  // The error ended an unhealthy connection: HTTP backoff (5 s). After the healthy one: at once.
  // The third connection ended cleanly after a message: at once as well.
  EXPECT_THAT(clock_.Sleeps(), ElementsAre(absl::Seconds(5)));
}

TEST_F(XStreamTest, BackfillMinutesIsSentOnReconnectsOnly) {
  const std::vector<std::string> events = Lines(Fixture(kTwarc));
  server_->RouteSequence("GET", kStreamPath, {Streamed({events[0] + "\r\n"}), Parked()});
  XStreamOptions options = Options();
  options.backfill_minutes = 2;
  auto stream = MakeStream(options);
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(RunUntilRequests(*stream, 2).ok());
  auto requests = StreamRequests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].params.count("backfill_minutes"), 0u);
  EXPECT_EQ(requests[1].Param("backfill_minutes"), "2");
  EXPECT_EQ(stream->Stats().unbackfilled_gaps, 0);
}

// Issue 12, point 5: after a restart with a saved position (resume), the first connection asks for
// backfill too; on_connect tells the caller each connection and when the previous one ended.
TEST_F(XStreamTest, WithASavedPositionTheFirstConnectionAsksForBackfillAndEveryConnectIsReported) {
  const std::vector<std::string> events = Lines(Fixture(kTwarc));
  server_->RouteSequence("GET", kStreamPath, {Streamed({events[0] + "\r\n"}), Parked()});
  XStreamOptions options = Options();
  options.backfill_minutes = 3;
  options.resume = true;
  auto stream = MakeStream(options);
  ASSERT_NE(stream, nullptr);
  std::vector<XStream::ConnectInfo> connects;
  stream->set_on_connect([&](const XStream::ConnectInfo& c) { connects.push_back(c); });
  EXPECT_TRUE(RunUntilRequests(*stream, 2).ok());
  auto requests = StreamRequests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].Param("backfill_minutes"), "3");
  EXPECT_EQ(requests[1].Param("backfill_minutes"), "3");
  ASSERT_GE(connects.size(), 1u);
  EXPECT_EQ(connects[0].connection, 1);
  EXPECT_EQ(connects[0].previous_end, absl::InfinitePast());
  EXPECT_TRUE(connects[0].backfill_asked);
}

TEST_F(XStreamTest, TheAttemptCapHoldsTheNextAttemptUntilTheWindowAllowsIt) {
  std::vector<absl::Time> times;
  absl::Mutex mu;
  int count = 0;
  server_->Route("GET", kStreamPath, [&](const RecordedRequest&) {
    absl::MutexLock lock(&mu);
    times.push_back(clock_.Now());
    if (++count >= 4) return ScriptedResponse{.status = 401, .body = "{}"};  // ends the run
    return ScriptedResponse{.drop_connection = true};
  });
  XStreamOptions options = Options();
  options.reconnect.max_attempts_per_window = 3;
  auto stream = MakeStream(options);
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(RunUntilRequests(*stream, 5).code(), absl::StatusCode::kUnauthenticated);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(times.size(), 4u);
  EXPECT_EQ(times[1] - times[0], absl::Milliseconds(250));
  EXPECT_EQ(times[2] - times[1], absl::Milliseconds(500));
  EXPECT_EQ(times[3] - times[0], absl::Minutes(15));  // not 750 ms later: the window was full
}

TEST(XStreamOptionsTest, ValidateNamesTheProblem) {
  XStreamOptions options;
  options.bearer_token = "t";
  EXPECT_TRUE(options.Validate().ok());
  options.backfill_minutes = 6;
  EXPECT_THAT(std::string(options.Validate().message()), HasSubstr("backfill_minutes"));
  options.backfill_minutes = 0;
  options.bearer_token.clear();
  EXPECT_THAT(std::string(options.Validate().message()), HasSubstr("X_BEARER_TOKEN"));
}

// ---------------------------------------------------------------------------------------------------
// Deterministic framing: a scripted client hands the raw capture over one byte per chunk.
// ---------------------------------------------------------------------------------------------------

class ScriptedStreamClient : public common::HttpClient {
 public:
  explicit ScriptedStreamClient(std::vector<std::vector<std::string>> connections)
      : connections_(std::move(connections)) {}
  absl::StatusOr<common::HttpResponse> Send(const common::HttpRequest&) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status Stream(const common::HttpRequest& request,
                      const std::function<bool(absl::string_view chunk)>& on_data,
                      common::HttpResponse* head) override {
    urls.push_back(request.url);
    *head = common::HttpResponse{};
    if (next_ >= connections_.size()) {  // out of script: a 401 ends the run
      head->status = 401;
      head->body = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
      return absl::OkStatus();
    }
    head->status = 200;
    for (const std::string& chunk : connections_[next_++]) {
      if (!on_data(chunk)) return absl::CancelledError("aborted by the reader");
    }
    return absl::UnavailableError("connection reset by peer");  // an abrupt cut, not a clean end
  }
  std::vector<std::string> urls;

 private:
  std::vector<std::vector<std::string>> connections_;
  size_t next_ = 0;
};

TEST(XStreamFramingTest, OneByteChunksAndAnAbruptCutMidLine) {
  auto raw = ReadFile(FixturePath(kRawCapture));
  ASSERT_TRUE(raw.ok()) << raw.status();
  std::vector<std::string> bytes;
  for (char c : *raw) bytes.emplace_back(1, c);
  // Connection 1: every byte on its own, then 1000 bytes of the first event and a reset.
  std::vector<std::string> first = bytes;
  first.push_back(raw->substr(0, 1000));
  // Connection 2: the capture in one chunk.
  ScriptedStreamClient http({first, {*raw}});
  common::FakeClock clock;
  XStreamOptions options;
  options.bearer_token = "t";
  auto stream = XStream::Create(&http, options, &clock);
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::vector<std::string> lines;
  absl::Status status = (*stream)->Run([&](absl::string_view line, absl::string_view) { lines.emplace_back(line); },
                                       nullptr);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  const std::vector<std::string> events = Lines(*raw);
  std::vector<std::string> expected = events;
  expected.insert(expected.end(), events.begin(), events.end());
  EXPECT_THAT(lines, ElementsAreArray(expected));
  const XStreamStats stats = (*stream)->Stats();
  EXPECT_EQ(stats.keep_alives, 2);
  EXPECT_EQ(stats.partial_lines_dropped, 1);
  EXPECT_EQ(stats.network_errors, 2);  // both connections ended with a reset
  EXPECT_THAT(clock.Sleeps(), ElementsAre());  // both connections were healthy
  ASSERT_EQ(http.urls.size(), 3u);
}

// ---------------------------------------------------------------------------------------------------
// CurlHttpClient::Stream itself.
// ---------------------------------------------------------------------------------------------------

TEST_F(XStreamTest, CurlStreamPutsAnErrorBodyInTheHeadNotInOnData) {
  server_->RouteSequence("GET", "/x", {ScriptedResponse{.status = 429, .body = "Rate limit exceeded"}});
  common::HttpRequest request;
  request.url = server_->base_url() + "/x";
  common::HttpResponse head;
  int calls = 0;
  absl::Status status = http_->Stream(request, [&](absl::string_view) { ++calls; return true; }, &head);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(head.status, 429);
  EXPECT_EQ(head.body, "Rate limit exceeded");
  EXPECT_EQ(calls, 0);
}

TEST_F(XStreamTest, CurlStreamIdleTimeoutCountsFromTheLastByteNotTheAverage) {
  // A burst, then silence: a rate average would stay high for a while; the last-byte check does not.
  server_->RouteSequence("GET", "/x",
                         {ScriptedResponse{.chunks = {std::string(100000, 'x'), "late"}, .chunk_delay = 5s}});
  common::HttpRequest request;
  request.url = server_->base_url() + "/x";
  request.idle_timeout = 1s;
  request.timeout = 100ms;  // ignored by Stream(): a stream has no whole-transfer deadline
  common::HttpResponse head;
  size_t received = 0;
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = http_->Stream(request, [&](absl::string_view c) { received += c.size(); return true; }, &head);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(received, 100000u);
  EXPECT_GE(elapsed, 1s);
  EXPECT_LT(elapsed, 3500ms);
}

TEST_F(XStreamTest, CurlStreamAbortsWhenOnDataSaysSo) {
  server_->RouteSequence("GET", "/x", {ScriptedResponse{.chunks = {"a", "b", "c"}, .chunk_delay = 50ms}});
  common::HttpRequest request;
  request.url = server_->base_url() + "/x";
  common::HttpResponse head;
  std::string got;
  absl::Status status = http_->Stream(request, [&](absl::string_view c) { got.append(c.data(), c.size()); return false; }, &head);
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_EQ(got, "a");
}

TEST_F(XStreamTest, CurlStreamToAClosedPortIsUnavailable) {
  common::HttpRequest request;
  request.url = "http://127.0.0.1:1/x";
  common::HttpResponse head;
  absl::Status status = http_->Stream(request, [](absl::string_view) { return true; }, &head);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(head.status, 0);
}

}  // namespace
}  // namespace tweetstream::testing
