#include "source-connector/source_control.h"

#include <string_view>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/http_client.h"
#include "common/kafka_consumer.h"
#include "common/kafka_producer.h"
#include "common/logging.h"
#include "common/rfc3339.h"
#include "source-connector/cursor_store.h"
#include "source-connector/source_counters.h"
#include "source-connector/stream_rules.h"

namespace tweetstream::source {
namespace {

constexpr std::chrono::milliseconds kAdminTimeout{10000};

// StreamRulesClient as a RulesApi, owning its HTTP client.
class XRulesApi final : public RulesApi {
 public:
  XRulesApi(std::unique_ptr<common::HttpClient> http, const SourceConfig& config)
      : http_(std::move(http)), client_(http_.get(), config.x_api, config.name) {}
  absl::StatusOr<std::vector<ActiveRule>> ListRules() override { return client_.ListRules(); }
  absl::StatusOr<RulesSyncResult> AddRules(const std::vector<StreamRule>& rules, bool dry_run) override {
    return client_.AddRules(rules, dry_run);
  }
  absl::StatusOr<RulesSyncResult> DeleteRules(const std::vector<ActiveRule>& rules, bool dry_run) override {
    return client_.DeleteRules(rules, dry_run);
  }
  bool Owns(const ActiveRule& rule) const override { return client_.Owns(rule); }

