#pragma once
// The source's side of the control plane: its data plane for the ConnectorHost (a SourceApp run),
// the SourceControl service (the filtered stream's rules, the cursor) and the source's metrics.

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "common/kafka_admin.h"
#include "common/kafka_producer.h"
#include "common/metrics.h"
#include "source-connector/source_app.h"
#include "source-connector/stream_rules.h"
#include "tweetstream/connector/v1/source.grpc.pb.h"

namespace tweetstream::source {

namespace v1 = ::tweetstream::connector::v1;

// The current configuration (rebuilt from the flags, which UpdateConfig may change).
using SourceConfigSource = std::function<absl::StatusOr<SourceConfig>()>;

class SourceDataPlane final : public control::DataPlane {
 public:
  explicit SourceDataPlane(std::unique_ptr<SourceApp> app) : app_(std::move(app)) {}
  absl::Status Run() override;
  void RequestStop() override { app_->RequestStop(); }
  void SetPaused(bool paused) override { app_->SetPaused(paused); }
  void FillStatus(v1::ConnectorStatus* status) override;

 private:
  std::unique_ptr<SourceApp> app_;
  SourceSummary summary_;
};

// What the control service asks of X's stream-rules API (StreamRulesClient's calls of the same
// names and codes: stream_rules.h). The seam where a unit test puts a fake.
class RulesApi {
 public:
  virtual ~RulesApi() = default;
  virtual absl::StatusOr<std::vector<ActiveRule>> ListRules() = 0;
  virtual absl::StatusOr<RulesSyncResult> AddRules(const std::vector<StreamRule>& rules, bool dry_run) = 0;
  virtual absl::StatusOr<RulesSyncResult> DeleteRules(const std::vector<ActiveRule>& rules, bool dry_run) = 0;
  // Whether a rule carries this source's owner prefix.
  virtual bool Owns(const ActiveRule& rule) const = 0;
};
// A rules client for the configuration of the moment (X's base URL, token and timeout, --name).
using RulesApiFactory = std::function<absl::StatusOr<std::unique_ptr<RulesApi>>(const SourceConfig&)>;
// The default: a StreamRulesClient over its own curl HttpClient.
absl::StatusOr<std::unique_ptr<RulesApi>> MakeXRulesApi(const SourceConfig& config);
// The producer ResetCursor writes the cursor with. The default: CreateKafkaProducer.
using ProducerFactory =
    std::function<absl::StatusOr<std::unique_ptr<common::Producer>>(const common::KafkaProducerOptions&)>;

// Status codes of its RPCs (the shared meanings are in control_server.h): FAILED_PRECONDITION without
// the bearer token, for ResetCursor unless STOPPED, without a cursor topic; X's codes for the rules
// (RESOURCE_EXHAUSTED on 429, UNAVAILABLE on 5xx or no answer, UNAUTHENTICATED/PERMISSION_DENIED for
// the token, INVALID_ARGUMENT for rules X rejects); Kafka's for the cursor (UNAVAILABLE/DEADLINE_EXCEEDED).
class SourceControlService final : public v1::SourceControl::Service {
 public:
  // `admin` (not owned) reads the cursor topic; it must outlive the service.
  SourceControlService(control::ConnectorHost* host, SourceConfigSource config, const control::ControlAuth* auth,
                       common::KafkaAdmin* admin, RulesApiFactory rules = MakeXRulesApi,
                       ProducerFactory producer = common::CreateKafkaProducer);
  grpc::Status ListRules(grpc::ServerContext* context, const v1::ListRulesRequest* request,
                         v1::ListRulesResponse* response) override;
  grpc::Status AddRules(grpc::ServerContext* context, const v1::AddRulesRequest* request,
                        v1::AddRulesResponse* response) override;
  grpc::Status DeleteRules(grpc::ServerContext* context, const v1::DeleteRulesRequest* request,
                           v1::DeleteRulesResponse* response) override;
  grpc::Status GetCursor(grpc::ServerContext* context, const v1::GetCursorRequest* request,
                         v1::Cursor* response) override;
  grpc::Status ResetCursor(grpc::ServerContext* context, const v1::ResetCursorRequest* request,
                           v1::Cursor* response) override;

 private:
  control::ConnectorHost* const host_;
  const SourceConfigSource config_;
  const control::ControlAuth* const auth_;
  common::KafkaAdmin* const admin_;
  const RulesApiFactory rules_;
  const ProducerFactory producer_;
};

// Registers the source's counters (the host's, so /metrics and GetStatus agree) and gauges.
void RegisterSourceMetrics(control::ConnectorHost* host, common::MetricsRegistry* registry);

}  // namespace tweetstream::source
