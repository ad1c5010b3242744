// --mode=replay: recorded files split into bodies with their line numbers, keep-alives skipped, the
// rate held (on a fake clock), bad bodies reported and skipped while the rest flows.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"
#include "source-connector/replay_reader.h"
#include "source-connector/source_app.h"
#include "tests/fakes/fake_producer.h"
#include "tests/common/test_util.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::testing {
namespace {

TEST(ReplayReaderTest, StreamCaptureIsSplitOnCrlfWithKeepAlivesSkipped) {
  auto file = source::ReadReplayFile(FixturePath("stream-filtered-raw-crlf-2021-02-10.txt"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->bodies.size(), 3u);
  EXPECT_GE(file->keep_alive_lines, 1);
  for (const auto& body : file->bodies) {
    EXPECT_TRUE(absl::StartsWith(body.body, "{")) << body.where;
    EXPECT_FALSE(absl::EndsWith(body.body, "\r")) << body.where;
  }
}

TEST(ReplayReaderTest, PrettyPrintedPageIsOneBodyAndJsonlIsOneBodyPerLine) {
  auto page = source::ReadReplayFile(FixturePath("rules-get-twittered-2020-08-26.json"));  // pretty-printed
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->bodies.size(), 1u);
  auto lines = source::ReadReplayFile(FixturePath("stream-filtered-twarc-2021-04-01-truncated-tail.jsonl"));
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->bodies.size(), 8u);
  EXPECT_TRUE(absl::EndsWith(lines->bodies[7].where, ":8"));
}

TEST(ReplayReaderTest, MissingPathIsNamed) {
  auto files = source::ExpandReplayPaths({"/nonexistent/replay.json"});
  EXPECT_TRUE(absl::IsNotFound(files.status()));
  EXPECT_THAT(std::string(files.status().message()), ::testing::HasSubstr("/nonexistent/replay.json"));
}

// ReplayFileReader (the replay's streamed reader) against ReadReplayFile (the whole file at once) on
// every body of `path`: the same bodies, `where`s and keep-alive count.
void ExpectSameBodies(const std::string& path) {
  SCOPED_TRACE(path);
  auto whole = source::ReadReplayFile(path);
  ASSERT_TRUE(whole.ok()) << whole.status();
  auto reader = source::ReplayFileReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  source::ReplayBody body;
  size_t i = 0;
  while (true) {
    auto more = (*reader)->Next(&body);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ASSERT_LT(i, whole->bodies.size());
    EXPECT_EQ(body.where, whole->bodies[i].where);
    ASSERT_EQ(body.body, whole->bodies[i].body) << body.where;
    ++i;
  }
  EXPECT_EQ(i, whole->bodies.size());
  EXPECT_EQ((*reader)->keep_alive_lines(), whole->keep_alive_lines);
  auto again = (*reader)->Next(&body);  // the end stays the end
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/replay-reader-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ReplayReaderTest, StreamedReaderGivesTheBodiesOfReadReplayFileOnEveryFixtureAndSample) {
  int files = 0;
  for (const char* suffix : {".json", ".jsonl", ".txt"}) {
    for (const std::string& name : FixtureFiles(suffix)) {
      ExpectSameBodies(FixturePath(name));
      ++files;
    }
  }
  auto samples = source::ExpandReplayPaths({SourceDir() + "/samples"});
  ASSERT_TRUE(samples.ok());
  for (const std::string& path : *samples) {
    ExpectSameBodies(path);
    ++files;
  }
  EXPECT_GT(files, 10);
}

