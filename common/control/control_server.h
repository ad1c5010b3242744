#pragma once
// The gRPC control plane of a connector: ConnectorControl (over a ConnectorHost, its FlagConfig and
// its metrics), the kind's own service (SourceControl / SinkControl, passed in), the standard
// grpc.health.v1.Health service (NOT_SERVING while the connector is FAILED) and server reflection
// (grpc.reflection.v1 and v1alpha; every served service, health included, can be listed, described
// and called through reflection alone).
// Binds 127.0.0.1 by default; optional TLS (certificate + key files) and bearer token: when a token is
// configured every call of our services without `authorization: Bearer <token>` metadata gets
// UNAUTHENTICATED (health and reflection stay open: they reveal nothing and orchestrators probe them).

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/control/connector_host.h"
#include "common/control/reflection_v1_service.h"
#include "common/control/flag_config.h"
#include "common/metrics.h"
#include "tweetstream/connector/v1/control.grpc.pb.h"

namespace tweetstream::control {

// absl::Status -> grpc::Status, same code and message.
//
// What the codes of every control-plane RPC mean, the same in tweet-source and tweet-sink (and what
// tweetctl tells the user to do):
//   RESOURCE_EXHAUSTED  an upstream's quota or rate limit (X's 429: the window, or the usage cap, as
//                       the message says): retry after the reset, not sooner
//   UNAVAILABLE         an upstream cannot be reached or is down (no Kafka broker answers, X's 5xx or
//                       no answer, Elasticsearch down): retry later with backoff
//   DEADLINE_EXCEEDED   an upstream did not answer in time: retry
//   FAILED_PRECONDITION the connector's state or configuration forbids it (not STOPPED, no token, a
//                       group with active members): change that first
//   INVALID_ARGUMENT    the request is wrong (a bad offset, a rule X rejects): do not retry as is
//   NOT_FOUND           a topic or index the request names does not exist
//   UNAUTHENTICATED / PERMISSION_DENIED   our token (ControlAuth), or an upstream's credentials
// The services pass their libraries' codes through unchanged (XHttpError in x_api_client.h maps every
// X answer; KafkaAdmin in common/kafka_admin.h every broker answer), so these meanings hold there.
// (EsClient's RESOURCE_EXHAUSTED for a 413 "split the bulk" is a data-plane code: no RPC returns it;
// the sink's RPCs ask Kafka only, and the probe's Elasticsearch count is -1 when unknown.)
grpc::Status ToGrpc(const absl::Status& status);

// Checks the bearer token of a call (constant-time); OK for every call when no token is configured.
class ControlAuth {
 public:
  explicit ControlAuth(std::string token) : token_(std::move(token)) {}
  grpc::Status Check(const grpc::ServerContext* context) const;

 private:
  const std::string token_;
};

class ConnectorControlService final : public v1::ConnectorControl::Service {
 public:
  ConnectorControlService(ConnectorHost* host, FlagConfig* config, const common::MetricsRegistry* metrics,
                          const ControlAuth* auth);
  // Ends every WatchStatus stream (called before the server shuts down).
  void Shutdown() { shutting_down_.store(true); }

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::ConnectorStatus* response) override;
  grpc::Status WatchStatus(grpc::ServerContext* context, const v1::WatchStatusRequest* request,
                           grpc::ServerWriter<v1::ConnectorStatus>* writer) override;
  grpc::Status Pause(grpc::ServerContext* context, const v1::PauseRequest* request,
                     v1::ConnectorStatus* response) override;
  grpc::Status Resume(grpc::ServerContext* context, const v1::ResumeRequest* request,
                      v1::ConnectorStatus* response) override;
  grpc::Status Stop(grpc::ServerContext* context, const v1::StopRequest* request,
                    v1::ConnectorStatus* response) override;
  grpc::Status Restart(grpc::ServerContext* context, const v1::RestartRequest* request,
                       v1::ConnectorStatus* response) override;
  grpc::Status GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest* request,
                         v1::Config* response) override;
  grpc::Status ValidateConfig(grpc::ServerContext* context, const v1::ValidateConfigRequest* request,
                              v1::ValidateConfigResponse* response) override;
  grpc::Status UpdateConfig(grpc::ServerContext* context, const v1::UpdateConfigRequest* request,
                            v1::UpdateConfigResponse* response) override;
  grpc::Status GetMetrics(grpc::ServerContext* context, const v1::GetMetricsRequest* request,
                          v1::GetMetricsResponse* response) override;

 private:
  ConnectorHost* const host_;
  FlagConfig* const config_;
  const common::MetricsRegistry* const metrics_;
  const ControlAuth* const auth_;
  std::atomic<bool> shutting_down_{false};
};

// One of the host's counters as a Prometheus counter (read at scrape time, so /metrics and
// GetStatus always agree).
struct HostCounterMetric {
  const char* name;
  const char* help;
  int64_t (v1::Counters::*get)() const;
};

// Registers `counters` and the gauges every connector has (tweetstream_connector_up: 0 while FAILED;
// tweetstream_connector_state: the ConnectorState number).
void RegisterHostMetrics(ConnectorHost* host, const std::vector<HostCounterMetric>& counters,
                         common::MetricsRegistry* registry);

struct ControlServerOptions {
  std::string address = "127.0.0.1:50051";  // host:port; port 0 = any free port
  std::string token;                         // empty = no authentication
  std::string tls_cert_file;                 // both set = TLS
  std::string tls_key_file;
};

class ControlServer {
 public:
  // Serves ConnectorControl + `extra_services` (not owned; must outlive the server) + health +
  // reflection v1 + v1alpha. UNAVAILABLE naming the address when it cannot bind; INVALID_ARGUMENT for
  // TLS files; INTERNAL when reflection could not describe a served service (a build defect).
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const ControlServerOptions& options,
                                                              ConnectorHost* host, FlagConfig* config,
                                                              const common::MetricsRegistry* metrics,
                                                              const ControlAuth* auth,
                                                              std::vector<grpc::Service*> extra_services);
  ~ControlServer();  // ends watch streams, shuts down with a short deadline

  int port() const { return port_; }

 private:
  struct Health;
  ControlServer() = default;
  std::unique_ptr<ConnectorControlService> service_;
  std::unique_ptr<ReflectionV1Service> reflection_v1_;  // outlives server_ (declared before it)
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<Health> health_;
  int port_ = 0;
};

}  // namespace tweetstream::control
