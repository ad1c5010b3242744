#include "source-connector/x_api_client.h"

#include <rapidjson/document.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "source-connector/x_json_mapper.h"

namespace tweetstream::source {
namespace {

std::optional<int64_t> HeaderInt(const common::HttpResponse& response, absl::string_view name) {
  int64_t value = 0;
  absl::string_view text = response.Header(name);
  if (text.empty() || !absl::SimpleAtoi(text, &value)) return std::nullopt;
  return value;
}

// The keys of every `errors[].parameters` object of an invalid-request problem
// ({"errors":[{"parameters":{"since_id":["..."]},"message":"..."}],"title":"Invalid Request",...}).
std::vector<std::string> RejectedParameters(const std::string& body) {
  std::vector<std::string> names;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("errors") || !doc["errors"].IsArray()) return names;
  for (const auto& error : doc["errors"].GetArray()) {
    if (!error.IsObject() || !error.HasMember("parameters") || !error["parameters"].IsObject()) continue;
    for (const auto& member : error["parameters"].GetObject()) names.emplace_back(member.name.GetString());
  }
  return names;
}

}  // namespace

std::optional<absl::Time> ParseHttpDate(absl::string_view value) {
  std::string text(absl::StripAsciiWhitespace(value));
  absl::Time t;
  std::string error;
  // IMF-fixdate and RFC 850 end in the zone: "GMT" by the RFC, "UTC" as X writes it; both are UTC.
  for (absl::string_view zone : {" GMT", " UTC", " +0000"}) {
    if (!absl::EndsWith(text, zone)) continue;
    const std::string stamp = text.substr(0, text.size() - zone.size());
    if (absl::ParseTime("%a, %d %b %Y %H:%M:%S", stamp, absl::UTCTimeZone(), &t, &error)) return t;
    if (absl::ParseTime("%A, %d-%b-%y %H:%M:%S", stamp, absl::UTCTimeZone(), &t, &error)) return t;
    return std::nullopt;
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (no zone: UTC by definition); the day is space-padded.
  std::string collapsed;
  for (char c : text) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed.push_back(c);
  }
  if (absl::ParseTime("%a %b %d %H:%M:%S %Y", collapsed, absl::UTCTimeZone(), &t, &error)) return t;
  return std::nullopt;
}

// "title: detail [type]" of the first problem of a body, or a bounded printable snippet of a
// non-JSON body (a recorded 429 was text/plain, a 404 was HTML). Sets *usage_capped when the
// problem is the usage cap (matched on the type URI's suffix: the host part changed over time).
std::string DescribeProblemBody(const common::HttpResponse& response, bool* usage_capped) {
  *usage_capped = false;
  absl::string_view body = response.body;
  absl::string_view content_type = response.Header("content-type");
  if (absl::StrContains(content_type, "json") || absl::StartsWith(absl::StripLeadingAsciiWhitespace(body), "{")) {
    auto parsed = ParseXResponse(body, MappingContext{});
    if (parsed.ok() && !parsed->problems.empty()) {
      const ApiProblem& p = parsed->problems.front();
      *usage_capped = absl::EndsWith(p.type, "/usage-capped") || absl::StrContains(p.title, "UsageCap");
      std::string text = p.title;
      if (!p.detail.empty() && p.detail != p.title) absl::StrAppend(&text, text.empty() ? "" : ": ", p.detail);
      if (!p.type.empty()) absl::StrAppend(&text, " [", p.type, "]");
      return text;
    }
  }
  std::string snippet(absl::StripAsciiWhitespace(body.substr(0, 120)));
  for (char& c : snippet) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (absl::StartsWith(snippet, "<")) {
    return absl::StrCat("non-JSON body (", content_type.empty() ? "unknown type" : content_type, ")");
  }
  return snippet.empty() ? "empty body" : snippet;
}

