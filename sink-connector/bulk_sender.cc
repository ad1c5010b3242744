#include "sink-connector/bulk_sender.h"

#include <algorithm>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "sink-connector/bulk_errors.h"

namespace tweetstream::sink {

using Clock = std::chrono::steady_clock;

struct BulkSender::Worker {
  std::unique_ptr<EsApi> es;
  std::string fault_key;  // its cause in SinkStatus
  std::string last_cause;
  std::chrono::milliseconds delay{0};
  bool failed = false;  // fatal: abandon the rest of the batch
};

BulkSender::BulkSender(BulkSenderOptions options, std::vector<std::unique_ptr<EsApi>> clients, SinkStatus* status,
                       Report report, Fatal fatal)
    : options_(std::move(options)), status_(status), report_(std::move(report)), fatal_(std::move(fatal)) {
  for (size_t i = 0; i < clients.size(); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->es = std::move(clients[i]);
    worker->es->set_cancel(&abandon_);
    worker->fault_key = absl::StrCat("bulk-worker-", i);
    workers_.push_back(std::move(worker));
  }
  for (auto& worker : workers_) threads_.emplace_back([this, w = worker.get()] { Loop(w); });
}

BulkSender::~BulkSender() { Stop(); }

void BulkSender::Submit(std::unique_ptr<BulkBatch> batch) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(batch));
}

int BulkSender::InFlight() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size()) + busy_;
}

void BulkSender::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  abandon_.store(true);  // also cancels the requests in progress (EsClient::set_cancel)
  for (auto& t : threads_) t.join();
}

