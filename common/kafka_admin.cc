#include "common/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace tweetstream::common {
namespace {

int Ms(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

// A librdkafka C handle (the C++ API has no admin client). A consumer-type handle: it can send the
// admin requests, query watermarks and offsets for times, and also be assigned partitions to read a
// topic; its group.id is its own and never joined (it never subscribes, never commits).
absl::StatusOr<rd_kafka_t*> NewHandle(const std::string& bootstrap_servers, const std::string& client_id) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> props[] = {
      {"bootstrap.servers", bootstrap_servers},
      {"client.id", client_id},
      {"group.id", client_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      // Never create a topic by asking for its metadata.
      {"allow.auto.create.topics", "false"},
      {"log_level", "3"},
  };
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka: ", errstr));
    }
  }
  // Errors (a broker down) are served by rd_kafka_poll on each call: logged at debug level, the call
  // itself reports what matters to its caller.
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int, const char* reason, void*) {
    TS_LOG(DEBUG) << "kafka admin: " << reason;
  });
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {  // librdkafka takes the conf only on success
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka: ", errstr));
  }
  return rk;
}

// Whether the broker reached first through `rk` reports `topic` with every partition led.
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
  if (rd_kafka_metadata(rk, 0, nullptr, &cluster, Ms(timeout)) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  std::vector<std::string> brokers;
  for (int i = 0; i < cluster->broker_cnt; ++i) {
    brokers.push_back(absl::StrCat(cluster->brokers[i].host, ":", cluster->brokers[i].port));
  }
  rd_kafka_metadata_destroy(cluster);
  if (brokers.size() < 2) return;  // one broker answered the creation itself
  for (const std::string& broker : brokers) {
    bool led = false;
    while (!led && std::chrono::steady_clock::now() < deadline) {
      auto one = NewHandle(broker, "tweetstream-topic-check");
      if (!one.ok()) break;
      led = TopicLedThere(*one, topic, partitions, 2000);
      rd_kafka_destroy_flags(*one, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
      if (!led) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!led) {
      TS_LOG(WARNING) << "broker " << broker << " did not report topic " << topic << " with its " << partitions
                      << " partition(s) led within " << timeout.count() / 1000 << " s; producing goes on";
      return;
    }
  }
}

// An admin request's queue, options and result event, freed together.
struct AdminCall {
  rd_kafka_queue_t* queue = nullptr;
  rd_kafka_AdminOptions_t* options = nullptr;
  rd_kafka_event_t* event = nullptr;
  AdminCall(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout)
      : queue(rd_kafka_queue_new(rk)), options(rd_kafka_AdminOptions_new(rk, op)) {
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(options, Ms(timeout), errstr, sizeof errstr);
  }
  // Waits for the result: false when none came (a little beyond the request timeout).
  bool Wait(std::chrono::milliseconds timeout) {
    event = rd_kafka_queue_poll(queue, Ms(timeout) + 1000);
    return event != nullptr;
  }
  ~AdminCall() {
    if (event) rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
  }
};

struct PartitionList {
  rd_kafka_topic_partition_list_t* list;
  explicit PartitionList(int size) : list(rd_kafka_topic_partition_list_new(size)) {}
  ~PartitionList() { rd_kafka_topic_partition_list_destroy(list); }
};

// A broker error of a describe as a status code (see the header).
absl::Status DescribeError(const std::string& what, rd_kafka_resp_err_t err, const char* message) {
  const std::string text = absl::StrCat(what, ": ", message != nullptr ? message : rd_kafka_err2str(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(text);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(text);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      return absl::DeadlineExceededError(text);
    default:
      return absl::UnavailableError(text);
  }
}

}  // namespace

struct RdKafkaAdmin::Client {
  std::string bootstrap_servers;
  rd_kafka_t* rk = nullptr;
  // ReadCompactedTopic assigns partitions to the handle: one reader at a time.
  absl::Mutex reader_mu;
  ~Client() {
    // Never subscribed: nothing to leave. An unassign in progress was finished by its reader.
    if (rk) rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
  // Serves the handle's error callbacks (they queue up otherwise).
  void Serve() { rd_kafka_poll(rk, 0); }

  // The partitions of `topic`, ascending; NOT_FOUND when it does not exist.
  absl::StatusOr<std::vector<int32_t>> Partitions(const std::string& topic, std::chrono::milliseconds timeout) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    if (rkt == nullptr) return absl::InvalidArgumentError(absl::StrCat("topic ", topic, ": not a valid name"));
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, Ms(timeout));
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("metadata of ", topic, " at ", bootstrap_servers, ": ", rd_kafka_err2str(err)));
    }
    std::vector<int32_t> partitions;
    absl::Status status = absl::OkStatus();
    for (int i = 0; i < md->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      if (t.topic == nullptr || topic != t.topic) continue;
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = absl::NotFoundError(absl::StrCat("topic ", topic, ": ", rd_kafka_err2str(t.err)));
        break;
      }
      for (int p = 0; p < t.partition_cnt; ++p) partitions.push_back(t.partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    if (!status.ok()) return status;
    if (partitions.empty()) return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    std::sort(partitions.begin(), partitions.end());
    return partitions;
  }
};