TEST(ReplayReaderTest, StreamedReaderGivesTheBodiesOfReadReplayFileOnEdgeCases) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"blank", " \r\n\n\t\n"},
      {"one-line", R"({"a":1})"},
      {"one-line-newline", "{\"a\":1}\n"},                 // one object, then blanks: one document
      {"one-line-blanks", "\n\n  {\"a\":1} \r\n \n\n"},
      {"pretty", "{\n  \"a\": [\n    1\n  ]\n}\n"},
      {"not-an-object-first", "[1]\n{\"a\":1}\n"},         // first line not {...}: one document
      {"crlf-keepalives", "\r\n\r\n{\"a\":1}\r\n\r\n{\"b\":2}\r\n\r\n"},
      {"no-final-newline", "{\"a\":1}\n\n{\"b\":2}"},
      {"final-cr", "{\"a\":1}\n{\"b\":2}\r"},
      {"blank-last-line", "{\"a\":1}\n{\"b\":2}\n   "},
  };
  for (const auto& [name, content] : cases) ExpectSameBodies(WriteTemp(name, content));

  // Many short lines over several reads of the buffer (bodies cut by every read), then lines longer
  // than the buffer (it grows), then short ones again.
  std::string lines;
  for (int i = 0; i < 30000; ++i) {
    absl::StrAppend(&lines, "{\"n\":", i, ",\"pad\":\"", std::string(static_cast<size_t>(i % 97), 'p'), "\"}",
                    i % 5 == 0 ? "\r\n" : "\n", i % 7 == 0 ? "\n" : "");
  }
  for (size_t size : {size_t{1} << 20, size_t{3} << 20, size_t{700} << 10}) {
    absl::StrAppend(&lines, "{\"big\":\"", std::string(size, 'b'), "\"}\n");
  }
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&lines, "{\"after\":", i, "}\n");
  ExpectSameBodies(WriteTemp("long", lines));
  // A pretty-printed document larger than the buffer: one body.
  ExpectSameBodies(WriteTemp("big-pretty", "{\n\"big\": \"" + std::string(size_t{3} << 20, 'x') + "\"\n}\n"));
}

TEST(ReplayReaderTest, StreamedReaderReadsAPipe) {
  const std::string fifo = ::testing::TempDir() + "/replay-reader-fifo-" + std::to_string(getpid());
  ::unlink(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string content;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&content, "{\"n\":", i, "}\r\n", i % 3 == 0 ? "\r\n" : "");
  std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << content; });
  auto reader = source::ReplayFileReader::Open(fifo);
  ASSERT_TRUE(reader.ok()) << reader.status();
  source::ReplayBody body;
  int n = 0;
  while (true) {
    auto more = (*reader)->Next(&body);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    EXPECT_EQ(body.body, absl::StrCat("{\"n\":", n, "}"));
    EXPECT_EQ(body.where, absl::StrCat(fifo, ":", n + 1 + (n + 2) / 3));  // line numbers count the keep-alives
    ++n;
  }
  writer.join();
  ::unlink(fifo.c_str());
  EXPECT_EQ(n, 20000);
  EXPECT_EQ((*reader)->keep_alive_lines(), 6667);
}

TEST(ReplayModeTest, EveryRecordIsKeyedByItsTweetIdAndCarriesTheEnvelopeHeaders) {
  FakeProducer::Shared produced;
  source::SourceConfig config;
  config.mode = "replay";
  config.replay_files = {SourceDir() + "/samples"};
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced), std::move(*http));
  ASSERT_TRUE(app.ok());
  source::SourceSummary summary;
  ASSERT_TRUE((*app)->Run(&summary).ok());
  ASSERT_EQ(produced.records.size(), 70u);
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"content-type", "application/x-protobuf"}, {"schema", "tweetstream.tweet.v1.TweetEnvelope"}};
  for (const auto& record : produced.records) {
    EXPECT_EQ(record.topic, "twitter-stream");
    EXPECT_EQ(record.headers, headers);
    ASSERT_TRUE(record.value.has_value());
    tweet::v1::TweetEnvelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(*record.value));
    EXPECT_EQ(record.key, envelope.tweet().id());
    EXPECT_EQ(envelope.ingestion().mode(), "replay");
    EXPECT_TRUE(absl::StartsWith(envelope.ingestion().origin(), SourceDir() + "/samples/"))
        << envelope.ingestion().origin();
  }
}

TEST(ReplayModeTest, HoldsTheRateAndReplaysTheProjectsSamples) {
  common::FakeClock clock;
  const absl::Time start = clock.Now();
  FakeProducer::Shared produced;
  source::SourceConfig config;
  config.mode = "replay";
  config.replay_files = {SourceDir() + "/samples"};
  config.rate = 10;  // tweets per second
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced), std::move(*http), nullptr,
                                           &clock);
  ASSERT_TRUE(app.ok());
  source::SourceSummary summary;
  ASSERT_TRUE((*app)->Run(&summary).ok());
  ASSERT_EQ(summary.tweets, 70);  // 3 pages of 20 + 10 stream events
  EXPECT_EQ(produced.records.size(), 70u);
  EXPECT_EQ(clock.Now() - start, absl::Seconds(7));  // 70 tweets at 10/s
  EXPECT_EQ(summary.skipped, 0);
}

