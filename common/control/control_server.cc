#include "common/control/control_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/control/reflection_v1_service.h"
#include "common/logging.h"
#include "grpc/health/v1/health.pb.h"

namespace tweetstream::control {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, ": cannot read '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::string& longer = a.size() >= b.size() ? a : b;
  for (size_t i = 0; i < longer.size(); ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::Status ControlAuth::Check(const grpc::ServerContext* context) const {
  if (token_.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "this control plane needs a bearer token: send 'authorization: Bearer <token>' "
                        "(tweetctl: TWEETCTL_TOKEN or --token-file)");
  }
  std::string value(it->second.data(), it->second.size());
  const std::string prefix = "Bearer ";
  if (!absl::StartsWith(value, prefix) || !ConstantTimeEquals(value.substr(prefix.size()), token_)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the bearer token is not the one configured");
  }
  return grpc::Status::OK;
}

#define TS_CONTROL_AUTH(context)                          \
  do {                                                    \
    grpc::Status auth_status = auth_ != nullptr ? auth_->Check(context) : grpc::Status::OK; \
    if (!auth_status.ok()) return auth_status;            \
  } while (false)

ConnectorControlService::ConnectorControlService(ConnectorHost* host, FlagConfig* config,
                                                 const common::MetricsRegistry* metrics, const ControlAuth* auth)
    : host_(host), config_(config), metrics_(metrics), auth_(auth) {}

grpc::Status ConnectorControlService::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                                                v1::ConnectorStatus* response) {
  TS_CONTROL_AUTH(context);
  *response = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::WatchStatus(grpc::ServerContext* context, const v1::WatchStatusRequest* request,
                                                  grpc::ServerWriter<v1::ConnectorStatus>* writer) {
  TS_CONTROL_AUTH(context);
  const absl::Duration interval =
      absl::Milliseconds(request->interval_ms() <= 0 ? 5000 : std::max(100, request->interval_ms()));
  uint64_t generation = host_->generation();
  v1::ConnectorStatus last = host_->Status();
  if (!writer->Write(last)) return grpc::Status::OK;
  absl::Time next_snapshot = absl::Now() + interval;
  while (!context->IsCancelled() && !shutting_down_.load()) {
    // Wake up at least twice a second to notice DEGRADED coming and going, cancellation and shutdown.
    absl::Duration wait = std::min(absl::Milliseconds(500), std::max(absl::ZeroDuration(), next_snapshot - absl::Now()));
    uint64_t now_generation = host_->WaitForChange(generation, wait);
    v1::ConnectorStatus status = host_->Status();
    bool changed = now_generation != generation || status.state() != last.state() ||
                   status.degraded() != last.degraded() || status.cause() != last.cause();
    if (!changed && absl::Now() < next_snapshot) continue;
    if (!writer->Write(status)) break;
    generation = now_generation;
    last = std::move(status);
    next_snapshot = absl::Now() + interval;
  }
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::Pause(grpc::ServerContext* context, const v1::PauseRequest*,
                                            v1::ConnectorStatus* response) {
  TS_CONTROL_AUTH(context);
  if (absl::Status s = host_->Pause(); !s.ok()) return ToGrpc(s);
  *response = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::Resume(grpc::ServerContext* context, const v1::ResumeRequest*,
                                             v1::ConnectorStatus* response) {
  TS_CONTROL_AUTH(context);
  if (absl::Status s = host_->Resume(); !s.ok()) return ToGrpc(s);
  *response = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::Stop(grpc::ServerContext* context, const v1::StopRequest*,
                                           v1::ConnectorStatus* response) {
  TS_CONTROL_AUTH(context);
  if (absl::Status s = host_->Stop(); !s.ok()) return ToGrpc(s);
  *response = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::Restart(grpc::ServerContext* context, const v1::RestartRequest*,
                                              v1::ConnectorStatus* response) {
  TS_CONTROL_AUTH(context);
  // A failing factory leaves the connector FAILED; the status says why, and so does the error.
  if (absl::Status s = host_->Restart(); !s.ok()) return ToGrpc(s);
  *response = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::GetConfig(grpc::ServerContext* context, const v1::GetConfigRequest*,
                                                v1::Config* response) {
  TS_CONTROL_AUTH(context);
  *response = config_->Get();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::ValidateConfig(grpc::ServerContext* context,
                                                     const v1::ValidateConfigRequest* request,
                                                     v1::ValidateConfigResponse* response) {
  TS_CONTROL_AUTH(context);
  std::map<std::string, std::string> values(request->values().begin(), request->values().end());
  std::vector<v1::FieldError> errors = config_->Validate(values);
  response->set_valid(errors.empty());
  for (auto& e : errors) *response->add_errors() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::UpdateConfig(grpc::ServerContext* context,
                                                   const v1::UpdateConfigRequest* request,
                                                   v1::UpdateConfigResponse* response) {
  TS_CONTROL_AUTH(context);
  std::map<std::string, std::string> values(request->values().begin(), request->values().end());
  if (absl::Status s = config_->Apply(values); !s.ok()) return ToGrpc(s);
  TS_LOG(INFO) << "configuration updated through the control plane (" << values.size()
               << " setting(s)); restarting the data plane";
  absl::Status restarted = host_->Restart();
  if (!restarted.ok()) TS_LOG(ERROR) << "restart after the configuration update failed: " << restarted.message();
  *response->mutable_config() = config_->Get();
  *response->mutable_status() = host_->Status();
  return grpc::Status::OK;
}

grpc::Status ConnectorControlService::GetMetrics(grpc::ServerContext* context, const v1::GetMetricsRequest*,
                                                 v1::GetMetricsResponse* response) {
  TS_CONTROL_AUTH(context);
  metrics_->ToProto(response);
  return grpc::Status::OK;
}

void RegisterHostMetrics(ConnectorHost* host, const std::vector<HostCounterMetric>& counters,
                         common::MetricsRegistry* registry) {
  for (const HostCounterMetric& def : counters) {
    auto get = def.get;
    registry->AddCounterFunction(def.name, def.help, [host, get] { return static_cast<double>((host->Counters().*get)()); });
  }
  registry->AddGaugeFunction("tweetstream_connector_up", "1 unless the connector is FAILED.",
                             [host] { return host->state() == v1::CONNECTOR_STATE_FAILED ? 0.0 : 1.0; });
  registry->AddGaugeFunction("tweetstream_connector_state", "The connector state (ConnectorState enum number).",
                             [host] { return static_cast<double>(host->state()); });
}

// The health service's serving status follows the connector's state; the listener may outlive the
// server (the host keeps it), so it reaches the server through this shared, clearable pointer.
struct ControlServer::Health {
  absl::Mutex mu;
  grpc::HealthCheckServiceInterface* service ABSL_GUARDED_BY(mu) = nullptr;
  std::vector<std::string> names;
  void Set(bool serving) {
    absl::MutexLock lock(&mu);
    if (service == nullptr) return;
    service->SetServingStatus(serving);
  }
};

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const ControlServerOptions& options,
                                                                    ConnectorHost* host, FlagConfig* config,
                                                                    const common::MetricsRegistry* metrics,
                                                                    const ControlAuth* auth,
                                                                    std::vector<grpc::Service*> extra_services) {
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("control-tls-cert and control-tls-key: set both or neither");
    }
    auto cert = ReadWholeFile(options.tls_cert_file, "control-tls-cert");
    if (!cert.ok()) return cert.status();
    auto key = ReadWholeFile(options.tls_key_file, "control-tls-key");
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  std::unique_ptr<ControlServer> server(new ControlServer());
  server->service_ = std::make_unique<ConnectorControlService>(host, config, metrics, auth);
  grpc::EnableDefaultHealthCheckService(true);
  // Reflection answers from the generated descriptor pool, which holds only the .proto files whose
  // generated code is linked in. gRPC's default health service is not built on protobuf's generated
  // code, so nothing would pull proto/grpc/health/v1/health.pb.o out of the static library and
  // grpc.health.v1.Health would be listed but not describable or callable by reflection alone
  // (issue 18): naming its descriptor links it in and registers it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  // v1alpha from gRPC's plugin (older clients), v1 from ours (current clients ask for it first).
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  server->reflection_v1_ = std::make_unique<ReflectionV1Service>();
  grpc::ServerBuilder builder;
  builder.SetOption(server->reflection_v1_->ServiceListOption());
  builder.RegisterService(server->reflection_v1_.get());
  // No SO_REUSEPORT: a second connector on a taken port must fail, not share the port's calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(options.address, credentials, &server->port_);
  builder.RegisterService(server->service_.get());
  for (grpc::Service* service : extra_services) builder.RegisterService(service);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("control plane: cannot listen on ", options.address,
                                               " (in use, or not an address of this machine?)"));
  }
  // The contract (DESIGN.md: generic clients work) is checked, not hoped for: a service reflection
  // cannot describe is a build defect, refused here so that any test starting a server catches it.
  if (std::vector<std::string> missing = server->reflection_v1_->Undescribable(); !missing.empty()) {
    return absl::InternalError(absl::StrCat("control plane: server reflection has no descriptor for ",
                                            absl::StrJoin(missing, ", "), " (its generated code is not linked in)"));
  }
  server->health_ = std::make_shared<Health>();
  {
    absl::MutexLock lock(&server->health_->mu);
    server->health_->service = server->server_->GetHealthCheckService();
  }
  std::weak_ptr<Health> weak = server->health_;
  host->AddStateListener([weak](v1::ConnectorState state) {
    if (auto health = weak.lock()) health->Set(state != v1::CONNECTOR_STATE_FAILED);
  });
  TS_LOG(INFO) << "control plane listening on " << options.address << " (port " << server->port_ << ", "
               << (options.tls_cert_file.empty() ? "plaintext" : "TLS") << ")";
  return server;
}

ControlServer::~ControlServer() {
  if (health_) {
    absl::MutexLock lock(&health_->mu);
    health_->service = nullptr;
  }
  if (service_) service_->Shutdown();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace tweetstream::control