RdKafkaAdmin::~RdKafkaAdmin() = default;

int RdKafkaAdmin::clients_created() const {
  absl::MutexLock lock(&mu_);
  return clients_created_;
}

absl::StatusOr<std::shared_ptr<RdKafkaAdmin::Client>> RdKafkaAdmin::ClientFor(const std::string& bootstrap_servers) {
  absl::MutexLock lock(&mu_);
  if (client_ != nullptr && client_->bootstrap_servers == bootstrap_servers) return client_;
  auto rk = NewHandle(bootstrap_servers, client_id_);
  if (!rk.ok()) return rk.status();
  auto client = std::make_shared<Client>();
  client->bootstrap_servers = bootstrap_servers;
  client->rk = *rk;
  if (client_ != nullptr) {
    TS_LOG(INFO) << "kafka admin: bootstrap servers changed from " << client_->bootstrap_servers << " to "
                 << bootstrap_servers << ": new client";
  }
  client_ = client;  // the old one goes when its last call in flight returns
  ++clients_created_;
  return client;
}

absl::StatusOr<std::vector<PartitionOffsetInfo>> RdKafkaAdmin::EndOffsets(const std::string& bootstrap_servers,
                                                                          const std::string& topic,
                                                                          std::chrono::milliseconds timeout) {
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  Client& c = **client;
  c.Serve();
  auto partitions = c.Partitions(topic, timeout);
  if (!partitions.ok()) return partitions.status();
  std::vector<PartitionOffsetInfo> out;
  for (int32_t p : *partitions) {
    PartitionOffsetInfo info;
    info.partition = p;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(c.rk, topic.c_str(), p, &info.low, &info.high, Ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("offsets of ", topic, "/", p, " at ", bootstrap_servers, ": ",
                                                 rd_kafka_err2str(err)));
    }
    out.push_back(info);
  }
  return out;
}

