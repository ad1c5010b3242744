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

namespace {

// A short-lived C handle for admin and metadata calls (the C++ API has no admin client).
struct RdKafkaHandle {
  rd_kafka_t* rk = nullptr;
  ~RdKafkaHandle() {
    if (rk) rd_kafka_destroy(rk);
  }
};

absl::Status MakeHandle(const std::string& bootstrap_servers, RdKafkaHandle* handle) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka: ", errstr));
  }
  handle->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (handle->rk == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka: ", errstr));
  return absl::OkStatus();
}

// Whether the broker reached first through `handle` reports `topic` with every partition led.
bool TopicLedThere(rd_kafka_t* rk, const std::string& topic, int expected_partitions, int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rkt == nullptr) return false;
  const rd_kafka_metadata_t* md = nullptr;
  bool led = false;
  if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
      md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topics[0].partition_cnt >= expected_partitions &&
      md->topics[0].partition_cnt > 0) {
    led = true;
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      if (md->topics[0].partitions[i].err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topics[0].partitions[i].leader < 0) {
        led = false;
      }
    }
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  return led;
}

// A new topic reaches the brokers' metadata one by one (KRaft propagates it asynchronously). A producer
// that asks a broker which has not seen it yet gets a partition count of 0 and librdkafka 2.0 fails the
// records it holds with "Local: Unknown partition" (the 3-broker cluster test lost most of a run so).
// So: wait until every live broker reports the topic with all its partitions led, each asked on a
// handle of its own (a fresh handle's first request goes to its one bootstrap broker). Bounded by
// `timeout`; a broker that never reports it is logged and the start goes on (producing retries).
void WaitUntilEveryBrokerKnows(rd_kafka_t* rk, const std::string& topic, int partitions,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const rd_kafka_metadata_t* cluster = nullptr;
  if (rd_kafka_metadata(rk, 0, nullptr, &cluster, static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  std::vector<std::string> brokers;
  for (int i = 0; i < cluster->broker_cnt; ++i) {
    brokers.push_back(absl::StrCat(cluster->brokers[i].host, ":", cluster->brokers[i].port));
  }
  rd_kafka_metadata_destroy(cluster);
  if (brokers.size() < 2) return;  // one broker answered the creation itself
  for (const std::string& broker : brokers) {
    bool led = false;
    while (!led && std::chrono::steady_clock::now() < deadline) {
      RdKafkaHandle one;
      if (!MakeHandle(broker, &one).ok()) break;
      led = TopicLedThere(one.rk, topic, partitions, 2000);
      if (!led) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!led) {
      TS_LOG(WARNING) << "broker " << broker << " did not report topic " << topic << " with its " << partitions
                      << " partition(s) led within " << timeout.count() / 1000 << " s; producing goes on";
      return;
    }
  }
}

}  // namespace

absl::Status CheckKafkaReachable(const std::string& bootstrap_servers, std::chrono::milliseconds timeout) {
  RdKafkaHandle handle;
  if (absl::Status s = MakeHandle(bootstrap_servers, &handle); !s.ok()) return s;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(handle.rk, 0, nullptr, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("no Kafka broker answered at ", bootstrap_servers, " within ",
                                               timeout.count() / 1000, " s (", rd_kafka_err2str(err), ")"));
  }
  rd_kafka_metadata_destroy(md);
  return absl::OkStatus();
}

absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                         int replication_factor, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& topic_config) {
  if (absl::Status s = CheckKafkaReachable(bootstrap_servers, timeout); !s.ok()) return s;
  RdKafkaHandle handle;
  if (absl::Status s = MakeHandle(bootstrap_servers, &handle); !s.ok()) return s;
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, errstr, sizeof errstr);
  if (new_topic == nullptr) return absl::InvalidArgumentError(absl::StrCat("topic ", topic, ": ", errstr));
  for (const auto& [k, v] : topic_config) rd_kafka_NewTopic_set_config(new_topic, k.c_str(), v.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle.rk);
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(handle.rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(admin, static_cast<int>(timeout.count()), errstr, sizeof errstr);
  rd_kafka_CreateTopics(handle.rk, &new_topic, 1, admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000);
  absl::Status status = absl::OkStatus();
  bool created = false;
  if (event == nullptr) {
    status = absl::DeadlineExceededError(absl::StrCat("creating topic ", topic, " at ", bootstrap_servers, ": no answer"));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(absl::StrCat("creating topic ", topic, ": ", rd_kafka_event_error_string(event)));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
      rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        created = true;
        TS_LOG(INFO) << "created topic " << topic << " (" << partitions << " partitions, replication "
                     << (replication_factor < 0 ? std::string("the broker's default")
                                                : std::to_string(replication_factor))
                     << ")";
      } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::InvalidArgumentError(
            absl::StrCat("creating topic ", topic, ": ", rd_kafka_topic_result_error_string(results[i])));
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(new_topic);
  if (status.ok() && created) WaitUntilEveryBrokerKnows(handle.rk, topic, partitions, timeout);
  return status;
}

absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                       const std::string& topic,
                                                                       std::chrono::milliseconds timeout) {
  RdKafkaHandle handle;
  if (absl::Status s = MakeHandle(bootstrap_servers, &handle); !s.ok()) return s;
  char errstr[512];
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle.rk);
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(handle.rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_AdminOptions_set_request_timeout(admin, static_cast<int>(timeout.count()), errstr, sizeof errstr);
  rd_kafka_DescribeConfigs(handle.rk, &resource, 1, admin, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000);
  absl::StatusOr<std::map<std::string, std::string>> out = std::map<std::string, std::string>();
  const std::string what = absl::StrCat("describing topic ", topic, " at ", bootstrap_servers);
  auto error_status = [&](rd_kafka_resp_err_t err, const char* message) -> absl::Status {
    const std::string text = absl::StrCat(what, ": ", message != nullptr ? message : rd_kafka_err2str(err));
    switch (err) {
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return absl::NotFoundError(text);
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        return absl::PermissionDeniedError(text);
      case RD_KAFKA_RESP_ERR__TIMED_OUT:
        return absl::DeadlineExceededError(text);
      default:
        return absl::UnavailableError(text);
    }
  };
  if (event == nullptr) {
    out = absl::DeadlineExceededError(absl::StrCat(what, ": no answer"));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    out = error_status(rd_kafka_event_error(event), rd_kafka_event_error_string(event));
  } else {
    const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(event);
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(result, &count);
    for (size_t i = 0; i < count && out.ok(); ++i) {
      if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        out = error_status(rd_kafka_ConfigResource_error(resources[i]), rd_kafka_ConfigResource_error_string(resources[i]));
        break;
      }
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
      for (size_t j = 0; j < entries; ++j) {
        const char* name = rd_kafka_ConfigEntry_name(configs[j]);
        const char* value = rd_kafka_ConfigEntry_value(configs[j]);
        if (name != nullptr) (*out)[name] = value != nullptr ? value : "";
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_AdminOptions_destroy(admin);
  rd_kafka_queue_destroy(queue);
  rd_kafka_ConfigResource_destroy(resource);
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  // A throw-away group id: we assign partitions by hand and never commit.
  const std::map<std::string, std::string> props = {
      {"bootstrap.servers", bootstrap_servers},
      {"group.id", "tweetstream-compacted-reader"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"log_level", "3"},
  };
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) return absl::InvalidArgumentError(err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  const int timeout_ms = static_cast<int>(timeout.count());

  RdKafka::Metadata* raw_md = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, err));
  RdKafka::ErrorCode code = consumer->metadata(false, handle.get(), &raw_md, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> md(raw_md);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("reading topic ", topic, " at ", bootstrap_servers, ": ", RdKafka::err2str(code)));
  }
  std::map<std::string, std::string> values;
  std::vector<RdKafka::TopicPartition*> assignment;
  std::map<int32_t, int64_t> end;  // partition -> high watermark
  for (const auto* t : *md->topics()) {
    if (t->topic() != topic || t->err() != RdKafka::ERR_NO_ERROR) continue;  // absent topic: empty
    for (const auto* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      code = consumer->query_watermark_offsets(topic, p->id(), &low, &high, timeout_ms);
      if (code != RdKafka::ERR_NO_ERROR) {
        RdKafka::TopicPartition::destroy(assignment);
        return absl::UnavailableError(absl::StrCat("offsets of ", topic, "/", p->id(), ": ", RdKafka::err2str(code)));
      }
      if (high > low) {
        end[p->id()] = high;
        assignment.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
      }
    }
  }
  if (assignment.empty()) return values;
  consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  while (!end.empty()) {
    if (absl::Now() >= deadline) {
      consumer->close();
      return absl::DeadlineExceededError(absl::StrCat("reading topic ", topic, ": end not reached in time"));
    }
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR__TIMED_OUT) continue;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      TS_LOG(WARNING) << "reading " << topic << ": " << msg->errstr();
      continue;
    }
    if (msg->key_pointer() != nullptr) {
      std::string key(static_cast<const char*>(msg->key_pointer()), msg->key_len());
      if (msg->payload() == nullptr) values.erase(key);
      else values[key] = std::string(static_cast<const char*>(msg->payload()), msg->len());
    }
    auto it = end.find(msg->partition());
    if (it != end.end() && msg->offset() + 1 >= it->second) end.erase(it);
  }
  consumer->close();
  return values;
}

