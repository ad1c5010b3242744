// --mode=search against a local HTTP server that replays recorded X API pages with next_token paging:
// the real libcurl client, the real mapper, an in-memory producer.

#include <rapidjson/document.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "common/rfc3339.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "source-connector/source_app.h"
#include "tests/fakes/fake_producer.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_search_index.h"
#include "tests/fake_x_api/fake_x_api_server.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

constexpr char kSearchPath[] = "/2/tweets/search/recent";
constexpr char kToken[] = "test-bearer-token-0123456789";

struct Page {
  std::string body;
  std::string next_token;  // of this page's meta
  std::vector<std::string> ids;
};

// Reads a recorded page and its tweet ids with RapidJSON (independently of the mapper).
Page LoadPage(const std::string& name) {
  Page page;
  auto body = ReadFile(FixturePath(name));
  EXPECT_TRUE(body.ok()) << body.status();
  if (!body.ok()) return page;
  page.body = *body;
  rapidjson::Document doc;
  doc.Parse(page.body.data(), page.body.size());
  EXPECT_FALSE(doc.HasParseError()) << name;
  if (doc.HasMember("meta") && doc["meta"].HasMember("next_token")) page.next_token = doc["meta"]["next_token"].GetString();
  if (doc.HasMember("data")) {
    for (const auto& t : doc["data"].GetArray()) page.ids.push_back(t["id"].GetString());
  }
  return page;
}

class SearchModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  source::SourceConfig Config() {
    source::SourceConfig config;
    config.mode = "search";
    config.query = "#brexit OR #kpop -is:retweet";
    config.x_api.base_url = server_->base_url();
    config.x_api.bearer_token = kToken;
    config.x_api.timeout = std::chrono::milliseconds(5000);
    return config;
  }

  absl::Status RunSource(const source::SourceConfig& config, source::SourceSummary* summary) {
    auto http = common::CurlHttpClient::Create();
    if (!http.ok()) return http.status();
    // A restart: the cursors the previous run saved (a Kafka topic in production).
    auto cursors = std::make_unique<source::MemoryCursorStore>();
    if (app_ != nullptr && cursors_ != nullptr) *cursors = *cursors_;
    if (seed_cursor_) (void)cursors->Save(source::SourceApp::CursorKeyFor(config), *seed_cursor_);
    seed_cursor_.reset();
    cursors_ = cursors.get();
    auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced_), std::move(*http),
                                             std::move(cursors), &clock_);
    if (!app.ok()) return app.status();
    app_ = std::move(*app);  // kept: the cursor store lives in it
    return app_->Run(summary);
  }

  // Request times as the (fake) clock saw them, per request.
  std::vector<absl::Time> times_;
  absl::Mutex times_mu_;
  void Stamp() {
    absl::MutexLock lock(&times_mu_);
    times_.push_back(clock_.Now());
  }

  // Serves `index_` on the search route, with the index's clock = the source's (fake) clock.
  FakeSearchIndex* ServeIndex() {
    index_ = std::make_unique<FakeSearchIndex>([this] { return clock_.Now(); });
    server_->Route("GET", kSearchPath, index_->MakeHandler());
    return index_.get();
  }
  void SetNow(absl::Time t) { clock_.Advance(t - clock_.Now()); }
  // The produced keys as a set, and how many records re-delivered a key already produced.
  std::set<std::string> ProducedIds(int* duplicates = nullptr) {
    std::set<std::string> ids;
    int dups = 0;
    for (const auto& r : produced_.records) {
      if (!ids.insert(r.key).second) ++dups;
    }
    if (duplicates != nullptr) *duplicates = dups;
    return ids;
  }
  std::optional<source::Cursor> SavedCursor(const source::SourceConfig& config) {
    return cursors_ == nullptr ? std::nullopt : cursors_->Get(source::SourceApp::CursorKeyFor(config));
  }

  std::unique_ptr<FakeXApiServer> server_;
  std::unique_ptr<FakeSearchIndex> index_;
  std::optional<source::Cursor> seed_cursor_;
  FakeProducer::Shared produced_;
  common::FakeClock clock_;
  source::MemoryCursorStore* cursors_ = nullptr;
  std::unique_ptr<source::SourceApp> app_;
};

