#include "common/kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace tweetstream::common {
namespace {

class RebalanceCallback : public RdKafka::RebalanceCb {
 public:
  explicit RebalanceCallback(RebalanceHooks hooks) : hooks_(std::move(hooks)) {}

  // Runs inside consume()/close() on the polling thread. The owner's revoke hook runs before the
  // partitions are given up, so it can finish or abandon their in-flight work and commit what is done;
  // what stays uncommitted is consumed again by the new owner (idempotent in Elasticsearch).
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    std::vector<std::string> names;
    std::vector<TopicPartition> ours;
    for (auto* tp : partitions) {
      names.push_back(absl::StrCat(tp->topic(), "/", tp->partition()));
      ours.push_back({tp->topic(), tp->partition()});
    }
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      TS_LOG(INFO) << "partitions assigned: " << absl::StrJoin(names, ", ");
      if (cooperative) consumer->incremental_assign(partitions);
      else consumer->assign(partitions);
      if (hooks_.on_assign && !ours.empty()) hooks_.on_assign(ours);
    } else {
      TS_LOG(INFO) << "partitions revoked: " << absl::StrJoin(names, ", ");
      if (hooks_.on_revoke && !ours.empty()) hooks_.on_revoke(ours);
      if (cooperative) consumer->incremental_unassign(partitions);
      else consumer->unassign();
    }
  }

 private:
  RebalanceHooks hooks_;
};

class EventCallback : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      TS_LOG(WARNING) << "kafka consumer: " << RdKafka::err2str(event.err()) << ": " << event.str();
    } else if (event.type() == RdKafka::Event::EVENT_LOG &&
               event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
      TS_LOG(WARNING) << "librdkafka: " << event.fac() << ": " << event.str();
    }
  }
};

class RdKafkaConsumer : public Consumer {
 public:
  RdKafkaConsumer(std::unique_ptr<RebalanceCallback> rb, std::unique_ptr<EventCallback> ev,
                  std::unique_ptr<RdKafka::KafkaConsumer> consumer)
      : rb_(std::move(rb)), ev_(std::move(ev)), consumer_(std::move(consumer)) {}

  ~RdKafkaConsumer() override {
    if (!closed_) consumer_->close();
  }

  absl::StatusOr<std::vector<ConsumerRecord>> Poll(size_t max_records, std::chrono::milliseconds timeout) override {
    std::vector<ConsumerRecord> records;
    int wait_ms = static_cast<int>(timeout.count());
    while (records.size() < max_records) {
      std::unique_ptr<RdKafka::Message> msg(consumer_->consume(wait_ms));
      wait_ms = 0;  // only wait for the first record; then take what is already fetched
      switch (msg->err()) {
        case RdKafka::ERR_NO_ERROR:
          records.push_back(ToRecord(*msg));
          continue;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__PARTITION_EOF:
          return records;
        case RdKafka::ERR__FATAL:
        case RdKafka::ERR__AUTHENTICATION:
        case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
        case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
          return absl::PermissionDeniedError(absl::StrCat("kafka consumer: ", msg->errstr()));
        default:
          // Transient (broker down, unknown topic not yet created, ...): librdkafka retries by itself.
          TS_LOG(WARNING) << "kafka consumer: " << msg->errstr();
          return records;
      }
    }
    return records;
  }

