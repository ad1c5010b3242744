// tweetctl as a user runs it: the real binary, as a subprocess, against in-process gRPC servers on
// 127.0.0.1:0 that serve scripted fakes of ConnectorControl + SourceControl / SinkControl and the
// standard health service. The fakes keep a state machine like the connectors' (pause only while
// RUNNING, offsets/cursor reset only while STOPPED) and record every call with its metadata.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tweetstream/connector/v1/control.grpc.pb.h"
#include "tweetstream/connector/v1/sink.grpc.pb.h"
#include "tweetstream/connector/v1/source.grpc.pb.h"

namespace tweetstream::testing {
namespace {

namespace v1 = tweetstream::connector::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::seconds kProcessTimeout(60);
constexpr char kUnset[] = "\x01UNSET";

std::string TweetctlBinary() { return BinaryDir() + "/tools/tweetctl/tweetctl"; }

// Every call any fake received, in order, as "source:Pause", "sink:ResetOffsets", ...
class CallLog {
 public:
  void Add(const std::string& call, const std::string& authorization) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(call);
    authorization_.push_back(authorization);
  }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  std::vector<std::string> authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> calls_;
  std::vector<std::string> authorization_;
};

// The scripted connector behind one fake server. All fields guarded by mu.
struct Script {
  std::mutex mu;
  v1::ConnectorStatus status;
  std::string required_token;           // non-empty: calls without "Bearer <it>" get UNAUTHENTICATED
  int watch_updates = 3;                // snapshots WatchStatus sends before holding the stream open
  v1::UpdateConfigRequest last_update;
  v1::ResetOffsetsRequest last_reset;
  v1::AddRulesRequest last_add;
  v1::DeleteRulesRequest last_delete;
  v1::ResetCursorRequest last_cursor_reset;
  std::string es_api_key = "";          // the value GetConfig sends for the secret ES_API_KEY
};

// Records the call; UNAUTHENTICATED when the script requires a token that was not sent.
grpc::Status Enter(const std::string& kind, const char* method, grpc::ServerContext* context, Script* script,
                   CallLog* log) {
  std::string authorization;
  auto it = context->client_metadata().find("authorization");
  if (it != context->client_metadata().end()) authorization.assign(it->second.data(), it->second.size());
  log->Add(absl::StrCat(kind, ":", method), authorization);
  std::lock_guard<std::mutex> lock(script->mu);
  if (!script->required_token.empty() && authorization != "Bearer " + script->required_token) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or wrong bearer token");
  }
  return grpc::Status::OK;
}

class FakeControl final : public v1::ConnectorControl::Service {
 public:
  FakeControl(std::string kind, Script* script, CallLog* log) : kind_(std::move(kind)), script_(script), log_(log) {}

