// --mode=replay: recorded files split into bodies with their line numbers, keep-alives skipped, the
// rate held (on a fake clock), bad bodies reported and skipped while the rest flows.

#include <string>

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

}  // namespace
}  // namespace tweetstream::testing
