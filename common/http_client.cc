#include "common/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace tweetstream::common {
namespace {

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  absl::string_view line(data, size * count);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    response->headers.clear();  // a new response (after a redirect or 100-continue)
  } else if (auto colon = line.find(':'); colon != absl::string_view::npos) {
    response->headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                                   std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

absl::Status CurlError(CURLcode code, const char* errbuf, const std::string& url) {
  std::string message = absl::StrCat(RedactUrl(url), ": ", errbuf[0] ? errbuf : curl_easy_strerror(code));
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

// Non-2xx bodies kept for the caller (an error page may be big; its first part says what is wrong).
constexpr size_t kMaxStreamErrorBody = 64 * 1024;

// State shared by Stream()'s libcurl callbacks (all run on the thread inside curl_easy_perform).
struct StreamContext {
  enum class Abort { kNone, kByCallback, kCancelled, kIdle };

  CURL* curl = nullptr;
  const std::function<bool(absl::string_view)>* on_data = nullptr;
  HttpResponse* head = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  std::chrono::milliseconds idle_timeout{0};
  // Steady time, not an injectable Clock: this measures the socket, in real time.
  std::chrono::steady_clock::time_point last_byte;
  bool status_known = false;
  bool success = false;  // 2xx
  Abort abort = Abort::kNone;
};

size_t StreamHeader(char* data, size_t size, size_t count, void* user) {
  auto* ctx = static_cast<StreamContext*>(user);
  ctx->last_byte = std::chrono::steady_clock::now();
  return WriteHeader(data, size, count, ctx->head);
}

size_t StreamBody(char* data, size_t size, size_t count, void* user) {
  auto* ctx = static_cast<StreamContext*>(user);
  const size_t n = size * count;
  ctx->last_byte = std::chrono::steady_clock::now();
  if (!ctx->status_known) {
    long status = 0;
    curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &status);
    ctx->head->status = static_cast<int>(status);
    ctx->success = status >= 200 && status < 300;
    ctx->status_known = true;
  }
  if (!ctx->success) {
    const size_t room = kMaxStreamErrorBody - std::min(kMaxStreamErrorBody, ctx->head->body.size());
    ctx->head->body.append(data, std::min(room, n));
    return n;
  }
  if (ctx->cancel != nullptr && ctx->cancel->load()) {
    ctx->abort = StreamContext::Abort::kCancelled;
    return 0;  // != n: libcurl aborts with CURLE_WRITE_ERROR
  }
  if (!(*ctx->on_data)(absl::string_view(data, n))) {
    ctx->abort = StreamContext::Abort::kByCallback;
    return 0;
  }
  return n;
}

// Called by libcurl often while data flows and about once a second while it does not.
int StreamProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ctx = static_cast<StreamContext*>(user);
  if (ctx->cancel != nullptr && ctx->cancel->load()) {
    ctx->abort = StreamContext::Abort::kCancelled;
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  if (ctx->idle_timeout.count() > 0 && std::chrono::steady_clock::now() - ctx->last_byte >= ctx->idle_timeout) {
    ctx->abort = StreamContext::Abort::kIdle;
    return 1;
  }
  return 0;
}

// Send()'s progress callback: aborts the transfer once the caller's cancel flag is set.
int SendProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel->load() ? 1 : 0;  // 1: CURLE_ABORTED_BY_CALLBACK
}

}  // namespace

absl::string_view HttpResponse::Header(absl::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(CurlHttpClientOptions options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(curl, std::move(options)));
}

CurlHttpClient::~CurlHttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

void* CurlHttpClient::Prepare(const HttpRequest& request, char* errbuf) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the connection cache, forgets the previous request's options
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  // Without this, curl sends "Expect: 100-continue" for large bodies and waits a second for it.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a multi-threaded process
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // accept every encoding curl can decode
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  return headers;
}

absl::StatusOr<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  HttpResponse response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = static_cast<curl_slist*>(Prepare(request, errbuf));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  if (request.cancel != nullptr) {
    if (request.cancel->load()) {
      curl_slist_free_all(headers);
      return absl::CancelledError(absl::StrCat(RedactUrl(request.url), ": request cancelled"));
    }
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &SendProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.cancel));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code == CURLE_ABORTED_BY_CALLBACK && request.cancel != nullptr) {
    return absl::CancelledError(absl::StrCat(RedactUrl(request.url), ": request cancelled"));
  }
  if (code != CURLE_OK) return CurlError(code, errbuf, request.url);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

absl::Status CurlHttpClient::Stream(const HttpRequest& request,
                                    const std::function<bool(absl::string_view chunk)>& on_data,
                                    HttpResponse* head_out) {
  CURL* curl = static_cast<CURL*>(curl_);
  *head_out = HttpResponse{};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = static_cast<curl_slist*>(Prepare(request, errbuf));

  StreamContext ctx;
  ctx.curl = curl;
  ctx.on_data = &on_data;
  ctx.head = head_out;
  ctx.cancel = request.cancel;
  ctx.idle_timeout = request.idle_timeout;
  ctx.last_byte = std::chrono::steady_clock::now();

  // No whole-transfer deadline: a stream is meant to last for days. The idle check in
  // StreamProgress is its deadline (STYLE: every blocking call has one). Not CURLOPT_LOW_SPEED_*:
  // that averages the rate over a period, so a burst of data could hide a stall that follows it.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);
  // Keep-alive probes on the socket too, so a dead peer behind a NAT is also noticed by the kernel.
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // A new connection for every stream: libcurl silently re-sends a request once when a *reused*
  // connection dies before answering, which would make one caller-visible attempt two connection
  // attempts at the server (X caps them: 50 per 15 minutes). A stream's connection is never
  // reusable afterwards anyway.
  curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &StreamBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &StreamHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &StreamProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);  // enables the XFERINFOFUNCTION

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  // The status of a response that had no body at all (e.g. a bare 401) is only known now.
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  head_out->status = static_cast<int>(status);
  switch (ctx.abort) {
    case StreamContext::Abort::kByCallback:
      return absl::CancelledError(absl::StrCat(RedactUrl(request.url), ": stream aborted by the reader"));
    case StreamContext::Abort::kCancelled:
      return absl::CancelledError(absl::StrCat(RedactUrl(request.url), ": stream cancelled"));
    case StreamContext::Abort::kIdle:
      return absl::DeadlineExceededError(absl::StrCat(RedactUrl(request.url), ": nothing received for ",
                                                      request.idle_timeout.count(), " ms (stalled connection)"));
    case StreamContext::Abort::kNone:
      break;
  }
  if (code != CURLE_OK) return CurlError(code, errbuf, request.url);
  return absl::OkStatus();
}

std::string RedactUrl(absl::string_view url) {
  std::string out(url.substr(0, url.find('?')));
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto host_start = scheme + 3;
    auto path_start = out.find('/', host_start);
    auto at = out.rfind('@', path_start == std::string::npos ? out.size() : path_start);
    if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  }
  return out;
}

std::string UrlEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace tweetstream::common