absl::StatusOr<std::vector<PartitionOffsetInfo>> RdKafkaAdmin::GroupOffsets(const std::string& bootstrap_servers,
                                                                            const std::string& group,
                                                                            const std::string& topic,
                                                                            std::chrono::milliseconds timeout) {
  auto out = EndOffsets(bootstrap_servers, topic, timeout);
  if (!out.ok()) return out.status();
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = (*client)->rk;
  PartitionList partitions(static_cast<int>(out->size()));
  for (const auto& info : *out) rd_kafka_topic_partition_list_add(partitions.list, topic.c_str(), info.partition);
  rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), partitions.list);
  AdminCall call(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout);
  rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, call.options, call.queue);
  rd_kafka_ListConsumerGroupOffsets_destroy(request);
  const std::string what = absl::StrCat("committed offsets of group ", group, " at ", bootstrap_servers);
  if (!call.Wait(timeout)) return absl::DeadlineExceededError(absl::StrCat(what, ": no answer"));
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(call.event); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return DescribeError(what, err, rd_kafka_event_error_string(call.event));
  }
  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
      rd_kafka_event_ListConsumerGroupOffsets_result(call.event), &count);
  for (size_t i = 0; i < count; ++i) {
    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[i]); error != nullptr) {
      return DescribeError(what, rd_kafka_error_code(error), rd_kafka_error_string(error));
    }
    const rd_kafka_topic_partition_list_t* committed = rd_kafka_group_result_partitions(groups[i]);
    for (int j = 0; committed != nullptr && j < committed->cnt; ++j) {
      const rd_kafka_topic_partition_t& tp = committed->elems[j];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) return DescribeError(what, tp.err, nullptr);
      if (tp.offset < 0) continue;  // no commit
      for (auto& info : *out) {
        if (info.partition == tp.partition) info.committed = tp.offset;
      }
    }
  }
  return out;
}

absl::Status RdKafkaAdmin::CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                              const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                              std::chrono::milliseconds timeout) {
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  (*client)->Serve();
  // NOT_FOUND for a topic that does not exist, before asking the group coordinator.
  if (absl::Status s = (*client)->Partitions(topic, timeout).status(); !s.ok()) return s;
  rd_kafka_t* rk = (*client)->rk;
  PartitionList partitions(static_cast<int>(next_offsets.size()));
  for (const auto& [p, offset] : next_offsets) {
    rd_kafka_topic_partition_list_add(partitions.list, topic.c_str(), p)->offset = offset;
  }
  rd_kafka_AlterConsumerGroupOffsets_t* request = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), partitions.list);
  AdminCall call(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout);
  rd_kafka_AlterConsumerGroupOffsets(rk, &request, 1, call.options, call.queue);
  rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  const std::string what = absl::StrCat("committing offsets of group ", group, " at ", bootstrap_servers);
  if (!call.Wait(timeout)) return absl::DeadlineExceededError(absl::StrCat(what, ": no answer"));
  rd_kafka_resp_err_t code = rd_kafka_event_error(call.event);
  std::string message = code != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(call.event) : "";
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t count = 0;
    const rd_kafka_group_result_t** groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(call.event), &count);
    for (size_t i = 0; i < count && code == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      if (const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[i]); error != nullptr) {
        code = rd_kafka_error_code(error);
        message = rd_kafka_error_string(error);
        break;
      }
      const rd_kafka_topic_partition_list_t* result = rd_kafka_group_result_partitions(groups[i]);
      for (int j = 0; result != nullptr && j < result->cnt; ++j) {
        if (result->elems[j].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          code = result->elems[j].err;
          message = rd_kafka_err2str(code);
          break;
        }
      }
    }
  }
  if (code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
      code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS) {
    return absl::FailedPreconditionError(
        absl::StrCat("group ", group, " has active members (", message, "): stop every sink of the group first"));
  }
  if (code != RD_KAFKA_RESP_ERR_NO_ERROR) return DescribeError(what, code, message.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::map<int32_t, int64_t>> RdKafkaAdmin::OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                                             const std::string& topic,
                                                                             int64_t timestamp_ms,
                                                                             std::chrono::milliseconds timeout) {
  auto ends = EndOffsets(bootstrap_servers, topic, timeout);
  if (!ends.ok()) return ends.status();
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  PartitionList partitions(static_cast<int>(ends->size()));
  for (const auto& info : *ends) {
    rd_kafka_topic_partition_list_add(partitions.list, topic.c_str(), info.partition)->offset = timestamp_ms;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times((*client)->rk, partitions.list, Ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("offsets for a time on ", topic, " at ", bootstrap_servers, ": ",
                                               rd_kafka_err2str(err)));
  }
  std::map<int32_t, int64_t> out;
  for (const auto& info : *ends) out[info.partition] = info.high;  // no record at or after the time: the end
  for (int i = 0; i < partitions.list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = partitions.list->elems[i];
    if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.offset >= 0) out[tp.partition] = tp.offset;
  }
  return out;
}