  absl::Status Commit(const std::map<TopicPartition, int64_t>& next_offsets) override {
    if (next_offsets.empty()) return absl::OkStatus();
    std::vector<RdKafka::TopicPartition*> offsets;
    for (const auto& [tp, offset] : next_offsets) {
      offsets.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, offset));
    }
    RdKafka::ErrorCode code = consumer_->commitSync(offsets);
    absl::Status status = absl::OkStatus();
    if (code != RdKafka::ERR_NO_ERROR) {
      status = absl::UnavailableError(absl::StrCat("commit: ", RdKafka::err2str(code)));
    } else {
      for (auto* tp : offsets) {
        if (tp->err() != RdKafka::ERR_NO_ERROR) {
          status = absl::UnavailableError(
              absl::StrCat("commit ", tp->topic(), "/", tp->partition(), ": ", RdKafka::err2str(tp->err())));
        }
      }
    }
    RdKafka::TopicPartition::destroy(offsets);
    return status;
  }

  std::vector<TopicPartition> Assignment() override {
    std::vector<RdKafka::TopicPartition*> parts;
    consumer_->assignment(parts);
    std::vector<TopicPartition> out;
    for (auto* tp : parts) out.push_back({tp->topic(), tp->partition()});
    RdKafka::TopicPartition::destroy(parts);
    return out;
  }

  absl::Status Pause(const std::vector<TopicPartition>& partitions) override {
    return PauseOrResume(partitions, true);
  }
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override {
    return PauseOrResume(partitions, false);
  }

  absl::Status Close() override {
    if (closed_) return absl::OkStatus();
    closed_ = true;
    RdKafka::ErrorCode code = consumer_->close();
    if (code != RdKafka::ERR_NO_ERROR) return absl::UnavailableError(absl::StrCat("close: ", RdKafka::err2str(code)));
    return absl::OkStatus();
  }

 private:
  absl::Status PauseOrResume(const std::vector<TopicPartition>& partitions, bool pause) {
    if (partitions.empty()) return absl::OkStatus();
    std::vector<RdKafka::TopicPartition*> parts;
    for (const auto& tp : partitions) parts.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition));
    RdKafka::ErrorCode code = pause ? consumer_->pause(parts) : consumer_->resume(parts);
    RdKafka::TopicPartition::destroy(parts);
    if (code != RdKafka::ERR_NO_ERROR) {
      return absl::InternalError(absl::StrCat(pause ? "pause: " : "resume: ", RdKafka::err2str(code)));
    }
    return absl::OkStatus();
  }

  static ConsumerRecord ToRecord(RdKafka::Message& msg) {
    ConsumerRecord r;
    r.topic = msg.topic_name();
    r.partition = msg.partition();
    r.offset = msg.offset();
    if (msg.key_pointer() != nullptr) r.key.emplace(static_cast<const char*>(msg.key_pointer()), msg.key_len());
    if (msg.payload() != nullptr) r.value.emplace(static_cast<const char*>(msg.payload()), msg.len());
    if (RdKafka::Headers* headers = msg.headers()) {
      for (const auto& h : headers->get_all()) {
        r.headers.emplace_back(h.key(), h.value() ? std::string(h.value_string(), h.value_size()) : std::string());
      }
    }
    r.timestamp_ms = msg.timestamp().timestamp;
    return r;
  }

  std::unique_ptr<RebalanceCallback> rb_;
  std::unique_ptr<EventCallback> ev_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Consumer>> CreateKafkaConsumer(const KafkaConsumerOptions& options) {
  auto rb = std::make_unique<RebalanceCallback>(options.hooks);
  auto ev = std::make_unique<EventCallback>();
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"group.id", options.group_id},
      {"client.id", options.client_id},
      // Offsets are committed by the sink only after Elasticsearch confirmed the documents.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", options.start_from},
      // Rebalances move only the partitions that change owner; the others keep flowing.
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.partition.eof", "false"},
  };
  for (const auto& [k, v] : options.extra) props[k] = v;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka consumer setting ", k, ": ", err));
    }
  }
  if (conf->set("rebalance_cb", rb.get(), err) != RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", ev.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka consumer callbacks: ", err));
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  RdKafka::ErrorCode code = consumer->subscribe(options.topics);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("subscribe: ", RdKafka::err2str(code)));
  }
  return std::unique_ptr<Consumer>(new RdKafkaConsumer(std::move(rb), std::move(ev), std::move(consumer)));
}

}  // namespace tweetstream::common
