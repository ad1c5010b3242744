// tweet-source (the binary) against the real Kafka broker and a local fake X API: a kill -9 in the
// middle of a poll loses nothing after a restart, the cursor survives restarts in its compacted
// topic, a rejected token fails the connector at once, and every record is a TweetEnvelope keyed
// by its tweet id.

#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/kafka_consumer.h"
#include "common/rfc3339.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_search_index.h"
#include "tests/fake_x_api/fake_stream_publisher.h"
#include "tests/fake_x_api/fake_x_api_server.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

constexpr char kSearchPath[] = "/2/tweets/search/recent";
constexpr int kPages = 30;
constexpr int kPerPage = 100;

// Tweet ids of page n (1-based), newest first across pages.
std::string IdOf(int page, int i) { return absl::StrCat(1900000000000000000LL - (page * kPerPage + i)); }

std::string PageBody(int page) {
  std::string data;
  for (int i = 0; i < kPerPage; ++i) {
    if (i) data += ",";
    data += absl::StrCat(R"({"id":")", IdOf(page, i), R"(","text":"tweet )", i, " of page ", page,
                         R"( \ud83d\ude80","author_id":"42","created_at":"2026-11-25T10:00:00.000Z"})");
  }
  std::string meta = absl::StrCat(R"("newest_id":")", IdOf(page, 0), R"(","oldest_id":")", IdOf(page, kPerPage - 1),
                                  R"(","result_count":)", kPerPage);
  if (page < kPages) absl::StrAppend(&meta, R"(,"next_token":"p)", page + 1, R"(")");
  return absl::StrCat(R"({"data":[)", data, R"(],"includes":{"users":[{"id":"42","name":"Fake","username":"fake_x"}]},"meta":{)", meta, "}}");
}

class SourceE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_ = EnvOr("TWEETSTREAM_KAFKA", "127.0.0.1:9092");
    absl::Status kafka = common::CheckKafkaReachable(kafka_, std::chrono::seconds(10));
    ASSERT_TRUE(kafka.ok()) << kafka << "\nStart the services with: scripts/services.sh start";
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    const std::string suffix = absl::StrCat(getpid(), "-", absl::ToUnixMillis(absl::Now()));
    topic_ = "e2e-source-" + suffix;
    cursor_topic_ = topic_ + "-offsets";
    status_file_ = absl::StrCat(::testing::TempDir(), "/source-status-", suffix, ".json");
  }

  std::vector<std::string> SourceArgs() {
    return {SourceBinary(), "--mode=search", "--query=#kafka", "--x-api-base-url=" + server_->base_url(),
            "--topic=" + topic_, "--cursor-topic=" + cursor_topic_, "--bootstrap-servers=" + kafka_,
            "--name=e2e-source", "--status-file=" + status_file_, "--linger-ms=5"};
  }
  std::map<std::string, std::string> Env() { return {{"X_BEARER_TOKEN", "e2e-token-abcdef"}}; }

  // Every record of the topic, from the beginning (waits until 3 s pass without a new one).
  std::vector<common::ConsumerRecord> ReadTopic() {
    common::KafkaConsumerOptions options;
    options.bootstrap_servers = kafka_;
    options.group_id = "e2e-reader-" + topic_ + absl::StrCat(absl::ToUnixMicros(absl::Now()));
    options.topics = {topic_};
    auto consumer = common::CreateKafkaConsumer(options);
    EXPECT_TRUE(consumer.ok());
    std::vector<common::ConsumerRecord> out;
    absl::Time last = absl::Now();
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() - last < absl::Seconds(3) && absl::Now() < deadline) {
      auto records = (*consumer)->Poll(1000, std::chrono::milliseconds(200));
      if (records.ok() && !records->empty()) {
        out.insert(out.end(), records->begin(), records->end());
        last = absl::Now();
      }
    }
    (void)(*consumer)->Close();
    return out;
  }

  std::string kafka_, topic_, cursor_topic_, status_file_;
  std::unique_ptr<FakeXApiServer> server_;
  absl::Mutex mu_;
  std::set<std::string> served_ ABSL_GUARDED_BY(mu_);
};