 private:
  std::unique_ptr<common::HttpClient> http_;
  StreamRulesClient client_;
};

// A rules client for the current configuration, or the reason there cannot be one.
absl::StatusOr<std::unique_ptr<RulesApi>> Rules(const SourceConfigSource& source, const RulesApiFactory& factory) {
  auto config = source();
  if (!config.ok()) return config.status();
  if (config->x_api.bearer_token.empty()) {
    return absl::FailedPreconditionError(
        "stream rules need the X bearer token: start tweet-source with X_BEARER_TOKEN (or X_BEARER_TOKEN_FILE) set");
  }
  return factory(*config);
}

void ToProto(const ActiveRule& rule, v1::StreamRule* out) {
  out->set_id(rule.id);
  out->set_value(rule.rule.value);
  out->set_tag(rule.rule.tag);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RulesApi>> MakeXRulesApi(const SourceConfig& config) {
  auto http = common::CurlHttpClient::Create();
  if (!http.ok()) return http.status();
  return std::unique_ptr<RulesApi>(std::make_unique<XRulesApi>(std::move(*http), config));
}

absl::Status SourceDataPlane::Run() {
  absl::Status status = app_->Run(&summary_);
  TS_LOG(INFO) << "read " << summary_.tweets << " tweets from " << summary_.bodies << " bodies; delivered "
               << summary_.delivered << "/" << summary_.produced << "; skipped " << summary_.skipped
               << " bad record(s)";
  return status;
}

void SourceDataPlane::FillStatus(v1::ConnectorStatus* status) {
  app_->status().FillProto(status);
  status->mutable_source()->set_mode(app_->config().mode);
  status->mutable_source()->set_topic(app_->config().topic);
  if (status->source().cursor_key().empty()) status->mutable_source()->set_cursor_key(app_->CursorKey());
}

SourceControlService::SourceControlService(control::ConnectorHost* host, SourceConfigSource config,
                                           const control::ControlAuth* auth, common::KafkaAdmin* admin,
                                           RulesApiFactory rules, ProducerFactory producer)
    : host_(host),
      config_(std::move(config)),
      auth_(auth),
      admin_(admin),
      rules_(std::move(rules)),
      producer_(std::move(producer)) {}

grpc::Status SourceControlService::ListRules(grpc::ServerContext* context, const v1::ListRulesRequest*,
                                             v1::ListRulesResponse* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto access = Rules(config_, rules_);
  if (!access.ok()) return control::ToGrpc(access.status());
  auto rules = (*access)->ListRules();
  if (!rules.ok()) return control::ToGrpc(rules.status());
  for (const ActiveRule& r : *rules) {
    v1::StreamRule* out = response->add_rules();
    ToProto(r, out);
    out->set_owned((*access)->Owns(r));
  }
  return grpc::Status::OK;
}

grpc::Status SourceControlService::AddRules(grpc::ServerContext* context, const v1::AddRulesRequest* request,
                                            v1::AddRulesResponse* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto access = Rules(config_, rules_);
  if (!access.ok()) return control::ToGrpc(access.status());
  std::vector<StreamRule> rules;
  for (const auto& r : request->rules()) rules.push_back({r.value(), r.tag()});
  response->set_dry_run(request->dry_run());
  auto result = (*access)->AddRules(rules, request->dry_run());
  if (!result.ok()) {
    if (absl::IsInvalidArgument(result.status())) {
      // X's reasons, per rule, in the answer (nothing was added).
      v1::RuleError* e = response->add_errors();
      e->set_reason(std::string(result.status().message()));
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(result.status().message()));
    }
    return control::ToGrpc(result.status());
  }
  for (const ActiveRule& r : result->added) ToProto(r, response->add_added());
  return grpc::Status::OK;
}

grpc::Status SourceControlService::DeleteRules(grpc::ServerContext* context, const v1::DeleteRulesRequest* request,
                                               v1::DeleteRulesResponse* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto access = Rules(config_, rules_);
  if (!access.ok()) return control::ToGrpc(access.status());
  auto current = (*access)->ListRules();
  if (!current.ok()) return control::ToGrpc(current.status());
  std::vector<ActiveRule> doomed;
  auto named = [&](const std::string& what, bool by_id) {
    bool found = false;
    for (const ActiveRule& r : *current) {
      if ((by_id ? r.id : r.rule.value) == what) {
        doomed.push_back(r);
        found = true;
      }
    }
    if (!found) response->add_not_found(what);
  };
  for (const auto& id : request->ids()) named(id, true);
  for (const auto& value : request->values()) named(value, false);
  response->set_dry_run(request->dry_run());
  auto result = (*access)->DeleteRules(doomed, request->dry_run());
  if (!result.ok()) return control::ToGrpc(result.status());
  for (const ActiveRule& r : result->deleted) ToProto(r, response->add_deleted());
  return grpc::Status::OK;
}

grpc::Status SourceControlService::GetCursor(grpc::ServerContext* context, const v1::GetCursorRequest*,
                                             v1::Cursor* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  auto config = config_();
  if (!config.ok()) return control::ToGrpc(config.status());
  const std::string key = SourceApp::CursorKeyFor(*config);
  response->set_key(key);
  response->set_cursor_topic(config->cursor_topic);
  if (config->cursor_topic.empty()) return grpc::Status::OK;
  auto values = admin_->ReadCompactedTopic(config->bootstrap_servers, config->cursor_topic, kAdminTimeout);
  if (!values.ok()) return control::ToGrpc(values.status());
  auto it = values->find(key);
  if (it != values->end()) {
    if (auto cursor = CursorFromJson(it->second)) response->set_newest_id(cursor->newest_id);
  }
  return grpc::Status::OK;
}

grpc::Status SourceControlService::ResetCursor(grpc::ServerContext* context, const v1::ResetCursorRequest* request,
                                               v1::Cursor* response) {
  if (grpc::Status auth = auth_->Check(context); !auth.ok()) return auth;
  if (host_->state() != v1::CONNECTOR_STATE_STOPPED) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the cursor can be reset only while the source is STOPPED (it is ",
                                     control::StateName(host_->state()), "): stop it first (tweetctl stop source)"));
  }
  const std::string& id = request->newest_id();
  if (!id.empty() && (id.size() > 19 || id.find_first_not_of("0123456789") != std::string::npos)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "newest_id: a tweet id is a decimal number of up to 19 digits");
  }
  auto config = config_();
  if (!config.ok()) return control::ToGrpc(config.status());
  if (config->cursor_topic.empty()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "cursor-topic is empty: this source keeps no cursor");
  }
  common::KafkaProducerOptions options = config->producer;
  options.bootstrap_servers = config->bootstrap_servers;
  options.client_id = config->name + "-control";
  auto producer = producer_(options);
  if (!producer.ok()) return control::ToGrpc(producer.status());
  const std::string key = SourceApp::CursorKeyFor(*config);
  common::ProducerRecord record;
  record.topic = config->cursor_topic;
  record.key = key;
  if (!id.empty()) record.value = CursorToJson(Cursor{id, common::Rfc3339Seconds(absl::Now())});
  // else: a tombstone, the cursor is forgotten.
  if (absl::Status s = (*producer)->Produce(std::move(record)); !s.ok()) return control::ToGrpc(s);
  if (absl::Status s = (*producer)->Flush(kAdminTimeout); !s.ok()) return control::ToGrpc(s);
  if ((*producer)->Counters().failed > 0) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the cursor topic did not take the new cursor");
  }
  TS_LOG(INFO) << "cursor " << key << (id.empty() ? " forgotten" : " set to " + id) << " through the control plane";
  response->set_key(key);
  response->set_newest_id(id);
  response->set_cursor_topic(config->cursor_topic);
  return grpc::Status::OK;
}

