#pragma once
// A programmable stand-in for the X API v2, for tests: a real HTTP/1.1 server on 127.0.0.1 (port
// chosen by the OS) that serves recorded responses and misbehaves on purpose. Every request is
// recorded (method, path, query parameters, headers, body) so tests can assert what the client sent.
//
// Routes are (method, path) -> handler; a handler returns the scripted response for one request.
// Unknown routes answer 404 with an HTML body, like the real API does for a mistyped path.
// Thread-safety: all methods may be called from the test thread while the server serves.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace tweetstream::testing {

struct RecordedRequest {
  std::string method;
  std::string path;                                  // without the query string
  std::multimap<std::string, std::string> params;    // decoded query parameters
  std::map<std::string, std::string> headers;        // names lower-cased
  std::string body;
  // First value of a query parameter, or "".
  std::string Param(const std::string& name) const;
};

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // content-type defaults to application/json
  std::string body;
  // Sleep this long before answering (timeouts, slow servers).
  std::chrono::milliseconds delay{0};
  // Close the connection without any response (a network error for the client).
  bool drop_connection = false;
  // For streaming: the body is sent in these chunks (chunked transfer encoding), with
  // `chunk_delay` between them; `body` is ignored when chunks is non-empty.
  std::vector<std::string> chunks;
  std::chrono::milliseconds chunk_delay{0};
};

using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

class FakeXApiServer {
 public:
  // Binds 127.0.0.1:0 and starts serving on a background thread.
  static absl::StatusOr<std::unique_ptr<FakeXApiServer>> Start();
  ~FakeXApiServer();  // stops the server and joins its thread

  // e.g. "http://127.0.0.1:41234"
  std::string base_url() const;

  // Replaces the handler of a route.
  void Route(const std::string& method, const std::string& path, Handler handler);
  // Convenience: answers the route with these responses in order, then repeats the last one.
  void RouteSequence(const std::string& method, const std::string& path,
                     std::vector<ScriptedResponse> responses);

  // Everything received so far, in arrival order.
  std::vector<RecordedRequest> Requests() const;
  // Only the requests to one path.
  std::vector<RecordedRequest> RequestsTo(const std::string& path) const;

  FakeXApiServer(const FakeXApiServer&) = delete;
  FakeXApiServer& operator=(const FakeXApiServer&) = delete;

 private:
  struct Impl;
  explicit FakeXApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Rate-limit headers as the real API sends them: x-rate-limit-limit/-remaining/-reset.
std::vector<std::pair<std::string, std::string>> RateLimitHeaders(int limit, int remaining,
                                                                  long reset_epoch_seconds);

}  // namespace tweetstream::testing
