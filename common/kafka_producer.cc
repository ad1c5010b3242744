#include "common/kafka_producer.h"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace tweetstream::common {
namespace {

absl::Status KafkaErrorToStatus(RdKafka::ErrorCode code, absl::string_view context) {
  std::string message = absl::StrCat(context, ": ", RdKafka::err2str(code));
  switch (code) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR__MSG_TIMED_OUT:
      return code == RdKafka::ERR__MSG_TIMED_OUT ? absl::DeadlineExceededError(message)
                                                 : absl::InvalidArgumentError(message);
    case RdKafka::ERR__QUEUE_FULL:
      return absl::ResourceExhaustedError(message);
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR__AUTHENTICATION:
      return absl::PermissionDeniedError(message);
    case RdKafka::ERR__FATAL:
      return absl::InternalError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// What travels with each message through librdkafka and comes back in the delivery report.
struct Memento {
  std::function<void(const DeliveryReport&)> on_delivery;
};

class DeliveryCallback : public RdKafka::DeliveryReportCb {
 public:
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};

  // Runs on the thread that calls poll()/flush(). Never throws.
  void dr_cb(RdKafka::Message& message) override {
    auto* memento = static_cast<Memento*>(message.msg_opaque());
    DeliveryReport report;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      delivered.fetch_add(1);
      report.partition = message.partition();
      report.offset = message.offset();
    } else {
      failed.fetch_add(1);
      report.status = KafkaErrorToStatus(message.err(), absl::StrCat("delivery to ", message.topic_name()));
      TS_LOG(WARNING) << "delivery failed: " << report.status.message();
    }
    if (memento != nullptr) {
      if (memento->on_delivery) memento->on_delivery(report);
      delete memento;
    }
  }
};

class EventCallback : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      // Most errors here are transient (broker down, reconnecting); librdkafka recovers by itself.
      TS_LOG(WARNING) << "kafka producer: " << RdKafka::err2str(event.err()) << ": " << event.str();
    } else if (event.type() == RdKafka::Event::EVENT_LOG && event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
      TS_LOG(WARNING) << "librdkafka: " << event.fac() << ": " << event.str();
    }
  }
};

class RdKafkaProducer : public Producer {
 public:
  RdKafkaProducer(std::unique_ptr<DeliveryCallback> dr, std::unique_ptr<EventCallback> ev,
                  std::unique_ptr<RdKafka::Producer> producer, std::chrono::milliseconds enqueue_timeout)
      : dr_(std::move(dr)), ev_(std::move(ev)), producer_(std::move(producer)), enqueue_timeout_(enqueue_timeout) {}

  ~RdKafkaProducer() override {
    // Serve what is still in flight, bounded; whatever remains is reported as failed by librdkafka.
    producer_->flush(5000);
    producer_->poll(0);
  }

  absl::Status Produce(ProducerRecord record) override {
    RdKafka::Headers* headers = nullptr;
    if (!record.headers.empty()) {
      headers = RdKafka::Headers::create();
      for (const auto& [name, value] : record.headers) headers->add(name, value.data(), value.size());
    }
    auto* memento = new Memento{std::move(record.on_delivery)};
    const absl::Time deadline = absl::Now() + absl::FromChrono(enqueue_timeout_);
    while (true) {
      RdKafka::ErrorCode code = producer_->produce(
          record.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          record.value ? const_cast<char*>(record.value->data()) : nullptr, record.value ? record.value->size() : 0,
          record.key.data(), record.key.size(),
          /*timestamp=*/0, headers, memento);
      if (code == RdKafka::ERR_NO_ERROR) {
        produced_.fetch_add(1);
        return absl::OkStatus();  // librdkafka owns headers and memento now
      }
      if (code == RdKafka::ERR__QUEUE_FULL && absl::Now() < deadline) {
        // Backpressure: the queue is bounded; serve delivery reports until there is room.
        producer_->poll(100);
        continue;
      }
      delete memento;
      delete headers;
      return KafkaErrorToStatus(code, absl::StrCat("produce to ", record.topic));
    }
  }

  void Poll(std::chrono::milliseconds timeout) override { producer_->poll(static_cast<int>(timeout.count())); }

  absl::Status Flush(std::chrono::milliseconds timeout) override {
    RdKafka::ErrorCode code = producer_->flush(static_cast<int>(timeout.count()));
    producer_->poll(0);
    if (code == RdKafka::ERR__TIMED_OUT) {
      return absl::DeadlineExceededError(
          absl::StrCat(producer_->outq_len(), " record(s) still undelivered after ", timeout.count(), " ms"));
    }
    if (code != RdKafka::ERR_NO_ERROR) return KafkaErrorToStatus(code, "flush");
    return absl::OkStatus();
  }

  ProducerCounters Counters() const override {
    return {produced_.load(), dr_->delivered.load(), dr_->failed.load()};
  }

 private:
  std::unique_ptr<DeliveryCallback> dr_;
  std::unique_ptr<EventCallback> ev_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::chrono::milliseconds enqueue_timeout_;
  std::atomic<int64_t> produced_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Producer>> CreateKafkaProducer(const KafkaProducerOptions& options) {
  auto dr = std::make_unique<DeliveryCallback>();
  auto ev = std::make_unique<EventCallback>();
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"client.id", options.client_id},
      // Exactly-once per partition from the producer side: no duplicates from internal retries, no
      // reordering; implies acks=all and max.in.flight <= 5.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", options.compression},
      {"linger.ms", std::to_string(options.linger_ms)},
      {"batch.size", std::to_string(options.batch_size_bytes)},
      {"queue.buffering.max.messages", std::to_string(options.queue_max_messages)},
      {"queue.buffering.max.kbytes", std::to_string(options.queue_max_kbytes)},
      {"message.timeout.ms", std::to_string(options.delivery_timeout.count())},
  };
  for (const auto& [k, v] : options.extra) props[k] = v;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka producer setting ", k, ": ", err));
    }
  }
  if (conf->set("dr_cb", dr.get(), err) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", ev.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka producer callbacks: ", err));
  }
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer) return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", err));
  return std::unique_ptr<Producer>(
      new RdKafkaProducer(std::move(dr), std::move(ev), std::move(producer), options.enqueue_timeout));
}

}  // namespace tweetstream::common