absl::Status RdKafkaAdmin::EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                                       int replication_factor, std::chrono::milliseconds timeout,
                                       const std::map<std::string, std::string>& topic_config) {
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = (*client)->rk;
  (*client)->Serve();
  {  // UNAVAILABLE naming the address when no broker answers (rather than a bare timeout).
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &md, Ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("no Kafka broker answered at ", bootstrap_servers, " within ",
                                                 timeout.count() / 1000, " s (", rd_kafka_err2str(err), ")"));
    }
    rd_kafka_metadata_destroy(md);
  }
  char errstr[512];
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, errstr, sizeof errstr);
  if (new_topic == nullptr) return absl::InvalidArgumentError(absl::StrCat("topic ", topic, ": ", errstr));
  for (const auto& [k, v] : topic_config) rd_kafka_NewTopic_set_config(new_topic, k.c_str(), v.c_str());
  absl::Status status = absl::OkStatus();
  bool created = false;
  {
    AdminCall call(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
    rd_kafka_CreateTopics(rk, &new_topic, 1, call.options, call.queue);
    if (!call.Wait(timeout)) {
      status = absl::DeadlineExceededError(absl::StrCat("creating topic ", topic, " at ", bootstrap_servers, ": no answer"));
    } else if (rd_kafka_event_error(call.event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = absl::UnavailableError(absl::StrCat("creating topic ", topic, ": ", rd_kafka_event_error_string(call.event)));
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(call.event), &count);
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
  }
  rd_kafka_NewTopic_destroy(new_topic);
  if (status.ok() && created) WaitUntilEveryBrokerKnows(rk, topic, partitions, timeout);
  return status;
}

absl::StatusOr<std::map<std::string, std::string>> RdKafkaAdmin::DescribeTopicConfig(
    const std::string& bootstrap_servers, const std::string& topic, std::chrono::milliseconds timeout) {
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = (*client)->rk;
  (*client)->Serve();
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  AdminCall call(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  rd_kafka_DescribeConfigs(rk, &resource, 1, call.options, call.queue);
  rd_kafka_ConfigResource_destroy(resource);
  const std::string what = absl::StrCat("describing topic ", topic, " at ", bootstrap_servers);
  if (!call.Wait(timeout)) return absl::DeadlineExceededError(absl::StrCat(what, ": no answer"));
  if (rd_kafka_event_error(call.event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return DescribeError(what, rd_kafka_event_error(call.event), rd_kafka_event_error_string(call.event));
  }
  std::map<std::string, std::string> out;
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(call.event), &count);
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return DescribeError(what, rd_kafka_ConfigResource_error(resources[i]),
                           rd_kafka_ConfigResource_error_string(resources[i]));
    }
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
    for (size_t j = 0; j < entries; ++j) {
      const char* name = rd_kafka_ConfigEntry_name(configs[j]);
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      if (name != nullptr) out[name] = value != nullptr ? value : "";
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> RdKafkaAdmin::ReadCompactedTopic(
    const std::string& bootstrap_servers, const std::string& topic, std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> values;
  auto ends = EndOffsets(bootstrap_servers, topic, timeout);
  if (absl::IsNotFound(ends.status())) return values;  // an absent topic reads as empty
  if (!ends.ok()) {
    return absl::Status(ends.status().code(), absl::StrCat("reading topic ", topic, ": ", ends.status().message()));
  }
  auto client = ClientFor(bootstrap_servers);
  if (!client.ok()) return client.status();
  Client& c = **client;
  std::map<int32_t, int64_t> end;  // partition -> high watermark, for those with records
  PartitionList assignment(static_cast<int>(ends->size()));
  for (const auto& info : *ends) {
    if (info.high <= info.low) continue;
    end[info.partition] = info.high;
    rd_kafka_topic_partition_list_add(assignment.list, topic.c_str(), info.partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (end.empty()) return values;
  absl::MutexLock reader(&c.reader_mu);
  if (rd_kafka_resp_err_t err = rd_kafka_assign(c.rk, assignment.list); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("reading topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  const absl::Time deadline = absl::Now() + absl::FromChrono(timeout);
  absl::Status status = absl::OkStatus();
  while (!end.empty()) {
    if (absl::Now() >= deadline) {
      status = absl::DeadlineExceededError(absl::StrCat("reading topic ", topic, ": end not reached in time"));
      break;
    }
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(c.rk, 200);
    if (msg == nullptr) continue;
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        TS_LOG(WARNING) << "reading " << topic << ": " << rd_kafka_message_errstr(msg);
      }
    } else if (msg->rkt != nullptr && topic == rd_kafka_topic_name(msg->rkt)) {
      if (msg->key != nullptr) {
        std::string key(static_cast<const char*>(msg->key), msg->key_len);
        if (msg->payload == nullptr) {
          values.erase(key);
        } else {
          values[key] = std::string(static_cast<const char*>(msg->payload), msg->len);
        }
      }
      auto it = end.find(msg->partition);
      if (it != end.end() && msg->offset + 1 >= it->second) end.erase(it);
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_assign(c.rk, nullptr);  // the next read starts from a clean assignment
  if (!status.ok()) return status;
  return values;
}

absl::Status EnsureTopic(const std::string& bootstrap_servers, const std::string& topic, int partitions,
                         int replication_factor, std::chrono::milliseconds timeout,
                         const std::map<std::string, std::string>& topic_config) {
  return RdKafkaAdmin().EnsureTopic(bootstrap_servers, topic, partitions, replication_factor, timeout, topic_config);
}

absl::StatusOr<std::map<std::string, std::string>> DescribeTopicConfig(const std::string& bootstrap_servers,
                                                                       const std::string& topic,
                                                                       std::chrono::milliseconds timeout) {
  return RdKafkaAdmin().DescribeTopicConfig(bootstrap_servers, topic, timeout);
}

absl::StatusOr<std::map<std::string, std::string>> ReadCompactedTopic(const std::string& bootstrap_servers,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  return RdKafkaAdmin("tweetstream-compacted-reader").ReadCompactedTopic(bootstrap_servers, topic, timeout);
}

absl::StatusOr<std::vector<PartitionOffsetInfo>> DescribeGroupOffsets(const std::string& bootstrap_servers,
                                                                      const std::string& group,
                                                                      const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  return RdKafkaAdmin().GroupOffsets(bootstrap_servers, group, topic, timeout);
}

absl::Status CommitGroupOffsets(const std::string& bootstrap_servers, const std::string& group,
                                const std::string& topic, const std::map<int32_t, int64_t>& next_offsets,
                                std::chrono::milliseconds timeout) {
  return RdKafkaAdmin().CommitGroupOffsets(bootstrap_servers, group, topic, next_offsets, timeout);
}

absl::StatusOr<std::map<int32_t, int64_t>> OffsetsForTimestamp(const std::string& bootstrap_servers,
                                                               const std::string& topic, int64_t timestamp_ms,
                                                               std::chrono::milliseconds timeout) {
  return RdKafkaAdmin().OffsetsForTimestamp(bootstrap_servers, topic, timestamp_ms, timeout);
}

absl::Status CheckKafkaReachable(const std::string& bootstrap_servers, std::chrono::milliseconds timeout) {
  auto rk = NewHandle(bootstrap_servers, "tweetstream-admin");
  if (!rk.ok()) return rk.status();
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(*rk, 0, nullptr, &md, Ms(timeout));
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_destroy_flags(*rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("no Kafka broker answered at ", bootstrap_servers, " within ",
                                               timeout.count() / 1000, " s (", rd_kafka_err2str(err), ")"));
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::common
