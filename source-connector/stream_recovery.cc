#include "source-connector/stream_recovery.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/rfc3339.h"

namespace tweetstream::source {
namespace {

// Recent search covers the last 7 days; how far inside it a search starts when the window is older
// (room for the request's own time and a clock that is not X's; what lies in the margin is in the gap).
constexpr absl::Duration kSearchWindow = absl::Hours(24 * 7);
constexpr absl::Duration kWindowMargin = absl::Minutes(5);
// Recent search's documented query length (pay-per-use); a filtered-stream rule may have 1024.
constexpr size_t kMaxQueryChars = 512;
constexpr int kMaxFailures = 5;
constexpr int kMaxRateLimited = 3;
constexpr int64_t kTwitterEpochMs = 1288834974657;

// Filtered-stream operators that recent search does not have (X-API-V2.md §6: "Search lacks sample:,
// bio: and a few other stream operators"; the rest from X's operator tables: user-profile and
// follower-count operators and the Enterprise embedding: operator are stream-only).
constexpr const char* kStreamOnlyOperators[] = {
    "sample:",         "bio:",           "bio_name:",      "bio_location:", "followers_count:",
    "following_count:", "friends_count:", "tweets_count:",  "statuses_count:", "listed_count:",
    "url_title:",      "url_description:", "embedding:"};


std::optional<absl::Time> IdTime(const std::string& id) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(id, &n) || n < (uint64_t{1} << 22)) return std::nullopt;
  return absl::FromUnixMillis(static_cast<int64_t>(n >> 22) + kTwitterEpochMs);
}

std::string RuleName(const RecoveryRule& rule) {
  return absl::StrCat("\"", rule.value, "\"", rule.tag.empty() ? "" : absl::StrCat(" [", rule.tag, "]"));
}

}  // namespace

std::string SearchInexpressible(absl::string_view value) {
  if (value.size() > kMaxQueryChars) {
    return absl::StrCat("the rule has ", value.size(), " characters; recent search takes at most ", kMaxQueryChars);
  }
  // Tokens outside double quotes; an operator may follow '-' (negation) or '(' (grouping).
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i <= value.size(); ++i) {
    const bool end = i == value.size();
    if (!end && value[i] == '"') quoted = !quoted;
    if (!end && (quoted || !absl::ascii_isspace(static_cast<unsigned char>(value[i])))) continue;
    absl::string_view token = value.substr(start, i - start);
    start = i + 1;
    while (!token.empty() && (token.front() == '-' || token.front() == '(')) token.remove_prefix(1);
    for (const char* op : kStreamOnlyOperators) {
      if (absl::StartsWithIgnoreCase(token, op)) {
        return absl::StrCat("the rule uses ", op, ", a filtered-stream operator that recent search does not have");
      }
    }
  }
  return "";
}

absl::StatusOr<std::string> TagWithRule(absl::string_view body, const RecoveryRule& rule) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return absl::InvalidArgumentError("the search page is not a JSON object");
  auto& a = doc.GetAllocator();
  rapidjson::Value rules(rapidjson::kArrayType), r(rapidjson::kObjectType);
  r.AddMember("id", rapidjson::Value(rule.id.c_str(), static_cast<rapidjson::SizeType>(rule.id.size()), a), a);
  r.AddMember("tag", rapidjson::Value(rule.tag.c_str(), static_cast<rapidjson::SizeType>(rule.tag.size()), a), a);
  rules.PushBack(r, a);
  doc.RemoveMember("matching_rules");
  doc.AddMember("matching_rules", rules, a);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void StreamRecovery::Start(const std::vector<RecoveryRule>& rules, const std::string& floor_id, absl::Time floor_time,
                           absl::Time connected_at, std::vector<Gap>* gaps) {
  const absl::Time now = clock_->Now();
  const absl::Time edge = now - kSearchWindow + kWindowMargin;
  from_ = floor_time;
  if (from_ == absl::InfinitePast()) from_ = IdTime(floor_id).value_or(absl::InfinitePast());
  to_ = connected_at;
  rules_.clear();
  current_ = 0;
  SearchRequest base;
  base.max_results = options_.max_results;
  const std::optional<absl::Time> id_time = IdTime(floor_id);
  if (from_ < edge) {
    gaps->push_back(Gap{"all rules", from_, std::min(edge, to_),
                        "older than X's 7-day recent-search window: recent search cannot read it"});
    base.start_time = common::Rfc3339Seconds(edge);
  } else if (!floor_id.empty() && id_time.has_value() && *id_time >= edge) {
    base.since_id = floor_id;  // exact: everything newer than the position
  } else {
    // No usable id (nothing read yet, or its tweet is older than the window while the stream was up
    // later): from the time, a little earlier (duplicates, no gap).
    base.start_time = common::Rfc3339Seconds(std::max(edge, from_ - absl::Seconds(10)));
  }
  if (edge < to_ && rules.empty()) {
    gaps->push_back(Gap{"all rules", std::max(from_, edge), to_,
                        "the stream's rules are not known (they could not be listed), so nothing can be searched"});
  }
  if (edge < to_) {
    for (const RecoveryRule& rule : rules) {
      const std::string why = SearchInexpressible(rule.value);
      if (!why.empty()) {
        gaps->push_back(Gap{RuleName(rule), std::max(from_, edge), to_, why});
        continue;
      }
      RuleState state;
      state.rule = rule;
      state.request = base;
      state.request.query = rule.value;
      rules_.push_back(std::move(state));
    }
  }
  active_ = !rules_.empty();
  due_ = connected_at + options_.delay;
  if (active_) {
    TS_LOG(INFO) << "stream recovery planned: " << Describe() << " from " << absl::FormatDuration(options_.delay)
                 << " after the connect";
  }
}

