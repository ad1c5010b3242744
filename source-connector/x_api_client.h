#pragma once
// A client of the X API v2 REST endpoints the source reads, over the narrow HttpClient.
//
// Status codes (what the caller should do):
//   OK                  a 2xx answer; the body may still hold partial errors (`errors[]`)
//   UNAUTHENTICATED     401: the bearer token is invalid — stop, do not retry
//   PERMISSION_DENIED   403: the endpoint is not in this app's access level — stop, do not retry
//   RESOURCE_EXHAUSTED  429: rate limit (wait for the reset) or usage cap (waiting does not help;
//                       the message says which)
//   INVALID_ARGUMENT    400: the request is wrong (the API's reason is in the message)
//   UNAVAILABLE         5xx, or a network error: retry with backoff
//   DEADLINE_EXCEEDED   the request timed out: retry
// The bearer token never appears in a message.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http_client.h"

namespace tweetstream::source {

// Everything the schema carries, by default. Configurable because the API renames parameters.
struct XFieldSelection {
  std::string tweet_fields =
      "attachments,author_id,card_uri,community_id,context_annotations,conversation_id,created_at,"
      "display_text_range,edit_controls,edit_history_tweet_ids,entities,geo,id,in_reply_to_user_id,lang,"
      "note_tweet,possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source,text,withheld";
  std::string expansions =
      "author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id,"
      "attachments.media_keys,attachments.poll_ids,geo.place_id,entities.mentions.username";
  std::string user_fields =
      "created_at,description,entities,id,location,most_recent_tweet_id,name,pinned_tweet_id,"
      "profile_banner_url,profile_image_url,protected,public_metrics,url,username,verified,verified_type,"
      "withheld";
  std::string media_fields =
      "alt_text,duration_ms,height,media_key,preview_image_url,public_metrics,type,url,variants,width";
  std::string place_fields = "contained_within,country,country_code,full_name,geo,id,name,place_type";
  std::string poll_fields = "duration_minutes,end_datetime,id,options,voting_status";
};

struct XApiOptions {
  std::string base_url = "https://api.x.com";
  // App-only bearer token (from X_BEARER_TOKEN); never logged.
  std::string bearer_token;
  XFieldSelection fields;
  std::chrono::milliseconds timeout{30000};
};

// The x-rate-limit-* headers of one response (absent ones stay nullopt).
struct RateLimit {
  std::optional<int64_t> limit;
  std::optional<int64_t> remaining;
  // An epoch second on X's clock, not ours: compare it with `server_date`, not with the local time.
  std::optional<int64_t> reset_epoch_seconds;
  // The response's `Date` header (X's clock when it answered), when present and readable.
  std::optional<absl::Time> server_date;
};

// An HTTP `Date` header (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"; X writes "UTC"
// instead of "GMT", as the recordings show; the obsolete RFC 850 and asctime forms are accepted
// too), or nullopt when it is none of them.
std::optional<absl::Time> ParseHttpDate(absl::string_view value);

// One answer of the API (any HTTP status).
struct XApiResponse {
  int http_status = 0;
  std::string body;
  RateLimit rate_limit;
  // OK for 2xx; otherwise the status code of the list above, with the API's reason.
  absl::Status error;
  // A 429 that is the monthly/product usage cap, not a rate-limit window: waiting will not help.
  bool usage_capped = false;
  // A 400 invalid-request: the parameters X names in `errors[].parameters` (e.g. "since_id" when it
  // is older than recent search's 7-day window), in the order given.
  std::vector<std::string> rejected_parameters;
};

struct SearchRequest {
  std::string query;
  int max_results = 100;          // 10..100 for recent search
  std::string next_token;         // page token from the previous page's meta
  std::string since_id;           // only tweets newer than this id
  std::string until_id;           // only tweets older than this id
  std::string start_time;         // RFC 3339, inclusive (X refuses it together with since_id/until_id)
  std::string end_time;           // RFC 3339, exclusive (X's default: about 30 s before the request)
};

// "title: detail [type]" of the first problem of an error body, or a bounded printable snippet of a
// non-JSON body (a recorded 429 was text/plain, a 404 was HTML). Sets *usage_capped when the problem
// is the usage cap (matched on the type URI's suffix: the host part changed over time).
std::string DescribeProblemBody(const common::HttpResponse& response, bool* usage_capped);

// The one reading of an X API error status, for search, the stream and its rules: `message` (what
// answered what) plus the hint a user acts on. 401 UNAUTHENTICATED (the token), 403 PERMISSION_DENIED
// (`forbidden`: what is not in the app's access level), 429 RESOURCE_EXHAUSTED (the rate limit, or with
// `usage_capped` the usage cap, which no wait helps), 5xx UNAVAILABLE, any other INVALID_ARGUMENT
// (400: the request; 404: the base URL). Whether to retry is the caller's: see x_stream.cc.
absl::Status XHttpError(int http_status, absl::string_view message, bool usage_capped, absl::string_view forbidden);

class XApiClient {
 public:
  // `http` must outlive the client.
  XApiClient(common::HttpClient* http, XApiOptions options) : http_(http), options_(std::move(options)) {}

  // GET /2/tweets/search/recent with the field selection. A non-OK StatusOr is a transport error
  // (UNAVAILABLE, DEADLINE_EXCEEDED); an HTTP error is an XApiResponse with `error` set.
  absl::StatusOr<XApiResponse> SearchRecent(const SearchRequest& request);

  // The URL SearchRecent would call (for logs: without the token, which travels in a header).
  std::string SearchRecentUrl(const SearchRequest& request) const;
  // The same URL for messages: no userinfo, and of the query string only what names the page (query,
  // max_results, the bounds, next_token), not the field lists. Nothing secret travels in the URL.
  std::string SearchRecentUrlForLogs(const SearchRequest& request) const;

 private:
  absl::StatusOr<XApiResponse> Get(const std::string& url);
  static absl::Status ErrorFor(const std::string& url, const common::HttpResponse& response, bool* usage_capped);

  common::HttpClient* http_;
  XApiOptions options_;
};

}  // namespace tweetstream::source