TEST_F(SearchModeTest, FollowsNextTokenFetchingEveryPageOnceAndProducesEveryTweet) {
  // Three recorded pages chained by their own next_tokens; the last one has none.
  const Page p1 = LoadPage("recent-search-twarc-brexit-2021-09-22.json");
  const Page p2 = LoadPage("recent-search-twarc-kpop-2021-09-22.json");
  const Page p3 = LoadPage("search-all-commtwitter-2021-07-04.json");
  ASSERT_FALSE(p1.next_token.empty());
  ASSERT_FALSE(p2.next_token.empty());
  ASSERT_TRUE(p3.next_token.empty());
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    const std::string token = request.Param("next_token");
    ScriptedResponse response;
    response.headers = RateLimitHeaders(450, 449, 1900000000);
    if (token.empty()) response.body = p1.body;
    else if (token == p1.next_token) response.body = p2.body;
    else if (token == p2.next_token) response.body = p3.body;
    else {
      response.status = 400;
      response.body = R"({"title":"Invalid Request","detail":"bad next_token","type":"https://api.twitter.com/2/problems/invalid-request"})";
    }
    return response;
  });

  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());

  // Every page fetched exactly once, in order, each with the bearer token, the query and the fields.
  const auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].Param("next_token"), "");
  EXPECT_EQ(requests[1].Param("next_token"), p1.next_token);
  EXPECT_EQ(requests[2].Param("next_token"), p2.next_token);
  for (const auto& r : requests) {
    EXPECT_EQ(r.headers.at("authorization"), std::string("Bearer ") + kToken);
    EXPECT_EQ(r.Param("query"), "#brexit OR #kpop -is:retweet");
    EXPECT_EQ(r.Param("max_results"), "100");
    for (const char* field : {"created_at", "entities", "public_metrics", "referenced_tweets", "author_id", "lang"}) {
      EXPECT_THAT(r.Param("tweet.fields"), ::testing::HasSubstr(field));
    }
    EXPECT_THAT(r.Param("expansions"), ::testing::HasSubstr("author_id"));
    EXPECT_THAT(r.Param("user.fields"), ::testing::HasSubstr("username"));
  }

  // Exactly the recorded tweets were produced, keyed by id, each a decodable envelope with its author.
  std::vector<std::string> expected;
  for (const Page* p : {&p1, &p2, &p3}) expected.insert(expected.end(), p->ids.begin(), p->ids.end());
  std::vector<std::string> keys;
  for (const auto& record : produced_.records) {
    keys.push_back(record.key);
    EXPECT_EQ(record.topic, "twitter-stream");
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(record.value.value_or("")));
    EXPECT_EQ(envelope.tweet().id(), record.key);
    EXPECT_EQ(envelope.query(), "#brexit OR #kpop -is:retweet");
    EXPECT_EQ(envelope.ingestion().mode(), "search");
    EXPECT_FALSE(envelope.author().username().empty()) << record.key;
  }
  EXPECT_THAT(keys, ::testing::ElementsAreArray(expected));
  EXPECT_EQ(summary.tweets, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(summary.delivered, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(summary.skipped, 0);
  EXPECT_EQ(summary.api_problems, 1);  // the kpop page carries one partial error
}

TEST_F(SearchModeTest, MaxPagesStopsPaging) {
  const Page p1 = LoadPage("recent-search-twarc-brexit-2021-09-22.json");
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{200, {}, p1.body}});
  auto config = Config();
  config.max_pages = 1;
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(config, &summary).ok());
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
  EXPECT_EQ(produced_.records.size(), p1.ids.size());
}

TEST_F(SearchModeTest, RejectedTokenFailsAtOnceWithoutRetrying) {
  auto body = ReadFile(FixturePath("error-401-unauthorized-2021-06.json"));
  ASSERT_TRUE(body.ok());
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{401, {}, *body}});
  source::SourceSummary summary;
  absl::Status status = RunSource(Config(), &summary);
  EXPECT_TRUE(absl::IsUnauthenticated(status)) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("X_BEARER_TOKEN"));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(::testing::HasSubstr(kToken)));
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
  EXPECT_TRUE(produced_.records.empty());
}

TEST_F(SearchModeTest, PlainTextRateLimitWithoutAUsableResetBacksOffAMinuteThenGoesOn) {
  auto body = ReadFile(FixturePath("error-429-rate-limit-text-plain-2021-06-25.txt"));
  ASSERT_TRUE(body.ok());
  // The recorded 429: text/plain, and a reset time long past (2021).
  ScriptedResponse limited{429, RateLimitHeaders(75, 0, 1624621837), *body};
  limited.headers.emplace_back("content-type", "text/plain;charset=utf-8");
  const Page p3 = LoadPage("search-all-commtwitter-2021-07-04.json");
  server_->RouteSequence("GET", kSearchPath, {limited, limited, ScriptedResponse{200, {}, p3.body}});
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 3u);
  EXPECT_THAT(clock_.Sleeps(), ::testing::ElementsAre(absl::Seconds(60), absl::Seconds(120)));
  EXPECT_EQ(produced_.records.size(), p3.ids.size());
}

