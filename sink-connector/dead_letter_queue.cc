#include "sink-connector/dead_letter_queue.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/rfc3339.h"

namespace tweetstream::sink {
namespace {

constexpr char kFaultKey[] = "dead-letter";


}  // namespace

DeadLetterQueue::DeadLetterQueue(DeadLetterOptions options, std::unique_ptr<common::Producer> producer,
                                 SinkStatus* status, std::function<void(const SinkItem&)> on_done)
    : options_(std::move(options)), status_(status), on_done_(std::move(on_done)), producer_(std::move(producer)) {}

DeadLetterQueue::~DeadLetterQueue() {
  if (producer_) {
    (void)producer_->Flush(std::chrono::seconds(2));
    producer_.reset();  // may serve the last reports: everything they touch is still alive
  }
}

void DeadLetterQueue::Send(std::unique_ptr<SinkItem> item, std::string error_class, std::string message) {
  TS_LOG(WARNING) << "dead-letter " << item->where() << " (" << error_class << "): " << message;
  status_->RecordError(absl::StrCat(item->where(), ": ", error_class, ": ", message));
  auto letter = std::make_shared<Letter>();
  letter->item = std::move(item);
  letter->error_class = std::move(error_class);
  letter->message = std::move(message);
  if (!producer_ || options_.topic.empty()) {
    if (options_.on_dead_letter) {
      options_.on_dead_letter(letter->error_class, absl::StrCat(letter->item->where(), ": ", letter->message));
    }
    on_done_(*letter->item);
    return;
  }
  Produce(std::move(letter));
}

void DeadLetterQueue::Produce(std::shared_ptr<Letter> letter) {
  ++letter->attempts;
  const SinkItem& item = *letter->item;
  common::ProducerRecord record;
  record.topic = options_.topic;
  record.key = item.key.value_or("");
  record.value = item.value;
  record.headers = {
      {"dlq.original.topic", item.tp.topic},
      {"dlq.original.partition", std::to_string(item.tp.partition)},
      {"dlq.original.offset", std::to_string(item.offset)},
      {"dlq.error.class", letter->error_class},
      {"dlq.error.message", letter->message},
      {"dlq.time", common::NowRfc3339Millis()},
      {"dlq.connector", options_.connector},
  };
  ++in_producer_;
  record.on_delivery = [this, letter](const common::DeliveryReport& report) {
    --in_producer_;
    letter->last_error = report.status;
    if (report.status.ok()) delivered_.push_back(letter);
    else failed_.push_back(letter);
  };
  if (absl::Status s = producer_->Produce(std::move(record)); !s.ok()) {
    --in_producer_;
    Failed(std::move(letter), s);
  }
}

void DeadLetterQueue::Failed(std::shared_ptr<Letter> letter, const absl::Status& error) {
  auto delay = options_.retry_initial;
  for (int i = 1; i < letter->attempts && delay < options_.retry_max; ++i) delay *= 2;
  delay = std::min(delay, options_.retry_max);
  letter->due = std::chrono::steady_clock::now() + delay;
  retry_.push_back(std::move(letter));
  const std::string cause = absl::StrCat("dead-letter topic ", options_.topic, ": ", error.message(), "; holding ",
                                         Outstanding(), " record(s) uncommitted, retrying");
  // The cause without the count, so a growing backlog is not a new cause every time.
  if (error.message() != last_logged_cause_) {
    last_logged_cause_ = std::string(error.message());
    TS_LOG(WARNING) << cause;
    status_->RecordError(cause);
  }
  status_->SetFault(kFaultKey, cause);
}

void DeadLetterQueue::Serve() {
  if (!producer_) return;
  producer_->Poll(std::chrono::milliseconds(0));
  std::vector<std::shared_ptr<Letter>> delivered, failed;
  delivered.swap(delivered_);
  failed.swap(failed_);
  for (auto& letter : delivered) {
    status_->counters().dead_lettered.fetch_add(1);
    if (options_.on_dead_letter) {
      options_.on_dead_letter(letter->error_class, absl::StrCat(letter->item->where(), ": ", letter->message));
    }
    on_done_(*letter->item);
  }
  for (auto& letter : failed) Failed(letter, letter->last_error);
  if (!delivered.empty() && retry_.empty() && failed.empty()) {
    if (!last_logged_cause_.empty()) TS_LOG(INFO) << "dead-letter topic " << options_.topic << ": delivering again";
    last_logged_cause_.clear();
    status_->ClearFault(kFaultKey);
  }
  const auto now = std::chrono::steady_clock::now();
  for (size_t n = retry_.size(); n > 0; --n) {
    std::shared_ptr<Letter> letter = std::move(retry_.front());
    retry_.pop_front();
    if (letter->due <= now) Produce(std::move(letter));
    else retry_.push_back(std::move(letter));
  }
}

void DeadLetterQueue::Flush(std::chrono::milliseconds timeout) {
  if (!producer_) return;
  (void)producer_->Flush(timeout);
  Serve();
}

}  // namespace tweetstream::sink
