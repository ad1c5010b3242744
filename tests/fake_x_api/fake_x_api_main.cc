// fake-x-api: the fake X API server (FakeXApiServer) as a process of its own, for tests that run
// the binaries the way a user does (tests/docs/docs_test.py runs the README's X API commands
// against it). It serves the project's own samples/ (never the recorded fixtures):
//
//   GET  /2/tweets/search/recent       samples/search-page-1..3.json, chained by next_token; a poll
//                                      with since_id at or past the newest sample is empty
//   GET  /2/tweets/search/stream       samples/stream-capture.txt, a line every --stream_line_ms, the
//                                      capture --stream_loops times (the same events again: a source
//                                      publishes its status counters when lines arrive, so they catch
//                                      up; the ids stay the samples'), then keep-alives
//   GET  /2/tweets/search/stream/rules the rules added so far (in memory)
//   POST /2/tweets/search/stream/rules {"add":[...]} / {"delete":{"ids":[...]}}, dry_run=true validates
//
// Every /2/ call must carry `Authorization: Bearer <--bearer-token>`, else 401 as X answers it.
// Usage: fake-x-api --samples=DIR --bearer_token=T [--port_file=F] [--stream_line_ms=100] [--stream_loops=3] [--stream_seconds=600]
// Prints `fake X API on http://127.0.0.1:PORT` once it serves (and writes PORT to --port_file);
// SIGTERM/SIGINT stop it (exit 0). Exit 2 on bad flags or unreadable samples.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/rfc3339.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/fake_x_api/fake_x_api_server.h"

ABSL_FLAG(std::string, samples, "samples", "folder of the sample responses (the repository's samples/)");
ABSL_FLAG(std::string, bearer_token, "", "the only bearer token accepted (required)");
ABSL_FLAG(std::string, port_file, "", "write the port here once serving");
ABSL_FLAG(int, stream_line_ms, 100, "stream: the capture's lines are sent this many ms apart");
ABSL_FLAG(int, stream_loops, 3, "stream: the capture is sent this many times, then keep-alives only");
ABSL_FLAG(int, stream_seconds, 600, "stream: the connection ends after about this long (the client reconnects)");

namespace {

using tweetstream::testing::FakeXApiServer;
using tweetstream::testing::RecordedRequest;
using tweetstream::testing::ScriptedResponse;

constexpr char kRulesPath[] = "/2/tweets/search/stream/rules";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Sent() {
  return common::NowRfc3339Millis();
}

// The search pages, in order, with the newest id of the first (the newest tweet of all of them).
struct SearchPages {
  std::vector<std::string> bodies;
  std::map<std::string, size_t> page_of_token;  // next_token -> index of the page it fetches
  uint64_t newest_id = 0;
};

bool LoadSearchPages(const std::string& dir, SearchPages* pages) {
  for (int i = 1;; ++i) {
    std::string body;
    if (!ReadFile(absl::StrCat(dir, "/search-page-", i, ".json"), &body)) break;
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("meta")) return false;
    const rapidjson::Value& meta = doc["meta"];
    if (i == 1 && meta.HasMember("newest_id") && meta["newest_id"].IsString()) {
      (void)absl::SimpleAtoi(meta["newest_id"].GetString(), &pages->newest_id);
    }
    if (meta.HasMember("next_token") && meta["next_token"].IsString()) {
      pages->page_of_token[meta["next_token"].GetString()] = pages->bodies.size() + 1;
    }
    pages->bodies.push_back(std::move(body));
  }
  return !pages->bodies.empty() && pages->newest_id != 0;
}

// The filtered stream's rules, as X keeps them for one app.
class Rules {
 public:
  ScriptedResponse List() {
    absl::MutexLock lock(&mu_);
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value data(rapidjson::kArrayType);
    for (const auto& [id, rule] : rules_) data.PushBack(RuleJson(id, rule, a), a);
    rapidjson::Value meta(rapidjson::kObjectType);
    meta.AddMember("sent", rapidjson::Value(Sent().c_str(), a), a);
    meta.AddMember("result_count", static_cast<int>(rules_.size()), a);
    if (!rules_.empty()) out.AddMember("data", data, a);
    out.AddMember("meta", meta, a);
    return ScriptedResponse{.body = ToJson(out)};
  }

