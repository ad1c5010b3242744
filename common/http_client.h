#pragma once
// A narrow HTTP client interface in our own types, with one real implementation over libcurl.
//
// Status codes of Send() (transport only; an HTTP 4xx/5xx is an OK status with that response):
//   UNAVAILABLE        connection refused/reset, DNS failure, TLS failure: retry later
//   DEADLINE_EXCEEDED  the whole transfer took longer than the request's timeout
//   INVALID_ARGUMENT   a malformed URL or request
// Thread-safety: one HttpClient may be used from one thread at a time; create one per thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
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
  // Stream() only (Send() ignores both; Stream() ignores `timeout`, since a stream has no end):
  // abort with DEADLINE_EXCEEDED when no byte (header or body) arrived for this long; 0 = never.
  // Measured from the last byte, not averaged, so one burst cannot hide a later stall. The check
  // runs in libcurl's progress callback, i.e. at least about once a second: a stall is noticed
  // between idle_timeout and idle_timeout + ~1 s.
  std::chrono::milliseconds idle_timeout{0};
  // When non-null and it becomes true, the transfer is aborted within about a second (even while
  // no data arrives) and Send()/Stream() return CANCELLED: a stop that cannot wait for a hung
  // server. Not owned.
  const std::atomic<bool>* cancel = nullptr;
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

  // A long-lived response read as it arrives (the X filtered stream), on the calling thread.
  //
  // `head_out` receives the status and headers before the first call of `on_data`. A 2xx body goes
  // to `on_data`, chunk by chunk as the network delivers it (chunk boundaries mean nothing: a line
  // or a UTF-8 character may be split); returning false from `on_data` aborts the transfer. A
  // non-2xx body is collected into `head_out->body` instead (at most 64 KiB), so the caller can read
  // the API's reason; `on_data` is then never called.
  //
  // Returns (as Send(), an HTTP error status is not an error of the call: look at head_out->status):
  //   OK                 the server ended the response normally (for a stream: it hung up cleanly)
  //   CANCELLED          `on_data` returned false, or `request.cancel` became true
  //   DEADLINE_EXCEEDED  nothing arrived for `request.idle_timeout`, or the connect timed out
  //   UNAVAILABLE        connection refused/reset/cut mid-body, DNS or TLS failure
  //   INVALID_ARGUMENT   a malformed URL
  //   UNIMPLEMENTED      this client cannot stream (the default, so that fakes need not)
  // When the call fails before any response, head_out->status stays 0.
  virtual absl::Status Stream(const HttpRequest& request,
                              const std::function<bool(absl::string_view chunk)>& on_data,
                              HttpResponse* head_out) {
    (void)request;
    (void)on_data;
    (void)head_out;
    return absl::UnimplementedError("this HttpClient cannot stream");
  }
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
  absl::Status Stream(const HttpRequest& request, const std::function<bool(absl::string_view chunk)>& on_data,
                      HttpResponse* head_out) override;

 private:
  CurlHttpClient(void* curl, CurlHttpClientOptions options) : curl_(curl), options_(std::move(options)) {}
  // Resets the handle and sets what every request shares (URL, headers, method and body, TLS,
  // connect deadline, user agent). Returns the header list (curl_slist*) to free after the transfer.
  void* Prepare(const HttpRequest& request, char* errbuf);
  void* curl_;  // CURL*
  CurlHttpClientOptions options_;
};

// Strips userinfo and the query string from a URL, for messages and logs.
std::string RedactUrl(absl::string_view url);

// Percent-encodes a query-string component (RFC 3986 unreserved characters kept).
std::string UrlEncode(absl::string_view text);

}  // namespace tweetstream::common