TEST_F(SearchModeTest, NoRequestGoesOutBeforeTheResetOnceTheWindowIsUsedUp) {
  const Page p1 = LoadPage("recent-search-twarc-brexit-2021-09-22.json");
  const Page p2 = LoadPage("recent-search-twarc-kpop-2021-09-22.json");
  const Page p3 = LoadPage("search-all-commtwitter-2021-07-04.json");
  const int64_t reset = absl::ToUnixSeconds(clock_.Now()) + 15 * 60;
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    Stamp();
    const std::string token = request.Param("next_token");
    if (token.empty()) return ScriptedResponse{200, RateLimitHeaders(450, 1, reset), p1.body};
    if (token == p1.next_token) return ScriptedResponse{200, RateLimitHeaders(450, 0, reset), p2.body};
    return ScriptedResponse{200, RateLimitHeaders(450, 449, reset + 900), p3.body};
  });
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());
  ASSERT_EQ(times_.size(), 3u);
  EXPECT_EQ(times_[1], times_[0]);                           // the window still allowed it
  EXPECT_GE(times_[2], absl::FromUnixSeconds(reset));        // not one request before the reset
  EXPECT_EQ(produced_.records.size(), p1.ids.size() + p2.ids.size() + p3.ids.size());
}

TEST_F(SearchModeTest, A429WithAResetHeaderWaitsUntilThatResetThenRetriesTheSamePage) {
  const Page p1 = LoadPage("search-all-commtwitter-2021-07-04.json");
  const int64_t reset = absl::ToUnixSeconds(clock_.Now()) + 300;
  server_->Route("GET", kSearchPath, [&, n = std::make_shared<int>(0)](const RecordedRequest&) {
    Stamp();
    if ((*n)++ == 0) {
      return ScriptedResponse{429, RateLimitHeaders(450, 0, reset),
                              R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})"};
    }
    return ScriptedResponse{200, RateLimitHeaders(450, 449, reset + 900), p1.body};
  });
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());
  ASSERT_EQ(times_.size(), 2u);
  EXPECT_GE(times_[1], absl::FromUnixSeconds(reset));
  EXPECT_EQ(produced_.records.size(), p1.ids.size());
}

TEST_F(SearchModeTest, ServerErrorsAreRetriedWithBackoff) {
  const Page p1 = LoadPage("search-all-commtwitter-2021-07-04.json");
  server_->RouteSequence("GET", kSearchPath,
                         {ScriptedResponse{503, {}, R"({"title":"Service Unavailable","type":"about:blank","status":503})"},
                          ScriptedResponse{503, {}, "<html>upstream connect error</html>"},
                          ScriptedResponse{200, {}, p1.body}});
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 3u);
  EXPECT_THAT(clock_.Sleeps(), ::testing::ElementsAre(absl::Seconds(1), absl::Seconds(2)));
  EXPECT_EQ(produced_.records.size(), p1.ids.size());
}

TEST_F(SearchModeTest, UsageCapIsReportedAsSuchAndStopsCalling) {
  server_->RouteSequence(
      "GET", kSearchPath,
      {ScriptedResponse{429, RateLimitHeaders(450, 440, 1900000000),
                        R"({"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly","scope":"Product"})"}});
  source::SourceSummary summary;
  absl::Status status = RunSource(Config(), &summary);
  EXPECT_TRUE(absl::IsResourceExhausted(status)) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("usage cap"));
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
}

