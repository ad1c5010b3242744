#include "tests/fake_x_api/fake_x_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <system_error>
#include <thread>

#include <httplib.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace tweetstream::testing {
namespace {

// Upper bound of every scripted wait (`delay`, `chunk_delay`): a typo in a test must not turn into
// a test that hangs until CTest's timeout.
constexpr std::chrono::milliseconds kMaxScriptedDelay{30'000};
// How long Start() waits for the accept loop to be running before giving up.
constexpr absl::Duration kStartTimeout = absl::Seconds(5);

// The body the real API sends for a mistyped path is an HTML page (fixture
// error-404-html-unknown-endpoint-2021-06-24.html); this is a short page of the same kind.
constexpr char kNotFoundHtml[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n"
    "    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
    "    <title>Twitter / ?</title>\n  </head>\n  <body>\n"
    "    <h1 id=\"header\">Nothing to see here</h1>\n"
    "    <p id=\"description\">Looks like this page doesn't exist.</p>\n"
    "  </body>\n</html>\n";

// Pseudo-headers that cpp-httplib adds to every request itself; the client never sent them.
bool IsHttplibPseudoHeader(const std::string& lower_name) {
  return lower_name == "remote_addr" || lower_name == "remote_port" ||
         lower_name == "local_addr" || lower_name == "local_port";
}

// Port of a socket address (IPv4 or IPv6), or -1.
int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  }
  return -1;
}

// Calls fn(fd, local_port, peer_port) for every connected TCP socket of this process.
//
// Why scan file descriptors: cpp-httplib 0.11 hands handlers neither the socket nor a way to abort
// a connection without writing a response, and it offers no way to close its open connections at
// stop(). The (local port, peer port) pair that it does put into the Request names the socket
// uniquely, so the descriptor can be found among the process's own. Only shutdown() is ever called
// on a descriptor found this way, never close(): cpp-httplib still owns it and closes it itself.
void ForEachConnectedSocket(const std::function<void(int fd, int local_port, int peer_port)>& fn) {
  std::vector<int> fds;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    fds.push_back(std::atoi(entry.path().filename().c_str()));
  }
  if (ec || fds.empty()) {  // no /proc: try the usual range
    for (int fd = 0; fd < 4096; ++fd) fds.push_back(fd);
  }
  for (int fd : fds) {
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    const int local_port = PortOf(local);
    const int peer_port = PortOf(peer);
    if (local_port < 0 || peer_port < 0) continue;
    fn(fd, local_port, peer_port);
  }
}

}  // namespace

std::string RecordedRequest::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::vector<std::pair<std::string, std::string>> RateLimitHeaders(int limit, int remaining,
                                                                  long reset_epoch_seconds) {
  return {{"x-rate-limit-limit", absl::StrCat(limit)},
          {"x-rate-limit-remaining", absl::StrCat(remaining)},
          {"x-rate-limit-reset", absl::StrCat(reset_epoch_seconds)}};
}

struct FakeXApiServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int port = 0;

  mutable absl::Mutex mu;
  std::map<std::pair<std::string, std::string>, Handler> routes ABSL_GUARDED_BY(mu);
  std::vector<RecordedRequest> requests ABSL_GUARDED_BY(mu);
  // Set once, by the destructor; every scripted wait watches it.
  bool stopping ABSL_GUARDED_BY(mu) = false;

  // Sleeps for `d` (capped at kMaxScriptedDelay); returns early with false when the server stops.
  bool SleepUnlessStopping(std::chrono::milliseconds d) {
    d = std::min(d, kMaxScriptedDelay);
    absl::MutexLock lock(&mu);
    if (d.count() > 0) mu.AwaitWithTimeout(absl::Condition(&stopping), absl::FromChrono(d));
    return !stopping;
  }

  bool Stopping() const {
    absl::MutexLock lock(&mu);
    return stopping;
  }

  // Shuts down (FIN, both directions) the server-side socket of one connection.
  void DropConnection(const httplib::Request& req) {
    bool found = false;
    ForEachConnectedSocket([&](int fd, int local_port, int peer_port) {
      if (local_port == req.local_port && peer_port == req.remote_port) {
        ::shutdown(fd, SHUT_RDWR);
        found = true;
      }
    });
    if (!found) {
      TS_LOG(WARNING) << "fake X API: no socket found for " << req.remote_addr << ":"
                      << req.remote_port << "; cannot drop the connection";
    }
  }

  // Shuts down every connection accepted by this server (idle keep-alives, streams, slow readers),
  // so that cpp-httplib's worker threads return at once. Called after server.stop().
  void ShutdownAllConnections() {
    ForEachConnectedSocket([&](int fd, int local_port, int /*peer_port*/) {
      if (local_port == port) ::shutdown(fd, SHUT_RDWR);
    });
  }

  void Serve(const httplib::Request& req, httplib::Response& res);
};

