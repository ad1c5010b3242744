#include "common/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

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

// What travels with a message through librdkafka (its opaque) and comes back in its delivery report,
// when there is something to carry (otherwise the opaque is null). Two kinds:
// * Memento, from Produce(): the record's callback, and its value: librdkafka is told not to copy it
//   (msgflags 0) and reads it in place until the delivery report, which saves a copy of every record;
// * RecordArena::Slot, from ProduceCopy(): the latency histogram and the start time, followed by the
//   record's value, copied into a RecordArena block (librdkafka reads it in place too); or, when the
//   arena is at its bound, a slot of its own with no value (librdkafka copied it).
struct MessageState {
  enum class Kind : uint8_t { kMemento, kArenaSlot };
  explicit MessageState(Kind k) : kind(k) {}
  Kind kind;
};

struct Memento : MessageState {
  Memento(std::function<void(const DeliveryReport&)> callback, std::optional<std::string> bytes)
      : MessageState(Kind::kMemento), on_delivery(std::move(callback)), value(std::move(bytes)) {}
  std::function<void(const DeliveryReport&)> on_delivery;
  std::optional<std::string> value;
};

// The values of ProduceCopy()'s records while librdkafka holds them, carved in produce order from
// blocks of 1 MiB, each block reused once every record in it was reported: no allocation per record.
// (Letting librdkafka copy instead, RD_KAFKA_MSG_F_COPY, costs one ~2 KB malloc per record, and glibc
// consolidates its fast bins on every allocation of 1 KiB or more: in a profile of the replay that
// was the largest part of the produce path, more than the copy itself.) Bounded: past `max_bytes` of
// blocks, Allocate() returns null and the caller lets librdkafka copy, so one partition holding its
// records back (a leader down) cannot pin more.
// Not thread-safe: used by ProduceCopy() and by delivery reports, both on the owner's thread.
class RecordArena {
 public:
  struct Block {
    Block* next = nullptr;   // in the spare list
    size_t capacity = 0;     // bytes after the header
    size_t used = 0;
    int64_t outstanding = 0;  // slots handed out and not released
    bool current = false;
    char* data() { return reinterpret_cast<char*>(this + 1); }
  };
  struct Slot : MessageState {
    Slot(Block* b, Histogram* h, std::chrono::steady_clock::time_point t)
        : MessageState(Kind::kArenaSlot), block(b), delivery_seconds(h), start(t) {}
    Block* block;
    Histogram* delivery_seconds;
    std::chrono::steady_clock::time_point start;
    char* value() { return reinterpret_cast<char*>(this + 1); }
  };
  static constexpr size_t kBlockBytes = size_t{1} << 20;
  static constexpr int kMaxSpares = 32;
  static_assert(sizeof(Block) % alignof(Slot) == 0 && sizeof(Slot) % alignof(Slot) == 0);

  explicit RecordArena(size_t max_bytes) : max_bytes_(max_bytes) {}
  ~RecordArena() {
    // After the producer: whatever librdkafka never reported is gone with it.
    for (Block* b : all_) FreeBlock(b);
  }
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  // A slot with room for `value_size` bytes after it, or nullptr when the arena is at its bound.
  Slot* Allocate(size_t value_size, Histogram* histogram, std::chrono::steady_clock::time_point start) {
    const size_t need = (sizeof(Slot) + value_size + alignof(Slot) - 1) / alignof(Slot) * alignof(Slot);
    if (current_ != nullptr && current_->outstanding == 0) current_->used = 0;  // all reported: rewind
    if (current_ == nullptr || current_->capacity - current_->used < need) {
      Block* block = need <= kBlockBytes ? TakeBlock(kBlockBytes) : TakeBlock(need);  // a big value: its own block
      if (block == nullptr) return nullptr;
      if (current_ != nullptr) {
        current_->current = false;
        if (current_->outstanding == 0) Recycle(current_);
      }
      current_ = block;
      current_->current = true;
    }
    Slot* slot = new (current_->data() + current_->used) Slot(current_, histogram, start);
    current_->used += need;
    ++current_->outstanding;
    return slot;
  }

  void Release(Slot* slot) {
    Block* block = slot->block;
    slot->~Slot();
    if (--block->outstanding == 0 && !block->current) Recycle(block);
  }

 private:
  Block* TakeBlock(size_t capacity) {
    if (capacity == kBlockBytes && spare_ != nullptr) {
      Block* block = spare_;
      spare_ = block->next;
      --spares_;
      block->next = nullptr;
      block->used = 0;
      return block;
    }
    if (bytes_ + capacity > max_bytes_) return nullptr;
    auto* block = new (::operator new(sizeof(Block) + capacity)) Block;
    block->capacity = capacity;
    bytes_ += capacity;
    all_.insert(block);
    return block;
  }
  // Up to kMaxSpares blocks are kept for reuse: the steady state cycles through many (records stay in
  // flight for the linger, compression and the broker's round trip: ~25 MiB at 70k records/s of 2 KB
  // in the replay benchmark), and a block freed and allocated again is page-faulted in again. Beyond
  // that they are freed, so a burst does not hold more than that forever.
  void Recycle(Block* block) {
    if (block->capacity == kBlockBytes && spares_ < kMaxSpares) {
      block->next = spare_;
      spare_ = block;
      ++spares_;
      return;
    }
    all_.erase(block);
    bytes_ -= block->capacity;
    FreeBlock(block);
  }
  static void FreeBlock(Block* block) {
    block->~Block();
    ::operator delete(block);
  }