TEST_F(SearchModeTest, TwoPollsReadEveryTweetOnceAndTheSecondSendsTheNewestIdOfTheFirst) {
  const Page p1 = LoadPage("recent-search-twarc-brexit-2021-09-22.json");
  const Page p2 = LoadPage("recent-search-twarc-kpop-2021-09-22.json");
  const Page p3 = LoadPage("search-all-commtwitter-2021-07-04.json");
  auto empty = ReadFile(FixturePath("search-all-empty-result-2021.json"));
  ASSERT_TRUE(empty.ok());
  // Poll 1 (no since_id): p1 -> p2 -> an empty last page, by next_token. Poll 2 (since_id = p1's
  // newest id): p3.
  // Poll 3 (since_id = p3's newest id): nothing new.
  rapidjson::Document d1, d3;
  d1.Parse(p1.body.c_str());
  d3.Parse(p3.body.c_str());
  const std::string newest1 = d1["meta"]["newest_id"].GetString();
  const std::string newest3 = d3["meta"]["newest_id"].GetString();
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    const std::string since = request.Param("since_id");
    const std::string token = request.Param("next_token");
    if (since.empty()) {
      if (token.empty()) return ScriptedResponse{200, {}, p1.body};
      if (token == p1.next_token) return ScriptedResponse{200, {}, p2.body};
      if (token == p2.next_token) return ScriptedResponse{200, {}, *empty};
    }
    if (since == newest1) return ScriptedResponse{200, {}, p3.body};
    if (since == newest3) return ScriptedResponse{200, {}, *empty};
    return ScriptedResponse{400, {}, R"({"title":"Invalid Request","detail":"unexpected since_id","type":"about:blank"})"};
  });
  auto config = Config();
  config.poll_interval = std::chrono::seconds(60);
  config.max_polls = 3;
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(config, &summary).ok());
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].Param("since_id"), "");
  EXPECT_EQ(requests[1].Param("since_id"), "");  // paging within a poll keeps the poll's since_id
  EXPECT_EQ(requests[1].Param("next_token"), p1.next_token);
  EXPECT_EQ(requests[2].Param("next_token"), p2.next_token);
  EXPECT_EQ(requests[3].Param("since_id"), newest1);  // the newest id of the FIRST page of poll 1
  EXPECT_EQ(requests[3].Param("next_token"), "");
  EXPECT_EQ(requests[4].Param("since_id"), newest3);
  std::vector<std::string> keys;
  for (const auto& r : produced_.records) keys.push_back(r.key);
  std::vector<std::string> expected;
  for (const Page* p : {&p1, &p2, &p3}) expected.insert(expected.end(), p->ids.begin(), p->ids.end());
  EXPECT_THAT(keys, ::testing::UnorderedElementsAreArray(expected));  // each exactly once
  ASSERT_NE(cursors_, nullptr);
  EXPECT_EQ(cursors_->Get("tweet-source/search/#brexit OR #kpop -is:retweet")->newest_id, newest3);
  EXPECT_EQ(summary.polls, 3);
}

TEST_F(SearchModeTest, HtmlErrorPageIsDescribedNotDumped) {
  auto body = ReadFile(FixturePath("error-404-html-unknown-endpoint-2021-06-24.html"));
  ASSERT_TRUE(body.ok());
  ScriptedResponse response{404, {{"content-type", "text/html; charset=utf-8"}}, *body};
  server_->RouteSequence("GET", kSearchPath, {response});
  source::SourceSummary summary;
  absl::Status status = RunSource(Config(), &summary);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("HTTP 404"));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("non-JSON body"));
  EXPECT_LT(status.message().size(), 400u);
}

TEST_F(SearchModeTest, EmptyResultProducesNothing) {
  auto body = ReadFile(FixturePath("search-all-empty-result-2021.json"));
  ASSERT_TRUE(body.ok());
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{200, {}, *body}});
  source::SourceSummary summary;
  ASSERT_TRUE(RunSource(Config(), &summary).ok());
  EXPECT_TRUE(produced_.records.empty());
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
}

// ---- Issue 12: "duplicates possible, gaps never" in recent search mode --------------------------


// A tweet of the fake index created at `t` (its id is a snowflake of `t`).
IndexedTweet TweetAt(absl::Time t, int seq) {
  IndexedTweet tweet;
  tweet.id = SnowflakeId(t, seq);
  tweet.created_at = t;
  tweet.author_id = "42";
  tweet.json = absl::StrCat(R"({"id":")", tweet.id, R"(","text":"tweet )", seq, R"(","author_id":"42","created_at":")",
                            common::Rfc3339Millis(t), R"("})");
  return tweet;
}

constexpr char kUser42[] = R"({"id":"42","name":"Fake","username":"fake_x"})";
// A clock for the synthetic cases, and the 7-day window's edge as the source uses it (5 min margin).
const absl::Time kNow = absl::FromUnixSeconds(1795176000);  // 2026-11-20T12:00:00Z