  ScriptedResponse Change(const RecordedRequest& request) {
    rapidjson::Document in;
    in.Parse(request.body.c_str(), request.body.size());
    if (in.HasParseError() || !in.IsObject()) {
      return ScriptedResponse{.status = 400, .body = R"({"title":"Invalid Request","detail":"body is not JSON"})"};
    }
    const bool dry_run = request.Param("dry_run") == "true";
    absl::MutexLock lock(&mu_);
    rapidjson::Document out(rapidjson::kObjectType);
    auto& a = out.GetAllocator();
    rapidjson::Value data(rapidjson::kArrayType);
    rapidjson::Value errors(rapidjson::kArrayType);
    rapidjson::Value summary(rapidjson::kObjectType);
    if (in.HasMember("add") && in["add"].IsArray()) {
      int created = 0, not_created = 0;
      for (const auto& r : in["add"].GetArray()) {
        if (!r.IsObject() || !r.HasMember("value") || !r["value"].IsString()) continue;
        std::pair<std::string, std::string> rule{r["value"].GetString(),
                                                 r.HasMember("tag") && r["tag"].IsString() ? r["tag"].GetString() : ""};
        std::string duplicate;
        for (const auto& [id, existing] : rules_) {
          if (existing.first == rule.first) duplicate = id;
        }
        if (!duplicate.empty()) {
          ++not_created;
          rapidjson::Value e(rapidjson::kObjectType);
          e.AddMember("value", rapidjson::Value(rule.first.c_str(), a), a);
          e.AddMember("id", rapidjson::Value(duplicate.c_str(), a), a);
          e.AddMember("title", "DuplicateRule", a);
          e.AddMember("type", "https://api.twitter.com/2/problems/duplicate-rules", a);
          errors.PushBack(e, a);
          continue;
        }
        ++created;
        std::string id = absl::StrCat(next_id_);
        if (!dry_run) {
          ++next_id_;
          rules_[id] = rule;
        }
        data.PushBack(RuleJson(id, rule, a), a);
      }
      summary.AddMember("created", dry_run ? 0 : created, a);
      summary.AddMember("not_created", not_created, a);
      summary.AddMember("valid", created, a);
      summary.AddMember("invalid", not_created, a);
    } else if (in.HasMember("delete") && in["delete"].IsObject() && in["delete"].HasMember("ids") &&
               in["delete"]["ids"].IsArray()) {
      int deleted = 0, not_deleted = 0;
      for (const auto& id : in["delete"]["ids"].GetArray()) {
        if (!id.IsString()) continue;
        auto it = rules_.find(id.GetString());
        if (it == rules_.end()) {
          ++not_deleted;
          continue;
        }
        ++deleted;
        if (!dry_run) rules_.erase(it);
      }
      summary.AddMember("deleted", deleted, a);
      summary.AddMember("not_deleted", not_deleted, a);
    } else {
      return ScriptedResponse{.status = 400, .body = R"({"title":"Invalid Request","detail":"neither add nor delete"})"};
    }
    rapidjson::Value meta(rapidjson::kObjectType);
    meta.AddMember("sent", rapidjson::Value(Sent().c_str(), a), a);
    meta.AddMember("summary", summary, a);
    if (!data.Empty()) out.AddMember("data", data, a);
    out.AddMember("meta", meta, a);
    if (!errors.Empty()) out.AddMember("errors", errors, a);
    return ScriptedResponse{.status = dry_run ? 200 : 201, .body = ToJson(out)};
  }

 private:
  static rapidjson::Value RuleJson(const std::string& id, const std::pair<std::string, std::string>& rule,
                                   rapidjson::Document::AllocatorType& a) {
    rapidjson::Value r(rapidjson::kObjectType);
    r.AddMember("id", rapidjson::Value(id.c_str(), a), a);
    r.AddMember("value", rapidjson::Value(rule.first.c_str(), a), a);
    if (!rule.second.empty()) r.AddMember("tag", rapidjson::Value(rule.second.c_str(), a), a);
    return r;
  }

  absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> rules_ ABSL_GUARDED_BY(mu_);  // id -> (value, tag)
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1800000000000000001ull;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string token = absl::GetFlag(FLAGS_bearer_token);
  const std::string samples = absl::GetFlag(FLAGS_samples);
  if (token.empty()) {
    std::cerr << "fake-x-api: --bearer_token is required\n";
    return 2;
  }
  SearchPages pages;
  std::string capture;
  if (!LoadSearchPages(samples, &pages) || !ReadFile(samples + "/stream-capture.txt", &capture)) {
    std::cerr << "fake-x-api: cannot read the search pages and stream-capture.txt in " << samples << "\n";
    return 2;
  }

  // Signals are taken by sigwait below, on this thread; blocked before the server's threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto started = FakeXApiServer::Start();
  if (!started.ok()) {
    std::cerr << "fake-x-api: " << started.status() << "\n";
    return 1;
  }
  std::unique_ptr<FakeXApiServer> server = std::move(*started);
  auto authorized = [token](const RecordedRequest& r) {
    auto it = r.headers.find("authorization");
    return it != r.headers.end() && it->second == "Bearer " + token;
  };
  const ScriptedResponse unauthorized{
      .status = 401, .body = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})"};
  auto guarded = [&](auto handler) {
    return [=](const RecordedRequest& r) { return authorized(r) ? handler(r) : unauthorized; };
  };

  server->Route("GET", "/2/tweets/search/recent", guarded([pages](const RecordedRequest& r) {
    const long reset = absl::ToUnixSeconds(absl::Now() + absl::Minutes(15));
    ScriptedResponse response{.headers = tweetstream::testing::RateLimitHeaders(450, 449, reset)};
    uint64_t since = 0;
    if (!r.Param("since_id").empty() && absl::SimpleAtoi(r.Param("since_id"), &since) && since >= pages.newest_id) {
      response.body = R"({"meta":{"result_count":0}})";
      return response;
    }
    size_t page = 0;
    if (!r.Param("next_token").empty()) {
      auto it = pages.page_of_token.find(r.Param("next_token"));
      if (it == pages.page_of_token.end() || it->second >= pages.bodies.size()) {
        response.status = 400;
        response.body = R"({"errors":[{"parameters":{"next_token":[""]},"message":"The `next_token` query parameter value is invalid"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})";
        return response;
      }
      page = it->second;
    }
    response.body = pages.bodies[page];
    return response;
  }));

  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(capture, absl::ByString("\r\n"), absl::SkipEmpty())) {
    lines.push_back(absl::StrCat(line, "\r\n"));
  }
  const int line_ms = std::max(1, absl::GetFlag(FLAGS_stream_line_ms));
  std::vector<std::string> stream_chunks{"\r\n"};  // a keep-alive first: the connection is up at once
  const int64_t events = static_cast<int64_t>(lines.size()) * std::max(1, absl::GetFlag(FLAGS_stream_loops));
  for (int64_t n = 0; n * line_ms < absl::GetFlag(FLAGS_stream_seconds) * 1000LL; ++n) {
    stream_chunks.push_back(n < events ? lines[n % lines.size()] : "\r\n");
  }
  server->Route("GET", "/2/tweets/search/stream", guarded([stream_chunks, line_ms](const RecordedRequest&) {
    return ScriptedResponse{.chunks = stream_chunks, .chunk_delay = std::chrono::milliseconds(line_ms)};
  }));

  auto rules = std::make_shared<Rules>();
  server->Route("GET", kRulesPath, guarded([rules](const RecordedRequest&) { return rules->List(); }));
  server->Route("POST", kRulesPath, guarded([rules](const RecordedRequest& r) { return rules->Change(r); }));

  if (const std::string port_file = absl::GetFlag(FLAGS_port_file); !port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << server->port() << "\n";
    }
    if (std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::cerr << "fake-x-api: cannot write " << port_file << "\n";
      return 1;
    }
  }
  std::cout << "fake X API on " << server->base_url() << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "fake X API: " << server->Requests().size() << " request(s) served; stopping" << std::endl;
  server.reset();
  return 0;
}
