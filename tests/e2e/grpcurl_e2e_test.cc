// Generic gRPC tools against the real binaries (issue 18): grpcurl v1.9.3 (scripts/install-grpcurl.sh,
// from the Go module proxy) and a Python grpcio client that knows nothing but server reflection drive
// tweet-sink and tweet-source with no .proto file and no generated code. Every service is listed,
// described (each method's request and response types too) and called through reflection alone, over
// reflection v1 (what current clients ask first) and v1alpha; health says SERVING, and NOT_SERVING
// while the connector is FAILED; WatchStatus pushes two state changes; with a token a call without it
// is UNAUTHENTICATED. The real binaries, not an in-process ControlServer: what reflection can describe
// depends on which descriptors are linked into the binary, which is the very thing under test.

#include <signal.h>

#include <rapidjson/document.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/subprocess.h"
#include "tests/common/test_util.h"
#include "tests/e2e/e2e_env.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "ctl-token-grpcurl-Tn7q2-never-printed";

std::string Addr(int port) { return absl::StrCat("127.0.0.1:", port); }
std::string Python() { return SourceDir() + "/.venv/bin/python"; }

// The grpcurl binary of scripts/install-grpcurl.sh (which installs it first when it is missing, and
// otherwise only prints its path): one place names the version.
const std::string& Grpcurl() {
  static const std::string* path = [] {
    ProcessResult r = RunProcess({"/bin/bash", SourceDir() + "/scripts/install-grpcurl.sh", "--path"}, {},
                                 std::chrono::minutes(9));
    std::vector<std::string> lines = absl::StrSplit(absl::StripTrailingAsciiWhitespace(r.out), '\n');
    return new std::string(r.exit_code == 0 && !lines.empty() ? lines.back() : "");
  }();
  return *path;
}

// The string member `member` of every JSON object in grpcurl's output (one object per message of a
// stream, pretty-printed one after the other; "" for an object without it). A last object still being
// written is left out.
std::vector<std::string> JsonObjects(const std::string& text, const char* member) {
  std::vector<std::string> values;
  size_t offset = 0;
  while ((offset = text.find('{', offset)) != std::string::npos) {
    rapidjson::StringStream stream(text.c_str() + offset);
    rapidjson::Document doc;
    doc.ParseStream<rapidjson::kParseStopWhenDoneFlag>(stream);
    if (doc.HasParseError()) break;
    values.push_back(doc.IsObject() && doc.HasMember(member) && doc[member].IsString() ? doc[member].GetString() : "");
    offset += stream.Tell();
  }
  return values;
}

