#pragma once
// An in-memory Producer for unit tests: keeps every record; deliveries succeed on the next
// Poll()/Flush() unless `fail_deliveries` is set.

#include <vector>

#include "common/kafka_producer.h"

namespace tweetstream::testing {

class FakeProducer : public common::Producer {
 public:
  struct Shared {
    std::vector<common::ProducerRecord> records;
    bool fail_deliveries = false;
  };
  explicit FakeProducer(Shared* shared) : shared_(shared) {}

  absl::Status Produce(common::ProducerRecord record) override {
    ++counters_.produced;
    pending_.push_back(shared_->records.size());
    shared_->records.push_back(std::move(record));
    return absl::OkStatus();
  }
  void Poll(std::chrono::milliseconds) override { Deliver(); }
  absl::Status Flush(std::chrono::milliseconds) override {
    Deliver();
    return absl::OkStatus();
  }
  common::ProducerCounters Counters() const override { return counters_; }

 private:
  void Deliver() {
    for (size_t index : pending_) {
      common::DeliveryReport report;
      if (shared_->fail_deliveries) {
        report.status = absl::UnavailableError("fake delivery failure");
        ++counters_.failed;
      } else {
        report.partition = 0;
        report.offset = static_cast<int64_t>(index);
        ++counters_.delivered;
      }
      if (shared_->records[index].on_delivery) shared_->records[index].on_delivery(report);
    }
    pending_.clear();
  }

  Shared* shared_;
  std::vector<size_t> pending_;
  common::ProducerCounters counters_;
};

}  // namespace tweetstream::testing