  const size_t max_bytes_;
  size_t bytes_ = 0;  // in all blocks
  Block* current_ = nullptr;
  Block* spare_ = nullptr;
  int spares_ = 0;
  std::unordered_set<Block*> all_;  // every live block (for the destructor)
};

class DeliveryCallback : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryCallback(size_t arena_bytes) : arena(arena_bytes) {}

  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> failed{0};
  // Here because it must outlive the librdkafka handle (which holds pointers into it), as this does.
  RecordArena arena;

  // Runs on the thread that calls poll()/flush(). Never throws.
  void dr_cb(RdKafka::Message& message) override {
    auto* state = static_cast<MessageState*>(message.msg_opaque());
    DeliveryReport report;
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      delivered.fetch_add(1, std::memory_order_relaxed);
      report.partition = message.partition();
      report.offset = message.offset();
    } else {
      failed.fetch_add(1, std::memory_order_relaxed);
      report.status = KafkaErrorToStatus(message.err(), absl::StrCat("delivery to ", message.topic_name()));
      TS_LOG(WARNING) << "delivery failed: " << report.status.message();
    }
    if (state == nullptr) return;
    if (state->kind == MessageState::Kind::kMemento) {
      auto* memento = static_cast<Memento*>(state);
      if (memento->on_delivery) memento->on_delivery(report);
      delete memento;
      return;
    }
    auto* slot = static_cast<RecordArena::Slot*>(state);
    if (slot->delivery_seconds != nullptr && report.status.ok()) {
      slot->delivery_seconds->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - slot->start).count());
    }
    // librdkafka reads the value no more (it frees the message after this callback, not the value).
    if (slot->block != nullptr) {
      arena.Release(slot);
    } else {
      delete slot;  // from librdkafka's copy path: a plain allocation
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
    Memento* memento = nullptr;
    if (record.on_delivery || record.value) {
      memento = new Memento(std::move(record.on_delivery), std::move(record.value));
    }
    const char* const value = memento != nullptr && memento->value ? memento->value->data() : nullptr;
    const size_t value_size = memento != nullptr && memento->value ? memento->value->size() : 0;
    // msgflags 0: the value is not copied, the memento keeps it alive until the delivery report.
    return Enqueue(record.topic, record.key, value, value_size, /*msgflags=*/0, record.headers, memento);
  }

  absl::Status ProduceCopy(const ProducerRecordRef& record) override {
    const auto start = record.delivery_seconds != nullptr ? std::chrono::steady_clock::now()
                                                          : std::chrono::steady_clock::time_point();
    if (RecordArena::Slot* slot = dr_->arena.Allocate(record.value.size(), record.delivery_seconds, start)) {
      // The value into the arena (librdkafka reads it there, msgflags 0) until the delivery report.
      if (!record.value.empty()) std::memcpy(slot->value(), record.value.data(), record.value.size());
      return Enqueue(record.topic, record.key, slot->value(), record.value.size(), /*msgflags=*/0, record.headers,
                     slot);
    }
    // The arena is at its bound: librdkafka copies the value (RD_KAFKA_MSG_F_COPY; a null pointer would
    // make a null value, a tombstone: an empty view still means an empty value).
    RecordArena::Slot* slot =
        record.delivery_seconds != nullptr ? new RecordArena::Slot(nullptr, record.delivery_seconds, start) : nullptr;
    const char* const value = record.value.data() != nullptr ? record.value.data() : "";
    return Enqueue(record.topic, record.key, value, record.value.size(), RD_KAFKA_MSG_F_COPY, record.headers, slot);
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

  absl::Status FatalError() const override {
    char reason[512] = "";
    const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk_, reason, sizeof reason);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("Kafka producer fatal error (", rd_kafka_err2name(err), "): ", reason,
                                            " — the idempotent producer cannot go on; the source stops (a restart "
                                            "makes a new producer and continues from the cursor)"));
  }

  rd_kafka_t* handle() { return rk_; }

 private:
  // Frees a message's state when librdkafka did not take the message.
  void Discard(MessageState* state) {
    if (state == nullptr) return;
    if (state->kind == MessageState::Kind::kMemento) {
      delete static_cast<Memento*>(state);
      return;
    }
    auto* slot = static_cast<RecordArena::Slot*>(state);
    if (slot->block != nullptr) {
      dr_->arena.Release(slot);
    } else {
      delete slot;
    }
  }

  // Hands one message to librdkafka (the key is always copied; the value as `msgflags` says). Owns
  // `state` (may be null): librdkafka's once the message is enqueued (it comes back in the delivery
  // report), discarded here otherwise. When the queue is full it serves delivery reports and tries
  // again, for up to the enqueue timeout counted from the first time it found the queue full (so no
  // clock is read per record otherwise).
  template <typename Headers>
  absl::Status Enqueue(absl::string_view topic_name, absl::string_view key, const char* value, size_t value_size,
                       int msgflags, const Headers& record_headers, MessageState* state) {
    absl::Time deadline = absl::InfinitePast();
    rd_kafka_topic_t* topic = Topic(topic_name);
    if (topic == nullptr) {
      Discard(state);
      return KafkaErrorToStatus(RdKafka::ErrorCode(rd_kafka_last_error()), absl::StrCat("produce to ", topic_name));
    }
    while (true) {
      // Built again on each attempt: librdkafka owns (and frees) the headers once a produce succeeded.
      rd_kafka_headers_t* headers = nullptr;
      if (!record_headers.empty()) {
        headers = rd_kafka_headers_new(record_headers.size());
        for (const auto& [name, header_value] : record_headers) {
          rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), header_value.data(),
                              static_cast<ssize_t>(header_value.size()));
        }
      }
      // The topic handle is cached (by-name produce looks the topic up under a lock on every record).
      const rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA), RD_KAFKA_V_MSGFLAGS(msgflags),
          RD_KAFKA_V_VALUE(const_cast<char*>(value), value_size),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_OPAQUE(state), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        produced_.fetch_add(1, std::memory_order_relaxed);
        return absl::OkStatus();  // librdkafka owns the headers, and the state until the report
      }
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (deadline == absl::InfinitePast()) deadline = absl::Now() + absl::FromChrono(enqueue_timeout_);
        if (absl::Now() < deadline) {
          // Backpressure: the queue is bounded; serve delivery reports until there is room.
          producer_->poll(100);
          continue;
        }
      }
      Discard(state);
      if (err == RD_KAFKA_RESP_ERR__FATAL) {
        if (absl::Status fatal = FatalError(); !fatal.ok()) return fatal;
      }
      return KafkaErrorToStatus(static_cast<RdKafka::ErrorCode>(err), absl::StrCat("produce to ", topic_name));
    }
  }

  // The cached topic handle of `name` (created on first use, destroyed with the producer); nullptr
  // when librdkafka refuses the name (rd_kafka_last_error() says why).
  rd_kafka_topic_t* Topic(absl::string_view name) {
    if (last_topic_ != nullptr && name == last_topic_name_) return last_topic_;
    std::string key(name);
    auto it = topics_.find(key);
    if (it == topics_.end()) {
      rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, key.c_str(), nullptr);
      if (topic == nullptr) return nullptr;
      it = topics_.emplace(key, topic).first;
    }
    last_topic_name_ = std::move(key);
    last_topic_ = it->second;
    return last_topic_;
  }

  std::unique_ptr<DeliveryCallback> dr_;
  std::unique_ptr<EventCallback> ev_;

  std::unique_ptr<RdKafka::Producer> producer_;
  rd_kafka_t* rk_;  // producer_'s C handle, for the produce fast path
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
  std::string last_topic_name_;
  rd_kafka_topic_t* last_topic_ = nullptr;
  std::chrono::milliseconds enqueue_timeout_;
  std::atomic<int64_t> produced_{0};
};

}  // namespace

