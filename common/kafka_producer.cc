#include "common/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <unordered_map>

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

// What travels with each message through librdkafka and comes back in the delivery report. It also
// owns the message's value: librdkafka is told not to copy it (msgflags 0) and reads it in place until
// the delivery report, which saves a copy of every record (values are ~2 KB tweets).
struct Memento {
  std::function<void(const DeliveryReport&)> on_delivery;
  std::optional<std::string> value;
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
      : dr_(std::move(dr)),
        ev_(std::move(ev)),
        producer_(std::move(producer)),
        rk_(producer_->c_ptr()),
        enqueue_timeout_(enqueue_timeout) {}

  ~RdKafkaProducer() override {
    // Serve what is still in flight, bounded; whatever remains is reported as failed by librdkafka.
    producer_->flush(5000);
    producer_->poll(0);
    for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
  }

  // Calling thread: one at a time (the owner's thread), like every method but Counters().
  absl::Status Produce(ProducerRecord record) override {
    rd_kafka_topic_t* topic = Topic(record.topic);
    if (topic == nullptr) {
      return KafkaErrorToStatus(RdKafka::ErrorCode(rd_kafka_last_error()), absl::StrCat("produce to ", record.topic));
    }
    auto* memento = new Memento{std::move(record.on_delivery), std::move(record.value)};
    void* const value = memento->value ? memento->value->data() : nullptr;
    const size_t value_size = memento->value ? memento->value->size() : 0;
    void* const key = record.key.data();
    const size_t key_size = record.key.size();
    const absl::Time deadline = absl::Now() + absl::FromChrono(enqueue_timeout_);
    while (true) {
      // Built again on each attempt: librdkafka owns (and frees) the headers once a produce succeeded.
      rd_kafka_headers_t* headers = nullptr;
      if (!record.headers.empty()) {
        headers = rd_kafka_headers_new(record.headers.size());
        for (const auto& [name, value] : record.headers) {
          rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                              static_cast<ssize_t>(value.size()));
        }
      }
      // msgflags 0: the value is not copied, the memento keeps it alive until the delivery report. The
      // topic handle is cached (by-name produce looks the topic up under a lock on every record).
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA), RD_KAFKA_V_MSGFLAGS(0),
          RD_KAFKA_V_VALUE(value, value_size),
          RD_KAFKA_V_KEY(key, key_size), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_OPAQUE(memento), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        produced_.fetch_add(1, std::memory_order_relaxed);
        return absl::OkStatus();  // librdkafka owns headers and memento now
      }
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && absl::Now() < deadline) {
        // Backpressure: the queue is bounded; serve delivery reports until there is room.
        producer_->poll(100);
        continue;
      }
      delete memento;
      return KafkaErrorToStatus(static_cast<RdKafka::ErrorCode>(err), absl::StrCat("produce to ", record.topic));
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
  // The cached topic handle of `name` (created on first use, destroyed with the producer); nullptr
  // when librdkafka refuses the name (rd_kafka_last_error() says why).
  rd_kafka_topic_t* Topic(const std::string& name) {
    if (last_topic_ != nullptr && name == last_topic_name_) return last_topic_;
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
      if (topic == nullptr) return nullptr;
      it = topics_.emplace(name, topic).first;
    }
    last_topic_name_ = name;
    last_topic_ = it->second;
    return last_topic_;
  }

  std::unique_ptr<RdKafka::Producer> producer_;
  rd_kafka_t* rk_;  // producer_'s C handle, for the produce fast path
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
  std::string last_topic_name_;
  rd_kafka_topic_t* last_topic_ = nullptr;
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