// The two recorded 100-tweet pages, as one index; the clock 10 minutes after the newest of them.
struct RecordedCorpus {
  std::set<std::string> ids;
  absl::Time oldest, newest;
  std::string max_id;
};
RecordedCorpus IndexRecordedPages(FakeSearchIndex* index) {
  RecordedCorpus corpus{{}, absl::InfiniteFuture(), absl::InfinitePast(), ""};
  for (const char* name : {"recent-search-twarc-brexit-2021-09-22.json", "recent-search-twarc-kpop-2021-09-22.json"}) {
    auto body = ReadFile(FixturePath(name));
    EXPECT_TRUE(body.ok());
    if (!body.ok()) continue;
    RecordedTweets recorded = TweetsOfRecordedPage(*body);
    index->Add(recorded);
    for (const auto& t : recorded.tweets) {
      corpus.ids.insert(t.id);
      corpus.oldest = std::min(corpus.oldest, t.created_at);
      corpus.newest = std::max(corpus.newest, t.created_at);
      if (corpus.max_id.size() < t.id.size() || (corpus.max_id.size() == t.id.size() && corpus.max_id < t.id)) corpus.max_id = t.id;
    }
  }
  return corpus;
}

// Point 1: a poll that stops at --max-pages leaves the older pages to the next polls; the cursor's
// floor moves only once they are read.
TEST_F(SearchModeTest, APageCapLeavesABacklogThatTheNextPollsReadBeforeTheCursorMoves) {
  FakeSearchIndex* index = ServeIndex();
  const RecordedCorpus corpus = IndexRecordedPages(index);
  ASSERT_EQ(corpus.ids.size(), 200u);
  SetNow(corpus.newest + absl::Minutes(10));
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(corpus.oldest - absl::Minutes(1));
  config.max_results = 50;  // 4 pages
  config.max_pages = 1;
  config.poll_interval = std::chrono::seconds(60);
  config.max_polls = 6;
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  int duplicates = 0;
  EXPECT_EQ(ProducedIds(&duplicates), corpus.ids);  // every tweet, none skipped
  std::printf("page cap: %zu records for %zu tweets (%d re-read at page boundaries), %zu requests\n",
              produced_.records.size(), corpus.ids.size(), duplicates, server_->RequestsTo(kSearchPath).size());
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, corpus.max_id);
}

// Point 2: a 200 that cannot be mapped (HTML, invalid JSON, `meta` of the wrong type) is asked for
// again; the poll goes on once it is good.
TEST_F(SearchModeTest, AnUnreadablePageIsRequestedAgainWithBackoffAndThePollGoesOn) {
  FakeSearchIndex* index = ServeIndex();
  const RecordedCorpus corpus = IndexRecordedPages(index);
  SetNow(corpus.newest + absl::Minutes(10));
  const std::vector<ScriptedResponse> bad = {
      ScriptedResponse{.status = 200, .headers = {{"content-type", "text/html"}}, .body = "<html><body>Over capacity</body></html>"},
      ScriptedResponse{.status = 200, .body = R"({"data":[{"id":"1","text":"x"}],"meta":{"newest_id":)"},
      ScriptedResponse{.status = 200, .body = R"({"data":[],"meta":"result_count=100"})"}};
  auto attempts = std::make_shared<std::atomic<int>>(0);
  index->set_hook([&bad, attempts](const RecordedRequest& request, ScriptedResponse* response) {
    if (request.Param("next_token").empty()) return;
    const int n = attempts->fetch_add(1);
    if (n < static_cast<int>(bad.size())) *response = bad[n];
  });
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(corpus.oldest - absl::Minutes(1));
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ProducedIds(), corpus.ids);
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 5u);  // page 1, page 2 three times bad, then good
  EXPECT_THAT(clock_.Sleeps(), ::testing::ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4)));
  EXPECT_EQ(summary.bad_pages, 3);
  EXPECT_EQ(summary.skipped, 0);
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, corpus.max_id);
  const std::string json = app_->status().ToJson("t");
  EXPECT_THAT(json, ::testing::HasSubstr("/2/tweets/search/recent?query="));  // the page's URL, in last_errors
  EXPECT_THAT(json, ::testing::Not(::testing::HasSubstr(kToken)));
}