TEST(ReplayModeTest, ABadBodyIsSkippedWithItsLineAndTheRestFlows) {
  FakeProducer::Shared produced;
  source::SourceConfig config;
  config.mode = "replay";
  config.replay_files = {FixturePath("stream-filtered-twarc-2021-04-01-truncated-tail.jsonl")};
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced), std::move(*http));
  ASSERT_TRUE(app.ok());
  source::SourceSummary summary;
  ASSERT_TRUE((*app)->Run(&summary).ok());
  EXPECT_EQ(summary.tweets, 7);
  EXPECT_EQ(summary.skipped, 1);
  EXPECT_EQ(summary.delivered, 7);
}


// Takes records like FakeProducer; when the `at`-th record arrives it calls `on_record` (on Run()'s
// thread) and, when `fail` is set, refuses that record.
class TrippingProducer : public FakeProducer {
 public:
  TrippingProducer(Shared* shared, size_t at, bool fail, std::function<void()> on_record)
      : FakeProducer(shared), shared_(shared), at_(at), fail_(fail), on_record_(std::move(on_record)) {}
  absl::Status Produce(common::ProducerRecord record) override {
    if (shared_->records.size() + 1 == at_) {
      on_record_();
      if (fail_) return absl::UnavailableError("produce refused by the test");
    }
    return FakeProducer::Produce(std::move(record));
  }

 private:
  Shared* shared_;
  size_t at_;
  bool fail_;
  std::function<void()> on_record_;
};

// The keys of one pass over the project's samples, in replay order.
std::vector<std::string> OnePassKeys() {
  FakeProducer::Shared produced;
  source::SourceConfig config;
  config.mode = "replay";
  config.replay_files = {SourceDir() + "/samples"};
  auto http = common::CurlHttpClient::Create();
  auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced), std::move(*http));
  source::SourceSummary summary;
  EXPECT_TRUE(app.ok() && (*app)->Run(&summary).ok());
  std::vector<std::string> keys;
  for (const auto& record : produced.records) keys.push_back(record.key);
  return keys;
}

// A stop (or a producer error) in the middle of an endless replay: Run() returns promptly, and what
// was produced is a prefix of the replay order with no gap.
void StopInTheMiddle(bool fail) {
  const std::vector<std::string> pass = OnePassKeys();
  ASSERT_EQ(pass.size(), 70u);
  FakeProducer::Shared produced;
  source::SourceConfig config;
  config.mode = "replay";
  config.replay_files = {SourceDir() + "/samples"};
  config.loop = true;  // never ends by itself
  source::SourceApp* app_ptr = nullptr;
  std::chrono::steady_clock::time_point tripped;
  constexpr size_t kAt = 5000;  // ~71 passes over the samples
  auto producer = std::make_unique<TrippingProducer>(&produced, kAt, fail, [&] {
    tripped = std::chrono::steady_clock::now();
    app_ptr->RequestStop();
  });
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::move(producer), std::move(*http));
  ASSERT_TRUE(app.ok());
  app_ptr = app->get();
  source::SourceSummary summary;
  const absl::Status status = (*app)->Run(&summary);
  const auto returned = std::chrono::steady_clock::now();
  if (fail) {
    EXPECT_TRUE(absl::IsUnavailable(status)) << status;
    EXPECT_EQ(produced.records.size(), kAt - 1);  // everything before the refused record
  } else {
    ASSERT_TRUE(status.ok()) << status;
    // The stop takes effect after the current body: at most one search page (20 tweets) more.
    EXPECT_GE(produced.records.size(), kAt);
    EXPECT_LE(produced.records.size(), kAt + 20);
    EXPECT_EQ(summary.delivered, static_cast<int64_t>(produced.records.size()));
  }
  EXPECT_EQ(summary.tweets, static_cast<int64_t>(produced.records.size()));
  for (size_t i = 0; i < produced.records.size(); ++i) {
    ASSERT_EQ(produced.records[i].key, pass[i % pass.size()]) << "record " << i;
  }
  EXPECT_LT(returned - tripped, std::chrono::seconds(2));
}

TEST(ReplayModeTest, AStopInALongReplayDeliversAPrefixAndReturnsPromptly) { StopInTheMiddle(/*fail=*/false); }

TEST(ReplayModeTest, AProducerErrorInALongReplayStopsItAndKeepsAPrefix) { StopInTheMiddle(/*fail=*/true); }

}  // namespace
}  // namespace tweetstream::testing