void FakeXApiServer::Impl::Serve(const httplib::Request& req, httplib::Response& res) {
  RecordedRequest recorded;
  recorded.method = req.method;
  recorded.path = req.path;
  recorded.params.insert(req.params.begin(), req.params.end());
  for (const auto& [name, value] : req.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    if (IsHttplibPseudoHeader(lower)) continue;
    auto [it, inserted] = recorded.headers.emplace(lower, value);
    if (!inserted) absl::StrAppend(&it->second, ", ", value);  // repeated header: RFC 9110 list
  }
  recorded.body = req.body;

  Handler handler;
  {
    absl::MutexLock lock(&mu);
    requests.push_back(recorded);
    auto it = routes.find({req.method, req.path});
    if (it != routes.end()) handler = it->second;
  }

  if (!handler) {
    res.status = 404;
    res.set_content(kNotFoundHtml, "text/html; charset=utf-8");
    return;
  }

  const ScriptedResponse scripted = handler(recorded);
  if (scripted.delay.count() > 0 && !SleepUnlessStopping(scripted.delay)) {
    return;  // shutting down: the destructor has already shut this connection down
  }
  if (scripted.drop_connection) {
    // cpp-httplib writes whatever is in `res` after the handler returns; the socket is already
    // shut down by then, so nothing reaches the client (the write fails and httplib closes).
    DropConnection(req);
    res.status = 500;
    res.set_header("Connection", "close");
    return;
  }

  res.status = scripted.status;
  std::string content_type = "application/json";
  for (const auto& [name, value] : scripted.headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    if (lower == "content-type") {
      content_type = value;
    } else if (lower == "content-length" || lower == "transfer-encoding") {
      continue;  // framing is cpp-httplib's job; a scripted copy would corrupt the response
    } else {
      res.set_header(name, value);
    }
  }

  if (scripted.chunks.empty()) {
    res.set_content(scripted.body, content_type);
    return;
  }

  // Streams go out uncompressed even when the client accepts gzip: cpp-httplib 0.11 gzips a
  // chunked body without flushing the compressor, so messages and keep-alives would be held back
  // until the stream ends. Its encoding choice reads the request's Accept-Encoding after this
  // handler returns; the Request is a non-const object inside cpp-httplib, handed to handlers by
  // const reference, so removing the header here is well-defined (it is already recorded above).
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");

  struct StreamState {
    std::vector<std::string> chunks;
    std::chrono::milliseconds chunk_delay;
    size_t next = 0;
  };
  auto state = std::make_shared<StreamState>(StreamState{scripted.chunks, scripted.chunk_delay});
  // Called by cpp-httplib on this worker thread, repeatedly, until sink.done() or false (which
  // aborts the response and closes the connection, as a server going away mid-stream does).
  res.set_chunked_content_provider(
      content_type, [this, state](size_t /*offset*/, httplib::DataSink& sink) {
        if (state->next > 0 && !SleepUnlessStopping(state->chunk_delay)) return false;
        if (Stopping()) return false;
        while (state->next < state->chunks.size()) {
          const std::string& chunk = state->chunks[state->next++];
          // An empty chunk would be the chunked-encoding terminator: never write one.
          if (chunk.empty()) continue;
          if (!sink.write(chunk.data(), chunk.size())) return false;
          break;
        }
        if (state->next >= state->chunks.size()) sink.done();
        return true;
      });
}