namespace {

// A consumer of `group` that never subscribes: for offset queries and commits from outside the group.
absl::StatusOr<std::unique_ptr<RdKafka::KafkaConsumer>> OffsetClient(const std::string& bootstrap_servers,
                                                                     const std::string& group) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  const std::map<std::string, std::string> props = {
      {"bootstrap.servers", bootstrap_servers}, {"group.id", group},         {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},    {"client.id", "tweetstream-offsets"}, {"log_level", "3"},
  };
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) return absl::InvalidArgumentError(err);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", err));
  return consumer;
}

absl::StatusOr<std::vector<int32_t>> TopicPartitions(RdKafka::KafkaConsumer* consumer, const std::string& bootstrap,
                                                     const std::string& topic, int timeout_ms) {
  std::string err;
  RdKafka::Metadata* raw_md = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer, topic, nullptr, err));
  RdKafka::ErrorCode code = consumer->metadata(false, handle.get(), &raw_md, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> md(raw_md);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, " at ", bootstrap, ": ", RdKafka::err2str(code)));
  }
  std::vector<int32_t> partitions;
  for (const auto* t : *md->topics()) {
    if (t->topic() != topic) continue;
    if (t->err() != RdKafka::ERR_NO_ERROR) {
      return absl::NotFoundError(absl::StrCat("topic ", topic, ": ", RdKafka::err2str(t->err())));
    }
    for (const auto* p : *t->partitions()) partitions.push_back(p->id());
  }
  if (partitions.empty()) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
  std::sort(partitions.begin(), partitions.end());
  return partitions;
}

}  // namespace

