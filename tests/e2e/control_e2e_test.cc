// The control plane end to end: both binaries running against the real Kafka broker and the real
// Elasticsearch node, driven through the generated gRPC clients, tweetctl, a Python client that
// knows nothing but server reflection, and the Prometheus endpoint read by the reference parser.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>
#include <rapidjson/document.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/kafka_producer.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"
#include "tweetstream/connector/v1/control.grpc.pb.h"
#include "tweetstream/connector/v1/sink.grpc.pb.h"
#include "tweetstream/connector/v1/source.grpc.pb.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

namespace v1 = ::tweetstream::connector::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kEsPassword[] = "pw-e2e-Zq81x-never-printed";
constexpr char kXToken[] = "x-token-e2e-Yw4rT-never-printed";
constexpr char kControlToken[] = "ctl-token-e2e-Pp02k-never-printed";

std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }

// A client context with a deadline (and the bearer token when given).
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

struct Control {
  explicit Control(int port, std::string token = "")
      : channel(grpc::CreateChannel(Addr(port), grpc::InsecureChannelCredentials())),
        connector(v1::ConnectorControl::NewStub(channel)),
        sink(v1::SinkControl::NewStub(channel)),
        source(v1::SourceControl::NewStub(channel)),
        health(grpc::health::v1::Health::NewStub(channel)),
        token(std::move(token)) {}
  v1::ConnectorStatus Status() {
    v1::ConnectorStatus status;
    grpc::Status s = connector->GetStatus(Ctx(token).get(), {}, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return status;
  }
  grpc::health::v1::HealthCheckResponse::ServingStatus Health() {
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status s = health->Check(Ctx().get(), {}, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.status();
  }
  // Waits (bounded) until the state is `state`.
  bool WaitState(v1::ConnectorState state, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      v1::ConnectorStatus status;
      if (connector->GetStatus(Ctx(token).get(), {}, &status).ok() && status.state() == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  int64_t EndOffsets() {
    v1::GetOffsetsResponse offsets;
    EXPECT_TRUE(sink->GetOffsets(Ctx(token).get(), {}, &offsets).ok());
    int64_t total = 0;
    for (const auto& p : offsets.partitions()) total += p.end_offset();
    return total;
  }
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ConnectorControl::Stub> connector;
  std::unique_ptr<v1::SinkControl::Stub> sink;
  std::unique_ptr<v1::SourceControl::Stub> source;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  std::string token;
};

std::string Python() { return SourceDir() + "/.venv/bin/python"; }

class ControlE2eTest : public E2eTest {
 protected:
  std::vector<std::string> SinkArgs(int control_port, int metrics_port, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {SinkBinary(),
                                     "--bootstrap-servers=" + kafka_,
                                     "--topic=" + topic_,
                                     "--group-id=" + topic_ + "-group",
                                     "--dlq-topic=" + topic_ + "-dlq",
                                     "--es-url=" + es_url_,
                                     "--index=" + index_,
                                     "--linger=200ms",
                                     "--control-addr=" + Addr(control_port),
                                     "--metrics-addr=" + Addr(metrics_port)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  // Waits (bounded) until the index holds `count` documents.
  bool WaitCount(int64_t count, std::chrono::seconds timeout = std::chrono::seconds(90)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (Count() == count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return false;
  }
};

// Pause holds the index still while tweets keep arriving; resume catches up with nothing lost; stop,
// reset to earliest, restart re-indexes everything without changing the count; config, metrics,
// tweetctl, reflection and secrets along the way.
TEST_F(ControlE2eTest, SinkLifecycleConfigMetricsAndClients) {
  const int source_port = FreeLoopbackPort(), sink_port = FreeLoopbackPort(), metrics_port = FreeLoopbackPort();
  ChildProcess source({SourceBinary(), "--mode=synthetic", "--seed=11", "--rate=400", "--bootstrap-servers=" + kafka_,
                       "--topic=" + topic_, "--control-addr=" + Addr(source_port)},
                      {});
  ChildProcess sink(SinkArgs(sink_port, metrics_port),
                    {{"ES_USERNAME", "elastic"}, {"ES_PASSWORD", kEsPassword}});
  Control control(sink_port);
  Control source_control(source_port);
  ASSERT_TRUE(control.WaitState(v1::CONNECTOR_STATE_RUNNING)) << sink.Stderr();
  const auto until_some = Clock::now() + std::chrono::seconds(60);
  while (Count() < 200 && Clock::now() < until_some) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_GE(Count(), 200) << sink.Stderr();

  // --- Pause: nothing moves in the index while the topic keeps growing.
  v1::ConnectorStatus paused;
  ASSERT_TRUE(control.connector->Pause(Ctx().get(), {}, &paused).ok());
  EXPECT_EQ(paused.state(), v1::CONNECTOR_STATE_PAUSED);
  // The batch open at the pause is flushed: wait until nothing is in flight (a condition, not a sleep).
  const auto until_drained = Clock::now() + std::chrono::seconds(30);
  v1::ConnectorStatus drained = control.Status();
  while ((drained.sink().in_flight_bulks() > 0 || drained.sink().pending_records() > 0) && Clock::now() < until_drained) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    drained = control.Status();
  }
  ASSERT_EQ(drained.sink().in_flight_bulks(), 0) << "bulks still in flight 30 s after the pause";
  ASSERT_EQ(drained.sink().pending_records(), 0) << "records still pending 30 s after the pause";
  const int64_t held = Count();
  const int64_t topic_before = control.EndOffsets();
  // While the topic grows by 500 tweets (bounded wait), the index must not move.
  const auto until_grown = Clock::now() + std::chrono::seconds(60);
  while (control.EndOffsets() <= topic_before + 500 && Clock::now() < until_grown) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_GT(control.EndOffsets(), topic_before + 500) << "the source did not keep producing during the pause";
  EXPECT_EQ(Count(), held) << "the document count moved while the sink was paused";
  EXPECT_EQ(control.Status().state(), v1::CONNECTOR_STATE_PAUSED);
  // Resume only while PAUSED; pause only while RUNNING.
  v1::ConnectorStatus ignored;
  EXPECT_EQ(control.connector->Restart(Ctx().get(), {}, &ignored).ok(), true);  // from PAUSED: a restart is allowed
  ASSERT_TRUE(control.WaitState(v1::CONNECTOR_STATE_RUNNING));
  ASSERT_TRUE(control.connector->Pause(Ctx().get(), {}, &paused).ok());

  // WatchStatus streams the change at once when Resume is called.
  {
    grpc::ClientContext watch_context;
    watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::WatchStatusRequest request;
    request.set_interval_ms(10000);
    auto reader = control.connector->WatchStatus(&watch_context, request);
    v1::ConnectorStatus update;
    ASSERT_TRUE(reader->Read(&update));
    EXPECT_EQ(update.state(), v1::CONNECTOR_STATE_PAUSED);
    const auto resumed_at = Clock::now();
    v1::ConnectorStatus resumed;
    ASSERT_TRUE(control.connector->Resume(Ctx().get(), {}, &resumed).ok());
    EXPECT_EQ(resumed.state(), v1::CONNECTOR_STATE_RUNNING);
    ASSERT_TRUE(reader->Read(&update));
    EXPECT_EQ(update.state(), v1::CONNECTOR_STATE_RUNNING);
    EXPECT_LT(Clock::now() - resumed_at, std::chrono::seconds(5)) << "the change waited for the snapshot interval";
    watch_context.TryCancel();
  }
  grpc::Status not_paused = control.connector->Resume(Ctx().get(), {}, &ignored);
  EXPECT_TRUE(not_paused.ok());  // already RUNNING: a no-op

  // --- Stop the source (SIGTERM: flush, exit 0); the sink catches up with everything on the topic.
  source.Signal(SIGTERM);
  ProcessResult source_result = source.Wait(std::chrono::seconds(60));
  ASSERT_EQ(source_result.exit_code, 0) << source_result.err;
  const int64_t total = control.EndOffsets();
  ASSERT_TRUE(WaitCount(total)) << "index " << Count() << " of " << total << "\n" << sink.Stderr();
  EXPECT_EQ(Ids().size(), static_cast<size_t>(total));

  // --- ResetOffsets needs STOPPED; stop, reset to earliest, restart: everything read again, count unchanged.
  v1::ResetOffsetsRequest reset;
  reset.set_target(v1::ResetOffsetsRequest::TARGET_EARLIEST);
  v1::ResetOffsetsResponse reset_response;
  grpc::Status refused = control.sink->ResetOffsets(Ctx().get(), reset, &reset_response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const int64_t read_before = control.Status().counters().read();
  v1::ConnectorStatus stopped;
  ASSERT_TRUE(control.connector->Stop(Ctx().get(), {}, &stopped).ok());
  EXPECT_EQ(stopped.state(), v1::CONNECTOR_STATE_STOPPED);
  grpc::Status reset_ok = control.sink->ResetOffsets(Ctx().get(), reset, &reset_response);
  ASSERT_TRUE(reset_ok.ok()) << reset_ok.error_message();
  for (const auto& p : reset_response.partitions()) EXPECT_EQ(p.committed(), p.start_offset()) << p.partition();
  v1::ConnectorStatus restarted;
  ASSERT_TRUE(control.connector->Restart(Ctx().get(), {}, &restarted).ok());
  const auto until_reread = Clock::now() + std::chrono::seconds(90);
  while (control.Status().counters().read() < read_before + total && Clock::now() < until_reread) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  v1::ConnectorStatus after = control.Status();
  EXPECT_EQ(after.counters().read(), read_before + total) << "not everything was consumed again";
  const auto until_lag0 = Clock::now() + std::chrono::seconds(30);
  while (control.Status().sink().total_lag() != 0 && Clock::now() < until_lag0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(control.Status().sink().total_lag(), 0);
  EXPECT_EQ(Count(), total) << "re-indexing changed the document count";

  // --- UpdateConfig: a bad value is refused whole, naming the field; a good one applies with a restart.
  v1::UpdateConfigRequest bad;
  (*bad.mutable_values())["batch-max-records"] = "0";
  (*bad.mutable_values())["linger"] = "300ms";
  v1::UpdateConfigResponse updated;
  grpc::Status rejected = control.connector->UpdateConfig(Ctx().get(), bad, &updated);
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rejected.error_message(), HasSubstr("batch_max_records"));
  v1::ValidateConfigRequest validate;
  (*validate.mutable_values())["max_in_flight"] = "lots";
  v1::ValidateConfigResponse validated;
  ASSERT_TRUE(control.connector->ValidateConfig(Ctx().get(), validate, &validated).ok());
  EXPECT_FALSE(validated.valid());
  ASSERT_EQ(validated.errors_size(), 1);
  EXPECT_EQ(validated.errors(0).field(), "max_in_flight");
  auto setting = [&](const std::string& name) {
    v1::Config config;
    EXPECT_TRUE(control.connector->GetConfig(Ctx().get(), {}, &config).ok());
    for (const auto& s : config.settings()) {
      if (s.name() == name) return s;
    }
    return v1::ConfigSetting();
  };
  EXPECT_EQ(setting("linger").value(), "200ms") << "a refused update changed something";
  EXPECT_EQ(setting("batch_max_records").value(), "2000");
  EXPECT_EQ(control.Status().state(), v1::CONNECTOR_STATE_RUNNING) << "a refused update touched the connector";
  v1::UpdateConfigRequest good;
  (*good.mutable_values())["linger"] = "300ms";
  grpc::Status accepted = control.connector->UpdateConfig(Ctx().get(), good, &updated);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(setting("linger").value(), "300ms");
  EXPECT_EQ(updated.status().state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(setting("ES_PASSWORD").value(), "<redacted>");
  EXPECT_TRUE(setting("ES_PASSWORD").secret());

  // --- tweetctl status --json agrees with the index's real count.
  ProcessResult ctl = RunProcess({BinaryDir() + "/tools/tweetctl/tweetctl", "--sink=" + Addr(sink_port), "--json",
                                  "status", "sink"},
                                 {}, std::chrono::seconds(30));
  ASSERT_EQ(ctl.exit_code, 0) << ctl.out << ctl.err;
  rapidjson::Document doc;
  doc.Parse(ctl.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << ctl.out;
  const rapidjson::Value& detail = doc["sink"]["sink"];
  const int64_t reported = std::stoll(detail["index_document_count"].IsString()
                                          ? std::string(detail["index_document_count"].GetString())
                                          : std::to_string(detail["index_document_count"].GetInt64()));
  EXPECT_EQ(reported, Count());

  // --- /metrics parses with the reference Prometheus parser; its counters agree with GetStatus.
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  common::HttpRequest get;
  get.method = "GET";
  get.url = absl::StrCat("http://", Addr(metrics_port), "/metrics");
  auto scraped = (*http)->Send(get);
  ASSERT_TRUE(scraped.ok() && scraped->status == 200);
  const v1::ConnectorStatus now = control.Status();
  const std::string metrics_file = ::testing::TempDir() + "/metrics.txt";
  std::ofstream(metrics_file) << scraped->body;
  ProcessResult parsed = RunProcess({"/bin/sh", "-c", Python() + " " + SourceDir() + "/tests/e2e/prometheus_parse.py < " + metrics_file},
                                    {}, std::chrono::seconds(60));
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err << "\n(run scripts/install-python-deps.sh for the venv)";
  rapidjson::Document m;
  m.Parse(parsed.out.c_str());
  ASSERT_FALSE(m.HasParseError()) << parsed.out;
  EXPECT_EQ(m["tweetstream_sink_indexed_total"].GetDouble(), static_cast<double>(now.counters().indexed()));
  EXPECT_EQ(m["tweetstream_sink_consumed_total"].GetDouble(), static_cast<double>(now.counters().read()));
  EXPECT_EQ(m["tweetstream_sink_bulk_requests_total"].GetDouble(), static_cast<double>(now.counters().requests()));
  EXPECT_GT(m["tweetstream_sink_bulk_duration_seconds_count"].GetDouble(), 0);
  EXPECT_GT(m["tweetstream_sink_latency_since_ingested_seconds_count"].GetDouble(), 0);
  EXPECT_TRUE(m.HasMember("tweetstream_sink_partition_lag{partition=0}"));

  // --- A client that is not ours: Python grpcio, reflection only.
  ProcessResult py = RunProcess({Python(), SourceDir() + "/tests/e2e/reflection_client.py", Addr(sink_port)}, {},
                                std::chrono::seconds(60));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_THAT(py.out, HasSubstr("\"tweetstream.connector.v1.ConnectorControl\""));
  EXPECT_THAT(py.out, HasSubstr("\"tweetstream.connector.v1.SinkControl\""));
  EXPECT_THAT(py.out, HasSubstr("\"grpc.health.v1.Health\""));
  EXPECT_THAT(py.out, HasSubstr("\"state\": \"CONNECTOR_STATE_RUNNING\""));
  EXPECT_THAT(py.out, HasSubstr("\"kind\": \"sink\""));

  // --- GetMetrics carries the same counters.
  v1::GetMetricsResponse grpc_metrics;
  ASSERT_TRUE(control.connector->GetMetrics(Ctx().get(), {}, &grpc_metrics).ok());
  double grpc_indexed = -1;
  for (const auto& family : grpc_metrics.families()) {
    if (family.name() == "tweetstream_sink_indexed_total" && family.samples_size() == 1) grpc_indexed = family.samples(0).value();
  }
  EXPECT_EQ(grpc_indexed, static_cast<double>(control.Status().counters().indexed()));

  // --- A poison record: dead-lettered with its class, counted by GetDeadLetterStats, the rest flows on.
  {
    common::KafkaProducerOptions options;
    options.bootstrap_servers = kafka_;
    auto producer = common::CreateKafkaProducer(options);
    ASSERT_TRUE(producer.ok());
    common::ProducerRecord poison;
    poison.topic = topic_;
    poison.key = "poison";
    poison.value = std::string("\xff\xfe not a TweetEnvelope");
    ASSERT_TRUE((*producer)->Produce(std::move(poison)).ok());
    ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(30)).ok());
  }
  v1::DeadLetterStats dlq;
  const auto until_dlq = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < until_dlq) {
    ASSERT_TRUE(control.sink->GetDeadLetterStats(Ctx().get(), {}, &dlq).ok());
    if (dlq.dead_lettered() >= 1 && dlq.topic_records() >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_EQ(dlq.topic(), topic_ + "-dlq");
  EXPECT_EQ(dlq.dead_lettered(), 1);
  EXPECT_EQ(dlq.undecodable(), 1);
  EXPECT_EQ(dlq.by_error_class().at("DecodeError"), 1);
  EXPECT_EQ(dlq.topic_records(), 1);
  EXPECT_THAT(dlq.last().message(), HasSubstr("DecodeError"));
  EXPECT_EQ(Count(), total) << "the poison record changed the index";
  EXPECT_EQ(control.Status().state(), v1::CONNECTOR_STATE_RUNNING);

  // --- Shutdown, then no secret anywhere.
  sink.Signal(SIGTERM);
  ProcessResult sink_result = sink.Wait(std::chrono::seconds(60));
  EXPECT_EQ(sink_result.exit_code, 0) << sink_result.err;
  for (const std::string* text : {&sink_result.out, &sink_result.err, &ctl.out, &ctl.err, &py.out, &scraped->body,
                                  &source_result.out, &source_result.err}) {
    EXPECT_THAT(*text, Not(HasSubstr(kEsPassword)));
  }
}

// With a control token, a call without it is refused and the data plane is untouched; health and
// reflection stay open (container health checks carry no token).
TEST_F(ControlE2eTest, ControlTokenIsRequired) {
  const std::string token_file = ::testing::TempDir() + "/control-token";
  std::ofstream(token_file) << kControlToken << "\n";
  const int port = FreeLoopbackPort();
  ChildProcess sink(SinkArgs(port, FreeLoopbackPort(), {"--control-token-file=" + token_file}), {});
  Control authorized(port, kControlToken);
  Control anonymous(port);
  ASSERT_TRUE(authorized.WaitState(v1::CONNECTOR_STATE_RUNNING)) << sink.Stderr();
  v1::ConnectorStatus status;
  EXPECT_EQ(anonymous.connector->GetStatus(Ctx().get(), {}, &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(anonymous.connector->Pause(Ctx().get(), {}, &status).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(anonymous.connector->Pause(Ctx("wrong-token").get(), {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::GetOffsetsResponse offsets;
  EXPECT_EQ(anonymous.sink->GetOffsets(Ctx().get(), {}, &offsets).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(authorized.Status().state(), v1::CONNECTOR_STATE_RUNNING) << "a refused Pause touched the data plane";
  EXPECT_EQ(anonymous.Health(), grpc::health::v1::HealthCheckResponse::SERVING);
  sink.Signal(SIGTERM);
  ProcessResult result = sink.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.err + result.out, Not(HasSubstr(kControlToken)));
}

// Health follows the connector: NOT_SERVING once X rejects the token (FAILED), SERVING again after
// the cause is fixed and the connector restarted through the control plane. The source's cursor is
// read through SourceControl; ResetCursor needs STOPPED.
TEST_F(ControlE2eTest, SourceHealthFollowsFailureAndRecovery) {
  auto server = FakeXApiServer::Start();
  ASSERT_TRUE(server.ok());
  const std::string path = "/2/tweets/search/recent";
  auto unauthorized = ReadFile(FixturePath("error-401-unauthorized-2021-06.json"));
  ASSERT_TRUE(unauthorized.ok());
  (*server)->RouteSequence("GET", path, {ScriptedResponse{401, {}, *unauthorized}});
  const int port = FreeLoopbackPort();
  ChildProcess source({SourceBinary(), "--mode=search", "--query=#kafka", "--poll-interval=1s", "--keep-control-plane",
                       "--x-api-base-url=" + (*server)->base_url(), "--bootstrap-servers=" + kafka_,
                       "--topic=" + topic_, "--cursor-topic=" + topic_ + "-cursors", "--control-addr=" + Addr(port)},
                      {{"X_BEARER_TOKEN", kXToken}});
  Control control(port);
  ASSERT_TRUE(control.WaitState(v1::CONNECTOR_STATE_FAILED)) << source.Stderr();
  v1::ConnectorStatus failed = control.Status();
  EXPECT_THAT(failed.cause(), HasSubstr("401"));
  EXPECT_EQ(control.Health(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(source.Running()) << "--keep-control-plane: the process stays up while FAILED";

  // The cause is fixed (X accepts the token again): Restart -> RUNNING -> SERVING.
  auto page = ReadFile(FixturePath("recent-search-twarc-brexit-2021-09-22.json"));
  (*server)->RouteSequence("GET", path,
                           {ScriptedResponse{200, {}, page.ok() ? *page : R"({"meta":{"result_count":0}})"},
                            ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"}});
  v1::ConnectorStatus restarted;
  grpc::Status restart = control.connector->Restart(Ctx().get(), {}, &restarted);
  ASSERT_TRUE(restart.ok()) << restart.error_message();
  EXPECT_EQ(restarted.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(control.Health(), grpc::health::v1::HealthCheckResponse::SERVING);

  // Stream rules through SourceControl, against the (fake) X rules endpoint with the source's token.
  (*server)->RouteSequence("GET", "/2/tweets/search/stream/rules",
                           {ScriptedResponse{200, {}, R"({"data":[{"id":"100","value":"stale rule","tag":"old"}],"meta":{"sent":"2026-11-25T00:00:00Z","result_count":1}})"}});
  (*server)->Route("POST", "/2/tweets/search/stream/rules", [](const RecordedRequest& request) {
    if (absl::StrContains(request.body, "\"delete\"")) {
      return ScriptedResponse{200, {}, R"({"meta":{"sent":"2026-11-25T00:00:00Z","summary":{"deleted":1,"not_deleted":0}}})"};
    }
    if (absl::StrContains(request.body, "bad((rule")) {
      return ScriptedResponse{200, {}, R"({"errors":[{"value":"bad((rule","details":["Unmatched parenthesis."],"title":"Invalid Rule","type":"https://api.twitter.com/2/problems/invalid-rules"}],"meta":{"sent":"2026-11-25T00:00:00Z","summary":{"created":0,"not_created":1,"valid":0,"invalid":1}}})"};
    }
    return ScriptedResponse{201, {}, R"({"data":[{"id":"200","value":"#kafka","tag":"e2e"}],"meta":{"sent":"2026-11-25T00:00:00Z","summary":{"created":1,"not_created":0,"valid":1,"invalid":0}}})"};
  });
  v1::ListRulesResponse listed;
  ASSERT_TRUE(control.source->ListRules(Ctx().get(), {}, &listed).ok());
  ASSERT_EQ(listed.rules_size(), 1);
  EXPECT_EQ(listed.rules(0).id(), "100");
  EXPECT_EQ(listed.rules(0).tag(), "old");
  v1::AddRulesRequest add;
  add.set_dry_run(true);
  v1::StreamRule* rule = add.add_rules();
  rule->set_value("#kafka");
  rule->set_tag("e2e");
  v1::AddRulesResponse added;
  (*server)->ClearRequests();
  ASSERT_TRUE(control.source->AddRules(Ctx().get(), add, &added).ok());
  EXPECT_TRUE(added.dry_run());
  ASSERT_EQ(added.added_size(), 1);
  auto posts = (*server)->RequestsTo("/2/tweets/search/stream/rules");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].Param("dry_run"), "true");
  EXPECT_EQ(posts[0].headers.at("authorization"), std::string("Bearer ") + kXToken);
  add.set_dry_run(false);
  ASSERT_TRUE(control.source->AddRules(Ctx().get(), add, &added).ok());
  ASSERT_EQ(added.added_size(), 1);
  EXPECT_EQ(added.added(0).id(), "200");
  v1::AddRulesRequest bad_rule;
  bad_rule.add_rules()->set_value("bad((rule");
  grpc::Status invalid = control.source->AddRules(Ctx().get(), bad_rule, &added);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(invalid.error_message(), HasSubstr("Unmatched parenthesis"));
  v1::DeleteRulesRequest remove;
  remove.add_values("stale rule");
  remove.add_ids("999");
  v1::DeleteRulesResponse removed;
  (*server)->ClearRequests();
  ASSERT_TRUE(control.source->DeleteRules(Ctx().get(), remove, &removed).ok());
  ASSERT_EQ(removed.deleted_size(), 1);
  EXPECT_EQ(removed.deleted(0).id(), "100");
  ASSERT_EQ(removed.not_found_size(), 1);
  EXPECT_EQ(removed.not_found(0), "999");
  bool delete_sent = false;
  for (const auto& r : (*server)->RequestsTo("/2/tweets/search/stream/rules")) {
    if (r.method == "POST" && absl::StrContains(r.body, "\"100\"")) delete_sent = true;
  }
  EXPECT_TRUE(delete_sent);

  // The cursor: set after the first poll; ResetCursor only while STOPPED.
  v1::Cursor cursor;
  const auto until_cursor = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < until_cursor) {
    ASSERT_TRUE(control.source->GetCursor(Ctx().get(), {}, &cursor).ok());
    if (!cursor.newest_id().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_FALSE(cursor.newest_id().empty()) << source.Stderr();
  EXPECT_EQ(cursor.newest_id(), control.Status().source().cursor());
  v1::ResetCursorRequest reset;
  reset.set_newest_id("1");
  v1::Cursor reset_cursor;
  EXPECT_EQ(control.source->ResetCursor(Ctx().get(), reset, &reset_cursor).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ConnectorStatus stopped;
  ASSERT_TRUE(control.connector->Stop(Ctx().get(), {}, &stopped).ok());
  ASSERT_TRUE(control.source->ResetCursor(Ctx().get(), reset, &reset_cursor).ok());
  ASSERT_TRUE(control.source->GetCursor(Ctx().get(), {}, &cursor).ok());
  EXPECT_EQ(cursor.newest_id(), "1");

  // GetConfig never returns the token.
  v1::Config config;
  ASSERT_TRUE(control.connector->GetConfig(Ctx().get(), {}, &config).ok());
  EXPECT_THAT(config.DebugString(), Not(HasSubstr(kXToken)));
  source.Signal(SIGTERM);
  ProcessResult result = source.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err + result.out + failed.DebugString(), Not(HasSubstr(kXToken)));
}

}  // namespace
}  // namespace tweetstream::testing