std::string XApiClient::SearchRecentUrl(const SearchRequest& request) const {
  std::string url = absl::StrCat(absl::StripSuffix(options_.base_url, "/"), "/2/tweets/search/recent?query=",
                                 common::UrlEncode(request.query), "&max_results=", request.max_results);
  const XFieldSelection& f = options_.fields;
  auto add = [&url](absl::string_view name, const std::string& value) {
    if (!value.empty()) absl::StrAppend(&url, "&", name, "=", common::UrlEncode(value));
  };
  add("tweet.fields", f.tweet_fields);
  add("expansions", f.expansions);
  add("user.fields", f.user_fields);
  add("media.fields", f.media_fields);
  add("place.fields", f.place_fields);
  add("poll.fields", f.poll_fields);
  add("since_id", request.since_id);
  add("until_id", request.until_id);
  add("start_time", request.start_time);
  add("end_time", request.end_time);
  add("next_token", request.next_token);
  return url;
}

std::string XApiClient::SearchRecentUrlForLogs(const SearchRequest& request) const {
  std::string url = absl::StrCat(common::RedactUrl(absl::StrCat(absl::StripSuffix(options_.base_url, "/"), "/2/tweets/search/recent")),
                                 "?query=", common::UrlEncode(request.query), "&max_results=", request.max_results);
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"since_id", &request.since_id},
                                    {"until_id", &request.until_id},
                                    {"start_time", &request.start_time},
                                    {"end_time", &request.end_time},
                                    {"next_token", &request.next_token}}) {
    if (!value->empty()) absl::StrAppend(&url, "&", name, "=", common::UrlEncode(*value));
  }
  return url;
}

absl::StatusOr<XApiResponse> XApiClient::SearchRecent(const SearchRequest& request) {
  return Get(SearchRecentUrl(request));
}

absl::StatusOr<XApiResponse> XApiClient::Get(const std::string& url) {
  common::HttpRequest request;
  request.url = url;
  request.timeout = options_.timeout;
  request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.bearer_token));
  request.headers.emplace_back("Accept", "application/json");
  auto response = http_->Send(request);
  if (!response.ok()) return response.status();

  XApiResponse out;
  out.http_status = response->status;
  out.rate_limit = {HeaderInt(*response, "x-rate-limit-limit"), HeaderInt(*response, "x-rate-limit-remaining"),
                    HeaderInt(*response, "x-rate-limit-reset"), ParseHttpDate(response->Header("date"))};
  const int status = response->status;
  if (status >= 200 && status < 300) {
    out.body = std::move(response->body);
    return out;
  }
  out.error = ErrorFor(url, *response, &out.usage_capped);
  if (status == 400) out.rejected_parameters = RejectedParameters(response->body);
  out.body = std::move(response->body);
  return out;
}

absl::Status XApiClient::ErrorFor(const std::string& url, const common::HttpResponse& response, bool* usage_capped) {
  const int status = response.status;
  *usage_capped = false;
  const std::string where = absl::StrCat("X API ", common::RedactUrl(url), " answered HTTP ", status, ": ");
  bool capped = false;
  const std::string what = DescribeProblemBody(response, &capped);
  *usage_capped = capped && status == 429;
  return XHttpError(status, absl::StrCat(where, what), capped, "this endpoint is not in your app's access level");
}

absl::Status XHttpError(int http_status, absl::string_view message, bool usage_capped, absl::string_view forbidden) {
  switch (http_status) {
    case 401:
      return absl::UnauthenticatedError(
          absl::StrCat(message, " — the bearer token (X_BEARER_TOKEN) was rejected; check that it is valid"));
    case 403:
      return absl::PermissionDeniedError(absl::StrCat(message, " — ", forbidden));
    case 429:
      return absl::ResourceExhaustedError(absl::StrCat(
          message, usage_capped ? " — the usage cap is reached; waiting for the rate-limit reset will not help"
                                : " — rate limited until the window resets"));
    case 400:
      return absl::InvalidArgumentError(absl::StrCat(message, " — the request is wrong; check the query and the fields"));
    case 404:
      return absl::InvalidArgumentError(absl::StrCat(message, " — no such endpoint; check the base URL"));
    default:
      if (http_status >= 500) return absl::UnavailableError(message);
      return absl::InvalidArgumentError(message);
  }
}

}  // namespace tweetstream::source
