#include "sink-connector/sink_control.h"

#include <rapidjson/document.h>

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "google/protobuf/util/time_util.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_counters.h"

namespace tweetstream::sink {
namespace {

constexpr std::chrono::milliseconds kProbeTimeout{2000};
constexpr std::chrono::milliseconds kAdminTimeout{10000};

void ToProto(const common::PartitionOffsetInfo& info, v1::PartitionOffsets* out) {
  out->set_partition(info.partition);
  out->set_committed(info.committed);
  out->set_start_offset(info.low);
  out->set_end_offset(info.high);
  out->set_lag(info.Lag());
}

}  // namespace

void SinkDataPlane::FillStatus(v1::ConnectorStatus* status) {
  app_->status().FillProto(status);
  v1::SinkDetail* detail = status->mutable_sink();
  detail->set_topic(app_->config().topic);
  detail->set_group_id(app_->config().group_id);
  detail->set_index(app_->config().index);
  detail->set_dlq_topic(app_->config().dlq_topic);
}

void DeadLetterLedger::Record(const std::string& error_class, const std::string& message) {
  absl::MutexLock lock(&mu_);
  ++by_class_[error_class];
  *last_.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now()));
  last_.set_message(absl::StrCat(error_class, ": ", message));
}

void DeadLetterLedger::Fill(v1::DeadLetterStats* out) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [error_class, count] : by_class_) (*out->mutable_by_error_class())[error_class] = count;
  if (!last_.message().empty()) *out->mutable_last() = last_;
}

absl::StatusOr<std::unique_ptr<EsApi>> MakeCurlEsClient(const EsOptions& options) {
  auto http = common::CurlHttpClient::Create();
  if (!http.ok()) return http.status();
  return std::unique_ptr<EsApi>(std::make_unique<EsClient>(std::move(*http), options));
}

int64_t CountIndexDocuments(EsApi* es, const SinkConfig& config) {
  const std::string target = config.IndexIsPattern() ? config.IndexPrefix() + "*" : config.index;
  auto response = es->Request("GET", "/" + target + "/_count", "");
  if (!response.ok()) {
    TS_LOG(DEBUG) << "document count of " << target << ": " << response.status().message();
    return -1;
  }
  if (response->status == 404) return 0;  // nothing indexed yet
  if (response->status != 200) return -1;
  rapidjson::Document doc;
  doc.Parse(response->body.data(), response->body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("count") || !doc["count"].IsInt64()) return -1;
  return doc["count"].GetInt64();
}

SinkProbe::SinkProbe(SinkConfigSource config, common::KafkaAdmin* admin, EsApiFactory es, absl::Duration max_age)
    : config_(std::move(config)), admin_(admin), es_factory_(std::move(es)), max_age_(max_age) {}

void SinkProbe::RefreshLocked() {
  if (absl::Now() - refreshed_ < max_age_) return;
  refreshed_ = absl::Now();
  auto config = config_();
  if (!config.ok()) return;
  auto offsets = admin_->GroupOffsets(config->bootstrap_servers, config->group_id, config->topic, kProbeTimeout);
  if (offsets.ok()) {
    partitions_ = std::move(*offsets);
  } else {
    TS_LOG(DEBUG) << "lag of group " << config->group_id << ": " << offsets.status().message();
    partitions_.clear();
  }
  EsOptions options = config->es;
  options.timeout = kProbeTimeout;
  // A new client only when where or as whom to ask changed (an UpdateConfig of the ES settings).
  const std::string key = absl::StrCat(absl::StrJoin(options.urls, ","), "\n", options.username, "\n",
                                       options.password, "\n", options.api_key, "\n", options.ca_file);
  if (es_ == nullptr || key != es_key_) {
    es_.reset();
    auto es = es_factory_(options);
    if (!es.ok()) {
      TS_LOG(DEBUG) << "document count: " << es.status().message();
      document_count_ = -1;
      return;
    }
    es_ = std::move(*es);
    es_key_ = key;
  }
  document_count_ = CountIndexDocuments(es_.get(), *config);
}

