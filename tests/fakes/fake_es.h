#pragma once
// An in-memory EsApi for unit tests of the bulk workers (no sockets): every call is recorded in
// order, and a test scripts each answer with a handler that may block (to hold a bulk in flight).

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sink-connector/es_client.h"

namespace tweetstream::testing {

class FakeEs : public sink::EsApi {
 public:
  struct Call {
    std::string method, path, body;
  };
  struct Shared {
    absl::Mutex mu;
    std::vector<Call> calls ABSL_GUARDED_BY(mu);
    // Answers one request (called without the lock held, on the worker's thread).
    std::function<absl::StatusOr<common::HttpResponse>(const Call&)> handler;
    std::vector<Call> Calls() {
      absl::MutexLock lock(&mu);
      return calls;
    }
  };
  explicit FakeEs(Shared* shared) : shared_(shared) {}

  absl::StatusOr<std::vector<sink::BulkItemResult>> Bulk(const std::string& ndjson, size_t item_count) override {
    auto response = Record("POST", "/_bulk", ndjson);
    if (!response.ok()) return response.status();
    if (response->status != 200) return sink::EsHttpError(*response, "POST _bulk");
    // The handler answers with one status per line of the body: "201\n201\n400\n".
    std::vector<sink::BulkItemResult> out;
    size_t pos = 0;
    while (pos < response->body.size()) {
      size_t end = response->body.find('\n', pos);
      if (end == std::string::npos) end = response->body.size();
      sink::BulkItemResult r;
      r.status = std::stoi(response->body.substr(pos, end - pos));
      if (r.status >= 300) r.error_type = "mapper_parsing_exception";
      out.push_back(r);
      pos = end + 1;
    }
    if (out.size() != item_count) return absl::InternalError("fake: item count mismatch");
    return out;
  }
  absl::StatusOr<common::HttpResponse> Request(const std::string& method, const std::string& path,
                                               const std::string& body) override {
    return Record(method, path, body);
  }
  void set_cancel(const std::atomic<bool>*) override {}
  std::string current_url() const override { return "fake://es"; }

 private:
  absl::StatusOr<common::HttpResponse> Record(const std::string& method, const std::string& path,
                                              const std::string& body) {
    Call call{method, path, body};
    {
      absl::MutexLock lock(&shared_->mu);
      shared_->calls.push_back(call);
    }
    return shared_->handler(call);
  }
  Shared* shared_;
};

}  // namespace tweetstream::testing