class GrpcurlE2eTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    ASSERT_FALSE(Grpcurl().empty()) << "grpcurl could not be installed: run scripts/install-grpcurl.sh";
    token_file_ = ::testing::TempDir() + "/grpcurl-control-token";
    std::ofstream(token_file_) << kToken << "\n";
  }

  // grpcurl -plaintext [-H authorization] ARGS... ADDRESS VERB_ARGS... (bounded).
  ProcessResult Grpc(int port, std::vector<std::string> before, std::vector<std::string> after, bool token = true) {
    std::vector<std::string> argv = {Grpcurl(), "-plaintext", "-max-time", "20"};
    if (token) argv.insert(argv.end(), {"-H", std::string("authorization: Bearer ") + kToken});
    argv.insert(argv.end(), before.begin(), before.end());
    argv.push_back(Addr(port));
    argv.insert(argv.end(), after.begin(), after.end());
    return RunProcess(argv, {}, std::chrono::seconds(30));
  }
  // A unary call with request JSON `data`; the response's member `member` ("" when the call failed).
  std::string Call(int port, const std::string& method, const std::string& member, const std::string& data = "{}",
                   bool token = true) {
    ProcessResult r = Grpc(port, {"-d", data}, {method}, token);
    std::vector<std::string> values = JsonObjects(r.out, member.c_str());
    return r.exit_code == 0 && values.size() == 1 ? values[0] : "";
  }
  std::string State(int port) { return Call(port, "tweetstream.connector.v1.ConnectorControl/GetStatus", "state"); }
  std::string Health(int port) { return Call(port, "grpc.health.v1.Health/Check", "status", "{}", false); }
  bool WaitState(int port, const std::string& state, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (State(port) == state) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  // What both connectors must offer a generic client; `kind_service` is SinkControl or SourceControl,
  // `kind_call` a read-only method of it.
  void ExpectGenericClientsWork(int port, const std::string& kind, const std::string& kind_service,
                                const std::string& kind_call) {
    SCOPED_TRACE("tweet-" + kind + " on " + Addr(port));
    const std::set<std::string> expected = {"grpc.health.v1.Health",
                                            "grpc.reflection.v1.ServerReflection",
                                            "grpc.reflection.v1alpha.ServerReflection",
                                            "tweetstream.connector.v1.ConnectorControl",
                                            "tweetstream.connector.v1." + kind_service};
    // list: grpcurl asks reflection v1 first; no token needed (reflection stays open).
    ProcessResult list = Grpc(port, {}, {"list"}, false);
    ASSERT_EQ(list.exit_code, 0) << list.err;
    std::vector<std::string> lines = absl::StrSplit(absl::StripTrailingAsciiWhitespace(list.out), '\n');
    EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), expected) << list.out;

    // describe: each service, each of its methods' request and response types.
    const std::regex rpc(R"(rpc (\w+) \( (stream )?\.([\w.]+) \) returns \( (stream )?\.([\w.]+) \))");
    for (const std::string& service : expected) {
      ProcessResult d = Grpc(port, {}, {"describe", service}, false);
      ASSERT_EQ(d.exit_code, 0) << service << ": " << d.err;
      EXPECT_THAT(d.out, HasSubstr(service + " is a service:"));
      int methods = 0;
      for (std::sregex_iterator m(d.out.begin(), d.out.end(), rpc), end; m != end; ++m, ++methods) {
        for (const std::string& type : {(*m)[3].str(), (*m)[5].str()}) {
          ProcessResult t = Grpc(port, {}, {"describe", type}, false);
          EXPECT_EQ(t.exit_code, 0) << service << "/" << (*m)[1] << ": " << type << ": " << t.err;
          EXPECT_THAT(t.out, HasSubstr(type + " is a message:"));
        }
      }
      EXPECT_GT(methods, 0) << d.out;
    }
    // The v1 reflection service called by name, like any other method.
    EXPECT_THAT(Grpc(port, {"-d", R"({"list_services": ""})"}, {"grpc.reflection.v1.ServerReflection/ServerReflectionInfo"},
                     false).out,
                HasSubstr("\"name\": \"tweetstream.connector.v1." + kind_service + "\""));

    // Calls: GetStatus, the kind's service, health; the token is required by ours, not by health.
    ProcessResult status = Grpc(port, {"-d", "{}"}, {"tweetstream.connector.v1.ConnectorControl/GetStatus"});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(JsonObjects(status.out, "kind"), std::vector<std::string>{kind}) << status.out;
    EXPECT_EQ(JsonObjects(status.out, "state"), std::vector<std::string>{"CONNECTOR_STATE_RUNNING"}) << status.out;
    ProcessResult kind_result = Grpc(port, {"-d", "{}"}, {"tweetstream.connector.v1." + kind_service + "/" + kind_call});
    EXPECT_EQ(kind_result.exit_code, 0) << kind_result.err;
    EXPECT_EQ(Health(port), "SERVING");
    for (bool wrong : {false, true}) {
      std::vector<std::string> header;
      if (wrong) header = {"-H", "authorization: Bearer not-the-token"};
      header.insert(header.end(), {"-d", "{}"});
      ProcessResult anonymous = Grpc(port, header, {"tweetstream.connector.v1.ConnectorControl/GetStatus"}, false);
      EXPECT_NE(anonymous.exit_code, 0);
      EXPECT_THAT(anonymous.err, HasSubstr("Code: Unauthenticated")) << anonymous.err;
      EXPECT_THAT(anonymous.out + anonymous.err, Not(HasSubstr(kToken)));
    }
    ProcessResult anonymous_kind = Grpc(port, {"-d", "{}"}, {"tweetstream.connector.v1." + kind_service + "/" + kind_call}, false);
    EXPECT_THAT(anonymous_kind.err, HasSubstr("Code: Unauthenticated")) << anonymous_kind.err;

    // WatchStatus: the first snapshot, then two state changes pushed at once (Pause, Resume), long
    // before the next periodic snapshot is due.
    ChildProcess watch({Grpcurl(), "-plaintext", "-max-time", "60", "-H", std::string("authorization: Bearer ") + kToken,
                        "-d", R"({"interval_ms": 60000})", Addr(port), "tweetstream.connector.v1.ConnectorControl/WatchStatus"},
                       {});
    auto states = [&] { return JsonObjects(watch.Wait(std::chrono::milliseconds(0)).out, "state"); };
    auto wait_states = [&](size_t n) {
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      while (states().size() < n && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return states();
    };
    ASSERT_EQ(wait_states(1).size(), 1u) << watch.Stderr();
    EXPECT_EQ(Call(port, "tweetstream.connector.v1.ConnectorControl/Pause", "state"), "CONNECTOR_STATE_PAUSED");
    wait_states(2);
    EXPECT_EQ(Call(port, "tweetstream.connector.v1.ConnectorControl/Resume", "state"), "CONNECTOR_STATE_RUNNING");
    EXPECT_EQ(wait_states(3), (std::vector<std::string>{"CONNECTOR_STATE_RUNNING", "CONNECTOR_STATE_PAUSED",
                                                        "CONNECTOR_STATE_RUNNING"}))
        << watch.Stderr();
    watch.Signal(SIGTERM);

    // A Python client that knows only reflection: v1 (the default), and v1alpha still served.
    for (const char* version : {"v1", "v1alpha"}) {
      ProcessResult py = RunProcess({Python(), SourceDir() + "/tests/e2e/reflection_client.py", Addr(port),
                                     "--reflection", version},
                                    {{"CONTROL_TOKEN", kToken}}, std::chrono::seconds(60));
      ASSERT_EQ(py.exit_code, 0) << version << ": " << py.err << "\n(run scripts/install-python-deps.sh for the venv)";
      rapidjson::Document doc;
      doc.Parse(py.out.c_str());
      ASSERT_TRUE(doc.IsObject()) << py.out;
      std::set<std::string> services;
      for (const auto& s : doc["services"].GetArray()) services.insert(s.GetString());
      EXPECT_EQ(services, expected) << version;
      EXPECT_STREQ(doc["status"]["kind"].GetString(), kind.c_str()) << version;
      EXPECT_STREQ(doc["health"].GetString(), "SERVING") << version;
    }
  }

  std::string token_file_;
};