TEST_F(SourceE2eTest, KillNineMidPollThenRestartLeavesNoGapAndTheCursorSurvives) {
  std::atomic<bool> slow{true};
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    const std::string since = request.Param("since_id");
    if (!since.empty()) {
      // Only the third run comes with a since_id: nothing newer.
      return ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"};
    }
    const std::string token = request.Param("next_token");
    const int page = token.empty() ? 1 : std::stoi(token.substr(1));
    {
      absl::MutexLock lock(&mu_);
      for (int i = 0; i < kPerPage; ++i) served_.insert(IdOf(page, i));
    }
    ScriptedResponse response{200, RateLimitHeaders(450, 400, 1900000000), PageBody(page)};
    if (slow.load()) response.delay = std::chrono::milliseconds(150);
    return response;
  });

  {
    ChildProcess first(SourceArgs(), Env());
    ASSERT_TRUE(server_->WaitForRequests(10, std::chrono::seconds(60))) << first.Stderr();
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(10));
  }
  const size_t requests_before_restart = server_->RequestsTo(kSearchPath).size();
  ASSERT_LT(requests_before_restart, static_cast<size_t>(kPages)) << "the poll ended before the kill";
  slow.store(false);

  // The restart finds the backlog the killed poll saved after each page; this handler serves by
  // next_token only (it ignores the bounds), so it answers from the top again: duplicates, no gap.
  ProcessResult second = RunProcess(SourceArgs(), Env(), std::chrono::minutes(3));
  ASSERT_EQ(second.exit_code, 0) << second.err;

  // Every tweet the server served is in the topic; every record is an envelope keyed by its id.
  std::set<std::string> in_topic;
  for (const auto& record : ReadTopic()) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(record.value.has_value());
    ASSERT_TRUE(envelope.ParseFromString(*record.value)) << record.offset;
    ASSERT_EQ(record.key.value_or(""), envelope.tweet().id());
    EXPECT_EQ(envelope.author().username(), "fake_x");
    in_topic.insert(envelope.tweet().id());
  }
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(served_.size(), static_cast<size_t>(kPages * kPerPage));
    for (const auto& id : served_) EXPECT_TRUE(in_topic.count(id)) << "missing " << id;
  }

  // A third run reads the cursor from the compacted topic and continues after the newest tweet.
  const size_t before_third = server_->RequestsTo(kSearchPath).size();
  ProcessResult third = RunProcess(SourceArgs(), Env(), std::chrono::minutes(2));
  ASSERT_EQ(third.exit_code, 0) << third.err;
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), before_third + 1);
  EXPECT_EQ(requests.back().Param("since_id"), IdOf(1, 0));
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, ::testing::HasSubstr(IdOf(1, 0)));
}

