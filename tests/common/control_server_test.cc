// ControlServer (common/control/control_server.h) on 127.0.0.1:0, through the generated stubs, over a
// ConnectorHost whose data plane is a scripted fake: GetStatus and the operations, the bearer token,
// grpc.health.v1 following the state, GetConfig/ValidateConfig/UpdateConfig (refused whole, state
// untouched), GetMetrics, WatchStatus pushing a change long before its snapshot interval, bind errors.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "common/control/flag_config.h"
#include "common/metrics.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "grpcpp/generic/generic_stub.h"
#include "sink-connector/sink_control.h"
#include "source-connector/source_control.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tweetstream/connector/v1/control.grpc.pb.h"

ABSL_FLAG(int32_t, srvtest_batch_max_records, 500, "Records per bulk request.");
ABSL_FLAG(int32_t, srvtest_linger_ms, 100, "How long a batch waits.");

namespace tweetstream::control {
namespace {

using ::testing::HasSubstr;
namespace health = ::grpc::health::v1;

// A data plane that runs until stopped or until the test makes it end.
struct PlaneScript {
  absl::Mutex mu;
  bool stop_requested ABSL_GUARDED_BY(mu) = false;
  std::optional<absl::Status> finish ABSL_GUARDED_BY(mu);
  int64_t read ABSL_GUARDED_BY(mu) = 0;
  void Finish(absl::Status status) {
    absl::MutexLock lock(&mu);
    finish = std::move(status);
  }
};

class FakePlane : public DataPlane {
 public:
  explicit FakePlane(std::shared_ptr<PlaneScript> script) : script_(std::move(script)) {}
  absl::Status Run() override {
    PlaneScript* s = script_.get();
    absl::MutexLock lock(&s->mu);
    auto done = [s]() ABSL_SHARED_LOCKS_REQUIRED(s->mu) { return s->stop_requested || s->finish.has_value(); };
    s->mu.Await(absl::Condition(&done));
    return s->finish.has_value() ? *s->finish : absl::OkStatus();
  }
  void RequestStop() override {
    absl::MutexLock lock(&script_->mu);
    script_->stop_requested = true;
  }
  void SetPaused(bool) override {}
  void FillStatus(v1::ConnectorStatus* status) override {
    absl::MutexLock lock(&script_->mu);
    status->mutable_counters()->set_read(script_->read);
  }

 private:
  std::shared_ptr<PlaneScript> script_;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConnectorHostOptions options;
    options.name = "srv-connector";
    options.kind = "sink";
    options.version = "1.2.3";
    host_ = std::make_unique<ConnectorHost>(options, [this]() -> absl::StatusOr<std::unique_ptr<DataPlane>> {
      absl::MutexLock lock(&mu_);
      ++factory_calls_;
      if (!factory_error_.ok()) return factory_error_;
      auto script = std::make_shared<PlaneScript>();
      scripts_.push_back(script);
      return std::make_unique<FakePlane>(script);
    });
    FlagConfigOptions config_options;
    static const SettingsTable table{.program = "srvtest",
                                     .env_prefix = "SRVTEST",
                                     .settings = {{"srvtest_batch_max_records", "", Change::kLive},
                                                  {"srvtest_linger_ms", "", Change::kLive}},
                                     .secrets = {{"ES_PASSWORD", "the password"}}};
    config_options.settings = &table;
    config_options.secrets = [] { return std::map<std::string, bool>{{"ES_PASSWORD", true}}; };
    config_options.check = []() -> absl::Status {
      if (absl::GetFlag(FLAGS_srvtest_linger_ms) > 1000) return absl::InvalidArgumentError("linger: must be <= 1000");
      return absl::OkStatus();
    };
    config_ = std::make_unique<FlagConfig>(config_options);
    ASSERT_TRUE(host_->Start().ok());
  }

  void TearDown() override {
    server_.reset();
    host_.reset();
  }

