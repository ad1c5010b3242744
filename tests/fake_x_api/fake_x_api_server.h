#pragma once
// A programmable stand-in for the X API v2, for tests: a real HTTP/1.1 server on 127.0.0.1 (port
// chosen by the OS) that serves recorded responses and misbehaves on purpose. Every request is
// recorded (method, path, query parameters, headers, body) so tests can assert what the client sent.
//
// Routes are (method, path) -> handler; a handler returns the scripted response for one request.
// Unknown routes answer 404 with an HTML body, like the real API does for a mistyped path.
// Thread-safety: all methods may be called from the test thread while the server serves.
// Lifecycle: the destructor never hangs on a client. It wakes every `delay` and `chunk_delay` wait
// (each is also capped at 30 s), ends chunked streams in progress and shuts down every open
// connection (idle keep-alives, slow readers), then joins the server's threads. A Handler itself
// must return promptly: the server cannot interrupt user code.

#include <chrono>
#include <cstddef>
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
  // Every member has a default member initializer, so designated initializers such as
  // ScriptedResponse{.status = 429, .body = "..."} compile cleanly under -Wextra.
  std::vector<std::pair<std::string, std::string>> headers{};  // content-type defaults to application/json
  std::string body{};
  // Sleep this long before answering (timeouts, slow servers).
  std::chrono::milliseconds delay{0};
  // Close the connection without any response (a network error for the client): the request is
  // read and recorded, then the socket is shut down (FIN) before a single byte is written; libcurl
  // reports CURLE_GOT_NOTHING ("Empty reply from server").
  bool drop_connection = false;
  // For streaming: the body is sent in these chunks (chunked transfer encoding), with
  // `chunk_delay` between them; `body` is ignored when chunks is non-empty.
  std::vector<std::string> chunks{};
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
  // Waits (without polling) until at least `count` requests have been received, for at most
  // `timeout`; true when they have. For tests that must know the client got as far as asking.
  bool WaitForRequests(size_t count, std::chrono::milliseconds timeout) const;
  // Forgets the recorded requests (routes stay).
  void ClearRequests();

  // The port the server listens on (127.0.0.1).
  int port() const;

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
