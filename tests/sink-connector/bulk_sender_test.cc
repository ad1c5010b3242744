// BulkSender over an in-memory Elasticsearch (tests/fakes/fake_es.h): the ordering rules that only
// timing shows — a delete by query (carrying no version) never overtakes an earlier bulk, nor is it
// overtaken — and the bisection of a request-level 400. Unit: no sockets.

#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sink-connector/bulk_request.h"
#include "sink-connector/bulk_sender.h"
#include "tests/fakes/fake_es.h"

namespace tweetstream::testing {
namespace {

std::unique_ptr<sink::SinkItem> IndexItem(int64_t offset, const std::string& id) {
  auto item = std::make_unique<sink::SinkItem>();
  item->tp = {"t", 0};
  item->offset = offset;
  item->id = id;
  item->action = sink::ActionLine("index", "twitter-2026.12", id, offset);
  item->document = absl::StrCat(R"({"id":")", id, R"("})");
  return item;
}

std::unique_ptr<sink::SinkItem> DeleteByQueryItem(int64_t offset, const std::string& id) {
  auto item = std::make_unique<sink::SinkItem>();
  item->tp = {"t", 0};
  item->offset = offset;
  item->id = id;
  item->is_delete = true;  // no action line: a delete by query (date-pattern index)
  return item;
}

std::string AllCreated(const std::string& body) {
  std::string out;
  for (size_t i = 0; i + 1 < static_cast<size_t>(std::count(body.begin(), body.end(), '\n')); i += 2) out += "201\n";
  return out;
}

class BulkSenderTest : public ::testing::Test {
 protected:
  std::unique_ptr<sink::BulkSender> MakeSender(int workers) {
    std::vector<std::unique_ptr<sink::EsApi>> clients;
    for (int i = 0; i < workers; ++i) clients.push_back(std::make_unique<FakeEs>(&es_));
    sink::BulkSenderOptions options;
    options.index_prefix = "twitter-";
    options.retry_backoff_initial = std::chrono::milliseconds(10);
    options.retry_backoff_max = std::chrono::milliseconds(20);
    return std::make_unique<sink::BulkSender>(
        options, std::move(clients), &status_,
        [this](std::vector<sink::ItemOutcome> outcomes) {
          absl::MutexLock lock(&mu_);
          for (auto& o : outcomes) outcomes_.push_back(std::move(o));
        },
        [](const absl::Status&) {});
  }
  size_t Outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_.size();
  }
  bool WaitOutcomes(size_t n) {
    for (int i = 0; i < 500 && Outcomes() < n; ++i) absl::SleepFor(absl::Milliseconds(10));
    return Outcomes() >= n;
  }

  FakeEs::Shared es_;
  sink::SinkStatus status_;
  absl::Mutex mu_;
  std::vector<sink::ItemOutcome> outcomes_;
};

TEST_F(BulkSenderTest, ADeleteByQueryWaitsForEarlierBulksAndLaterOnesWaitForIt) {
  absl::Notification release_first;
  std::atomic<bool> first_in_progress{false}, dbq_during_first{false}, later_during_dbq{false};
  std::atomic<bool> dbq_in_progress{false};
  es_.handler = [&](const FakeEs::Call& call) -> absl::StatusOr<common::HttpResponse> {
    if (absl::StrContains(call.path, "_delete_by_query")) {
      if (first_in_progress.load()) dbq_during_first.store(true);
      dbq_in_progress.store(true);
      absl::SleepFor(absl::Milliseconds(100));
      dbq_in_progress.store(false);
      return common::HttpResponse{200, {}, R"({"deleted":1})"};
    }
    if (absl::StrContains(call.body, "\"100\"")) {
      first_in_progress.store(true);
      release_first.WaitForNotificationWithTimeout(absl::Seconds(5));
      first_in_progress.store(false);
    } else if (dbq_in_progress.load()) {
      later_during_dbq.store(true);
    }
    return common::HttpResponse{200, {}, AllCreated(call.body)};
  };
  auto sender = MakeSender(3);
  auto a = std::make_unique<sink::BulkBatch>();
  a->items.push_back(IndexItem(0, "100"));
  sender->Submit(std::move(a));
  for (int i = 0; i < 200 && !first_in_progress.load(); ++i) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(first_in_progress.load());
  auto b = std::make_unique<sink::BulkBatch>();
  b->items.push_back(DeleteByQueryItem(1, "100"));
  (void)sink::TakeSuperseded(b.get());  // marks it exclusive
  ASSERT_TRUE(b->exclusive);
  sender->Submit(std::move(b));
  auto c = std::make_unique<sink::BulkBatch>();
  c->items.push_back(IndexItem(2, "101"));
  sender->Submit(std::move(c));
  absl::SleepFor(absl::Milliseconds(150));  // two idle workers could take b and c now
  EXPECT_EQ(es_.Calls().size(), 1u) << "the delete by query (or what follows it) overtook the slow bulk";
  release_first.Notify();
  ASSERT_TRUE(WaitOutcomes(3));
  sender->Stop();
  EXPECT_FALSE(dbq_during_first.load());
  EXPECT_FALSE(later_during_dbq.load());
  auto calls = es_.Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_TRUE(absl::StrContains(calls[1].path, "_delete_by_query"));
  EXPECT_TRUE(absl::StrContains(calls[2].body, "\"101\""));
}

TEST_F(BulkSenderTest, ARequestLevel400IsBisectedToTheOneItemAtFault) {
  es_.handler = [&](const FakeEs::Call& call) -> absl::StatusOr<common::HttpResponse> {
    if (absl::StrContains(call.body, "\"bad\"")) {
      return common::HttpResponse{400, {}, R"({"error":{"type":"parse_exception","reason":"scripted"},"status":400})"};
    }
    return common::HttpResponse{200, {}, AllCreated(call.body)};
  };
  auto sender = MakeSender(1);
  auto batch = std::make_unique<sink::BulkBatch>();
  for (int i = 0; i < 16; ++i) batch->items.push_back(IndexItem(i, i == 11 ? "bad" : absl::StrCat(300 + i)));
  sender->Submit(std::move(batch));
  ASSERT_TRUE(WaitOutcomes(16));
  sender->Stop();
  absl::MutexLock lock(&mu_);
  int rejected = 0;
  for (const auto& o : outcomes_) {
    if (o.kind == sink::ItemOutcome::kRejected) {
      ++rejected;
      EXPECT_EQ(o.item->id, "bad");
      EXPECT_EQ(o.error_class, "BulkRequestRejected");
    } else {
      EXPECT_EQ(o.kind, sink::ItemOutcome::kIndexed);
    }
  }
  EXPECT_EQ(rejected, 1);
  // log2(16) halvings on the way to the culprit: 1 + 2 * 4 requests.
  EXPECT_EQ(es_.Calls().size(), 9u);
}

}  // namespace
}  // namespace tweetstream::testing