  grpc::Status GetStatus(grpc::ServerContext* c, const v1::GetStatusRequest*, v1::ConnectorStatus* out) override {
    if (auto s = Enter(kind_, "GetStatus", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    *out = script_->status;
    return grpc::Status::OK;
  }

  grpc::Status WatchStatus(grpc::ServerContext* c, const v1::WatchStatusRequest*,
                           grpc::ServerWriter<v1::ConnectorStatus>* writer) override {
    if (auto s = Enter(kind_, "WatchStatus", c, script_, log_); !s.ok()) return s;
    int updates;
    v1::ConnectorStatus status;
    {
      std::lock_guard<std::mutex> lock(script_->mu);
      updates = script_->watch_updates;
      status = script_->status;
    }
    for (int i = 0; i < updates && !c->IsCancelled(); ++i) {
      status.mutable_counters()->set_read(status.counters().read() + 1);
      writer->Write(status);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    while (!c->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // held open
    return grpc::Status::OK;
  }

  grpc::Status Pause(grpc::ServerContext* c, const v1::PauseRequest*, v1::ConnectorStatus* out) override {
    return Transition(c, "Pause", v1::CONNECTOR_STATE_RUNNING, v1::CONNECTOR_STATE_PAUSED, out);
  }
  grpc::Status Resume(grpc::ServerContext* c, const v1::ResumeRequest*, v1::ConnectorStatus* out) override {
    return Transition(c, "Resume", v1::CONNECTOR_STATE_PAUSED, v1::CONNECTOR_STATE_RUNNING, out);
  }
  grpc::Status Stop(grpc::ServerContext* c, const v1::StopRequest*, v1::ConnectorStatus* out) override {
    return Transition(c, "Stop", v1::CONNECTOR_STATE_UNSPECIFIED, v1::CONNECTOR_STATE_STOPPED, out);
  }
  grpc::Status Restart(grpc::ServerContext* c, const v1::RestartRequest*, v1::ConnectorStatus* out) override {
    return Transition(c, "Restart", v1::CONNECTOR_STATE_UNSPECIFIED, v1::CONNECTOR_STATE_RUNNING, out);
  }

  grpc::Status GetConfig(grpc::ServerContext* c, const v1::GetConfigRequest*, v1::Config* out) override {
    if (auto s = Enter(kind_, "GetConfig", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    FillConfig(out, "2000", script_->es_api_key);
    return grpc::Status::OK;
  }

  grpc::Status ValidateConfig(grpc::ServerContext* c, const v1::ValidateConfigRequest* request,
                              v1::ValidateConfigResponse* out) override {
    if (auto s = Enter(kind_, "ValidateConfig", c, script_, log_); !s.ok()) return s;
    out->set_valid(true);
    for (const auto& [k, v] : request->values()) {
      if (!v.empty() && v[0] == '-') {
        out->set_valid(false);
        v1::FieldError* e = out->add_errors();
        e->set_field(k);
        e->set_message("must be positive, got " + v);
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status UpdateConfig(grpc::ServerContext* c, const v1::UpdateConfigRequest* request,
                            v1::UpdateConfigResponse* out) override {
    if (auto s = Enter(kind_, "UpdateConfig", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    script_->last_update = *request;
    for (const auto& [k, v] : request->values()) {
      if (!v.empty() && v[0] == '-') {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, k + ": must be positive, got " + v);
      }
    }
    auto it = request->values().find("batch_max_records");
    FillConfig(out->mutable_config(), it == request->values().end() ? "2000" : it->second, script_->es_api_key);
    *out->mutable_status() = script_->status;
    return grpc::Status::OK;
  }

  grpc::Status GetMetrics(grpc::ServerContext* c, const v1::GetMetricsRequest*, v1::GetMetricsResponse* out) override {
    if (auto s = Enter(kind_, "GetMetrics", c, script_, log_); !s.ok()) return s;
    v1::MetricFamily* f = out->add_families();
    f->set_name("tweetstream_" + kind_ + "_read_total");
    f->set_type(v1::MetricFamily::TYPE_COUNTER);
    f->add_samples()->set_value(4321);
    v1::MetricFamily* h = out->add_families();
    h->set_name("tweetstream_" + kind_ + "_batch_records");
    h->set_type(v1::MetricFamily::TYPE_HISTOGRAM);
    v1::MetricSample* sample = h->add_samples();
    (*sample->mutable_labels())["topic"] = "twitter-stream";
    sample->mutable_histogram()->set_count(4);
    sample->mutable_histogram()->set_sum(10);
    return grpc::Status::OK;
  }

 private:
  // `from` UNSPECIFIED = from any state.
  grpc::Status Transition(grpc::ServerContext* c, const char* method, v1::ConnectorState from, v1::ConnectorState to,
                          v1::ConnectorStatus* out) {
    if (auto s = Enter(kind_, method, c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    if (from != v1::CONNECTOR_STATE_UNSPECIFIED && script_->status.state() != from) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat(method, " needs ", v1::ConnectorState_Name(from), ", the connector is ",
                                       v1::ConnectorState_Name(script_->status.state())));
    }
    script_->status.set_state(to);
    *out = script_->status;
    return grpc::Status::OK;
  }

  static void FillConfig(v1::Config* config, const std::string& batch_max_records,
                         const std::string& es_api_key = "") {
    v1::ConfigSetting* s = config->add_settings();
    s->set_name("batch_max_records");
    s->set_value(batch_max_records);
    s->set_default_value("2000");
    s->set_description("a bulk request closes at this many records");
    // The secrets as tweet-sink lists them: last, upper-case, "<redacted>" when set, "" when not.
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"ES_API_KEY", es_api_key}, {"ES_PASSWORD", "<redacted>"}, {"ES_USERNAME", ""}}) {
      v1::ConfigSetting* secret = config->add_settings();
      secret->set_name(name);
      secret->set_value(value);
      secret->set_description(absl::StrCat("secret: from the environment variable ", name, "; never shown"));
      secret->set_secret(true);
    }
  }

  std::string kind_;
  Script* script_;
  CallLog* log_;
};

class FakeSourceControl final : public v1::SourceControl::Service {
 public:
  FakeSourceControl(Script* script, CallLog* log) : script_(script), log_(log) {}

  grpc::Status ListRules(grpc::ServerContext* c, const v1::ListRulesRequest*, v1::ListRulesResponse* out) override {
    if (auto s = Enter("source", "ListRules", c, script_, log_); !s.ok()) return s;
    v1::StreamRule* r = out->add_rules();
    r->set_id("1585716270391513088");
    r->set_value("#kafka lang:en");
    r->set_tag("kafka");
    return grpc::Status::OK;
  }
  grpc::Status AddRules(grpc::ServerContext* c, const v1::AddRulesRequest* request, v1::AddRulesResponse* out) override {
    if (auto s = Enter("source", "AddRules", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    script_->last_add = *request;
    out->set_dry_run(request->dry_run());
    int id = 100;
    for (const v1::StreamRule& rule : request->rules()) {
      v1::StreamRule* added = out->add_added();
      *added = rule;
      added->set_id(absl::StrCat(id++));
    }
    return grpc::Status::OK;
  }
  grpc::Status DeleteRules(grpc::ServerContext* c, const v1::DeleteRulesRequest* request,
                           v1::DeleteRulesResponse* out) override {
    if (auto s = Enter("source", "DeleteRules", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    script_->last_delete = *request;
    out->set_dry_run(request->dry_run());
    for (const std::string& id : request->ids()) out->add_deleted()->set_id(id);
    for (const std::string& value : request->values()) out->add_deleted()->set_value(value);
    return grpc::Status::OK;
  }
  grpc::Status GetCursor(grpc::ServerContext* c, const v1::GetCursorRequest*, v1::Cursor* out) override {
    if (auto s = Enter("source", "GetCursor", c, script_, log_); !s.ok()) return s;
    out->set_key("tweet-source/search/#kafka");
    out->set_newest_id("1585716270391513099");
    out->set_cursor_topic("twitter-stream-source-offsets");
    return grpc::Status::OK;
  }
  grpc::Status ResetCursor(grpc::ServerContext* c, const v1::ResetCursorRequest* request, v1::Cursor* out) override {
    if (auto s = Enter("source", "ResetCursor", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    if (script_->status.state() != v1::CONNECTOR_STATE_STOPPED) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the source is not STOPPED");
    }
    script_->last_cursor_reset = *request;
    out->set_newest_id(request->newest_id());
    return grpc::Status::OK;
  }

 private:
  Script* script_;
  CallLog* log_;
};

class FakeSinkControl final : public v1::SinkControl::Service {
 public:
  FakeSinkControl(Script* script, CallLog* log) : script_(script), log_(log) {}

  grpc::Status GetOffsets(grpc::ServerContext* c, const v1::GetOffsetsRequest*, v1::GetOffsetsResponse* out) override {
    if (auto s = Enter("sink", "GetOffsets", c, script_, log_); !s.ok()) return s;
    out->set_topic("twitter-stream");
    out->set_group_id("tweet-sink");
    v1::PartitionOffsets* p = out->add_partitions();
    p->set_partition(0);
    p->set_committed(90);
    p->set_end_offset(100);
    p->set_lag(10);
    out->set_total_lag(10);
    return grpc::Status::OK;
  }
  grpc::Status ResetOffsets(grpc::ServerContext* c, const v1::ResetOffsetsRequest* request,
                            v1::ResetOffsetsResponse* out) override {
    if (auto s = Enter("sink", "ResetOffsets", c, script_, log_); !s.ok()) return s;
    std::lock_guard<std::mutex> lock(script_->mu);
    if (script_->status.state() != v1::CONNECTOR_STATE_STOPPED) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "the group has active members: the sink is RUNNING");
    }
    script_->last_reset = *request;
    // Shaped like tweet-sink's answer: every partition of the topic with its new committed offset,
    // start and end offset and lag.
    const int64_t ends[] = {21, 23, 26};
    for (int32_t partition = 0; partition < 3; ++partition) {
      v1::PartitionOffsets* p = out->add_partitions();
      p->set_partition(partition);
      p->set_committed(0);
      p->set_start_offset(0);
      p->set_end_offset(ends[partition]);
      p->set_lag(ends[partition]);
    }
    return grpc::Status::OK;
  }
  grpc::Status GetDeadLetterStats(grpc::ServerContext* c, const v1::GetDeadLetterStatsRequest*,
                                  v1::DeadLetterStats* out) override {
    if (auto s = Enter("sink", "GetDeadLetterStats", c, script_, log_); !s.ok()) return s;
    out->set_topic("twitter-stream-dlq");
    out->set_dead_lettered(7);
    out->set_rejected(5);
    out->set_undecodable(2);
    (*out->mutable_by_error_class())["mapper_parsing_exception"] = 5;
    out->set_topic_records(7);
    return grpc::Status::OK;
  }

 private:
  Script* script_;
  CallLog* log_;
};

v1::ConnectorStatus SourceStatus() {
  v1::ConnectorStatus s;
  s.set_name("tweet-source");
  s.set_kind("source");
  s.set_version("0.1.0");
  s.set_state(v1::CONNECTOR_STATE_RUNNING);
  s.mutable_since()->set_seconds(1764100800);
  s.set_uptime_seconds(3723);
  s.mutable_counters()->set_read(1234);
  s.mutable_counters()->set_produced(1230);
  s.mutable_counters()->set_retried(3);
  s.mutable_source()->set_mode("search");
  s.mutable_source()->set_cursor("1585716270391513099");
  s.mutable_source()->set_cursor_key("tweet-source/search/#kafka");
  s.mutable_source()->mutable_rate_limit()->set_limit(450);
  s.mutable_source()->mutable_rate_limit()->set_remaining(440);
  s.mutable_source()->set_topic("twitter-stream");
  return s;
}

v1::ConnectorStatus SinkStatus() {
  v1::ConnectorStatus s;
  s.set_name("tweet-sink");
  s.set_kind("sink");
  s.set_state(v1::CONNECTOR_STATE_RUNNING);
  s.set_degraded(true);
  s.set_cause("Elasticsearch unreachable, retrying");
  s.mutable_since()->set_seconds(1764100900);
  s.set_uptime_seconds(50);
  s.mutable_counters()->set_read(1100);
  s.mutable_counters()->set_indexed(1090);
  s.mutable_counters()->set_dead_lettered(7);
  v1::SinkDetail* d = s.mutable_sink();
  d->set_topic("twitter-stream");
  d->set_group_id("tweet-sink");
  d->set_index("twitter");
  d->set_index_document_count(1083);
  d->set_in_flight_bulks(2);
  d->set_total_lag(130);
  for (int p = 0; p < 2; ++p) {
    v1::PartitionLag* lag = d->add_partitions();
    lag->set_partition(p);
    lag->set_committed(500 + p);
    lag->set_end_offset(565 + p);
    lag->set_lag(65);
  }
  return s;
}

// One fake connector: ConnectorControl + its kind's service + the default health service.
class FakeConnector {
 public:
  FakeConnector(const std::string& kind, CallLog* log,
                std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials())
      : control_(kind, &script_, log), source_(&script_, log), sink_(&script_, log) {
    script_.status = kind == "source" ? SourceStatus() : SinkStatus();
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
    builder.RegisterService(&control_);
    if (kind == "source") builder.RegisterService(&source_);
    else builder.RegisterService(&sink_);
    server_ = builder.BuildAndStart();
    if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus("", true);
  }
  ~FakeConnector() {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  bool ok() const { return server_ != nullptr && port_ > 0; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  Script& script() { return script_; }
  void SetServing(bool serving) { server_->GetHealthCheckService()->SetServingStatus("", serving); }

 private:
  Script script_;
  FakeControl control_;
  FakeSourceControl source_;
  FakeSinkControl sink_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A socket that accepts TCP connections (the kernel's backlog) and never says a word: a connector
// that hangs. The caller closes it.
int SilentListener(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(fd, 16);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

class TweetctlTest : public ::testing::Test {
 public:
  // Runs tweetctl with exactly `argv`; the TWEETCTL_* variables unset unless `env` sets them.
  static ProcessResult RunRaw(const std::vector<std::string>& argv, std::map<std::string, std::string> env);

 protected:
  void SetUp() override {
    ASSERT_TRUE(source_.ok());
    ASSERT_TRUE(sink_.ok());
  }

  // Runs tweetctl against the two fakes; a clean environment except `env`.
  ProcessResult Run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {TweetctlBinary(), "--source", source_.address(), "--sink=" + sink_.address(),
                                     "--timeout=5s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunRaw(argv, std::move(env));
  }


  CallLog log_;
  FakeConnector source_{"source", &log_};
  FakeConnector sink_{"sink", &log_};
};

ProcessResult TweetctlTest::RunRaw(const std::vector<std::string>& argv, std::map<std::string, std::string> env) {
  for (const char* name : {"TWEETCTL_TOKEN", "TWEETCTL_TOKEN_FILE", "TWEETCTL_SOURCE", "TWEETCTL_SINK",
                           "TWEETCTL_JSON", "TWEETCTL_TIMEOUT", "TWEETCTL_TLS_CA"}) {
    env.emplace(name, kUnset);
  }
  ProcessResult r = RunProcess(argv, env, kProcessTimeout);
  // TWEETCTL_TEST_SHOW=1 prints every run, to look at the human-readable output.
  if (std::getenv("TWEETCTL_TEST_SHOW") != nullptr) {
    std::cout << "$ " << absl::StrJoin(argv.begin() + 1, argv.end(), " ") << "   -> exit " << r.exit_code << "\n"
              << r.out << r.err << "\n";
  }
  return r;
}

// int64 fields are JSON strings in the protobuf JSON mapping.
int64_t Int64(const rapidjson::Value& v) {
  if (v.IsString()) return std::stoll(v.GetString());
  return v.GetInt64();
}

TEST_F(TweetctlTest, StatusJsonParsesAndCarriesBothConnectorsCounters) {
  auto r = Run({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  ASSERT_TRUE(doc.IsObject());
  ASSERT_TRUE(doc.HasMember("source") && doc.HasMember("sink")) << r.out;
  const auto& source = doc["source"];
  EXPECT_STREQ(source["name"].GetString(), "tweet-source");
  EXPECT_STREQ(source["state"].GetString(), "CONNECTOR_STATE_RUNNING");
  EXPECT_EQ(Int64(source["counters"]["read"]), 1234);
  EXPECT_EQ(Int64(source["counters"]["produced"]), 1230);
  EXPECT_EQ(Int64(source["counters"]["dead_lettered"]), 0);  // primitive fields always printed
  EXPECT_STREQ(source["source"]["cursor"].GetString(), "1585716270391513099");
  const auto& sink = doc["sink"];
  EXPECT_EQ(Int64(sink["counters"]["indexed"]), 1090);
  EXPECT_EQ(Int64(sink["sink"]["index_document_count"]), 1083);
  EXPECT_EQ(Int64(sink["sink"]["total_lag"]), 130);
  EXPECT_EQ(sink["sink"]["partitions"].Size(), 2u);
  EXPECT_TRUE(sink["degraded"].GetBool());
  EXPECT_THAT(log_.calls(), ::testing::UnorderedElementsAre("source:GetStatus", "sink:GetStatus"));
}

TEST_F(TweetctlTest, StatusTableShowsThePipelineAtAGlance) {
  auto r = Run({"status"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("tweet-source"));
  EXPECT_THAT(r.out, HasSubstr("1234"));
  EXPECT_THAT(r.out, HasSubstr("RUNNING DEGRADED"));
  EXPECT_THAT(r.out, HasSubstr("Elasticsearch unreachable, retrying"));
  EXPECT_THAT(r.out, HasSubstr("1083 documents"));
  EXPECT_THAT(r.out, HasSubstr("440 of 450 left"));
  EXPECT_THAT(r.out, HasSubstr("1585716270391513099"));
  EXPECT_THAT(r.out, HasSubstr("1h2m3s"));
  EXPECT_THAT(r.out, HasSubstr("2025-11-25T20:00:00Z"));
  // The per-partition lag table: partition 1 committed 501, end 566, lag 65.
  bool found = false;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (cells == std::vector<std::string>{"1", "501", "566", "65"}) found = true;
  }
  EXPECT_TRUE(found) << r.out;
}

TEST_F(TweetctlTest, UnreachableConnectorIsShownAndExitsThree) {
  const std::string dead = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
  auto r = RunRaw({TweetctlBinary(), "--source=" + source_.address(), "--sink=" + dead, "--timeout=5s", "status"}, {});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, HasSubstr("UNREACHABLE"));
  EXPECT_THAT(r.out, HasSubstr(dead));
  EXPECT_THAT(r.out, HasSubstr("1234"));  // the source still shown
  EXPECT_THAT(r.err, HasSubstr("is tweet-sink running with --control-addr=" + dead + "?"));

  auto j = RunRaw({TweetctlBinary(), "--source=" + source_.address(), "--sink=" + dead, "--json", "status"}, {});
  EXPECT_EQ(j.exit_code, 3);
  rapidjson::Document doc;
  doc.Parse(j.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << j.out;
  EXPECT_STREQ(doc["sink"]["code"].GetString(), "UNAVAILABLE");
  EXPECT_TRUE(doc["sink"].HasMember("error"));
  EXPECT_EQ(Int64(doc["source"]["counters"]["read"]), 1234);
}

TEST_F(TweetctlTest, SilentConnectorExitsThreeWithinTheTimeout) {
  int port = 0;
  const int fd = SilentListener(&port);
  const std::string hung = absl::StrCat("127.0.0.1:", port);
  const auto start = std::chrono::steady_clock::now();
  auto r = RunRaw({TweetctlBinary(), "--sink=" + hung, "--timeout=1s", "pause", "sink"}, {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_THAT(r.err, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_THAT(r.err, HasSubstr(hung));
}

TEST_F(TweetctlTest, PauseWithoutTargetPausesSourceThenSinkAndResumeGoesTheOtherWay) {
  auto r = Run({"pause"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(log_.calls(), ElementsAre("source:Pause", "sink:Pause"));
  EXPECT_THAT(r.out, HasSubstr("source: PAUSED"));
  EXPECT_THAT(r.out, HasSubstr("sink: PAUSED"));

  auto again = Run({"pause", "sink"});  // not RUNNING any more
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("FAILED_PRECONDITION"));
  EXPECT_THAT(again.err, HasSubstr("tweetctl status sink"));

  auto resume = Run({"resume", "--json"});
  ASSERT_EQ(resume.exit_code, 0) << resume.err;
  EXPECT_THAT(log_.calls(), ElementsAre("source:Pause", "sink:Pause", "sink:Pause", "sink:Resume", "source:Resume"));
  rapidjson::Document doc;
  doc.Parse(resume.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << resume.out;
  EXPECT_STREQ(doc["source"]["state"].GetString(), "CONNECTOR_STATE_RUNNING");
  EXPECT_STREQ(doc["sink"]["state"].GetString(), "CONNECTOR_STATE_RUNNING");
}

TEST_F(TweetctlTest, OffsetsResetNeedsAStoppedSinkThenSendsTheTarget) {
  auto refused = Run({"offsets", "reset", "--to", "earliest"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("offsets reset needs the sink STOPPED: run `tweetctl stop sink` first"));

  ASSERT_EQ(Run({"stop", "sink"}).exit_code, 0);
  auto r = Run({"offsets", "reset", "--to=earliest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    std::lock_guard<std::mutex> lock(sink_.script().mu);
    EXPECT_EQ(sink_.script().last_reset.target(), v1::ResetOffsetsRequest::TARGET_EARLIEST);
  }
  ASSERT_EQ(Run({"offsets", "reset", "--to", "0:5,2:7"}).exit_code, 0);
  {
    std::lock_guard<std::mutex> lock(sink_.script().mu);
    const auto& req = sink_.script().last_reset;
    EXPECT_EQ(req.target(), v1::ResetOffsetsRequest::TARGET_OFFSETS);
    EXPECT_EQ(req.offsets().at(0), 5);
    EXPECT_EQ(req.offsets().at(2), 7);
  }
  ASSERT_EQ(Run({"offsets", "reset", "--to", "2026-01-02T03:04:05Z"}).exit_code, 0);
  {
    std::lock_guard<std::mutex> lock(sink_.script().mu);
    EXPECT_EQ(sink_.script().last_reset.target(), v1::ResetOffsetsRequest::TARGET_TIMESTAMP);
    EXPECT_EQ(sink_.script().last_reset.timestamp().seconds(), 1767323045);
  }
  auto bad = Run({"offsets", "reset", "--to", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("earliest"));
  auto missing = Run({"offsets", "reset"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(log_.calls(), ElementsAre("sink:ResetOffsets", "sink:Stop", "sink:ResetOffsets", "sink:ResetOffsets",
                                        "sink:ResetOffsets"));
}

// Regression: `offsets reset` crashed (SIGSEGV) printing the sink's answer after the reset had
// happened. The answer is shaped like tweet-sink's: every partition with committed, start and end
// offset and lag; the table, --json and every --to form must print it and exit 0.
TEST_F(TweetctlTest, OffsetsResetPrintsEveryPartitionOfTheAnswer) {
  ASSERT_EQ(Run({"stop", "sink"}).exit_code, 0);
  for (const char* to : {"earliest", "latest", "2026-01-02T15:04:05Z", "0:5,1:7,2:0"}) {
    SCOPED_TRACE(to);
    auto r = Run({"offsets", "reset", "--to", to});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("PARTITION  COMMITTED  START OFFSET  END OFFSET  LAG\n"));
    EXPECT_THAT(r.out, HasSubstr("        0          0             0          21   21\n"));
    EXPECT_THAT(r.out, HasSubstr("        2          0             0          26   26\n"));
    EXPECT_THAT(r.out, Not(HasSubstr("total")));  // no total lag in a reset's answer

    auto json = Run({"offsets", "reset", "--json", "--to", to});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    rapidjson::Document doc;
    doc.Parse(json.out.c_str());
    ASSERT_FALSE(doc.HasParseError()) << json.out;
    ASSERT_TRUE(doc.HasMember("partitions")) << json.out;
    ASSERT_EQ(doc["partitions"].Size(), 3u);
    EXPECT_EQ(Int64(doc["partitions"][1]["end_offset"]), 23);
    EXPECT_EQ(Int64(doc["partitions"][1]["lag"]), 23);
    EXPECT_EQ(Int64(doc["partitions"][1]["start_offset"]), 0);  // primitive fields always printed
  }
}

// The secret settings are listed like every other one, their value never shown: `<redacted>` when
// set, `(not set)` when not; --json keeps "<redacted>" / "". Also when a server sends a real value.
TEST_F(TweetctlTest, ConfigGetListsTheSecretsRedactedOrNotSet) {
  auto r = Run({"config", "get", "sink"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nES_API_KEY +\\(not set\\) +secret:"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nES_PASSWORD +<redacted> +secret:"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nES_USERNAME +\\(not set\\) +secret:"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nbatch_max_records +2000 +2000 "));

  const std::string leaked = "k3y-that-must-not-show";
  {
    std::lock_guard<std::mutex> lock(sink_.script().mu);
    sink_.script().es_api_key = leaked;
  }
  auto leak = Run({"config", "get", "sink"});
  ASSERT_EQ(leak.exit_code, 0) << leak.err;
  EXPECT_THAT(leak.out, ::testing::ContainsRegex("\nES_API_KEY +<redacted> +secret:"));
  auto json = Run({"config", "get", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  rapidjson::Document doc;
  doc.Parse(json.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json.out;
  std::map<std::string, std::string> secrets;
  for (const auto& s : doc["sink"]["settings"].GetArray()) {
    if (s["secret"].GetBool()) secrets[s["name"].GetString()] = s["value"].GetString();
  }
  EXPECT_EQ(secrets, (std::map<std::string, std::string>{
                         {"ES_API_KEY", "<redacted>"}, {"ES_PASSWORD", "<redacted>"}, {"ES_USERNAME", ""}}));
  auto set = Run({"config", "set", "sink", "ES_API_KEY=x"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.out, ::testing::ContainsRegex("\nES_API_KEY +<redacted>"));
  auto set_json = Run({"--json", "config", "set", "sink", "batch_max_records=7"});
  ASSERT_EQ(set_json.exit_code, 0) << set_json.err;
  for (const auto& out : {leak.out, json.out, set.out, set_json.out}) EXPECT_THAT(out, Not(HasSubstr(leaked)));
}

TEST_F(TweetctlTest, TokenIsSentAsMetadataAndNeverPrinted) {
  const std::string token = "s3cret-T0ken-value";
  for (auto* f : {&source_, &sink_}) {
    std::lock_guard<std::mutex> lock(f->script().mu);
    f->script().required_token = token;
  }
  auto without = Run({"status"});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_THAT(without.err, HasSubstr("set TWEETCTL_TOKEN or --token-file"));

  auto with = Run({"status", "--json"}, {{"TWEETCTL_TOKEN", token}});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(log_.authorization().back(), "Bearer " + token);
  EXPECT_THAT(with.out + with.err, Not(HasSubstr(token)));

  auto wrong = Run({"pause", "source"}, {{"TWEETCTL_TOKEN", "wrong-" + token}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("the token was refused"));
  EXPECT_THAT(wrong.out + wrong.err, Not(HasSubstr(token)));

  const std::string file = ::testing::TempDir() + "/tweetctl-token";
  std::ofstream(file) << token << "\n";
  auto from_file = Run({"--token-file", file, "config", "get", "sink"});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(log_.authorization().back(), "Bearer " + token);
  EXPECT_THAT(from_file.out + from_file.err, Not(HasSubstr(token)));
  EXPECT_THAT(from_file.out, HasSubstr("<redacted>"));
  std::remove(file.c_str());
}

TEST_F(TweetctlTest, HealthExitCodeFollowsTheServingStatus) {
  auto serving = Run({"health", "sink"});
  EXPECT_EQ(serving.exit_code, 0) << serving.err;
  EXPECT_THAT(serving.out, HasSubstr("SERVING"));
  sink_.SetServing(false);
  auto not_serving = Run({"health", "sink"});
  EXPECT_EQ(not_serving.exit_code, 1);
  EXPECT_THAT(not_serving.out, HasSubstr("NOT_SERVING"));
  auto both = Run({"health"});
  EXPECT_EQ(both.exit_code, 1);
  auto source_only = Run({"health", "source", "--json"});
  EXPECT_EQ(source_only.exit_code, 0);
  rapidjson::Document doc;
  doc.Parse(source_only.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << source_only.out;
  EXPECT_STREQ(doc["source"]["status"].GetString(), "SERVING");
  auto dead = RunRaw({TweetctlBinary(), absl::StrCat("--sink=127.0.0.1:", FreeLoopbackPort()), "health", "sink"}, {});
  EXPECT_EQ(dead.exit_code, 3);
}

TEST_F(TweetctlTest, ConfigSetWithABadValuePrintsTheFieldAndAGoodValueIsSent) {
  auto bad = Run({"config", "set", "sink", "batch-max-records=-5"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(bad.err, HasSubstr("batch-max-records: must be positive"));

  auto good = Run({"config", "set", "sink", "batch_max_records=500"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("500"));
  {
    std::lock_guard<std::mutex> lock(sink_.script().mu);
    EXPECT_EQ(sink_.script().last_update.values().at("batch_max_records"), "500");
  }
  auto invalid = Run({"config", "validate", "source", "max_results=-1"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_THAT(invalid.out, HasSubstr("max_results"));
  EXPECT_EQ(Run({"config", "validate", "source", "max_results=50"}).exit_code, 0);
}

TEST_F(TweetctlTest, BadUsageExitsTwoWithoutCallingAnything) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"frobnicate"},
           {},
           {"pause", "both"},
           {"status", "--no-such-flag"},
           {"config", "set", "sink"},
           {"config", "set", "sink", "novalue"},
           {"config", "set"},
           {"cursor", "reset", "not-an-id"},
           {"--timeout=abc", "status"},
           {"--timeout=0s", "status"},
           {"rules", "add"},
       }) {
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("tweetctl --help"));
  }
  EXPECT_TRUE(log_.calls().empty());
  auto help = Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("exit codes"));
}

TEST_F(TweetctlTest, WatchStopsAfterCountWithJsonLines) {
  auto r = Run({"watch", "sink", "--count", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  for (size_t i = 0; i < lines.size(); ++i) {
    rapidjson::Document doc;
    doc.Parse(lines[i].c_str());
    ASSERT_FALSE(doc.HasParseError()) << lines[i];
    EXPECT_EQ(Int64(doc["counters"]["read"]), 1101 + static_cast<int64_t>(i));
  }
  auto table = Run({"watch", "--count=4"});  // both streams
  ASSERT_EQ(table.exit_code, 0) << table.err;
  lines = absl::StrSplit(table.out, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 4u) << table.out;
}

TEST_F(TweetctlTest, WatchGivesUpOnASilentStream) {
  {
    std::lock_guard<std::mutex> lock(source_.script().mu);
    source_.script().watch_updates = 0;
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = Run({"watch", "source", "--timeout=1s", "--interval=200ms"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_THAT(r.err, HasSubstr("no status update"));
}

TEST_F(TweetctlTest, RulesCursorAndDeadLetterCommandsReachTheRightService) {
  auto add = Run({"rules", "add", "--dry-run", "--tag", "kafka", "#kafka lang:en", "--", "-is:retweet #cpp"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  {
    std::lock_guard<std::mutex> lock(source_.script().mu);
    const auto& req = source_.script().last_add;
    EXPECT_TRUE(req.dry_run());
    ASSERT_EQ(req.rules_size(), 2);
    EXPECT_EQ(req.rules(0).value(), "#kafka lang:en");
    EXPECT_EQ(req.rules(1).value(), "-is:retweet #cpp");
    EXPECT_EQ(req.rules(1).tag(), "kafka");
  }
  EXPECT_THAT(add.out, HasSubstr("dry run"));

  ASSERT_EQ(Run({"rules", "delete", "1585716270391513088", "#cpp"}).exit_code, 0);
  {
    std::lock_guard<std::mutex> lock(source_.script().mu);
    const auto& req = source_.script().last_delete;
    EXPECT_THAT(req.ids(), ElementsAre("1585716270391513088"));
    EXPECT_THAT(req.values(), ElementsAre("#cpp"));
    EXPECT_FALSE(req.dry_run());
  }
  auto list = Run({"rules", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("#kafka lang:en"));

  auto cursor_refused = Run({"cursor", "reset", "1585716270391513000"});
  EXPECT_EQ(cursor_refused.exit_code, 1);
  EXPECT_THAT(cursor_refused.err, HasSubstr("run `tweetctl stop source` first"));
  ASSERT_EQ(Run({"stop", "source"}).exit_code, 0);
  ASSERT_EQ(Run({"cursor", "reset", "1585716270391513000"}).exit_code, 0);
  {
    std::lock_guard<std::mutex> lock(source_.script().mu);
    EXPECT_EQ(source_.script().last_cursor_reset.newest_id(), "1585716270391513000");
  }
  auto cursor = Run({"cursor", "get", "--json"});
  ASSERT_EQ(cursor.exit_code, 0);
  rapidjson::Document doc;
  doc.Parse(cursor.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << cursor.out;
  EXPECT_STREQ(doc["newest_id"].GetString(), "1585716270391513099");

  auto dlq = Run({"dlq", "stats"});
  ASSERT_EQ(dlq.exit_code, 0) << dlq.err;
  EXPECT_THAT(dlq.out, HasSubstr("mapper_parsing_exception"));
  auto offsets = Run({"offsets", "get"});
  ASSERT_EQ(offsets.exit_code, 0) << offsets.err;
  EXPECT_THAT(offsets.out, HasSubstr("group tweet-sink"));
  auto metrics = Run({"metrics", "sink"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_THAT(metrics.out, HasSubstr("tweetstream_sink_read_total"));
  EXPECT_THAT(metrics.out, HasSubstr("count=4 sum=10 avg=2.5"));
}

TEST_F(TweetctlTest, SourceOnlyCommandAgainstTheSinkSaysWhichAddress) {
  // --source pointed at the sink by mistake: the sink does not serve SourceControl.
  auto r = RunRaw({TweetctlBinary(), "--source=" + sink_.address(), "rules", "list"}, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNIMPLEMENTED"));
  EXPECT_THAT(r.err, HasSubstr("--source"));
}

TEST_F(TweetctlTest, EnvironmentTwinsSetTheAddresses) {
  auto r = RunRaw({TweetctlBinary(), "status", "--json"},
                  {{"TWEETCTL_SOURCE", source_.address()}, {"TWEETCTL_SINK", sink_.address()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_STREQ(doc["sink"]["name"].GetString(), "tweet-sink");
}

TEST_F(TweetctlTest, UnreadableTokenOrCaFileIsAUsageErrorNamingTheFile) {
  auto missing = Run({"--token-file=/nonexistent/tweetctl-token", "status"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/tweetctl-token"));
  const std::string blank = ::testing::TempDir() + "/tweetctl-blank-token";
  std::ofstream(blank) << "  \n";
  auto empty = Run({"status"}, {{"TWEETCTL_TOKEN_FILE", blank}});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.err, HasSubstr("empty"));
  std::remove(blank.c_str());
  auto ca = Run({"--tls-ca=/nonexistent/ca.pem", "health"});
  EXPECT_EQ(ca.exit_code, 2);
  EXPECT_THAT(ca.err, HasSubstr("/nonexistent/ca.pem"));
  EXPECT_TRUE(log_.calls().empty());
}

// --tls-ca: a TLS control port with a self-signed certificate (made by the openssl CLI) is reached
// through TLS, and a plaintext client gets "unreachable" with the TLS hint.
TEST(TweetctlTlsTest, TlsChannelTrustsTheGivenCa) {
  const std::string dir = ::testing::TempDir() + "/tweetctl-tls-" + std::to_string(getpid());
  const std::string key = dir + "-key.pem", cert = dir + "-cert.pem";
  auto made = RunProcess({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                          cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
                          "subjectAltName=IP:127.0.0.1,DNS:localhost"},
                         {}, kProcessTimeout);
  ASSERT_EQ(made.exit_code, 0) << "openssl (Debian package openssl, installed by scripts/install-deps.sh): " << made.err;
  auto key_pem = ReadFile(key);
  auto cert_pem = ReadFile(cert);
  ASSERT_TRUE(key_pem.ok() && cert_pem.ok());
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key_pem, *cert_pem});
  CallLog log;
  FakeConnector sink("sink", &log, grpc::SslServerCredentials(ssl));
  ASSERT_TRUE(sink.ok());

  auto tls = TweetctlTest::RunRaw({TweetctlBinary(), "--sink=" + sink.address(), "--tls-ca=" + cert, "--json", "status",
                                   "sink"},
                                  {});
  EXPECT_EQ(tls.exit_code, 0) << tls.err;
  rapidjson::Document doc;
  doc.Parse(tls.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << tls.out;
  EXPECT_EQ(Int64(doc["sink"]["sink"]["index_document_count"]), 1083);

  auto plain = TweetctlTest::RunRaw({TweetctlBinary(), "--sink=" + sink.address(), "--timeout=3s", "status", "sink"}, {});
  EXPECT_EQ(plain.exit_code, 3) << plain.err;
  EXPECT_THAT(plain.err, HasSubstr("--tls-ca"));
  std::remove(key.c_str());
  std::remove(cert.c_str());
}

}  // namespace
}  // namespace tweetstream::testing
