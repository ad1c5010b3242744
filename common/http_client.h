#pragma once
// A narrow HTTP client interface in our own types, with one real implementation over libcurl.
//
// Status codes of Send() (transport only; an HTTP 4xx/5xx is an OK status with that response):
//   UNAVAILABLE        connection refused/reset, DNS failure, TLS failure: retry later
//   DEADLINE_EXCEEDED  the whole transfer took longer than the request's timeout
//   INVALID_ARGUMENT   a malformed URL or request
// Thread-safety: one HttpClient may be used from one thread at a time; create one per thread.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tweetstream::common {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  // Header lines as name/value pairs; sent in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Deadline for the whole transfer, connect included.
  std::chrono::milliseconds timeout{30000};
  // Deadline for establishing the connection.
  std::chrono::milliseconds connect_timeout{5000};
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased (HTTP header names are case-insensitive; recordings mix cases).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of the first header with this (lower-case) name, or empty.
  absl::string_view Header(absl::string_view lower_name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlHttpClientOptions {
  // User-Agent sent with every request (X asks for a versioned one).
  std::string user_agent = "tweetstream/" TWEETSTREAM_VERSION;
  // CA bundle for TLS verification; empty = the system's. Verification is always on.
  std::string ca_file;
};

// The libcurl implementation. Reuses one connection (keep-alive) across requests.
class CurlHttpClient : public HttpClient {
 public:
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override;

 private:
  CurlHttpClient(void* curl, CurlHttpClientOptions options) : curl_(curl), options_(std::move(options)) {}
  void* curl_;  // CURL*
  CurlHttpClientOptions options_;
};

// Strips userinfo and the query string from a URL, for messages and logs.
std::string RedactUrl(absl::string_view url);

// Percent-encodes a query-string component (RFC 3986 unreserved characters kept).
std::string UrlEncode(absl::string_view text);

}  // namespace tweetstream::common
