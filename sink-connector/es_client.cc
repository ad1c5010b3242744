#include "sink-connector/es_client.h"

#include <simdjson.h>
#include <zlib.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tweetstream::sink {
namespace {

// The `error.type` and `error.reason` of an Elasticsearch error body, or a bounded snippet.
std::string DescribeError(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) == simdjson::SUCCESS) {
    std::string_view type, reason;
    if (doc["error"]["type"].get(type) == simdjson::SUCCESS) {
      if (doc["error"]["reason"].get(reason) != simdjson::SUCCESS) reason = "";
      return absl::StrCat(std::string(type), ": ", std::string(reason));
    }
  }
  return std::string(absl::StripAsciiWhitespace(body.substr(0, 200)));
}

// gzip (RFC 1952) of `in`; empty on failure (the caller then sends the body uncompressed).
std::string Gzip(const std::string& in) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's; level 1: bulk bodies compress ~5-10x even
  // at the fastest level, and the sink's CPU is the budget that matters.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

}  // namespace

absl::Status EsHttpError(const common::HttpResponse& response, const std::string& what) {
  const std::string message = absl::StrCat(what, ": HTTP ", response.status, ": ", DescribeError(response.body));
  switch (response.status) {
    case 401: return absl::UnauthenticatedError(message);
    case 403: return absl::PermissionDeniedError(message);
    case 413: return absl::ResourceExhaustedError(message);
    case 408:
    case 429: return absl::UnavailableError(message);
    default:
      if (response.status >= 500) return absl::UnavailableError(message);
      return absl::InvalidArgumentError(message);
  }
}

EsClient::EsClient(std::unique_ptr<common::HttpClient> http, EsOptions options)
    : EsClient(http.get(), std::move(options)) {
  owned_http_ = std::move(http);
}

EsClient::EsClient(common::HttpClient* http, EsOptions options) : http_(http), options_(std::move(options)) {
  if (options_.urls.empty()) options_.urls.push_back("http://127.0.0.1:9200");
  if (!options_.api_key.empty()) {
    auth_header_ = absl::StrCat("ApiKey ", options_.api_key);
  } else if (!options_.username.empty()) {
    auth_header_ = absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(options_.username, ":", options_.password)));
  }
}

absl::StatusOr<common::HttpResponse> EsClient::Send(const std::string& method, const std::string& path,
                                                    const std::string& body, const char* content_type,
                                                    bool pass_over_wrong_hosts) {
  absl::Status last_error;
  // Try every host once, starting with the one that answered last.
  for (size_t attempt = 0; attempt < options_.urls.size(); ++attempt) {
    const size_t index = (current_ + attempt) % options_.urls.size();
    common::HttpRequest request;
    request.method = method;
    request.url = absl::StrCat(absl::StripSuffix(options_.urls[index], "/"), path);
    request.timeout = options_.timeout;
    request.cancel = cancel_;
    if (!body.empty()) request.headers.emplace_back("Content-Type", content_type);
    if (options_.gzip && body.size() > 1024) {
      request.body = Gzip(body);
      if (!request.body.empty()) request.headers.emplace_back("Content-Encoding", "gzip");
      else request.body = body;
    } else {
      request.body = body;
    }
    if (!auth_header_.empty()) request.headers.emplace_back("Authorization", auth_header_);
    auto response = http_->Send(request);
    if (response.ok() && pass_over_wrong_hosts &&
        ((response->status >= 300 && response->status < 400) || response->status == 404 || response->status == 421)) {
      last_error = absl::UnavailableError(absl::StrCat(
          common::RedactUrl(options_.urls[index]), " answers HTTP ", response->status, " for ", method, " ", path,
          ": not an Elasticsearch node (a proxy's default site or a wrong --es-url?)"));
      continue;
    }
    if (response.ok()) {
      current_ = index;
      return response;
    }
    last_error = response.status();
    if (absl::IsCancelled(last_error)) break;
  }
  return last_error;
}

absl::StatusOr<common::HttpResponse> EsClient::Request(const std::string& method, const std::string& path,
                                                       const std::string& body) {
  return Send(method, path, body, "application/json");
}