// Point 2: a page that stays bad ends the poll without moving the cursor past it; the next run reads it.
TEST_F(SearchModeTest, APageThatStaysUnreadableEndsThePollWithoutAdvancingTheCursor) {
  FakeSearchIndex* index = ServeIndex();
  const RecordedCorpus corpus = IndexRecordedPages(index);
  SetNow(corpus.newest + absl::Minutes(10));
  auto broken = std::make_shared<std::atomic<bool>>(true);
  index->set_hook([broken](const RecordedRequest& request, ScriptedResponse* response) {
    if (!request.Param("next_token").empty() && broken->load()) {
      *response = ScriptedResponse{.status = 200, .headers = {{"content-type", "text/html"}}, .body = "<html>maintenance</html>"};
    }
  });
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(corpus.oldest - absl::Minutes(1));
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  EXPECT_FALSE(status.ok()) << "a one-shot run that could not read everything must say so";
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("/2/tweets/search/recent"));
  const size_t first_run = produced_.records.size();
  EXPECT_EQ(first_run, 100u);
  EXPECT_EQ(summary.bad_pages, 4);  // asked 4 times in all
  tweetstream::connector::v1::ConnectorStatus proto;
  app_->status().FillProto(&proto);
  EXPECT_EQ(proto.source().bad_pages(), 4);
  EXPECT_THAT(proto.source().backlog(), ::testing::HasSubstr("still to be read"));
  auto cursor = SavedCursor(config);
  // Whatever was saved, its floor is not the newest id of page 1 (that would skip page 2 for good).
  if (cursor.has_value()) {
    EXPECT_TRUE(cursor->newest_id.empty()) << cursor->newest_id;
  }
  EXPECT_THAT(app_->status().ToJson("t"), ::testing::HasSubstr("/2/tweets/search/recent?query="));

  // The page is readable again: the restarted source (same cursor store) reads what is missing.
  broken->store(false);
  source::SourceSummary again;
  status = RunSource(config, &again);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ProducedIds(), corpus.ids);
  cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, corpus.max_id);
}

// Point 3: a cursor older than the 7-day window makes X answer 400; the source continues from the
// oldest time the API allows and reports the gap.
TEST_F(SearchModeTest, ACursorOlderThanTheWindowContinuesFromTheOldestAllowedTimeAndReportsTheGap) {
  SetNow(kNow);
  FakeSearchIndex* index = ServeIndex();
  index->AddUser("42", kUser42);
  int seq = 0;
  for (absl::Duration age : {absl::Hours(24 * 8), absl::Hours(24 * 6), absl::Hours(48), absl::Hours(47), absl::Hours(1),
                             absl::Minutes(10)}) {
    index->Add(TweetAt(kNow - age, ++seq));
  }
  const absl::Time cursor_time = kNow - absl::Hours(24 * 8 + 1);
  const std::string old_id = SnowflakeId(cursor_time, 0);
  seed_cursor_ = source::Cursor{old_id, common::Rfc3339Seconds(cursor_time)};
  auto config = Config();
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  const absl::Time window_start = kNow - absl::Hours(24 * 7) + absl::Minutes(5);
  EXPECT_EQ(ProducedIds(), index->IdsBetween(window_start, kNow));
  EXPECT_EQ(ProducedIds().size(), 5u);
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].Param("since_id"), old_id);
  EXPECT_EQ(requests[1].Param("since_id"), "");
  EXPECT_EQ(requests[1].Param("start_time"), common::Rfc3339Seconds(window_start));
  const std::string json = app_->status().ToJson("t");
  EXPECT_THAT(json, ::testing::HasSubstr(common::Rfc3339Seconds(cursor_time)));   // the gap from ...
  EXPECT_THAT(json, ::testing::HasSubstr(common::Rfc3339Seconds(window_start)));  // ... to
  EXPECT_THAT(json, ::testing::HasSubstr(R"("state":"STOPPED")"));
  EXPECT_EQ(summary.window_gaps, 1);
  EXPECT_EQ(summary.window_gap_seconds, absl::ToInt64Seconds(window_start - cursor_time));
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, SnowflakeId(kNow - absl::Minutes(10), 6));
}

// Point 3 with point 1: the backlog of an interrupted poll that aged out of the window. What that poll
// read (down to until_id) is not read again; the gap reported is the part it never reached.
TEST_F(SearchModeTest, ABacklogOlderThanTheWindowIsReportedAsTheGapAndThePollContinuesAfterItsHead) {
  SetNow(kNow);
  FakeSearchIndex* index = ServeIndex();
  index->AddUser("42", kUser42);
  int seq = 0;
  for (absl::Duration age : {absl::Hours(24 * 8 + 12), absl::Hours(24 * 6 + 12), absl::Hours(24 * 5), absl::Hours(1)}) {
    index->Add(TweetAt(kNow - age, ++seq));
  }
  const absl::Time floor_time = kNow - absl::Hours(24 * 9), until_time = kNow - absl::Hours(24 * 8),
                   head_time = kNow - absl::Hours(24 * 6);
  seed_cursor_ = source::Cursor{SnowflakeId(floor_time, 0), "", "", SnowflakeId(until_time, 0), SnowflakeId(head_time, 0)};
  auto config = Config();
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  // Only what is newer than the head: the tweet between until_id and the head was read before.
  EXPECT_EQ(ProducedIds(), index->IdsBetween(head_time, kNow));
  EXPECT_EQ(ProducedIds().size(), 2u);
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].Param("until_id"), SnowflakeId(until_time, 0));
  EXPECT_EQ(requests[1].Param("since_id"), SnowflakeId(head_time, 0));
  EXPECT_EQ(requests[1].Param("until_id"), "");
  const std::string json = app_->status().ToJson("t");
  EXPECT_THAT(json, ::testing::HasSubstr(absl::StrCat("the tweets from ", common::Rfc3339Seconds(floor_time), " to ", common::Rfc3339Seconds(until_time))));
  EXPECT_EQ(summary.window_gaps, 1);
  EXPECT_EQ(summary.window_gap_seconds, 24 * 3600);
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, SnowflakeId(kNow - absl::Hours(1), 4));
  EXPECT_TRUE(cursor->until_id.empty());
}

