#include "common/metrics_http.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <exception>
#include <thread>
#include <utility>

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace tweetstream::common {
namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";
// How long Start() waits for the accept loop to run before giving up.
constexpr absl::Duration kStartTimeout = absl::Seconds(5);
// Requests served at once. A scraper keeps one connection alive; a few more cover curl and tests.
constexpr size_t kThreads = 4;

}  // namespace

bool ParseListenAddress(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs brackets
  }
  int p = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &p) || p < 0 || p > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = p;
  return true;
}

void ExclusiveListenSocket(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

struct MetricsHttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int port = 0;
};

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(const std::string& address,
                                                                           const MetricsRegistry* registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("metrics HTTP server: no registry");
  std::string host;
  int port = 0;
  if (!ParseListenAddress(address, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\" is not host:port (e.g. 127.0.0.1:9464, [::1]:0)"));
  }

  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  httplib::Server& server = raw->server;
  server.set_socket_options(ExclusiveListenSocket);
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(64 * 1024);
  server.Get("/metrics", [registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry->RenderText(), kContentType);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain; charset=utf-8");
  });
  // Unrouted paths get cpp-httplib's 404; give it a body that says what is served.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found: try /metrics or /healthz\n", "text/plain; charset=utf-8");
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("metrics: internal error\n", "text/plain; charset=utf-8");
  });

  if (port == 0) {
    raw->port = server.bind_to_any_port(host);
  } else if (server.bind_to_port(host, port)) {
    raw->port = port;
  } else {
    raw->port = -1;
  }
  if (raw->port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("metrics HTTP server: cannot bind ", address, " (in use, or not a local address)"));
  }

  raw->thread = std::thread([raw] {
    // A scraper that hangs up mid-response would raise SIGPIPE (cpp-httplib 0.11 writes without
    // MSG_NOSIGNAL), which kills the process by default. Blocked on this thread, it is blocked on
    // cpp-httplib's workers too (they are created from here); the write then fails with EPIPE.
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
    return absl::UnavailableError(absl::StrCat("metrics HTTP server on ", address, " did not start"));
  }
  TS_LOG(INFO) << "metrics: serving /metrics and /healthz on " << host << ":" << raw->port;
  return std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(std::move(impl)));
}

MetricsHttpServer::~MetricsHttpServer() {
  impl_->server.stop();  // closes the listening socket; the accept loop and keep-alive loops end
  if (impl_->thread.joinable()) impl_->thread.join();  // joins cpp-httplib's workers too
}

int MetricsHttpServer::port() const { return impl_->port; }

}  // namespace tweetstream::common
