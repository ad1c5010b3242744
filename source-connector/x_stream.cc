#include "source-connector/x_stream.h"

#include <simdjson.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/rfc3339.h"
#include "source-connector/x_json_mapper.h"

namespace tweetstream::source {
namespace {

constexpr char kStreamPath[] = "/2/tweets/search/stream";

namespace dom = simdjson::dom;

// A string member, or "" (simdjson's error-code API only: nothing here throws).
std::string StringMember(dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return "";
  return std::string(value.data(), value.size());
}

// "title: detail (disconnect_type) [type]" of a problem object.
std::string DescribeProblem(dom::object problem) {
  std::string text = StringMember(problem, "title");
  const std::string detail = StringMember(problem, "detail");
  if (!detail.empty() && detail != text) absl::StrAppend(&text, text.empty() ? "" : ": ", detail);
  for (const char* extra : {"disconnect_type", "connection_issue"}) {
    const std::string value = StringMember(problem, extra);
    if (!value.empty()) absl::StrAppend(&text, " (", value, ")");
  }
  const std::string type = StringMember(problem, "type");
  if (!type.empty()) absl::StrAppend(&text, " [", type, "]");
  return text;
}

enum class LineKind { kMessage, kStreamError, kMalformed };

// What a complete, non-empty line is (X-API-V2.md §9: check for a problem object before treating a
// line as a tweet):
//   kMalformed    not a JSON object (e.g. a truncated object followed by a line break): dropped
//   kStreamError  `errors[]`, or a top-level problem (`title` + `type`), without `data`
//   kMessage      everything else, including `data` with partial `errors[]` and unknown new kinds
// The line is fully validated here (simdjson, about a microsecond per KB) so the caller only ever
// receives whole JSON objects; the caller parses it again to map it.
LineKind ClassifyLine(dom::parser& parser, absl::string_view line, std::string* description) {
  dom::element doc;
  if (auto error = parser.parse(line.data(), line.size()).get(doc); error != simdjson::SUCCESS) {
    *description = simdjson::error_message(error);
    return LineKind::kMalformed;
  }
  dom::object object;
  if (doc.get(object) != simdjson::SUCCESS) {
    *description = "not a JSON object";
    return LineKind::kMalformed;
  }
  dom::element data;
  if (object["data"].get(data) == simdjson::SUCCESS && !data.is_null()) return LineKind::kMessage;
  dom::array errors;
  if (object["errors"].get(errors) == simdjson::SUCCESS) {
    for (dom::element e : errors) {
      dom::object problem;
      if (e.get(problem) == simdjson::SUCCESS) {
        *description = DescribeProblem(problem);
        return LineKind::kStreamError;
      }
    }
    *description = "an empty errors[]";
    return LineKind::kStreamError;
  }
  if (!StringMember(object, "title").empty() && !StringMember(object, "type").empty()) {
    *description = DescribeProblem(object);
    return LineKind::kStreamError;
  }
  return LineKind::kMessage;
}

}  // namespace

// One connection attempt, from the request to the end of the transfer.
struct XStream::Attempt {
  int64_t number = 0;         // 1-based, for `where`
  int64_t lines = 0;          // messages delivered on this connection
  bool connected = false;     // a 2xx answer arrived
  std::string buffer;         // bytes after the last "\n"
  bool stream_error = false;  // an in-stream error object ended the connection
  std::string stream_error_text;
  bool oversize = false;      // a line exceeded max_line_bytes
  simdjson::dom::parser* parser = nullptr;  // Run()'s, reused across lines
};

const char* XStreamStateName(XStreamStats::State state) {
  switch (state) {
    case XStreamStats::State::kIdle:
      return "idle";
    case XStreamStats::State::kConnecting:
      return "connecting";
    case XStreamStats::State::kConnected:
      return "connected";
    case XStreamStats::State::kBackingOff:
      return "backing-off";
    case XStreamStats::State::kStopped:
      return "stopped";
    case XStreamStats::State::kFailed:
      return "failed";
  }
  return "unknown";
}

absl::Status XStreamOptions::Validate() const {
  if (base_url.empty()) return absl::InvalidArgumentError("stream: base_url is empty");
  if (bearer_token.empty()) return absl::InvalidArgumentError("stream: the bearer token (X_BEARER_TOKEN) is empty");
  if (idle_timeout.count() <= 0) return absl::InvalidArgumentError("stream: idle_timeout must be positive");
  if (connect_timeout.count() <= 0) return absl::InvalidArgumentError("stream: connect_timeout must be positive");
  if (backfill_minutes < 0 || backfill_minutes > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: backfill_minutes must be 0..5 (X's limit), got ", backfill_minutes));
  }
  if (max_line_bytes == 0) return absl::InvalidArgumentError("stream: max_line_bytes must be positive");
  return reconnect.Validate();
}

absl::StatusOr<std::unique_ptr<XStream>> XStream::Create(common::HttpClient* http, XStreamOptions options,
                                                         common::Clock* clock) {
  if (http == nullptr || clock == nullptr) return absl::InvalidArgumentError("stream: http and clock are required");
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  return std::unique_ptr<XStream>(new XStream(http, std::move(options), clock));
}

std::string XStream::StreamUrl(bool reconnect) const {
  std::string url = absl::StrCat(absl::StripSuffix(options_.base_url, "/"), kStreamPath);
  char sep = '?';
  auto add = [&url, &sep](absl::string_view name, const std::string& value) {
    if (value.empty()) return;
    absl::StrAppend(&url, std::string(1, sep), name, "=", common::UrlEncode(value));
    sep = '&';
  };
  const XFieldSelection& f = options_.fields;
  add("tweet.fields", f.tweet_fields);
  add("expansions", f.expansions);
  add("user.fields", f.user_fields);
  add("media.fields", f.media_fields);
  add("place.fields", f.place_fields);
  add("poll.fields", f.poll_fields);
  if ((reconnect || options_.resume) && options_.backfill_minutes > 0) {
    add("backfill_minutes", absl::StrCat(options_.backfill_minutes));
  }
  return url;
}

XStreamStats XStream::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void XStream::HandleLine(absl::string_view line, Attempt& attempt, const MessageCallback& on_message) {
  if (line.empty()) {
    Update([](XStreamStats& s) { ++s.keep_alives; });
    return;
  }
  std::string description;
  switch (ClassifyLine(*attempt.parser, line, &description)) {
    case LineKind::kStreamError:
      attempt.stream_error = true;
      attempt.stream_error_text = std::move(description);
      Update([](XStreamStats& s) { ++s.stream_errors; });
      return;
    case LineKind::kMalformed:
      Update([](XStreamStats& s) { ++s.malformed_lines_dropped; });
      TS_LOG(WARNING) << "filtered stream: dropped a line of " << line.size() << " bytes that is not a JSON object ("
                      << description << ") on connection " << attempt.number;
      return;
    case LineKind::kMessage:
      break;
  }
  policy_.OnMessage();
  ++attempt.lines;
  Update([](XStreamStats& s) { ++s.messages; });
  const std::string where =
      absl::StrCat("GET ", kStreamPath, " (connection ", attempt.number, ", line ", attempt.lines, ")");
  on_message(line, where);
}

absl::Status XStream::Classify(const absl::Status& transfer, const common::HttpResponse& head,
                               const Attempt& attempt, FailureKind* kind, std::string* error) {
  *kind = FailureKind::kNetwork;
  if (attempt.connected) {
    if (attempt.stream_error) {
      *kind = FailureKind::kHttp;
      *error = absl::StrCat("in-stream error: ", attempt.stream_error_text);
    } else if (attempt.oversize) {
      *error = absl::StrCat("a line exceeded ", options_.max_line_bytes, " bytes without \\r\\n");
    } else if (absl::IsDeadlineExceeded(transfer)) {
      Update([](XStreamStats& s) { ++s.stalls; });
      *error = absl::StrCat("stalled: ", transfer.message());
    } else if (transfer.ok()) {
      *error = "the server closed the stream";
    } else {
      Update([](XStreamStats& s) { ++s.network_errors; });
      *error = absl::StrCat("connection lost: ", transfer.message());
    }
    return absl::OkStatus();
  }
  if (head.status == 0) {  // no answer at all
    if (absl::IsUnimplemented(transfer) || absl::IsInvalidArgument(transfer)) return transfer;
    Update([](XStreamStats& s) { ++s.network_errors; });
    *error = std::string(transfer.message());
    return absl::OkStatus();
  }

  Update([](XStreamStats& s) { ++s.http_errors; });
  bool usage_capped = false;
  const std::string what = DescribeProblemBody(head, &usage_capped);
  const std::string where = absl::StrCat("X API GET ", kStreamPath, " answered HTTP ", head.status, ": ", what);
  switch (head.status) {
    case 401:
    case 403:
    case 400:
    case 404:  // the token, the access level, the request, the URL: retrying cannot help
      return XHttpError(head.status, where, false,
                        "the filtered stream is not in your app's access level (or the app is not in a project)");
    case 429:
      if (usage_capped) return XHttpError(head.status, where, true, "");  // no wait helps: not retried
      *kind = FailureKind::kRateLimited;
      *error = where;
      return absl::OkStatus();
    default:
      *kind = FailureKind::kHttp;
      *error = where;
      return absl::OkStatus();
  }
}

absl::Status XStream::Run(const MessageCallback& on_message, const std::atomic<bool>* stop) {
  auto stopped = [stop] { return stop != nullptr && stop->load(); };
  auto finish_stopped = [this] {
    Update([](XStreamStats& s) {
      s.state = XStreamStats::State::kStopped;
      s.connected_since = absl::InfinitePast();
      s.next_attempt_at = absl::InfinitePast();
    });
    TS_LOG(INFO) << "filtered stream: stopped";
    return absl::OkStatus();
  };
  bool ever_connected = false;
  absl::Time disconnected_at = absl::InfinitePast();  // end of the last connection that was up
  int64_t number = 0;
  simdjson::dom::parser parser;

  while (!stopped()) {
    const absl::Time next = policy_.NextAttemptTime();
    if (next > clock_->Now()) {
      Update([next](XStreamStats& s) {
        s.state = XStreamStats::State::kBackingOff;
        s.next_attempt_at = next;
      });
      if (!clock_->SleepUntil(next, stop) || stopped()) break;
    }
    policy_.OnAttempt();
    Attempt attempt;
    attempt.number = ++number;
    attempt.parser = &parser;
    Update([](XStreamStats& s) {
      s.state = XStreamStats::State::kConnecting;
      s.next_attempt_at = absl::InfinitePast();
      ++s.connect_attempts;
    });

    common::HttpRequest request;
    request.url = StreamUrl(ever_connected);
    request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.bearer_token));
    request.connect_timeout = options_.connect_timeout;
    request.idle_timeout = options_.idle_timeout;
    request.cancel = stop;

    auto mark_connected = [&] {
      attempt.connected = true;
      policy_.OnConnected();
      const absl::Time now = clock_->Now();
      const bool gap = ever_connected && options_.backfill_minutes == 0;
      Update([&](XStreamStats& s) {
        s.state = XStreamStats::State::kConnected;
        s.connected_since = now;
        ++s.connects;
        if (ever_connected) ++s.reconnects;
        if (gap) {
          ++s.unbackfilled_gaps;
          s.last_gap_start = disconnected_at;
          s.last_gap_end = now;
        }
      });
      if (gap) {
        TS_LOG(INFO) << "filtered stream: reconnected (connection " << attempt.number << "); X redelivers nothing "
                     << "posted since " << common::Rfc3339Millis(disconnected_at)
                     << " (backfill_minutes is 0): the caller recovers that window";
      } else {
        TS_LOG(INFO) << "filtered stream: connected (connection " << attempt.number << ")";
      }
      if (on_connect_) {
        on_connect_(ConnectInfo{attempt.number, now, ever_connected ? disconnected_at : absl::InfinitePast(),
                                (ever_connected || options_.resume) && options_.backfill_minutes > 0});
      }
      ever_connected = true;
    };

    auto on_data = [&](absl::string_view chunk) -> bool {
      if (!attempt.connected) mark_connected();
      std::string& buffer = attempt.buffer;
      size_t search_from = buffer.size();
      buffer.append(chunk.data(), chunk.size());
      size_t start = 0;
      for (size_t nl = buffer.find('\n', search_from); nl != std::string::npos; nl = buffer.find('\n', start)) {
        absl::string_view line(buffer.data() + start, nl - start);
        start = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        HandleLine(line, attempt, on_message);
        if (attempt.stream_error || stopped()) break;
      }
      buffer.erase(0, start);
      if (attempt.stream_error || stopped()) return false;
      if (buffer.size() > options_.max_line_bytes) {
        attempt.oversize = true;
        return false;
      }
      return true;
    };

    common::HttpResponse head;
    const absl::Status transfer = http_->Stream(request, on_data, &head);
    if (!attempt.connected && head.status >= 200 && head.status < 300) mark_connected();  // 2xx, empty body

    if (attempt.connected) {
      disconnected_at = clock_->Now();
      // A line cut by the disconnect: never delivered. Whole tweets come back only via backfill.
      if (!attempt.buffer.empty() && !attempt.stream_error) {
        Update([](XStreamStats& s) { ++s.partial_lines_dropped; });
        TS_LOG(WARNING) << "filtered stream: dropped a partial line of " << attempt.buffer.size()
                        << " bytes cut by the disconnect (connection " << attempt.number << ")";
      }
      Update([](XStreamStats& s) { s.connected_since = absl::InfinitePast(); });
    }
    if (stopped()) break;

    FailureKind kind = FailureKind::kNetwork;
    std::string error;
    if (absl::Status fatal = Classify(transfer, head, attempt, &kind, &error); !fatal.ok()) {
      const absl::Time now = clock_->Now();
      Update([&](XStreamStats& s) {
        s.state = XStreamStats::State::kFailed;
        s.last_error = std::string(fatal.message());
        s.last_error_time = now;
      });
      TS_LOG(ERROR) << "filtered stream: " << fatal.message();
      return fatal;
    }
    const absl::Duration delay = policy_.OnFailure(kind);
    const absl::Time next_at = policy_.NextAttemptTime();
    const bool at_max = policy_.at_max_backoff();
    const absl::Time now = clock_->Now();
    Update([&](XStreamStats& s) {
      s.state = XStreamStats::State::kBackingOff;
      s.last_error = error;
      s.last_error_time = now;
      s.current_backoff = delay;
      s.at_max_backoff = at_max;
      s.next_attempt_at = next_at;
    });
    TS_LOG(WARNING) << "filtered stream: " << error << " (connection " << attempt.number << ", "
                    << FailureKindName(kind) << "); reconnecting in " << absl::FormatDuration(std::max(next_at - now, absl::ZeroDuration()))
                    << (at_max ? " — maximum backoff reached" : "");
  }
  return finish_stopped();
}

}  // namespace tweetstream::source