std::vector<common::PartitionOffsetInfo> SinkProbe::Partitions() {
  absl::MutexLock lock(&mu_);
  RefreshLocked();
  return partitions_;
}

void SinkProbe::Fill(v1::ConnectorStatus* status) {
  auto config = config_();
  v1::SinkDetail* detail = status->mutable_sink();
  if (config.ok()) {
    detail->set_topic(config->topic);
    detail->set_group_id(config->group_id);
    detail->set_index(config->index);
    detail->set_dlq_topic(config->dlq_topic);
  }
  absl::MutexLock lock(&mu_);
  RefreshLocked();
  int64_t total = 0;
  detail->clear_partitions();
  for (const auto& info : partitions_) {
    v1::PartitionLag* lag = detail->add_partitions();
    lag->set_partition(info.partition);
    lag->set_committed(info.committed);
    lag->set_end_offset(info.high);
    lag->set_lag(info.Lag());
    total += info.Lag();
  }
  detail->set_total_lag(total);
  detail->set_index_document_count(document_count_);
}

SinkControlService::SinkControlService(control::ConnectorHost* host, SinkConfigSource config,
                                       const DeadLetterLedger* ledger, const control::ControlAuth* auth,
                                       common::KafkaAdmin* admin)
    : host_(host), config_(std::move(config)), ledger_(ledger), auth_(auth), admin_(admin) {}

grpc::Status SinkControlService::GetOffsets(grpc::ServerContext* context, const v1::GetOffsetsRequest*,
                                            v1::GetOffsetsResponse* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto config = config_();
  if (!config.ok()) return control::ToGrpc(config.status());
  auto offsets = admin_->GroupOffsets(config->bootstrap_servers, config->group_id, config->topic, kAdminTimeout);
  if (!offsets.ok()) return control::ToGrpc(offsets.status());
  response->set_topic(config->topic);
  response->set_group_id(config->group_id);
  int64_t total = 0;
  for (const auto& info : *offsets) {
    ToProto(info, response->add_partitions());
    total += info.Lag();
  }
  response->set_total_lag(total);
  return grpc::Status::OK;
}

grpc::Status SinkControlService::ResetOffsets(grpc::ServerContext* context, const v1::ResetOffsetsRequest* request,
                                              v1::ResetOffsetsResponse* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  if (host_->state() != v1::CONNECTOR_STATE_STOPPED) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("offsets can be reset only while the sink is STOPPED (it is ",
                                     control::StateName(host_->state()), "): stop it first (tweetctl stop sink)"));
  }
  auto config = config_();
  if (!config.ok()) return control::ToGrpc(config.status());
  auto current = admin_->GroupOffsets(config->bootstrap_servers, config->group_id, config->topic, kAdminTimeout);
  if (!current.ok()) return control::ToGrpc(current.status());
  std::map<int32_t, int64_t> target;
  switch (request->target()) {
    case v1::ResetOffsetsRequest::TARGET_EARLIEST:
      for (const auto& info : *current) target[info.partition] = info.low;
      break;
    case v1::ResetOffsetsRequest::TARGET_LATEST:
      for (const auto& info : *current) target[info.partition] = info.high;
      break;
    case v1::ResetOffsetsRequest::TARGET_TIMESTAMP: {
      if (!request->has_timestamp()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timestamp: needed with TARGET_TIMESTAMP");
      }
      const int64_t ms = google::protobuf::util::TimeUtil::TimestampToMilliseconds(request->timestamp());
      auto offsets = admin_->OffsetsForTimestamp(config->bootstrap_servers, config->topic, ms, kAdminTimeout);
      if (!offsets.ok()) return control::ToGrpc(offsets.status());
      target = std::move(*offsets);
      break;
    }
    case v1::ResetOffsetsRequest::TARGET_OFFSETS: {
      if (request->offsets().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "offsets: give at least one partition -> offset");
      }
      for (const auto& [partition, offset] : request->offsets()) {
        const common::PartitionOffsetInfo* info = nullptr;
        for (const auto& i : *current) {
          if (i.partition == partition) info = &i;
        }
        if (info == nullptr) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("offsets: ", config->topic, " has no partition ", partition));
        }
        if (offset < info->low || offset > info->high) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("offsets: partition ", partition, " offset ", offset, " is outside [",
                                           info->low, ", ", info->high, "]"));
        }
        target[partition] = offset;
      }
      break;
    }
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "target: one of TARGET_EARLIEST, TARGET_LATEST, TARGET_TIMESTAMP, TARGET_OFFSETS");
  }
  if (absl::Status s =
          admin_->CommitGroupOffsets(config->bootstrap_servers, config->group_id, config->topic, target, kAdminTimeout);
      !s.ok()) {
    return control::ToGrpc(s);
  }
  TS_LOG(INFO) << "offsets of group " << config->group_id << " on " << config->topic << " reset ("
               << v1::ResetOffsetsRequest::Target_Name(request->target()) << ", " << target.size() << " partition(s))";
  auto after = admin_->GroupOffsets(config->bootstrap_servers, config->group_id, config->topic, kAdminTimeout);
  if (!after.ok()) return control::ToGrpc(after.status());
  for (const auto& info : *after) ToProto(info, response->add_partitions());
  return grpc::Status::OK;
}

