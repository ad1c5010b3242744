#pragma once
// The source's side of the control plane: its data plane for the ConnectorHost (a SourceApp run),
// the SourceControl service (the filtered stream's rules, the cursor) and the source's metrics.

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "common/metrics.h"
#include "source-connector/source_app.h"
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

class SourceControlService final : public v1::SourceControl::Service {
 public:
  SourceControlService(control::ConnectorHost* host, SourceConfigSource config, const control::ControlAuth* auth);
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
};

// Registers the source's counters (the host's, so /metrics and GetStatus agree) and gauges.
void RegisterSourceMetrics(control::ConnectorHost* host, common::MetricsRegistry* registry);

}  // namespace tweetstream::source
