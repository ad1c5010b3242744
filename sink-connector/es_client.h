#pragma once
// A client of the few Elasticsearch APIs the sink uses (`GET /`, `PUT _index_template`, `_bulk`),
// over the narrow HttpClient. Several base URLs may be given: a request that cannot reach one host
// is tried on the next (failover), and the client stays on the host that answered.
//
// Status codes (what the caller should do):
//   UNAVAILABLE         no host reachable, 429, or 5xx: retry later with backoff
//   DEADLINE_EXCEEDED   timed out: retry
//   UNAUTHENTICATED     401; PERMISSION_DENIED 403: credentials wrong — stop, do not retry
//   RESOURCE_EXHAUSTED  413: the request is too large — split it
//   INVALID_ARGUMENT    other 4xx: the request itself is wrong
//   CANCELLED           the cancel flag (set_cancel) was raised: a stop that cannot wait
// A host that answers `_bulk` with 3xx, 404 or 421 is not an Elasticsearch node (a proxy's default
// site, a wrong path or port): it is passed over like an unreachable one, never blamed on the
// documents; when every host does so, Bulk() returns UNAVAILABLE saying so.
// Credentials travel in a header and never appear in a message.
// Thread-safety: one thread at a time (like the HttpClient it uses).

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http_client.h"

namespace tweetstream::sink {

struct EsOptions {
  // Base URLs, e.g. {"http://127.0.0.1:9200"}; tried in order on connection failures.
  std::vector<std::string> urls = {"http://127.0.0.1:9200"};
  // Basic auth (from ES_USERNAME / ES_PASSWORD) or an API key (ES_API_KEY); empty = none.
  std::string username;
  std::string password;
  std::string api_key;
  std::chrono::milliseconds timeout{60000};
  // Compress request bodies with gzip (Content-Encoding: gzip): less bandwidth, a little more CPU.
  bool gzip = false;
  // CA bundle for https:// URLs; empty = the system's. Verification is always on.
  std::string ca_file;
};

struct EsServerInfo {
  std::string distribution;  // "elasticsearch" or "opensearch"
  std::string version;       // e.g. "7.17.29"
  int major = 0;
};

// The outcome of one item of a bulk request, in request order.
struct BulkItemResult {
  int status = 0;           // HTTP status of the item (201 created, 200 updated, 404, 409, 429, 400, ...)
  std::string error_type;   // e.g. "mapper_parsing_exception"; empty on success
  std::string error_reason;
};

// What the bulk workers need of Elasticsearch: the seam where a test can put an in-memory fake
// instead of a server (the codes are those above).
class EsApi {
 public:
  virtual ~EsApi() = default;
  // POST _bulk with an NDJSON body of `item_count` actions; the per-item results, in order.
  // INTERNAL when the response does not hold exactly `item_count` items, or an item without an HTTP
  // status (100..599).
  virtual absl::StatusOr<std::vector<BulkItemResult>> Bulk(const std::string& ndjson, size_t item_count) = 0;
  // Any request (e.g. `POST twitter-*/_delete_by_query`): the raw response, any status.
  virtual absl::StatusOr<common::HttpResponse> Request(const std::string& method, const std::string& path,
                                                       const std::string& body = "") = 0;
  // Requests in progress are aborted (CANCELLED) once `*cancel` becomes true; null = never. Not owned.
  virtual void set_cancel(const std::atomic<bool>* cancel) = 0;
  // The base URL currently in use (no credentials), for messages.
  virtual std::string current_url() const = 0;
};

class EsClient : public EsApi {
 public:
  // `http` must outlive the client.
  EsClient(common::HttpClient* http, EsOptions options);
  // The client owns its HTTP client.
  EsClient(std::unique_ptr<common::HttpClient> http, EsOptions options);

  // GET / : what server this is (GET /_nodes/_local where `/` is not served).
  absl::StatusOr<EsServerInfo> Info();
  // PUT _index_template/<name> with the given body.
  absl::Status PutIndexTemplate(const std::string& name, const std::string& body);
  absl::StatusOr<std::vector<BulkItemResult>> Bulk(const std::string& ndjson, size_t item_count) override;
  absl::StatusOr<common::HttpResponse> Request(const std::string& method, const std::string& path,
                                               const std::string& body = "") override;
  void set_cancel(const std::atomic<bool>* cancel) override { cancel_ = cancel; }
  std::string current_url() const override { return common::RedactUrl(options_.urls[current_]); }

 private:
  absl::StatusOr<EsServerInfo> InfoFromNodes();
  absl::StatusOr<common::HttpResponse> Send(const std::string& method, const std::string& path,
                                            const std::string& body, const char* content_type,
                                            bool pass_over_wrong_hosts = false);

  std::unique_ptr<common::HttpClient> owned_http_;
  common::HttpClient* http_;
  EsOptions options_;
  std::string auth_header_;
  size_t current_ = 0;
  const std::atomic<bool>* cancel_ = nullptr;
};

// The error status for an Elasticsearch answer that is not 2xx (see the codes above).
absl::Status EsHttpError(const common::HttpResponse& response, const std::string& what);

}  // namespace tweetstream::sink
