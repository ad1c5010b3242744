#pragma once
// The bulk workers: `max_in_flight` threads, each with its own HTTP connection, take batches, send
// them to Elasticsearch and report an outcome for every item. What happens to a refused item is
// decided by bulk_errors.h; this is where it is carried out:
//   - request failures (unreachable, timeout, 5xx, a host that is not Elasticsearch): the whole
//     request is retried with capped, jittered backoff, forever, DEGRADED with the cause;
//   - a request-level 400 or 413: the batch is bisected until the one item at fault stands alone,
//     which is then dead-lettered (one bad record cannot take 2,000 good ones with it);
//   - 401 (and a 403 that is not a write block): fatal, the sink FAILS with the reason;
//   - item errors: done, dead-lettered (the record's fault, or a 5xx repeated max_item_retries
//     times), or held and retried (back-pressure, the system's fault), see bulk_errors.h.
// A batch that holds a delete by query is sent alone (bulk_request.h). Each worker names its cause
// under its own key in SinkStatus and clears it when its batch is done, so DEGRADED always clears.
// Stop(): retries end, requests in progress are cancelled, what was not done is reported abandoned
// (it stays uncommitted), threads are joined.
// Thread-safety: Submit/InFlight/Stop from the owner's thread; reports arrive on worker threads.

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/http_client.h"
#include "common/metrics.h"
#include "sink-connector/bulk_request.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_status.h"

namespace tweetstream::sink {

struct BulkSenderOptions {
  std::string index_prefix;  // deletes by query go to "<prefix>*"
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{30000};
  int max_item_retries = 10;
  bool dead_letter_unknown_errors = false;
  common::Histogram* bulk_seconds = nullptr;  // not owned; may be null
  common::Histogram* bulk_items = nullptr;
};

class BulkSender {
 public:
  // Called on a worker thread with the outcomes of one batch (every item exactly once).
  using Report = std::function<void(std::vector<ItemOutcome>)>;
  // Called on a worker thread when Elasticsearch rejects our credentials (then items are abandoned).
  using Fatal = std::function<void(const absl::Status&)>;

  // One worker per client (each its own connection). `status` must outlive the sender.
  BulkSender(BulkSenderOptions options, std::vector<std::unique_ptr<EsApi>> clients, SinkStatus* status, Report report,
             Fatal fatal);
  ~BulkSender();

  void Submit(std::unique_ptr<BulkBatch> batch);
  // Batches queued or being sent.
  int InFlight();
  void Stop();
  bool stopped();

 private:
  using Items = std::vector<std::unique_ptr<SinkItem>*>;
  struct Worker;
  void Loop(Worker* worker);
  std::vector<ItemOutcome> Send(Worker* worker, std::unique_ptr<BulkBatch> batch);
  void SendBulk(Worker* worker, Items pending, std::vector<ItemOutcome>* out);
  void SendDeleteByQuery(Worker* worker, Items items, std::vector<ItemOutcome>* out);
  // Sleeps for the worker's backoff (±20% jitter) and doubles it; false when abandoning.
  bool Backoff(Worker* worker);
  void Fault(Worker* worker, const std::string& cause);
  // True (and the sink fails) for errors retrying cannot help: rejected credentials.
  bool FailIfFatal(Worker* worker, const absl::Status& s);

  BulkSenderOptions options_;
  SinkStatus* status_;
  Report report_;
  Fatal fatal_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<BulkBatch>> queue_ ABSL_GUARDED_BY(mu_);
  int busy_ ABSL_GUARDED_BY(mu_) = 0;
  bool exclusive_busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> abandon_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace tweetstream::sink