absl::Status Producer::ProduceCopy(const ProducerRecordRef& ref) {
  ProducerRecord record;
  record.topic = std::string(ref.topic);
  record.key = std::string(ref.key);
  record.value = std::string(ref.value);
  record.headers.reserve(ref.headers.size());
  for (const auto& [name, value] : ref.headers) record.headers.emplace_back(name, value);
  if (ref.delivery_seconds != nullptr) {
    record.on_delivery = [histogram = ref.delivery_seconds, start = std::chrono::steady_clock::now()](
                             const DeliveryReport& report) {
      if (report.status.ok()) {
        histogram->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    };
  }
  return Produce(std::move(record));
}

absl::Status TriggerFatalErrorForTesting(Producer* producer, const std::string& reason) {
  auto* kafka = dynamic_cast<RdKafkaProducer*>(producer);
  if (kafka == nullptr) return absl::InvalidArgumentError("not a producer made by CreateKafkaProducer");
  const rd_kafka_resp_err_t err =
      rd_kafka_test_fatal_error(kafka->handle(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason.c_str());
  if (err == RD_KAFKA_RESP_ERR__PREV_IN_PROGRESS) return absl::FailedPreconditionError("a fatal error was raised already");
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return absl::InternalError(rd_kafka_err2str(err));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Producer>> CreateKafkaProducer(const KafkaProducerOptions& options) {
  auto dr = std::make_unique<DeliveryCallback>(options.copy_arena_bytes);
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