absl::Time StreamRecovery::NextStepAt() const {
  if (!active_) return absl::InfiniteFuture();
  return std::max(due_, gate_->NextAllowed());
}

std::string StreamRecovery::Describe() const {
  std::string floor = !rules_.empty() && !rules_[0].request.since_id.empty()
                          ? absl::StrCat("the tweets after ", rules_[0].request.since_id)
                          : absl::StrCat("the tweets from ", from_ == absl::InfinitePast() ? "?" : common::Rfc3339Seconds(from_));
  return absl::StrCat(floor, " to ", common::Rfc3339Seconds(to_), " (", rules_.size(), " rule(s)",
                      current_ < rules_.size() ? absl::StrCat(", now ", RuleName(rules_[current_].rule)) : "", ")");
}

void StreamRecovery::NextRule() {
  if (++current_ >= rules_.size()) active_ = false;
  due_ = clock_->Now();
}

void StreamRecovery::GiveUp(const std::string& why, absl::Time to, std::vector<Gap>* gaps) {
  gaps->push_back(Gap{RuleName(rules_[current_].rule), from_, to, why});
  NextRule();
}

absl::Status StreamRecovery::Step(const PageSink& sink, std::vector<Gap>* gaps, bool* finished, int64_t* requests) {
  *finished = false;
  if (!active_) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  if (NextStepAt() > now) return absl::OkStatus();
  RuleState& rs = rules_[current_];
  ++*requests;
  auto response = client_->SearchRecent(rs.request);
  auto failed = [&](const std::string& what) {
    if (++rs.failures >= kMaxFailures) {
      GiveUp(absl::StrCat("recent search failed ", rs.failures, " times: ", what), to_, gaps);
    } else {
      due_ = now + absl::Seconds(1 << rs.failures);
    }
  };
  if (!response.ok()) {
    failed(std::string(response.status().message()));
  } else {
    gate_->Update(response->rate_limit, response->http_status);
    const absl::Status& error = response->error;
    if (error.ok()) {
      int64_t tweets = 0;
      std::string oldest;
      auto tagged = TagWithRule(response->body, rs.rule);
      if (!tagged.ok()) {
        failed(absl::StrCat("X answered 200 with ", tagged.status().message()));
      } else {
        if (absl::Status s = sink(*tagged, rs.rule, &tweets, &oldest); !s.ok()) return s;
        rs.failures = 0;
        ++rs.pages;
        if (!oldest.empty()) rs.oldest_read = oldest;
        rapidjson::Document doc;
        doc.Parse(response->body.data(), response->body.size());
        std::string next;
        if (doc.IsObject() && doc.HasMember("meta") && doc["meta"].IsObject() && doc["meta"].HasMember("next_token") &&
            doc["meta"]["next_token"].IsString()) {
          next = doc["meta"]["next_token"].GetString();
        }
        if (next.empty()) {
          TS_LOG(INFO) << "stream recovery: " << RuleName(rs.rule) << " done, " << rs.pages << " page(s)";
          NextRule();
        } else if (rs.pages >= options_.max_pages) {
          GiveUp(absl::StrCat("more than ", options_.max_pages, " pages (--stream-recovery-max-pages): the older part "
                              "was not read"),
                 IdTime(rs.oldest_read).value_or(to_), gaps);
        } else {
          rs.request.next_token = next;
          due_ = now;
        }
      }
    } else if (response->http_status == 429 && !response->usage_capped) {
      if (++rs.rate_limited > kMaxRateLimited) GiveUp(std::string(error.message()), to_, gaps);
      // else: the gate holds the next request until the reset
    } else if (absl::IsUnavailable(error) || absl::IsDeadlineExceeded(error)) {
      failed(std::string(error.message()));
    } else if (response->http_status == 400 && !rs.moved_into_window && !rs.request.since_id.empty() &&
               std::find(response->rejected_parameters.begin(), response->rejected_parameters.end(), "since_id") !=
                   response->rejected_parameters.end()) {
      // The position aged out of the window between the plan and the request: from the edge instead.
      rs.moved_into_window = true;
      const absl::Time edge = now - kSearchWindow + kWindowMargin * 2;
      gaps->push_back(Gap{RuleName(rs.rule), from_, edge, absl::StrCat("older than X's 7-day window (", error.message(), ")")});
      rs.request.since_id.clear();
      rs.request.next_token.clear();
      rs.request.start_time = common::Rfc3339Seconds(edge);
      due_ = now;
    } else {
      // 400 (the rule is no valid search query), 401, 403, the usage cap: asking again cannot help.
      GiveUp(absl::StrCat("X refused the rule as a recent-search query: ", error.message()), to_, gaps);
    }
  }
  if (!active_) *finished = true;
  return absl::OkStatus();
}

}  // namespace tweetstream::source
