// --mode=replay: recorded files split into bodies with their line numbers, keep-alives skipped, the
// rate held (on a fake clock), bad bodies reported and skipped while the rest flows.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"
#include "source-connector/replay_reader.h"
#include "source-connector/source_app.h"
#include "tests/common/fake_producer.h"
#include "tests/common/test_util.h"

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