absl::StatusOr<std::vector<PartitionOffsetInfo>> DescribeGroupOffsets(const std::string& bootstrap_servers,
                                                                      const std::string& group,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  auto consumer = OffsetClient(bootstrap_servers, group);
  if (!consumer.ok()) return consumer.status();
  const int timeout_ms = static_cast<int>(timeout.count());
  auto partitions = TopicPartitions(consumer->get(), bootstrap_servers, topic, timeout_ms);
  if (!partitions.ok()) return partitions.status();
  std::vector<PartitionOffsetInfo> out;
  std::vector<RdKafka::TopicPartition*> tps;
  for (int32_t p : *partitions) {
    PartitionOffsetInfo info;
    info.partition = p;
    RdKafka::ErrorCode code = (*consumer)->query_watermark_offsets(topic, p, &info.low, &info.high, timeout_ms);
    if (code != RdKafka::ERR_NO_ERROR) {
      RdKafka::TopicPartition::destroy(tps);
      return absl::UnavailableError(absl::StrCat("offsets of ", topic, "/", p, ": ", RdKafka::err2str(code)));
    }
    out.push_back(info);
    tps.push_back(RdKafka::TopicPartition::create(topic, p));
  }
  RdKafka::ErrorCode code = (*consumer)->committed(tps, timeout_ms);
  if (code == RdKafka::ERR_NO_ERROR) {
    for (size_t i = 0; i < tps.size(); ++i) {
      if (tps[i]->err() == RdKafka::ERR_NO_ERROR && tps[i]->offset() >= 0) out[i].committed = tps[i]->offset();
    }
  }
  RdKafka::TopicPartition::destroy(tps);
  (*consumer)->close();
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("committed offsets of group ", group, ": ", RdKafka::err2str(code)));
  }
  return out;
}

absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                std::chrono::milliseconds timeout) {
  auto consumer = OffsetClient(bootstrap_servers, group);
  if (!consumer.ok()) return consumer.status();
  // Wait (bounded) for the group coordinator: a commit before it is known fails with a transport error.
  if (absl::Status s = TopicPartitions(consumer->get(), bootstrap_servers, topic, static_cast<int>(timeout.count())).status();
      !s.ok()) {
    return s;
  }
  std::vector<RdKafka::TopicPartition*> tps;
  for (const auto& [p, offset] : next_offsets) tps.push_back(RdKafka::TopicPartition::create(topic, p, offset));
  RdKafka::ErrorCode code = (*consumer)->commitSync(tps);
  RdKafka::ErrorCode part_error = RdKafka::ERR_NO_ERROR;
  for (auto* tp : tps) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) part_error = tp->err();
  }
  RdKafka::TopicPartition::destroy(tps);
  (*consumer)->close();
  if (code == RdKafka::ERR_NO_ERROR) code = part_error;
  if (code == RdKafka::ERR_UNKNOWN_MEMBER_ID || code == RdKafka::ERR_ILLEGAL_GENERATION ||
      code == RdKafka::ERR_REBALANCE_IN_PROGRESS) {
    return absl::FailedPreconditionError(absl::StrCat("group ", group, " has active members (", RdKafka::err2str(code),
                                                      "): stop every sink of the group first"));
  }
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("committing offsets of group ", group, ": ", RdKafka::err2str(code)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                               const std::string& topic, int64_t timestamp_ms,
                                                               std::chrono::milliseconds timeout) {
  auto consumer = OffsetClient(bootstrap_servers, "tweetstream-offsets-lookup");
  if (!consumer.ok()) return consumer.status();
  const int timeout_ms = static_cast<int>(timeout.count());
  auto partitions = TopicPartitions(consumer->get(), bootstrap_servers, topic, timeout_ms);
  if (!partitions.ok()) return partitions.status();
  std::vector<RdKafka::TopicPartition*> tps;
  for (int32_t p : *partitions) tps.push_back(RdKafka::TopicPartition::create(topic, p, timestamp_ms));
  RdKafka::ErrorCode code = (*consumer)->offsetsForTimes(tps, timeout_ms);
  std::map<int32_t, int64_t> out;
  absl::Status status = absl::OkStatus();
  if (code != RdKafka::ERR_NO_ERROR) {
    status = absl::UnavailableError(absl::StrCat("offsets for a time on ", topic, ": ", RdKafka::err2str(code)));
  } else {
    for (auto* tp : tps) {
      int64_t offset = tp->offset();
      if (offset < 0) {  // no record at or after the time: the end
        int64_t low = 0, high = 0;
        (*consumer)->query_watermark_offsets(topic, tp->partition(), &low, &high, timeout_ms);
        offset = high;
      }
      out[tp->partition()] = offset;
    }
  }
  RdKafka::TopicPartition::destroy(tps);
  (*consumer)->close();
  if (!status.ok()) return status;
  return out;
}

}  // namespace tweetstream::common