bool BulkSender::stopped() {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

void BulkSender::Loop(Worker* worker) {
  while (true) {
    std::unique_ptr<BulkBatch> batch;
    bool exclusive = false;
    {
      absl::MutexLock lock(&mu_);
      // FIFO; a batch with a delete by query waits until nothing else is in flight, and nothing
      // starts while it is.
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        if (stopped_) return true;
        if (queue_.empty() || exclusive_busy_) return false;
        return !queue_.front()->exclusive || busy_ == 0;
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopped and nothing left
      batch = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      exclusive = batch->exclusive;
      if (exclusive) exclusive_busy_ = true;
    }
    std::vector<ItemOutcome> outcomes = Send(worker, std::move(batch));
    report_(std::move(outcomes));
    absl::MutexLock lock(&mu_);
    --busy_;
    if (exclusive) exclusive_busy_ = false;
  }
}

bool BulkSender::Backoff(Worker* worker) {
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  const auto until = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(worker->delay.count() * jitter(rng)));
  while (Clock::now() < until) {
    if (abandon_.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  worker->delay = std::min(worker->delay * 2, options_.retry_backoff_max);
  return !abandon_.load();
}

void BulkSender::Fault(Worker* worker, const std::string& cause) {
  if (cause != worker->last_cause) {  // a new cause once, not every retry
    worker->last_cause = cause;
    status_->RecordError(cause);
  }
  status_->SetFault(worker->fault_key, cause);
}

bool BulkSender::FailIfFatal(Worker* worker, const absl::Status& s) {
  // A write block answered for the whole request is the operator's (or the disk's) doing: it clears.
  const bool fatal = absl::IsUnauthenticated(s) ||
                     (absl::IsPermissionDenied(s) && !absl::StrContains(s.message(), "cluster_block_exception"));
  if (!fatal) return false;
  worker->failed = true;
  fatal_(s);
  return true;
}

std::vector<ItemOutcome> BulkSender::Send(Worker* worker, std::unique_ptr<BulkBatch> batch) {
  std::vector<ItemOutcome> out;
  out.reserve(batch->items.size());
  worker->delay = options_.retry_backoff_initial;
  worker->failed = false;
  Items pending, by_query;
  for (auto& item : batch->items) (item->by_query() ? by_query : pending).push_back(&item);
  if (!by_query.empty()) SendDeleteByQuery(worker, std::move(by_query), &out);
  if (!pending.empty() && !worker->failed && !abandon_.load()) SendBulk(worker, std::move(pending), &out);
  // The batch is over, whatever became of it: this worker's cause is no longer current.
  worker->last_cause.clear();
  status_->ClearFault(worker->fault_key);
  // Whatever was not finished (stopping, fatal) is abandoned: it stays uncommitted.
  for (auto& item : batch->items) {
    if (item) out.push_back(ItemOutcome{std::move(item), ItemOutcome::kAbandoned, "", ""});
  }
  return out;
}

void BulkSender::SendBulk(Worker* worker, Items pending, std::vector<ItemOutcome>* out) {
  SinkCounters& counters = status_->counters();
  auto finish = [out](std::unique_ptr<SinkItem>* item, ItemOutcome::Kind kind, std::string error_class = "",
                      std::string message = "") {
    out->push_back(ItemOutcome{std::move(*item), kind, std::move(error_class), std::move(message)});
  };
  while (!pending.empty()) {
    if (abandon_.load()) return;
    std::string body;
    size_t size = 0;
    for (auto* item : pending) size += (*item)->action.size() + (*item)->document.size() + 2;
    body.reserve(size);
    for (auto* item : pending) {
      absl::StrAppend(&body, (*item)->action, "\n");
      if (!(*item)->is_delete) absl::StrAppend(&body, (*item)->document, "\n");
    }
    const auto started = Clock::now();
    auto results = worker->es->Bulk(body, pending.size());
    std::string().swap(body);  // freed now, not after the answer has been gone through
    if (options_.bulk_seconds != nullptr) {
      options_.bulk_seconds->Observe(std::chrono::duration<double>(Clock::now() - started).count());
      options_.bulk_items->Observe(static_cast<double>(pending.size()));
    }
    if (!results.ok()) {
      const absl::Status& s = results.status();
      if (absl::IsCancelled(s) || abandon_.load()) return;
      if (FailIfFatal(worker, s)) return;
      if (absl::IsResourceExhausted(s) || absl::IsInvalidArgument(s)) {
        if (pending.size() > 1) {
          // 413 (too large) or 400 (something in it is malformed): halve until the culprit stands alone.
          TS_LOG(WARNING) << "bulk of " << pending.size() << " items refused (" << s.message() << "); splitting";
          Items second(pending.begin() + static_cast<std::ptrdiff_t>(pending.size() / 2), pending.end());
          pending.resize(pending.size() / 2);
          SendBulk(worker, std::move(pending), out);
          if (worker->failed || abandon_.load()) return;
          SendBulk(worker, std::move(second), out);
          return;
        }
        // One item the server refuses as a request: that record's own fault.
        finish(pending[0], ItemOutcome::kRejected,
               absl::IsResourceExhausted(s) ? "BulkRequestTooLarge" : "BulkRequestRejected", std::string(s.message()));
        return;
      }
      counters.retried.fetch_add(1);
      Fault(worker, absl::StrCat("Elasticsearch at ", worker->es->current_url(), ": ", s.message(), "; retrying ",
                                 pending.size(), " item(s)"));
      if (!Backoff(worker)) return;
      continue;
    }
    counters.bulks.fetch_add(1);
    Items retry;
    const BulkItemResult* hold_example = nullptr;
    const BulkItemResult* busy_example = nullptr;
    size_t held = 0;
    for (size_t i = 0; i < pending.size(); ++i) {
      const BulkItemResult& r = (*results)[i];
      std::unique_ptr<SinkItem>* item = pending[i];
      switch (ClassifyItem(r, (*item)->is_delete)) {
        case ItemFault::kDone:
          finish(item, (*item)->is_delete ? ItemOutcome::kDeleted : ItemOutcome::kIndexed);
          break;
        case ItemFault::kRecord:
          finish(item, ItemOutcome::kRejected, ItemErrorClass(r), r.error_reason);
          break;
        case ItemFault::kUnknown:
          if (options_.dead_letter_unknown_errors) {
            finish(item, ItemOutcome::kRejected, ItemErrorClass(r), r.error_reason);
            break;
          }
          [[fallthrough]];
        case ItemFault::kSystem:
          if (hold_example == nullptr) hold_example = &r;
          ++held;
          retry.push_back(item);
          break;
        case ItemFault::kTransient:
          if (!IsBackPressure(r) && ++(*item)->server_errors >= options_.max_item_retries) {
            finish(item, ItemOutcome::kRejected, ItemErrorClass(r),
                   absl::StrCat("failed ", (*item)->server_errors, " times with HTTP ", r.status, ": ",
                                DescribeItemError(r)));
            break;
          }
          if (busy_example == nullptr) busy_example = &r;
          retry.push_back(item);
          break;
      }
    }
    if (retry.empty()) return;
    counters.retried.fetch_add(static_cast<int64_t>(retry.size()));
    if (hold_example != nullptr) {
      Fault(worker, absl::StrCat("Elasticsearch at ", worker->es->current_url(), " refuses to write ", held,
                                 " item(s), not through their own fault: ", DescribeItemError(*hold_example),
                                 "; holding them uncommitted and retrying"));
    } else {
      Fault(worker, absl::StrCat("Elasticsearch at ", worker->es->current_url(), " refused ", retry.size(),
                                 " item(s) for now (", DescribeItemError(*busy_example), "); retrying them"));
    }
    pending = std::move(retry);
    if (!Backoff(worker)) return;
  }
}

void BulkSender::SendDeleteByQuery(Worker* worker, Items items, std::vector<ItemOutcome>* out) {
  SinkCounters& counters = status_->counters();
  const std::string path = absl::StrCat("/", options_.index_prefix, "*/_delete_by_query?conflicts=proceed");
  while (!items.empty()) {
    if (abandon_.load()) return;
    auto response = worker->es->Request("POST", path, DeleteByQueryBody(items));
    absl::Status s = response.ok()
                         ? (response->status == 200 ? absl::OkStatus() : EsHttpError(*response, "_delete_by_query"))
                         : response.status();
    if (s.ok()) {
      for (auto* item : items) out->push_back(ItemOutcome{std::move(*item), ItemOutcome::kDeleted, "", ""});
      return;
    }
    if (absl::IsCancelled(s) || abandon_.load()) return;
    if (FailIfFatal(worker, s)) return;
    if (absl::IsInvalidArgument(s) || absl::IsResourceExhausted(s)) {
      if (items.size() > 1) {
        Items second(items.begin() + static_cast<std::ptrdiff_t>(items.size() / 2), items.end());
        items.resize(items.size() / 2);
        SendDeleteByQuery(worker, std::move(items), out);
        if (worker->failed || abandon_.load()) return;
        SendDeleteByQuery(worker, std::move(second), out);
        return;
      }
      out->push_back(ItemOutcome{std::move(*items[0]), ItemOutcome::kRejected, "DeleteRejected", std::string(s.message())});
      return;
    }
    counters.retried.fetch_add(1);
    Fault(worker, absl::StrCat("Elasticsearch at ", worker->es->current_url(), ": ", s.message(), "; retrying ",
                               items.size(), " delete(s)"));
    if (!Backoff(worker)) return;
  }
}

}  // namespace tweetstream::sink