// Point 2 while polling: the poll that meets a page that stays bad ends (DEGRADED), the next poll
// reads that page and the rest; nothing is skipped and the run ends well.
TEST_F(SearchModeTest, WhilePollingThePageThatStayedUnreadableIsReadByTheNextPoll) {
  FakeSearchIndex* index = ServeIndex();
  const RecordedCorpus corpus = IndexRecordedPages(index);
  SetNow(corpus.newest + absl::Minutes(10));
  auto bad_left = std::make_shared<std::atomic<int>>(4);  // exactly one poll's attempts
  index->set_hook([bad_left](const RecordedRequest& request, ScriptedResponse* response) {
    if (!request.Param("next_token").empty() && bad_left->fetch_sub(1) > 0) {
      *response = ScriptedResponse{.status = 200, .body = R"({"data":[],"meta":["not","an","object"]})"};
    }
  });
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(corpus.oldest - absl::Minutes(1));
  config.poll_interval = std::chrono::seconds(60);
  config.max_polls = 3;
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ProducedIds(), corpus.ids);
  EXPECT_EQ(summary.bad_pages, 4);
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_GE(requests.size(), 6u);
  EXPECT_NE(requests[5].Param("end_time"), "");  // poll 2 resumed below page 1 (a time range ends at a time)
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, corpus.max_id);
}

// Point 3: the same for a --start-time older than the window.
TEST_F(SearchModeTest, AStartTimeOlderThanTheWindowContinuesFromTheOldestAllowedTimeAndReportsTheGap) {
  SetNow(kNow);
  FakeSearchIndex* index = ServeIndex();
  index->AddUser("42", kUser42);
  index->Add(TweetAt(kNow - absl::Hours(24 * 6), 1));
  index->Add(TweetAt(kNow - absl::Hours(2), 2));
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(kNow - absl::Hours(24 * 10));
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ProducedIds(), index->IdsBetween(kNow - absl::Hours(24 * 7), kNow));
  const absl::Time window_start = kNow - absl::Hours(24 * 7) + absl::Minutes(5);
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].Param("start_time"), config.start_time);
  EXPECT_EQ(requests[1].Param("start_time"), common::Rfc3339Seconds(window_start));
  const std::string json = app_->status().ToJson("t");
  EXPECT_THAT(json, ::testing::HasSubstr(config.start_time));
  EXPECT_THAT(json, ::testing::HasSubstr(common::Rfc3339Seconds(window_start)));
  EXPECT_EQ(summary.window_gaps, 1);
  // The configured start is not used again once a cursor exists.
  auto cursor = SavedCursor(config);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, SnowflakeId(kNow - absl::Hours(2), 2));
}