absl::StatusOr<EsServerInfo> EsClient::Info() {
  auto response = Send("GET", "/", "", "application/json");
  if (!response.ok()) return response.status();
  if (response->status == 404 || response->status == 405) {
    // Elasticsearch 8.9+ serves `GET /` from a module (rest-root) that minimal distributions lack:
    // ask the local node instead.
    return InfoFromNodes();
  }
  if (response->status != 200) return EsHttpError(*response, "GET /");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view number;
  if (parser.parse(response->body).get(doc) != simdjson::SUCCESS ||
      doc["version"]["number"].get(number) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(current_url(), " does not look like Elasticsearch or OpenSearch"));
  }
  EsServerInfo info;
  info.version = std::string(number);
  std::string_view distribution;
  info.distribution = doc["version"]["distribution"].get(distribution) == simdjson::SUCCESS
                          ? std::string(distribution) : "elasticsearch";
  std::vector<std::string> parts = absl::StrSplit(info.version, '.');
  if (!parts.empty()) (void)absl::SimpleAtoi(parts[0], &info.major);
  return info;
}

absl::StatusOr<EsServerInfo> EsClient::InfoFromNodes() {
  auto response = Send("GET", "/_nodes/_local?filter_path=nodes.*.version", "", "application/json");
  if (!response.ok()) return response.status();
  if (response->status != 200) return EsHttpError(*response, "GET /_nodes/_local");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object nodes;
  if (parser.parse(response->body).get(doc) != simdjson::SUCCESS || doc["nodes"].get(nodes) != simdjson::SUCCESS ||
      nodes.size() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(current_url(), " does not look like Elasticsearch or OpenSearch"));
  }
  std::string_view number;
  if ((*nodes.begin()).value["version"].get(number) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat(current_url(), ": node info without a version"));
  }
  EsServerInfo info;
  info.distribution = "elasticsearch";
  info.version = std::string(number);
  std::vector<std::string> parts = absl::StrSplit(info.version, '.');
  if (!parts.empty()) (void)absl::SimpleAtoi(parts[0], &info.major);
  return info;
}

absl::Status EsClient::PutIndexTemplate(const std::string& name, const std::string& body) {
  auto response = Send("PUT", absl::StrCat("/_index_template/", common::UrlEncode(name)), body, "application/json");
  if (!response.ok()) return response.status();
  if (response->status != 200) return EsHttpError(*response, absl::StrCat("PUT _index_template/", name));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<BulkItemResult>> EsClient::Bulk(const std::string& ndjson, size_t item_count) {
  auto response = Send("POST", "/_bulk", ndjson, "application/x-ndjson", /*pass_over_wrong_hosts=*/true);
  if (!response.ok()) return response.status();
  if (response->status != 200) return EsHttpError(*response, "POST _bulk");

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (auto err = parser.parse(response->body).get(doc); err != simdjson::SUCCESS) {
    return absl::InternalError(absl::StrCat("bulk response is not JSON: ", simdjson::error_message(err)));
  }
  if (doc["items"].get(items) != simdjson::SUCCESS) return absl::InternalError("bulk response has no items");
  std::vector<BulkItemResult> results;
  results.reserve(item_count);
  for (simdjson::dom::element item : items) {
    // Each item is {"<action>": {"status": N, "error": {...}}}, whatever the action.
    simdjson::dom::object wrapper;
    if (item.get(wrapper) != simdjson::SUCCESS || wrapper.size() == 0) {
      return absl::InternalError("bulk response item is not an object");
    }
    simdjson::dom::element result = (*wrapper.begin()).value;
    BulkItemResult out;
    int64_t status = 0;
    if (result["status"].get(status) != simdjson::SUCCESS) return absl::InternalError("bulk item without status");
    // Not an HTTP status: the answer is not Elasticsearch's (a broken proxy), and a status such as
    // 4294967497 must not pass for 201 once narrowed to int. The bulk is retried like any unreadable answer.
    if (status < 100 || status > 599) {
      return absl::InternalError(absl::StrCat("bulk item ", results.size(), " has status ", status,
                                              ", not an HTTP status"));
    }
    out.status = static_cast<int>(status);
    simdjson::dom::element error;
    if (result["error"].get(error) == simdjson::SUCCESS) {
      std::string_view type, reason;
      if (error["type"].get(type) == simdjson::SUCCESS) out.error_type = std::string(type);
      if (error["reason"].get(reason) == simdjson::SUCCESS) out.error_reason = std::string(reason);
      simdjson::dom::element cause;
      std::string_view cause_reason;
      if (error["caused_by"].get(cause) == simdjson::SUCCESS && cause["reason"].get(cause_reason) == simdjson::SUCCESS) {
        absl::StrAppend(&out.error_reason, " (caused by: ", std::string(cause_reason), ")");
      }
    }
    results.push_back(std::move(out));
  }
  if (results.size() != item_count) {
    return absl::InternalError(absl::StrCat("bulk response holds ", results.size(), " items for ", item_count, " actions"));
  }
  return results;
}

}  // namespace tweetstream::sink