// tweet-sink on the real broker and node: everything through grpcurl and Python reflection; a second
// sink whose Elasticsearch cannot be reached is FAILED and says NOT_SERVING.
TEST_F(GrpcurlE2eTest, SinkThroughReflectionOnly) {
  const int port = FreeLoopbackPort();
  ChildProcess sink({SinkBinary(), "--bootstrap-servers=" + kafka_, "--topic=" + topic_, "--group-id=" + topic_ + "-group",
                     "--dlq-topic=" + topic_ + "-dlq", "--es-url=" + es_url_, "--index=" + index_,
                     "--control-addr=" + Addr(port), "--control-token-file=" + token_file_},
                    {});
  ASSERT_TRUE(WaitState(port, "CONNECTOR_STATE_RUNNING")) << sink.Stderr();
  ExpectGenericClientsWork(port, "sink", "SinkControl", "GetDeadLetterStats");

  const int failing_port = FreeLoopbackPort();
  ChildProcess failing({SinkBinary(), "--bootstrap-servers=" + kafka_, "--topic=" + topic_,
                        "--group-id=" + topic_ + "-failing", "--es-url=http://127.0.0.1:" + std::to_string(FreeLoopbackPort()),
                        "--es-wait-timeout=1s", "--index=" + index_, "--keep-control-plane",
                        "--control-addr=" + Addr(failing_port), "--control-token-file=" + token_file_},
                       {});
  ASSERT_TRUE(WaitState(failing_port, "CONNECTOR_STATE_FAILED")) << failing.Stderr();
  EXPECT_EQ(Health(failing_port), "NOT_SERVING");
  EXPECT_EQ(Health(port), "SERVING") << "the healthy sink is still healthy";

  for (ChildProcess* p : {&sink, &failing}) p->Signal(SIGTERM);
  ProcessResult result = sink.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(kToken)));
}

// tweet-source in search mode against the fake X API: FAILED (X rejects the token) says NOT_SERVING,
// Restart through grpcurl brings RUNNING and SERVING, then everything through grpcurl and Python.
TEST_F(GrpcurlE2eTest, SourceThroughReflectionOnly) {
  auto server = FakeXApiServer::Start();
  ASSERT_TRUE(server.ok());
  const std::string path = "/2/tweets/search/recent";
  auto unauthorized = ReadFile(FixturePath("error-401-unauthorized-2021-06.json"));
  ASSERT_TRUE(unauthorized.ok());
  (*server)->RouteSequence("GET", path, {ScriptedResponse{401, {}, *unauthorized}});
  const int port = FreeLoopbackPort();
  ChildProcess source({SourceBinary(), "--mode=search", "--query=#kafka", "--poll-interval=1s", "--keep-control-plane",
                       "--x-api-base-url=" + (*server)->base_url(), "--bootstrap-servers=" + kafka_, "--topic=" + topic_,
                       "--cursor-topic=" + topic_ + "-cursors", "--control-addr=" + Addr(port),
                       "--control-token-file=" + token_file_},
                      {{"X_BEARER_TOKEN", "x-token-grpcurl-e2e"}});
  ASSERT_TRUE(WaitState(port, "CONNECTOR_STATE_FAILED")) << source.Stderr();
  EXPECT_EQ(Health(port), "NOT_SERVING");

  (*server)->RouteSequence("GET", path, {ScriptedResponse{200, {}, R"({"meta":{"result_count":0}})"}});
  EXPECT_EQ(Call(port, "tweetstream.connector.v1.ConnectorControl/Restart", "state"), "CONNECTOR_STATE_RUNNING");
  EXPECT_EQ(Health(port), "SERVING");
  ExpectGenericClientsWork(port, "source", "SourceControl", "GetCursor");

  source.Signal(SIGTERM);
  ProcessResult result = source.Wait(std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out + result.err, Not(HasSubstr(kToken)));
}

}  // namespace
}  // namespace tweetstream::testing
