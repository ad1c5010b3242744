#pragma once
// An in-memory Producer for unit tests: keeps every record; deliveries succeed on the next
// Poll()/Flush() unless `fail_deliveries` is set.

#include <atomic>
#include <string>
#include <vector>

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
  };
  explicit FakeProducer(Shared* shared) : shared_(shared) {}
  ~FakeProducer() override {
    shared_->deliver_only_at_destruction = false;
    Deliver();
  }

  absl::Status Produce(common::ProducerRecord record) override {
    ++counters_.produced;
    shared_->produced.fetch_add(1);
    pending_.push_back(shared_->records.size());
    shared_->records.push_back(std::move(record));
    return absl::OkStatus();
  }
  void Poll(std::chrono::milliseconds) override {
    if (!shared_->deliver_only_at_destruction) Deliver();
  }
  absl::Status Flush(std::chrono::milliseconds) override {
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
      if (shared_->fail_deliveries) {
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