void RegisterSourceMetrics(control::ConnectorHost* host, common::MetricsRegistry* registry) {
  control::RegisterHostMetrics(host, {}, registry);
  // Every counter of source_counters.h the control plane carries, as tweetstream_source_<name>.
#define TWEETSTREAM_SOURCE_COUNTER_METRIC(name, where, field, help)                                       \
  if (std::string_view(#where) != "none") {                                                              \
    registry->AddCounterFunction("tweetstream_source_" #name, help, [host] {                             \
      return static_cast<double>(TWEETSTREAM_SOURCE_COUNTER_GET_##where(host->Status(false), field));    \
    });                                                                                                  \
  }
  TWEETSTREAM_SOURCE_COUNTERS(TWEETSTREAM_SOURCE_COUNTER_METRIC)
#undef TWEETSTREAM_SOURCE_COUNTER_METRIC
  registry->AddGaugeFunction("tweetstream_source_rate_limit_remaining",
                             "Requests the X API's current rate-limit window still allows (-1 = unknown).",
                             [host] { return static_cast<double>(host->Status(false).source().rate_limit().remaining()); });
  registry->AddCounterFunction("tweetstream_source_search_bad_pages",
                               "Recent-search 200 answers that could not be read (HTML, invalid JSON, meta of the wrong "
                               "type); each attempt counted.",
                               [host] { return static_cast<double>(host->Status(false).source().bad_pages()); });
  registry->AddCounterFunction("tweetstream_source_search_window_gaps",
                               "Times X's 7-day recent-search window made tweets unreadable (the range is in the status' gap).",
                               [host] { return static_cast<double>(host->Status(false).source().window_gaps()); });
  registry->AddCounterFunction("tweetstream_source_search_window_gap_seconds",
                               "Length of the time ranges the 7-day window made unreadable, summed.",
                               [host] { return static_cast<double>(host->Status(false).source().window_gap_seconds()); });
  registry->AddCounterFunction("tweetstream_source_stream_recoveries",
                               "Stream: recoveries by recent search after a cut, an outage or a restart.",
                               [host] { return static_cast<double>(host->Status(false).source().stream_recoveries()); });
  registry->AddCounterFunction("tweetstream_source_stream_recovered",
                               "Stream: tweets recent search returned for recoveries (duplicates of streamed ones included).",
                               [host] { return static_cast<double>(host->Status(false).source().stream_recovered()); });
  registry->AddCounterFunction("tweetstream_source_stream_gaps",
                               "Stream: windows recovery could not close (older than 7 days, a stream-only operator, "
                               "refused by X); the last one is in the status' gap.",
                               [host] { return static_cast<double>(host->Status(false).source().stream_gaps()); });
  registry->AddCounterFunction("tweetstream_source_stream_gap_seconds",
                               "Stream: the length of those windows, summed.",
                               [host] { return static_cast<double>(host->Status(false).source().stream_gap_seconds()); });
  registry->AddCounterFunction("tweetstream_source_stream_queue_full_waits",
                               "Stream: times the queue between the socket and Kafka was full and reading paused.",
                               [host] { return static_cast<double>(host->Status(false).source().stream_queue_full_waits()); });
}

}  // namespace tweetstream::source