// Issue 12: the real binary killed (SIGKILL) at random moments of a 40-page poll, restarted each time
// with the cursor it left: every tweet the fake index served, and every tweet it holds, ends in the
// topic; what a kill re-reads is bounded by the page being read.
TEST_F(SourceE2eTest, KilledAtRandomMomentsOfAMultiPagePollAndRestartedEveryTweetEndsInTheTopic) {
  FakeSearchIndex index([] { return absl::Now(); });
  index.AddUser("42", R"({"id":"42","name":"Fake","username":"fake_x"})");
  constexpr int kTweets = 4000;  // 40 pages of 100
  const absl::Time first = absl::Now() - absl::Minutes(40);
  std::set<std::string> all;
  for (int i = 0; i < kTweets; ++i) {
    const absl::Time t = first + absl::Milliseconds(375) * i;  // 25 minutes of tweets, the newest 15 min old
    IndexedTweet tweet;
    tweet.id = SnowflakeId(t, i);
    tweet.created_at = t;
    tweet.author_id = "42";
    tweet.json = absl::StrCat(R"({"id":")", tweet.id, R"(","text":"tweet )", i, R"( \ud83d\ude80","author_id":"42","created_at":")",
                              common::Rfc3339Millis(t), R"("})");
    all.insert(tweet.id);
    index.Add(std::move(tweet));
  }
  const unsigned seed = static_cast<unsigned>(absl::ToUnixMicros(absl::Now()) & 0xffff);
  std::mt19937 rng(seed);
  auto delay_rng = std::make_shared<std::mt19937>(seed + 1);
  auto delay_mu = std::make_shared<absl::Mutex>();
  index.set_hook([delay_rng, delay_mu](const RecordedRequest&, ScriptedResponse* response) {
    absl::MutexLock lock(delay_mu.get());
    response->delay = std::chrono::milliseconds(20 + (*delay_rng)() % 60);  // a slow API: kills land mid-page too
  });
  server_->Route("GET", kSearchPath, index.MakeHandler());
  const auto args = SourceArgs();
  auto env = Env();
  env["TWEET_SOURCE_INITIAL_LOOKBACK"] = "2h";  // the flag's environment twin: the tweets are 15-40 min old

  constexpr int kKills = 15;
  int kills = 0, runs = 0;
  const absl::Time started = absl::Now();
  for (int i = 0; i < kKills; ++i) {
    const size_t target = server_->Requests().size() + 1 + rng() % 3;  // 1 to 3 more pages, then a random moment
    ChildProcess child(args, env);
    ++runs;
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    bool reached = false;
    while (absl::Now() < deadline && !(reached = server_->WaitForRequests(target, std::chrono::milliseconds(200)))) {
      if (!child.Running()) break;
    }
    if (!reached) {
      ProcessResult r = child.Wait(std::chrono::seconds(10));
      ASSERT_EQ(r.exit_code, 0) << "the source ended before its kill:\n" << r.err;
      break;  // the backlog is read: nothing left to kill
    }
    absl::SleepFor(absl::Milliseconds(rng() % 120));  // the kill moment: anywhere in the page's read, produce, checkpoint
    child.Signal(SIGKILL);
    child.Wait(std::chrono::seconds(10));
    ++kills;
  }
  // A last run, not killed, reads what is left.
  ProcessResult last = RunProcess(args, env, std::chrono::minutes(2));
  ++runs;
  ASSERT_EQ(last.exit_code, 0) << last.err;

  std::map<std::string, int> in_topic;
  size_t records = 0;
  for (const auto& record : ReadTopic()) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(record.value.has_value());
    ASSERT_TRUE(envelope.ParseFromString(*record.value)) << record.offset;
    ASSERT_EQ(record.key.value_or(""), envelope.tweet().id());
    ++in_topic[envelope.tweet().id()];
    ++records;
  }
  const std::map<std::string, int> served = index.Served();
  int reread = 0;
  for (const auto& [id, n] : served) {
    EXPECT_TRUE(in_topic.count(id)) << "served but not in the topic: " << id;
    reread += n - 1;
  }
  for (const auto& id : all) EXPECT_TRUE(in_topic.count(id)) << "never read: " << id;
  std::printf("kill -9 test (seed %u): %d kills in %d runs, %zu X API requests, %zu tweets served %d extra time(s) "
              "(re-read after a kill), %zu records in the topic for %zu tweets, %.1f s\n",
              seed, kills, runs, server_->RequestsTo(kSearchPath).size(), served.size(), reread, records, all.size(),
              absl::ToDoubleSeconds(absl::Now() - started));
  std::fflush(stdout);
  EXPECT_GE(kills, 10) << "the poll finished too early for the test to mean much";
  // Each restart continued from the cursor (the page in flight at the kill, plus the tweets of one
  // second at a page boundary, come again), instead of starting the poll over from its first page.
  EXPECT_LE(records - all.size(), static_cast<size_t>(kills) * (100 + 2));
  // The cursor ends on the newest tweet, with no backlog left.
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, ::testing::HasSubstr(*all.rbegin()));
  EXPECT_THAT(*status, ::testing::HasSubstr(R"("backlog":"")"));
}

TEST_F(SourceE2eTest, ARejectedTokenFailsTheConnectorWithAClearMessageAndNoFurtherRequests) {
  auto body = ReadFile(FixturePath("error-401-unauthorized-2021-06.json"));
  ASSERT_TRUE(body.ok());
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{401, {}, *body}});
  auto args = SourceArgs();
  args.push_back("--poll-interval=1s");  // a polling source, which must still stop at once
  ProcessResult result = RunProcess(args, Env(), std::chrono::minutes(1));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, ::testing::HasSubstr("X_BEARER_TOKEN"));
  EXPECT_THAT(result.err, ::testing::Not(::testing::HasSubstr("e2e-token-abcdef")));
  EXPECT_EQ(server_->RequestsTo(kSearchPath).size(), 1u);
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok());
  EXPECT_THAT(*status, ::testing::HasSubstr(R"("state":"FAILED")"));
  EXPECT_THAT(*status, ::testing::HasSubstr("rejected"));
  EXPECT_THAT(*status, ::testing::Not(::testing::HasSubstr("e2e-token-abcdef")));
}