grpc::Status SinkControlService::GetDeadLetterStats(grpc::ServerContext* context, const v1::GetDeadLetterStatsRequest*,
                                                    v1::DeadLetterStats* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto config = config_();
  if (!config.ok()) return control::ToGrpc(config.status());
  response->set_topic(config->dlq_topic);
  const v1::Counters counters = host_->Counters();
  response->set_dead_lettered(counters.dead_lettered());
  response->set_rejected(counters.failed());
  response->set_undecodable(counters.skipped());
  ledger_->Fill(response);
  response->set_topic_records(-1);
  if (!config->dlq_topic.empty()) {
    auto offsets = admin_->EndOffsets(config->bootstrap_servers, config->dlq_topic, kProbeTimeout);
    if (offsets.ok()) {
      int64_t records = 0;
      for (const auto& info : *offsets) records += info.high - info.low;
      response->set_topic_records(records);
    } else if (absl::IsNotFound(offsets.status())) {
      response->set_topic_records(0);
    }
  }
  return grpc::Status::OK;
}

void RegisterSinkMetrics(control::ConnectorHost* host, SinkProbe* probe, common::MetricsRegistry* registry) {
  control::RegisterHostMetrics(host, {}, registry);
  // Every counter of sink_counters.h the control plane carries, as tweetstream_sink_<metric>.
#define TWEETSTREAM_SINK_COUNTER_METRIC(name, where, field, metric, help)                                \
  if (std::string_view(#where) != "none") {                                                              \
    registry->AddCounterFunction("tweetstream_sink_" #metric, help, [host] {                             \
      return static_cast<double>(TWEETSTREAM_SINK_COUNTER_GET_##where(host->Status(false), field));      \
    });                                                                                                  \
  }
  TWEETSTREAM_SINK_COUNTERS(TWEETSTREAM_SINK_COUNTER_METRIC)
#undef TWEETSTREAM_SINK_COUNTER_METRIC
  registry->AddGaugeFunction("tweetstream_sink_pending_records", "Records consumed and not yet indexed or dead-lettered.",
                             [host] { return static_cast<double>(host->Status(false).sink().pending_records()); });
  registry->AddGaugeFunction("tweetstream_sink_in_flight_bulks", "Bulk requests queued or being sent.",
                             [host] { return static_cast<double>(host->Status(false).sink().in_flight_bulks()); });
  registry->SetGaugeFamilyFunction("tweetstream_sink_partition_lag",
                                   "Records of each partition the group has still to index (end offset - committed).",
                                   [probe] {
                                     common::MetricsRegistry::FamilySamples samples;
                                     for (const auto& info : probe->Partitions()) {
                                       samples.push_back({{{"partition", std::to_string(info.partition)}},
                                                          static_cast<double>(info.Lag())});
                                     }
                                     return samples;
                                   });
}

}  // namespace tweetstream::sink
