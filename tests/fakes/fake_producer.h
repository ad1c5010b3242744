#pragma once
// An in-memory Producer for unit tests: keeps every record; deliveries succeed on the next
// Poll()/Flush() unless `fail_deliveries` is set.

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "absl/strings/str_cat.h"
#include "common/kafka_producer.h"

namespace tweetstream::testing {

class FakeProducer : public common::Producer {
 public:
  struct Shared {
    std::vector<common::ProducerRecord> records;
    std::atomic<bool> fail_deliveries{false};
    // Records produced so far (readable while the owner runs; `records` is not).
    std::atomic<int> produced{0};
    // Why deliveries fail while fail_deliveries is set.
    std::string failure = "fake delivery failure";
    // Deliveries are reported only by the destructor (librdkafka serves outstanding reports while a
    // producer is destroyed): for use-after-free checks of the owner's callbacks.
    std::atomic<bool> deliver_only_at_destruction{false};
    // A broker outage: while set, nothing is delivered (Poll serves nothing, Flush waits for nothing
    // and answers DEADLINE_EXCEEDED, as librdkafka's flush does with records in flight); the records
    // stay queued and are delivered once it is cleared.
    std::atomic<bool> hold_deliveries{false};
    // A stalled producer: while set, Produce() blocks (as librdkafka's full queue makes it wait).
    std::atomic<bool> block_produce{false};
    // Records with these keys fail their delivery (once each, for good), the others succeed.
    absl::Mutex mu;
    std::set<std::string> fail_keys ABSL_GUARDED_BY(mu);
    bool ShouldFail(const std::string& key) {
      absl::MutexLock lock(&mu);
      return fail_keys.count(key) > 0;
    }
  };
  explicit FakeProducer(Shared* shared) : shared_(shared) {}
  ~FakeProducer() override {
    shared_->deliver_only_at_destruction = false;
    Deliver();
  }

  absl::Status Produce(common::ProducerRecord record) override {
    while (shared_->block_produce.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++counters_.produced;
    shared_->produced.fetch_add(1);
    pending_.push_back(shared_->records.size());
    shared_->records.push_back(std::move(record));
    return absl::OkStatus();
  }
  void Poll(std::chrono::milliseconds) override {
    if (!shared_->deliver_only_at_destruction && !shared_->hold_deliveries) Deliver();
  }
  absl::Status Flush(std::chrono::milliseconds timeout) override {
    if (shared_->hold_deliveries && !pending_.empty()) {
      return absl::DeadlineExceededError(absl::StrCat(pending_.size(), " record(s) still undelivered after ",
                                                      timeout.count(), " ms (fake broker outage)"));
    }
    if (!shared_->deliver_only_at_destruction) Deliver();
    return absl::OkStatus();
  }
  common::ProducerCounters Counters() const override { return counters_; }

 private:
  void Deliver() {
    std::vector<size_t> now;
    now.swap(pending_);  // a callback may produce again
    for (size_t index : now) {
      common::DeliveryReport report;
      if (shared_->fail_deliveries || shared_->ShouldFail(shared_->records[index].key)) {
        report.status = absl::UnavailableError(shared_->failure);
        ++counters_.failed;
      } else {
        report.partition = 0;
        report.offset = static_cast<int64_t>(index);
        ++counters_.delivered;
      }
      if (shared_->records[index].on_delivery) shared_->records[index].on_delivery(report);
    }
  }

  Shared* shared_;
  std::vector<size_t> pending_;
  common::ProducerCounters counters_;
};

}  // namespace tweetstream::testing