TEST_F(SourceE2eTest, StreamModeSyncsRulesReconnectsAfterACutAndLosesNoTweet) {
  auto capture = ReadFile(FixturePath("stream-filtered-twarc-2021-04-01.jsonl"));
  ASSERT_TRUE(capture.ok());
  std::vector<std::string> lines;
  std::set<std::string> expected_ids;
  for (absl::string_view line : absl::StrSplit(*capture, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
    rapidjson::Document doc;
    doc.Parse(lines.back().c_str());
    expected_ids.insert(doc["data"]["id"].GetString());
  }
  ASSERT_EQ(lines.size(), 7u);
  server_->RouteSequence("GET", "/2/tweets/search/stream/rules",
                         {ScriptedResponse{200, {}, R"({"data":[{"id":"100","value":"stale rule","tag":"e2e-source:old"},{"id":"101","value":"another app's rule","tag":"old"}],"meta":{"sent":"2026-11-25T00:00:00Z","result_count":2}})"}});
  server_->Route("POST", "/2/tweets/search/stream/rules", [](const RecordedRequest& request) {
    if (absl::StrContains(request.body, "\"delete\"")) {
      return ScriptedResponse{200, {}, R"({"meta":{"sent":"2026-11-25T00:00:00Z","summary":{"deleted":1,"not_deleted":0}}})"};
    }
    return ScriptedResponse{201, {}, R"({"data":[{"id":"200","value":"#kafka","tag":"e2e-source:e2e"}],"meta":{"sent":"2026-11-25T00:00:00Z","summary":{"created":1,"not_created":0,"valid":1,"invalid":0}}})"};
  });
  // Connection 1: three events, a keep-alive, then the connection ends in the middle of event 4.
  // Connection 2: events 4 to 7. Later connections: keep-alives only.
  std::vector<ScriptedResponse> connections(3);
  for (int i = 0; i < 3; ++i) connections[0].chunks.push_back(lines[i] + "\r\n");
  connections[0].chunks.push_back("\r\n");
  connections[0].chunks.push_back(lines[3].substr(0, lines[3].size() / 2));
  for (int i = 3; i < 7; ++i) connections[1].chunks.push_back(lines[i] + "\r\n");
  for (int i = 0; i < 40; ++i) connections[2].chunks.push_back("\r\n");
  for (auto& c : connections) c.chunk_delay = std::chrono::milliseconds(100);
  server_->RouteSequence("GET", "/2/tweets/search/stream", connections);

  // The reconnect is recovered by recent search (at once here): it finds nothing the stream did not send.
  server_->RouteSequence("GET", kSearchPath, {ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"}});
  auto args = SourceArgs();
  args[1] = "--mode=stream";
  args.push_back("--rule=#kafka");
  args.push_back("--rule-tag=e2e");
  args.push_back("--stream-idle-timeout=5s");
  args.push_back("--stream-recovery-delay=0s");
  ChildProcess source(args, Env());
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (server_->RequestsTo("/2/tweets/search/stream").size() < 3 && absl::Now() < deadline && source.Running()) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_GE(server_->RequestsTo("/2/tweets/search/stream").size(), 3u) << source.Stderr();
  absl::SleepFor(absl::Seconds(1));
  source.Signal(SIGTERM);
  ProcessResult result = source.Wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.err;

  // The rules: our stale one deleted, the configured one added (under the source's tag prefix), the
  // other app's rule left alone and counted in the status.
  auto posts = server_->RequestsTo("/2/tweets/search/stream/rules");
  bool deleted = false, added = false;
  for (const auto& r : posts) {
    if (r.method != "POST" || r.Param("dry_run") == "true") continue;
    if (absl::StrContains(r.body, "\"delete\"") && absl::StrContains(r.body, "\"100\"")) deleted = true;
    if (absl::StrContains(r.body, "\"add\"") && absl::StrContains(r.body, R"({"value":"#kafka","tag":"e2e-source:e2e"})")) added = true;
    EXPECT_FALSE(absl::StrContains(r.body, "101")) << r.body;
  }
  EXPECT_TRUE(deleted);
  EXPECT_TRUE(added);
  auto status = ReadFile(status_file_);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_THAT(*status, ::testing::HasSubstr(R"("rules":{"owned":1,"shared":0,"foreign":1,)"));

  // Every tweet the server sent is in the topic, with its matching rule.
  std::set<std::string> in_topic;
  for (const auto& record : ReadTopic()) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(record.value.value_or("")));
    EXPECT_EQ(record.key.value_or(""), envelope.tweet().id());
    ASSERT_EQ(envelope.matching_rules_size(), 1);
    EXPECT_EQ(envelope.matching_rules(0).id(), "1377649934414049282");
    EXPECT_EQ(envelope.ingestion().mode(), "stream");
    in_topic.insert(envelope.tweet().id());
  }
  EXPECT_EQ(in_topic, expected_ids);

  // The stream position was saved in the cursor topic once delivered: the newest id of the capture.
  auto cursors = common::ReadCompactedTopic(kafka_, cursor_topic_, std::chrono::seconds(20));
  ASSERT_TRUE(cursors.ok()) << cursors.status();
  auto it = cursors->find("e2e-source/stream/#kafka\te2e");
  ASSERT_NE(it, cursors->end());
  std::string newest;
  for (const auto& id : expected_ids) {
    if (id.size() > newest.size() || (id.size() == newest.size() && id > newest)) newest = id;
  }
  EXPECT_THAT(it->second, ::testing::HasSubstr(newest));
  // The reconnect after the cut was recovered with the rule's value as the query.
  const auto searches = server_->RequestsTo(kSearchPath);
  ASSERT_FALSE(searches.empty());
  EXPECT_EQ(searches[0].Param("query"), "#kafka");
}

// Issue 12, point 5: the real tweet-source in stream mode, killed with SIGKILL after its position was
// saved, and started again. What the stream "published" while no source ran is only in the recent-search
// index; the restarted source's first connection finds the saved position and recovers it by search (with
// the rule's value as the query and since_id = the position), tagged with the rule. Today the first
// connection after a restart recovers nothing. Tweet times run 2 minutes behind the wall clock (the fake
// server's timeline), so that the index shows them at once (recent search hides its last 30 s).
TEST_F(SourceE2eTest, StreamModeKilledAndRestartedRecoversWhatWasPublishedWhileItWasDown) {
  FakeSearchIndex index([] { return absl::Now(); });
  FakeStreamPublisher publisher(&index, "3001", "e2e-source:pets");
  auto tweet_time = [] { return absl::Now() - absl::Minutes(2); };
  std::set<std::string> before, during, after;
  auto publish = [&](int n, const std::string& what, std::set<std::string>* ids) {
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i) {
      std::string id;
      lines.push_back(publisher.Publish(tweet_time() + absl::Milliseconds(i), absl::StrCat(what, " ", i, " #cats"), &id));
      ids->insert(id);
    }
    return lines;
  };
  server_->Route("GET", kSearchPath, index.MakeHandler());
  server_->Route("GET", "/2/tweets/search/stream/rules", [](const RecordedRequest&) {
    return ScriptedResponse{200, {}, R"({"data":[{"id":"3001","value":"cats","tag":"e2e-source:pets"}],"meta":{"sent":"2026-12-01T00:00:00Z","result_count":1}})"};
  });
  std::atomic<int> connections{0};
  server_->Route("GET", "/2/tweets/search/stream", [&](const RecordedRequest&) {
    ScriptedResponse r;
    const int n = connections++;
    if (n == 0) r.chunks = publish(3, "before the kill", &before);
    if (n == 1) r.chunks = publish(3, "after the restart", &after);
    for (int i = 0; i < 150; ++i) r.chunks.push_back("\r\n");  // 30 s of keep-alives
    r.chunk_delay = std::chrono::milliseconds(200);
    return r;
  });
  auto args = SourceArgs();
  args[1] = "--mode=stream";
  for (const char* a : {"--rule=cats", "--rule-tag=pets", "--stream-idle-timeout=5s"}) args.push_back(a);
  auto env = Env();
  env["TWEET_SOURCE_STREAM_RECOVERY_DELAY"] = "1s";  // the flag's environment twin (an older binary ignores it)
  const absl::Time started = absl::Now();
  {
    ChildProcess first(args, env);
    // Until the position (the newest of the three) is saved: the status file names it as the cursor.
    const absl::Time deadline = absl::Now() + absl::Seconds(40);
    bool saved = false;
    while (!saved && absl::Now() < deadline && first.Running()) {
      absl::SleepFor(absl::Milliseconds(100));
      auto status = ReadFile(status_file_);
      saved = !before.empty() && status.ok() && absl::StrContains(*status, absl::StrCat(R"("newest_id":")", *before.rbegin(), R"(")"));
    }
    ASSERT_TRUE(saved) << first.Stderr();
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(10));
  }
  // Published while no source runs: only in the index.
  publish(4, "while the source was down", &during);
  ChildProcess second(args, env);
  std::set<std::string> all = publisher.Published();
  std::set<std::string> in_topic;
  std::vector<common::ConsumerRecord> records;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline && second.Running()) {
    records = ReadTopic();
    in_topic.clear();
    for (const auto& record : records) in_topic.insert(record.key.value_or(""));
    all = publisher.Published();
    if (!after.empty() && std::includes(in_topic.begin(), in_topic.end(), all.begin(), all.end())) break;
  }
  second.Signal(SIGTERM);
  ProcessResult result = second.Wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  records = ReadTopic();
  in_topic.clear();
  for (const auto& record : records) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(record.value.value_or("")));
    ASSERT_EQ(record.key.value_or(""), envelope.tweet().id());
    in_topic.insert(envelope.tweet().id());
    if (during.count(envelope.tweet().id())) {
      ASSERT_EQ(envelope.matching_rules_size(), 1);
      EXPECT_EQ(envelope.matching_rules(0).id(), "3001");
      EXPECT_EQ(envelope.matching_rules(0).tag(), "e2e-source:pets");
    }
  }
  const auto searches = server_->RequestsTo(kSearchPath);
  std::printf("stream kill -9: %zu tweets streamed before the kill, %zu published while down (index only), %zu "
              "streamed after the restart; %zu search request(s) (first since_id %s); %zu of %zu in the topic, %.1f s\n",
              before.size(), during.size(), after.size(), searches.size(),
              searches.empty() ? "-" : searches[0].Param("since_id").c_str(), in_topic.size(), all.size(),
              absl::ToDoubleSeconds(absl::Now() - started));
  std::fflush(stdout);
  EXPECT_EQ(in_topic, all);
  ASSERT_FALSE(searches.empty());
  EXPECT_EQ(searches[0].Param("query"), "cats");
  EXPECT_EQ(searches[0].Param("since_id"), *before.rbegin());
}

TEST_F(SourceE2eTest, TwoPollsPutEveryRecordedTweetIntoTheTopicExactlyOnce) {
  // Poll 1: the brexit page, then (by its next_token) the kpop page, then an empty page.
  // Poll 2 must ask for since_id = the newest id of poll 1's FIRST page, and gets the commtwitter page.
  auto brexit = ReadFile(FixturePath("recent-search-twarc-brexit-2021-09-22.json"));
  auto kpop = ReadFile(FixturePath("recent-search-twarc-kpop-2021-09-22.json"));
  auto comm = ReadFile(FixturePath("search-all-commtwitter-2021-07-04.json"));
  ASSERT_TRUE(brexit.ok() && kpop.ok() && comm.ok());
  rapidjson::Document d1, d2, d3;
  d1.Parse(brexit->c_str());
  d2.Parse(kpop->c_str());
  d3.Parse(comm->c_str());
  const std::string newest1 = d1["meta"]["newest_id"].GetString();
  const std::string token1 = d1["meta"]["next_token"].GetString();
  const std::string token2 = d2["meta"]["next_token"].GetString();
  std::multiset<std::string> expected;
  for (auto* d : {&d1, &d2, &d3}) {
    for (const auto& t : (*d)["data"].GetArray()) expected.insert(t["id"].GetString());
  }
  server_->Route("GET", kSearchPath, [&](const RecordedRequest& request) {
    const std::string since = request.Param("since_id");
    const std::string token = request.Param("next_token");
    if (since.empty() && token.empty()) return ScriptedResponse{200, {}, *brexit};
    if (since.empty() && token == token1) return ScriptedResponse{200, {}, *kpop};
    if (since == newest1 && token.empty()) return ScriptedResponse{200, {}, *comm};
    return ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"};
  });
  auto args = SourceArgs();
  args.push_back("--poll-interval=1s");
  args.push_back("--max-polls=2");
  ProcessResult result = RunProcess(args, Env(), std::chrono::minutes(2));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto requests = server_->RequestsTo(kSearchPath);
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[2].Param("next_token"), token2);
  EXPECT_EQ(requests[3].Param("since_id"), newest1);
  std::multiset<std::string> in_topic;
  for (const auto& record : ReadTopic()) {
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(record.value.value_or("")));
    EXPECT_EQ(record.key.value_or(""), envelope.tweet().id());
    in_topic.insert(envelope.tweet().id());
  }
  EXPECT_EQ(in_topic, expected);  // every tweet, each exactly once
}

}  // namespace
}  // namespace tweetstream::testing