// Point 3: --start-time is used only until a cursor exists; an empty poll saves a time.
TEST_F(SearchModeTest, AnEmptyPollSavesATimeSoTheNextPollDoesNotReuseTheConfiguredStart) {
  SetNow(kNow);
  FakeSearchIndex* index = ServeIndex();
  index->AddUser("42", kUser42);
  // Created 20 s before the first poll: X's index does not show it yet (the poll asks up to a minute
  // before the request), the second poll does.
  index->Add(TweetAt(kNow - absl::Seconds(20), 1));
  auto config = Config();
  config.start_time = common::Rfc3339Seconds(kNow - absl::Hours(1));
  config.poll_interval = std::chrono::seconds(60);
  config.max_polls = 2;
  source::SourceSummary summary;
  absl::Status status = RunSource(config, &summary);
  ASSERT_TRUE(status.ok()) << status;
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].Param("start_time"), config.start_time);
  EXPECT_EQ(requests[0].Param("end_time"), common::Rfc3339Seconds(kNow - absl::Seconds(60)));
  EXPECT_EQ(requests[1].Param("start_time"), requests[0].Param("end_time"));  // where poll 1 ended
  EXPECT_THAT(ProducedIds(), ::testing::ElementsAre(SnowflakeId(kNow - absl::Seconds(20), 1)));
  EXPECT_EQ(summary.window_gaps, 0);

  // 8 days later (the configured start long outside the window) a restart does not fail.
  SetNow(kNow + absl::Hours(24 * 8));
  index->Add(TweetAt(kNow + absl::Hours(24 * 8) - absl::Hours(1), 2));
  config.poll_interval = std::chrono::milliseconds(0);
  source::SourceSummary later;
  status = RunSource(config, &later);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(ProducedIds().size(), 2u);
  EXPECT_EQ(later.window_gaps, 1);  // the 8 days without a poll, reported
}

// Point 4: no cursor and no --start-time: the first poll reads the initial lookback (1 h), not 7 days.
TEST_F(SearchModeTest, AFirstPollWithoutCursorOrStartTimeReadsOnlyTheInitialLookback) {
  SetNow(kNow);
  FakeSearchIndex* index = ServeIndex();
  index->AddUser("42", kUser42);
  int seq = 0;
  for (absl::Duration age : {absl::Hours(50), absl::Hours(3), absl::Minutes(61), absl::Minutes(50), absl::Minutes(10)}) {
    index->Add(TweetAt(kNow - age, ++seq));
  }
  source::SourceSummary summary;
  absl::Status status = RunSource(Config(), &summary);
  ASSERT_TRUE(status.ok()) << status;
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Param("start_time"), common::Rfc3339Seconds(kNow - absl::Hours(1)));
  EXPECT_EQ(ProducedIds(), index->IdsBetween(kNow - absl::Hours(1), kNow));
  EXPECT_EQ(ProducedIds().size(), 2u);
}

TEST(SearchConfigTest, InitialLookbackMustBeWithinTheWindow) {
  source::SourceConfig config;
  config.mode = "search";
  config.query = "kafka";
  config.x_api.bearer_token = "t";
  EXPECT_TRUE(config.Validate().ok());
  EXPECT_EQ(config.initial_lookback, std::chrono::hours(1));
  config.initial_lookback = std::chrono::hours(24 * 8);
  EXPECT_THAT(std::string(config.Validate().message()), ::testing::HasSubstr("initial-lookback"));
  config.initial_lookback = std::chrono::milliseconds(0);
  EXPECT_FALSE(config.Validate().ok());
}

// The cursor's JSON: what earlier versions wrote still loads; the backlog round-trips; a plain
// cursor is written exactly as before.
TEST(CursorJsonTest, OldValuesLoadAndTheBacklogRoundTrips) {
  auto old = source::CursorFromJson(R"({"newest_id":"1440716198270758914","updated_at":"2026-11-01T00:00:00.000Z"})");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->newest_id, "1440716198270758914");
  EXPECT_TRUE(old->until_id.empty() && old->head_id.empty() && old->start_time.empty());
  EXPECT_EQ(source::CursorToJson(*old), R"({"newest_id":"1440716198270758914","updated_at":"2026-11-01T00:00:00.000Z"})");
  source::Cursor backlog{"", "2026-11-01T00:00:00.000Z", "2026-10-31T23:00:00Z", "1440716198270758914", "1440716999999999999"};
  auto back = source::CursorFromJson(source::CursorToJson(backlog));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->start_time, backlog.start_time);
  EXPECT_EQ(back->until_id, backlog.until_id);
  EXPECT_EQ(back->head_id, backlog.head_id);
  // Half a backlog is no backlog (the floor alone re-reads more, never less).
  auto half = source::CursorFromJson(R"({"newest_id":"5","updated_at":"","until_id":"3"})");
  ASSERT_TRUE(half.has_value());
  EXPECT_TRUE(half->until_id.empty());
  EXPECT_FALSE(source::CursorFromJson(R"({"updated_at":"x"})").has_value());
}

TEST(SearchConfigTest, MissingBearerTokenIsAClearErrorAtStart) {
  source::SourceConfig config;
  config.mode = "search";
  config.query = "kafka";
  absl::Status status = config.Validate();
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("X_BEARER_TOKEN"));
}

}  // namespace
}  // namespace tweetstream::testing