FakeXApiServer::FakeXApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<FakeXApiServer>> FakeXApiServer::Start() {
  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();

  // One catch-all route per method: routing by (method, path) is ours, under our mutex, so routes
  // can change while the server serves (cpp-httplib's own route tables cannot).
  auto serve = [raw](const httplib::Request& req, httplib::Response& res) { raw->Serve(req, res); };
  const std::string any = ".*";
  raw->server.Get(any, serve);
  raw->server.Post(any, serve);
  raw->server.Put(any, serve);
  raw->server.Patch(any, serve);
  raw->server.Delete(any, serve);
  raw->server.Options(any, serve);
  // A handler that throws is a bug in the test; answer 500 rather than let it escape a thread.
  raw->server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        res.status = 500;
        res.set_content("{\"title\":\"fake X API handler threw\"}", "application/json");
      });

  const int port = raw->server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return absl::UnavailableError("fake X API: cannot bind 127.0.0.1:0");
  raw->port = port;

  raw->thread = std::thread([raw] {
    // SIGPIPE from writing to a socket the client already closed (timeouts, dropped streams)
    // would kill the test process: cpp-httplib 0.11 sends without MSG_NOSIGNAL. Blocking it on
    // this thread blocks it on cpp-httplib's worker threads too (they are created from here), and
    // a blocked SIGPIPE caused by a write stays with the thread that wrote; write returns EPIPE.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    raw->server.listen_after_bind();
    raw->listen_returned = true;
  });

  // stop() is a no-op until the accept loop runs, so wait for it before handing the server out.
  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (!raw->server.is_running() && !raw->listen_returned && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!raw->server.is_running()) {
    raw->server.stop();
    if (raw->listen_returned) {
      raw->thread.join();
    } else {
      raw->thread.detach();  // never seen in practice; leaking beats hanging
      (void)impl.release();
    }
    return absl::UnavailableError("fake X API: the server did not start");
  }
  return std::unique_ptr<FakeXApiServer>(new FakeXApiServer(std::move(impl)));
}

FakeXApiServer::~FakeXApiServer() {
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->stopping = true;  // wakes every scripted wait
  }
  impl_->server.stop();  // closes the listening socket; the accept loop ends
  impl_->ShutdownAllConnections();
  if (impl_->thread.joinable()) impl_->thread.join();  // joins cpp-httplib's workers too
}

std::string FakeXApiServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", impl_->port);
}

int FakeXApiServer::port() const { return impl_->port; }

void FakeXApiServer::Route(const std::string& method, const std::string& path, Handler handler) {
  absl::MutexLock lock(&impl_->mu);
  impl_->routes[{method, path}] = std::move(handler);
}

void FakeXApiServer::RouteSequence(const std::string& method, const std::string& path,
                                   std::vector<ScriptedResponse> responses) {
  struct Sequence {
    absl::Mutex mu;
    std::vector<ScriptedResponse> responses;
    size_t next ABSL_GUARDED_BY(mu) = 0;
  };
  auto seq = std::make_shared<Sequence>();
  seq->responses = std::move(responses);
  Route(method, path, [seq](const RecordedRequest&) {
    if (seq->responses.empty()) return ScriptedResponse{.status = 500, .body = "{}"};
    absl::MutexLock lock(&seq->mu);
    const size_t i = std::min(seq->next, seq->responses.size() - 1);
    ++seq->next;
    return seq->responses[i];
  });
}

std::vector<RecordedRequest> FakeXApiServer::Requests() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests;
}

std::vector<RecordedRequest> FakeXApiServer::RequestsTo(const std::string& path) const {
  absl::MutexLock lock(&impl_->mu);
  std::vector<RecordedRequest> out;
  for (const auto& r : impl_->requests) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

bool FakeXApiServer::WaitForRequests(size_t count, std::chrono::milliseconds timeout) const {
  Impl* impl = impl_.get();
  absl::MutexLock lock(&impl->mu);
  auto enough = [impl, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) {
    return impl->requests.size() >= count;
  };
  return impl->mu.AwaitWithTimeout(absl::Condition(&enough), absl::FromChrono(timeout));
}

void FakeXApiServer::ClearRequests() {
  absl::MutexLock lock(&impl_->mu);
  impl_->requests.clear();
}

}  // namespace tweetstream::testing
