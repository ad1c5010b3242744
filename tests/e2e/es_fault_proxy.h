#pragma once
// A scriptable fault proxy in front of the real Elasticsearch node: the sink talks to the proxy, the
// proxy forwards every request to the node and answers with the node's answer, unless the script
// says otherwise for a `_bulk`: answer 429 without forwarding (a rejection storm), forward and then
// drop the connection (the node indexed, the sink never heard), forward and delay the answer
// (reordering between two bulks in flight), forward and rewrite item statuses (per-item 429/503),
// or hang (a request that never ends). Built on the fake X API server (a real HTTP server on
// loopback) and libcurl; counts what it did so a test can print it.

#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/http_client.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {

class EsFaultProxy {
 public:
  enum class BulkFault { kNone, kReject429, kDropAfterForward, kDelayAfterForward, kRewriteItems, kHang };
  // Chooses the fault of each bulk (called on the server's threads, serialized by the proxy).
  using Script = std::function<BulkFault(int bulk_number)>;

  struct Counts {
    std::atomic<int> bulks{0}, forwarded{0}, rejected{0}, dropped{0}, delayed{0}, rewritten{0}, hung{0};
    std::atomic<int64_t> items_forwarded{0};
  };

  EsFaultProxy(std::string es_url, std::string index_template) : es_url_(std::move(es_url)) {
    auto server = FakeXApiServer::Start();
    if (!server.ok()) return;
    server_ = std::move(*server);
    auto forward_route = [this](const std::string& method, const std::string& path) {
      server_->Route(method, path, [this](const RecordedRequest& r) { return Forward(r); });
    };
    forward_route("GET", "/");
    forward_route("GET", "/_nodes/_local");
    forward_route("PUT", "/_index_template/" + index_template);
    server_->Route("POST", "/_bulk", [this](const RecordedRequest& r) { return Bulk(r); });
  }

  bool ok() const { return server_ != nullptr; }
  std::string url() const { return server_->base_url(); }
  void set_script(Script script) {
    absl::MutexLock lock(&mu_);
    script_ = std::move(script);
  }
  // Forwards deletes by query too (for a date-pattern index).
  void ForwardPath(const std::string& method, const std::string& path) {
    server_->Route(method, path, [this](const RecordedRequest& r) { return Forward(r); });
  }
  Counts& counts() { return counts_; }
  std::string Summary() const {
    return absl::StrCat(counts_.bulks.load(), " bulks: ", counts_.forwarded.load(), " forwarded (",
                        counts_.items_forwarded.load(), " items), ", counts_.rejected.load(), " answered 429, ",
                        counts_.dropped.load(), " dropped after indexing, ", counts_.delayed.load(), " delayed, ",
                        counts_.rewritten.load(), " with items rewritten to 429/503, ", counts_.hung.load(), " hung");
  }

 private:
  ScriptedResponse Forward(const RecordedRequest& r) {
    auto http = common::CurlHttpClient::Create();
    if (!http.ok()) return ScriptedResponse{.status = 502, .body = "proxy: no curl"};
    common::HttpRequest request;
    request.method = r.method;
    std::string query;
    for (const auto& [k, v] : r.params) absl::StrAppend(&query, query.empty() ? "?" : "&", common::UrlEncode(k), "=", common::UrlEncode(v));
    request.url = absl::StrCat(es_url_, r.path, query);
    request.body = r.body;
    request.timeout = std::chrono::seconds(60);
    if (!r.body.empty()) {
      auto ct = r.headers.find("content-type");
      request.headers.emplace_back("Content-Type", ct != r.headers.end() ? ct->second : "application/json");
    }
    auto response = (*http)->Send(request);
    if (!response.ok()) return ScriptedResponse{.drop_connection = true};  // the node is down: so is the proxy
    return ScriptedResponse{.status = response->status, .body = response->body};
  }

  ScriptedResponse Bulk(const RecordedRequest& r) {
    BulkFault fault;
    int n;
    {
      absl::MutexLock lock(&mu_);
      n = counts_.bulks.fetch_add(1);
      fault = script_ ? script_(n) : BulkFault::kNone;
    }
    if (fault == BulkFault::kReject429) {
      counts_.rejected.fetch_add(1);
      return ScriptedResponse{.status = 429,
                              .body = R"({"error":{"type":"es_rejected_execution_exception","reason":"proxy: rejection storm"},"status":429})"};
    }
    if (fault == BulkFault::kHang) {
      counts_.hung.fetch_add(1);
      return ScriptedResponse{.status = 200, .body = R"({"items":[]})", .delay = std::chrono::milliseconds(30000)};
    }
    ScriptedResponse answer = Forward(r);
    counts_.forwarded.fetch_add(1);
    counts_.items_forwarded.fetch_add(static_cast<int64_t>(std::count(r.body.begin(), r.body.end(), '\n') / 2));
    switch (fault) {
      case BulkFault::kDropAfterForward:
        counts_.dropped.fetch_add(1);
        return ScriptedResponse{.drop_connection = true};
      case BulkFault::kDelayAfterForward:
        counts_.delayed.fetch_add(1);
        answer.delay = std::chrono::milliseconds(1500);
        return answer;
      case BulkFault::kRewriteItems:
        if (answer.status == 200) {
          counts_.rewritten.fetch_add(1);
          answer.body = RewriteItems(answer.body);
        }
        return answer;
      default:
        return answer;
    }
  }

  // Every third item's status becomes 429 or 503 (the document may well be indexed: the sink retries
  // it, and the same _id and version make that harmless).
  static std::string RewriteItems(const std::string& body) {
    std::string out;
    out.reserve(body.size());
    size_t pos = 0;
    int item = 0;
    const std::string key = "\"status\":";
    while (true) {
      size_t at = body.find(key, pos);
      if (at == std::string::npos) break;
      size_t end = at + key.size();
      while (end < body.size() && isdigit(static_cast<unsigned char>(body[end]))) ++end;
      out.append(body, pos, at - pos);
      const bool rewrite = item++ % 3 == 0;
      if (rewrite) {
        absl::StrAppend(&out, key, item % 2 == 0 ? "503" : "429",
                        R"(,"error":{"type":")", item % 2 == 0 ? "unavailable_shards_exception" : "es_rejected_execution_exception",
                        R"(","reason":"proxy rewrite"})");
      } else {
        out.append(body, at, end - at);
      }
      pos = end;
    }
    out.append(body, pos, std::string::npos);
    return out;
  }

  std::string es_url_;
  std::unique_ptr<FakeXApiServer> server_;
  absl::Mutex mu_;
  Script script_ ABSL_GUARDED_BY(mu_);
  Counts counts_;
};

}  // namespace tweetstream::testing
