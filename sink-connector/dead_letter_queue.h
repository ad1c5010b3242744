#pragma once
// The dead-letter topic: records that can never be indexed because of their own content go there
// with their original key and value and the reason in headers (dlq.original.topic/partition/offset,
// dlq.error.class/message, dlq.time, dlq.connector).
//
// A failing dead-letter topic (missing, record too large, ACL refusal, a fatal producer error) loses
// nothing: a record is done only once the broker acknowledged its dead letter, so its partition is
// never committed past it. Failed deliveries are produced again with capped exponential backoff;
// while any wait, the sink is DEGRADED with the cause ("dead-letter topic ...: <error>; holding N
// record(s)"), logged once per new cause, and it clears by itself once a delivery succeeds again.
// `on_dead_letter` and the dead_lettered counter see each record once, when it is acknowledged.
//
// Without a topic (empty), a dead letter is logged and the record is done at once.
// Lifecycle: the destructor flushes (bounded) and destroys the producer first, so no delivery
// report can reach state that is already gone. Thread: the owner's (the sink's Run thread) for
// everything; delivery reports are served inside Serve()/Flush().

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/kafka_producer.h"
#include "sink-connector/bulk_request.h"
#include "sink-connector/sink_status.h"

namespace tweetstream::sink {

struct DeadLetterOptions {
  std::string topic;      // empty = log and skip
  std::string connector;  // dlq.connector
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{30000};
  // Told of every record once its dead letter is acknowledged (error class, where: message).
  std::function<void(const std::string& error_class, const std::string& message)> on_dead_letter;
};

class DeadLetterQueue {
 public:
  // `producer` may be null when options.topic is empty. `status` must outlive this object.
  // `on_done` is called (owner's thread) for each record whose dead letter is acknowledged.
  DeadLetterQueue(DeadLetterOptions options, std::unique_ptr<common::Producer> producer, SinkStatus* status,
                  std::function<void(const SinkItem&)> on_done);
  ~DeadLetterQueue();

  // Sends `item` to the dead-letter topic with this reason (counted as soon as acknowledged).
  void Send(std::unique_ptr<SinkItem> item, std::string error_class, std::string message);
  // Serves delivery reports and produces again what is due. Call often.
  void Serve();
  // Waits (bounded) for outstanding deliveries.
  void Flush(std::chrono::milliseconds timeout);
  // Records not yet acknowledged (in the producer or waiting for a retry).
  int Outstanding() const { return static_cast<int>(in_producer_ + retry_.size()); }

 private:
  struct Letter {
    std::unique_ptr<SinkItem> item;
    std::string error_class;
    std::string message;
    int attempts = 0;
    absl::Status last_error;
    std::chrono::steady_clock::time_point due{};
  };
  void Produce(std::shared_ptr<Letter> letter);
  void Failed(std::shared_ptr<Letter> letter, const absl::Status& error);

  DeadLetterOptions options_;
  SinkStatus* status_;
  std::function<void(const SinkItem&)> on_done_;
  size_t in_producer_ = 0;
  std::deque<std::shared_ptr<Letter>> retry_;
  std::vector<std::shared_ptr<Letter>> failed_;  // filled by delivery reports, moved to retry_ by Serve()
  std::vector<std::shared_ptr<Letter>> delivered_;
  std::string last_logged_cause_;
  // Last: destroyed first (its destructor may still serve delivery reports into the members above).
  std::unique_ptr<common::Producer> producer_;
};

}  // namespace tweetstream::sink