  void StartServer(const std::string& token = "") {
    auth_ = std::make_unique<ControlAuth>(token);
    ControlServerOptions options;
    options.address = "127.0.0.1:0";
    auto started = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, auth_.get(), {});
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
    ASSERT_GT(server_->port(), 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
    stub_ = v1::ConnectorControl::NewStub(channel_);
    health_ = health::Health::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  health::HealthCheckResponse::ServingStatus Health() {
    auto context = Context();
    health::HealthCheckRequest request;
    health::HealthCheckResponse response;
    grpc::Status s = health_->Check(context.get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.status();
  }

  // Polls (bounded) until the health service reports `want`.
  bool WaitForHealth(health::HealthCheckResponse::ServingStatus want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (absl::Now() < deadline) {
      if (Health() == want) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::shared_ptr<PlaneScript> plane(size_t i) {
    absl::MutexLock lock(&mu_);
    return scripts_.at(i);
  }
  int factory_calls() {
    absl::MutexLock lock(&mu_);
    return factory_calls_;
  }
  void FailFactoryWith(absl::Status error) {
    absl::MutexLock lock(&mu_);
    factory_error_ = std::move(error);
  }

  absl::FlagSaver saver_;
  absl::Mutex mu_;
  int factory_calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status factory_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<PlaneScript>> scripts_ ABSL_GUARDED_BY(mu_);
  common::MetricsRegistry metrics_;
  std::unique_ptr<ConnectorHost> host_;
  std::unique_ptr<FlagConfig> config_;
  std::unique_ptr<ControlAuth> auth_;
  std::unique_ptr<ControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ConnectorControl::Stub> stub_;
  std::unique_ptr<health::Health::Stub> health_;
};

TEST_F(ControlServerTest, StatusAndOperationsThroughTheStub) {
  StartServer();
  {
    absl::MutexLock lock(&plane(0)->mu);
    plane(0)->read = 17;
  }
  v1::ConnectorStatus status;
  grpc::Status s = stub_->GetStatus(Context().get(), v1::GetStatusRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.name(), "srv-connector");
  EXPECT_EQ(status.kind(), "sink");
  EXPECT_EQ(status.version(), "1.2.3");
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(status.counters().read(), 17);

  s = stub_->Pause(Context().get(), v1::PauseRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_PAUSED);
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_PAUSED);
  s = stub_->Resume(Context().get(), v1::ResumeRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);
  s = stub_->Stop(Context().get(), v1::StopRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_EQ(status.counters().read(), 17) << "counters survive Stop";

  s = stub_->Pause(Context().get(), v1::PauseRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  s = stub_->Restart(Context().get(), v1::RestartRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(factory_calls(), 2);

  // A failing factory: the error comes back with its code.
  FailFactoryWith(absl::UnavailableError("elasticsearch down"));
  s = stub_->Restart(Context().get(), v1::RestartRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "elasticsearch down");
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_FAILED);
}

TEST_F(ControlServerTest, TokenIsRequiredWhenConfigured) {
  StartServer("t0k3n");
  v1::ConnectorStatus status;
  grpc::Status s = stub_->GetStatus(Context().get(), v1::GetStatusRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  s = stub_->GetStatus(Context("wrong").get(), v1::GetStatusRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  s = stub_->GetStatus(Context("t0k3n0").get(), v1::GetStatusRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "a longer token is not the token";

  // Refused operations leave the data plane untouched.
  s = stub_->Pause(Context().get(), v1::PauseRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  s = stub_->Stop(Context("wrong").get(), v1::StopRequest(), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_RUNNING);
  v1::UpdateConfigRequest update;
  (*update.mutable_values())["srvtest_batch_max_records"] = "7";
  v1::UpdateConfigResponse updated;
  s = stub_->UpdateConfig(Context().get(), update, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(absl::GetFlag(FLAGS_srvtest_batch_max_records), 500);
  EXPECT_EQ(factory_calls(), 1);

  s = stub_->GetStatus(Context("t0k3n").get(), v1::GetStatusRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);

  // Health stays open.
  EXPECT_EQ(Health(), health::HealthCheckResponse::SERVING);
}

// Every method of every service the control server carries (ConnectorControl, SourceControl,
// SinkControl: enumerated from their descriptors, so a method added later is covered) refuses a call
// without the token, or with a wrong one: the check is by hand in each method (gRPC C++ 1.51's server
// interceptors cannot fail a call with a status, and its AuthMetadataProcessor needs TLS), so this is
// what catches a new method that forgets it. Health stays open.
TEST_F(ControlServerTest, EveryMethodOfEveryServiceRefusesACallWithoutTheToken) {
  auth_ = std::make_unique<ControlAuth>("t0k3n");
  common::RdKafkaAdmin admin;  // never asked: every call is refused first
  source::SourceControlService source_service(
      host_.get(), []() -> absl::StatusOr<source::SourceConfig> { return source::SourceConfig(); }, auth_.get(),
      &admin);
  sink::DeadLetterLedger ledger;
  sink::SinkControlService sink_service(
      host_.get(), []() -> absl::StatusOr<sink::SinkConfig> { return sink::SinkConfig(); }, &ledger, auth_.get(),
      &admin);
  ControlServerOptions options;
  options.address = "127.0.0.1:0";
  auto started = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, auth_.get(),
                                      {&source_service, &sink_service});
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  // One call of `method` with an empty request message (valid for every request type), as a generic
  // stream: unary and server-streaming methods alike.
  auto call = [&](const std::string& method, const std::string& token) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    grpc::CompletionQueue cq;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> rpc = generic.PrepareCall(&context, method, &cq);
    void* tag = nullptr;
    bool ok = false;
    rpc->StartCall(reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    rpc->Write(request, reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    rpc->WritesDone(reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    grpc::ByteBuffer response;  // the first answer, if any (a refused call has none)
    rpc->Read(&response, reinterpret_cast<void*>(5));
    cq.Next(&tag, &ok);
    grpc::Status status;
    rpc->Finish(&status, reinterpret_cast<void*>(4));
    while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
    }
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return status;
  };
  int methods = 0;
  for (const char* name : {"tweetstream.connector.v1.ConnectorControl", "tweetstream.connector.v1.SourceControl",
                           "tweetstream.connector.v1.SinkControl"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = absl::StrCat("/", service->full_name(), "/", service->method(i)->name());
      ++methods;
      EXPECT_EQ(call(method, "").error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " without a token";
      EXPECT_EQ(call(method, "t0k3").error_code(), grpc::StatusCode::UNAUTHENTICATED) << method << " with a wrong token";
    }
  }
  EXPECT_GE(methods, 18);  // 18 today: the enumeration found them
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_RUNNING);  // no Stop/Pause/Restart got through
  EXPECT_EQ(factory_calls(), 1);
  EXPECT_EQ(call("/grpc.health.v1.Health/Check", "").error_code(), grpc::StatusCode::OK);
}

TEST_F(ControlServerTest, HealthFollowsTheState) {
  StartServer();
  EXPECT_EQ(Health(), health::HealthCheckResponse::SERVING);

  plane(0)->Finish(absl::InternalError("bulk refused"));
  EXPECT_TRUE(WaitForHealth(health::HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_FAILED);
  v1::ConnectorStatus status;
  ASSERT_TRUE(stub_->GetStatus(Context().get(), v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.cause(), "bulk refused");

  grpc::Status s = stub_->Restart(Context().get(), v1::RestartRequest(), &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(WaitForHealth(health::HealthCheckResponse::SERVING));

  // Stopped is not failed: still serving.
  ASSERT_TRUE(stub_->Stop(Context().get(), v1::StopRequest(), &status).ok());
  EXPECT_EQ(Health(), health::HealthCheckResponse::SERVING);
}

TEST_F(ControlServerTest, HealthIsNotServingWhenStartedOnAFailedHost) {
  FailFactoryWith(absl::InternalError("no"));
  ASSERT_FALSE(host_->Restart().ok());
  StartServer();
  EXPECT_EQ(Health(), health::HealthCheckResponse::NOT_SERVING);
}

TEST_F(ControlServerTest, ConfigThroughTheStub) {
  StartServer();
  v1::Config config;
  grpc::Status s = stub_->GetConfig(Context().get(), v1::GetConfigRequest(), &config);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(config.settings_size(), 3);
  EXPECT_EQ(config.settings(0).name(), "srvtest_batch_max_records");
  EXPECT_EQ(config.settings(2).name(), "ES_PASSWORD");
  EXPECT_EQ(config.settings(2).value(), "<redacted>");

  v1::ValidateConfigRequest validate;
  (*validate.mutable_values())["srvtest-linger-ms"] = "5000";
  v1::ValidateConfigResponse validated;
  s = stub_->ValidateConfig(Context().get(), validate, &validated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(validated.valid());
  ASSERT_EQ(validated.errors_size(), 1);
  EXPECT_EQ(validated.errors(0).field(), "linger");

  // A bad value among good ones: INVALID_ARGUMENT naming the field, nothing changed, no restart.
  v1::UpdateConfigRequest update;
  (*update.mutable_values())["srvtest_batch_max_records"] = "7";
  (*update.mutable_values())["srvtest_linger_ms"] = "often";
  v1::UpdateConfigResponse updated;
  s = stub_->UpdateConfig(Context().get(), update, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("srvtest_linger_ms"));
  EXPECT_EQ(absl::GetFlag(FLAGS_srvtest_batch_max_records), 500);
  EXPECT_EQ(absl::GetFlag(FLAGS_srvtest_linger_ms), 100);
  EXPECT_EQ(factory_calls(), 1);
  EXPECT_EQ(host_->state(), v1::CONNECTOR_STATE_RUNNING);

  // Good values: applied, visible in the config returned, the data plane rebuilt.
  (*update.mutable_values())["srvtest_linger_ms"] = "200";
  s = stub_->UpdateConfig(Context().get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(absl::GetFlag(FLAGS_srvtest_batch_max_records), 7);
  EXPECT_EQ(updated.config().settings(0).value(), "7");
  EXPECT_EQ(updated.status().state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(factory_calls(), 2);
}

TEST_F(ControlServerTest, GetMetricsReturnsTheRegistry) {
  metrics_.AddCounter("tweetstream_srvtest_total", "A counter for the test.")->Inc(3);
  StartServer();
  v1::GetMetricsResponse response;
  grpc::Status s = stub_->GetMetrics(Context().get(), v1::GetMetricsRequest(), &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  bool found = false;
  for (const auto& family : response.families()) {
    if (family.name().rfind("tweetstream_srvtest_total", 0) == 0) {
      found = true;
      ASSERT_EQ(family.samples_size(), 1);
      EXPECT_EQ(family.samples(0).value(), 3);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ControlServerTest, WatchStatusPushesAChangeBeforeTheInterval) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(8));
  v1::WatchStatusRequest request;
  request.set_interval_ms(10000);
  std::unique_ptr<grpc::ClientReader<v1::ConnectorStatus>> reader = stub_->WatchStatus(&context, request);
  v1::ConnectorStatus status;
  ASSERT_TRUE(reader->Read(&status));
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);

  const absl::Time paused_at = absl::Now();
  ASSERT_TRUE(host_->Pause().ok());
  ASSERT_TRUE(reader->Read(&status));
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_PAUSED);
  EXPECT_LT(absl::Now() - paused_at, absl::Seconds(2));

  // The plane failing on its own is pushed too, with its cause.
  ASSERT_TRUE(host_->Resume().ok());
  ASSERT_TRUE(reader->Read(&status));
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);
  const absl::Time failed_at = absl::Now();
  plane(0)->Finish(absl::InternalError("lost the broker"));
  ASSERT_TRUE(reader->Read(&status));
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_FAILED);
  EXPECT_EQ(status.cause(), "lost the broker");
  EXPECT_LT(absl::Now() - failed_at, absl::Seconds(2));

  context.TryCancel();
  while (reader->Read(&status)) {
  }
  (void)reader->Finish();
}

TEST_F(ControlServerTest, WatchStatusNeedsTheTokenToo) {
  StartServer("t0k3n");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReader<v1::ConnectorStatus>> reader =
      stub_->WatchStatus(&context, v1::WatchStatusRequest());
  v1::ConnectorStatus status;
  EXPECT_FALSE(reader->Read(&status));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ControlServerTest, ServerShutsDownWithAWatchOpen) {
  StartServer();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(8));
  v1::WatchStatusRequest request;
  request.set_interval_ms(10000);
  auto reader = stub_->WatchStatus(&context, request);
  v1::ConnectorStatus status;
  ASSERT_TRUE(reader->Read(&status));
  const absl::Time start = absl::Now();
  server_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  while (reader->Read(&status)) {
  }
  (void)reader->Finish();
}

// gRPC sets SO_REUSEPORT on its listeners by default; without turning it off a second connector
// would bind a control address already in use and the kernel would spread calls over both. A taken
// address must be UNAVAILABLE, naming it.
TEST_F(ControlServerTest, AnAddressInUseIsUnavailable) {
  StartServer();
  ControlAuth open("");
  ControlServerOptions options;
  options.address = absl::StrCat("127.0.0.1:", server_->port());
  auto second = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, &open, {});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << "a second server bound the control port of the first: " << second.status();
  if (!second.ok()) {
    EXPECT_THAT(second.status().message(), HasSubstr(options.address));
  }
}

TEST_F(ControlServerTest, TlsNeedsBothFiles) {
  auth_ = std::make_unique<ControlAuth>("");
  ControlServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = "/nonexistent/cert.pem";
  auto started = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, auth_.get(), {});
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  options.tls_key_file = "/nonexistent/key.pem";
  started = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, auth_.get(), {});
  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(started.status().message(), HasSubstr("/nonexistent/cert.pem"));
}

// TLS for real: a self-signed certificate (made by the openssl CLI); a client trusting it gets its
// status, a plaintext client gets nothing.
TEST_F(ControlServerTest, TlsServesClientsThatTrustTheCertificate) {
  const std::string base = ::testing::TempDir() + "/control-tls-" + std::to_string(getpid());
  const std::string key = base + "-key.pem", cert = base + "-cert.pem";
  tweetstream::testing::ProcessResult made = tweetstream::testing::RunProcess(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
       "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
      {}, std::chrono::seconds(60));
  ASSERT_EQ(made.exit_code, 0) << "openssl (Debian package openssl, installed by scripts/install-deps.sh): " << made.err;
  auth_ = std::make_unique<ControlAuth>("");
  ControlServerOptions options;
  options.address = "127.0.0.1:0";
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  auto started = ControlServer::Start(options, host_.get(), config_.get(), &metrics_, auth_.get(), {});
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);
  const std::string address = absl::StrCat("127.0.0.1:", server_->port());

  auto cert_pem = tweetstream::testing::ReadFile(cert);
  ASSERT_TRUE(cert_pem.ok());
  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = *cert_pem;
  auto secure = v1::ConnectorControl::NewStub(grpc::CreateChannel(address, grpc::SslCredentials(trust)));
  v1::ConnectorStatus status;
  grpc::Status s = secure->GetStatus(Context().get(), {}, &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.name(), "srv-connector");

  auto plain = v1::ConnectorControl::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto short_context = std::make_unique<grpc::ClientContext>();
  short_context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  EXPECT_FALSE(plain->GetStatus(short_context.get(), {}, &status).ok());
  std::remove(key.c_str());
  std::remove(cert.c_str());
}

TEST(ToGrpcTest, KeepsCodeAndMessage) {
  EXPECT_TRUE(ToGrpc(absl::OkStatus()).ok());
  grpc::Status s = ToGrpc(absl::FailedPreconditionError("stop first"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "stop first");
  EXPECT_EQ(ToGrpc(absl::UnauthenticatedError("x")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ToGrpc(absl::InvalidArgumentError("x")).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace tweetstream::control
