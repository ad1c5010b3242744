#include "source-connector/stream_rules.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"

// simdjson is used only through its error-code API (`.get(x)` returning an error_code): nothing
// here throws, whatever SIMDJSON_EXCEPTIONS is.

namespace tweetstream::source {
namespace {

namespace dom = simdjson::dom;

constexpr char kRulesPath[] = "/2/tweets/search/stream/rules";
// Guard against a server that keeps returning a next_token (X allows 1000 rules per page; 25,000 at
// most on Enterprise, so 100 pages is far beyond any real rule set).
constexpr int kMaxPages = 100;

std::string FromStd(std::string_view s) { return std::string(s.data(), s.size()); }

// A string member, or "" when absent, null or not a string.
std::string StringField(dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get(value) != simdjson::SUCCESS) return "";
  return FromStd(value);
}

// An id given as a string or, as in 2021 recordings, a bare number (never through double).
std::string IdField(dom::object object, std::string_view key) {
  dom::element element;
  if (object[key].get(element) != simdjson::SUCCESS) return "";
  std::string_view text;
  uint64_t unsigned_value = 0;
  int64_t signed_value = 0;
  if (element.get(text) == simdjson::SUCCESS) return FromStd(text);
  if (element.get(unsigned_value) == simdjson::SUCCESS) return absl::StrCat(unsigned_value);
  if (element.get(signed_value) == simdjson::SUCCESS) return absl::StrCat(signed_value);
  return "";
}

// One entry of a rules response's `errors[]`.
struct RuleProblem {
  std::string type;
  std::string value;  // the rule value it concerns (invalid-rules, duplicate-rules)
  std::string id;     // duplicate-rules: the existing rule's id
  std::string reason;
};

// The reason X gives: `detail`, else the `details[]` strings, else `title`.
std::string ProblemReason(dom::object problem) {
  std::string reason = StringField(problem, "detail");
  dom::array details;
  if (reason.empty() && problem["details"].get(details) == simdjson::SUCCESS) {
    std::vector<std::string> parts;
    for (dom::element d : details) {
      std::string_view text;
      if (d.get(text) == simdjson::SUCCESS) parts.push_back(FromStd(text));
    }
    reason = absl::StrJoin(parts, "; ");
  }
  std::string title = StringField(problem, "title");
  if (reason.empty()) return title;
  if (!title.empty() && title != reason) return absl::StrCat(title, ": ", reason);
  return reason;
}

std::vector<RuleProblem> Problems(dom::object root) {
  std::vector<RuleProblem> out;
  dom::array errors;
  if (root["errors"].get(errors) != simdjson::SUCCESS) return out;
  for (dom::element e : errors) {
    dom::object problem;
    if (e.get(problem) != simdjson::SUCCESS) continue;
    out.push_back(RuleProblem{StringField(problem, "type"), StringField(problem, "value"), IdField(problem, "id"),
                              ProblemReason(problem)});
  }
  return out;
}

// The last path segment of a problem type URI: "https://api.x.com/2/problems/rule-cap" -> "rule-cap".
// Matched on the suffix because the host part changed (api.twitter.com -> api.x.com).
absl::string_view ProblemKind(absl::string_view type) {
  size_t slash = type.rfind('/');
  return slash == absl::string_view::npos ? type : type.substr(slash + 1);
}

struct ParsedBody {
  simdjson::padded_string padded;
  dom::parser parser;
  dom::object root;
};

absl::Status ParseObject(const std::string& body, const std::string& what, ParsedBody* out) {
  out->padded = simdjson::padded_string(body.data(), body.size());
  dom::element doc;
  if (auto error = out->parser.parse(out->padded).get(doc); error != simdjson::SUCCESS) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer is not JSON (", simdjson::error_message(error), ")"));
  }
  if (doc.get(out->root) != simdjson::SUCCESS) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer is not a JSON object"));
  }
  return absl::OkStatus();
}

// Maps a non-2xx answer to a status code, with X's reason (the token never appears).
absl::Status HttpError(const std::string& what, const common::HttpResponse& response) {
  std::string reason;
  bool usage_capped = false;
  ParsedBody parsed;
  if (ParseObject(response.body, what, &parsed).ok()) {
    std::vector<RuleProblem> problems = Problems(parsed.root);
    if (problems.empty()) {  // a whole-body problem: {"title","detail","type","status"}
      problems.push_back(RuleProblem{StringField(parsed.root, "type"), "", "", ProblemReason(parsed.root)});
    }
    reason = problems.front().reason;
    if (!problems.front().type.empty()) absl::StrAppend(&reason, " [", problems.front().type, "]");
    usage_capped = ProblemKind(problems.front().type) == "usage-capped" || absl::StrContains(reason, "UsageCap");
  } else {
    reason = std::string(absl::StripAsciiWhitespace(absl::string_view(response.body).substr(0, 120)));
    for (char& c : reason) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    if (absl::StartsWith(reason, "<")) reason = "non-JSON body";
  }
  const std::string message = absl::StrCat(what, " answered HTTP ", response.status, ": ", reason);
  return XHttpError(response.status, message, usage_capped, "stream rules are not in your app's access level");
}

std::string AddBody(const std::vector<StreamRule>& rules) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("add");
  w.StartArray();
  for (const StreamRule& r : rules) {
    w.StartObject();
    w.Key("value");
    w.String(r.value.data(), static_cast<rapidjson::SizeType>(r.value.size()));
    if (!r.tag.empty()) {
      w.Key("tag");
      w.String(r.tag.data(), static_cast<rapidjson::SizeType>(r.tag.size()));
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string DeleteBody(const std::vector<ActiveRule>& rules) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("delete");
  w.StartObject();
  w.Key("ids");
  w.StartArray();
  for (const ActiveRule& r : rules) w.String(r.id.data(), static_cast<rapidjson::SizeType>(r.id.size()));
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// X's ids of the rules an add created, by (value, tag), from the answer's `data`.
std::map<std::pair<std::string, std::string>, std::string> CreatedIds(dom::object root) {
  std::map<std::pair<std::string, std::string>, std::string> ids;
  dom::array data;
  if (root["data"].get(data) == simdjson::SUCCESS) {
    for (dom::element e : data) {
      dom::object r;
      if (e.get(r) != simdjson::SUCCESS) continue;
      ids[{StringField(r, "value"), StringField(r, "tag")}] = IdField(r, "id");
    }
  }
  return ids;
}

std::string Quote(const std::string& value) { return absl::StrCat("\"", value, "\""); }

}  // namespace

std::string StreamRulesClient::RulesUrl(bool dry_run) const {
  return absl::StrCat(absl::StripSuffix(options_.base_url, "/"), kRulesPath, dry_run ? "?dry_run=true" : "");
}

absl::StatusOr<common::HttpResponse> StreamRulesClient::Call(const std::string& method, const std::string& url,
                                                             const std::string& body) {
  common::HttpRequest request;
  request.method = method;
  request.url = url;
  request.timeout = options_.timeout;
  request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.bearer_token));
  request.headers.emplace_back("Accept", "application/json");
  if (method == "POST") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
  }
  auto response = http_->Send(request);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status >= 300) {
    return HttpError(absl::StrCat("X API ", method, " ", common::RedactUrl(url)), *response);
  }
  return response;
}

absl::StatusOr<std::vector<ActiveRule>> StreamRulesClient::ListRules() {
  std::vector<ActiveRule> rules;
  std::set<std::string> seen_tokens;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    std::string url = absl::StrCat(absl::StripSuffix(options_.base_url, "/"), kRulesPath, "?max_results=1000");
    if (!token.empty()) absl::StrAppend(&url, "&pagination_token=", common::UrlEncode(token));
    auto response = Call("GET", url, "");
    if (!response.ok()) return response.status();
    ParsedBody parsed;
    if (absl::Status s = ParseObject(response->body, "X API GET rules", &parsed); !s.ok()) return s;
    dom::array data;
    if (parsed.root["data"].get(data) == simdjson::SUCCESS) {  // absent `data`: no rules
      for (dom::element e : data) {
        dom::object r;
        if (e.get(r) != simdjson::SUCCESS) continue;
        ActiveRule rule{IdField(r, "id"), StreamRule{StringField(r, "value"), StringField(r, "tag")}};
        if (rule.id.empty()) return absl::UnavailableError("X API GET rules: a rule without an id");
        rules.push_back(std::move(rule));
      }
    }
    dom::object meta;
    token.clear();
    if (parsed.root["meta"].get(meta) == simdjson::SUCCESS) token = StringField(meta, "next_token");
    if (token.empty()) return rules;
    if (!seen_tokens.insert(token).second) {
      return absl::UnavailableError("X API GET rules: the same next_token came back twice");
    }
  }
  return absl::UnavailableError(absl::StrCat("X API GET rules: more than ", kMaxPages, " pages"));
}

absl::StatusOr<RulesSyncResult> StreamRulesClient::SyncRules(const std::vector<StreamRule>& desired, bool dry_run) {
  if (desired.empty()) {
    return absl::InvalidArgumentError("no stream rules configured: a stream without rules matches nothing");
  }
  if (absl::Status s = ValidateRules(desired); !s.ok()) return s;
  auto current = ListRules();
  if (!current.ok()) return current.status();

  // Sort the active rules: for each configured value, an owned rule with the right tag is kept; else
  // a foreign rule with that value is shared; else an owned rule with another tag is re-tagged. Every
  // other owned rule is stale; every other foreign rule is left alone.
  RulesSyncResult result;
  result.dry_run = dry_run;
  std::map<std::string, std::string> wanted_tag;  // value -> the tag X should store
  for (const StreamRule& r : desired) wanted_tag[r.value] = OwnedTag(r.tag);
  std::map<std::string, const ActiveRule*> satisfied;  // value -> the rule that satisfies it
  for (const ActiveRule& r : *current) {  // exact owned matches first
    auto it = wanted_tag.find(r.rule.value);
    if (Owns(r) && it != wanted_tag.end() && it->second == r.rule.tag && satisfied.count(r.rule.value) == 0) {
      satisfied[r.rule.value] = &r;
    }
  }
  for (const ActiveRule& r : *current) {  // then foreign rules with a configured value
    if (!Owns(r) && wanted_tag.count(r.rule.value) > 0 && satisfied.count(r.rule.value) == 0) {
      satisfied[r.rule.value] = &r;
    }
  }
  std::set<std::string> retagged_values;
  std::vector<ActiveRule> retagged_old;  // owned rules whose tag changed: deleted, then added again
  for (const ActiveRule& r : *current) {
    auto it = satisfied.find(r.rule.value);
    if (it != satisfied.end() && it->second == &r) {
      (Owns(r) ? result.kept : result.shared).push_back(r);
    } else if (!Owns(r)) {
      result.foreign.push_back(r);
    } else if (wanted_tag.count(r.rule.value) > 0 && satisfied.count(r.rule.value) == 0 &&
               retagged_values.insert(r.rule.value).second) {
      retagged_old.push_back(r);
    } else {
      result.deleted.push_back(r);  // stale, or a second copy
    }
  }
  std::vector<StreamRule> to_add, to_readd;  // as X stores them (prefixed tags)
  for (const StreamRule& r : desired) {
    if (satisfied.count(r.value) > 0) continue;
    StreamRule owned{r.value, OwnedTag(r.tag)};
    (retagged_values.count(r.value) > 0 ? to_readd : to_add).push_back(std::move(owned));
  }
  for (const ActiveRule& r : result.shared) {
    TS_LOG(WARNING) << "stream rule " << Quote(r.rule.value) << " (id " << r.id << ", tag " << Quote(r.rule.tag)
                    << ") is configured but not tagged " << Quote(prefix_ + "...")
                    << ": kept as it is and used; tweet-source will not delete it. To let this source own it, "
                       "delete it (tweetctl rules delete) and restart";
  }
  if (!result.foreign.empty()) {
    TS_LOG(INFO) << "stream rules: " << result.foreign.size() << " foreign rule(s) (not tagged " << Quote(prefix_)
                 << ") left alone; the stream delivers what they match too";
  }
  std::vector<StreamRule> all_adds = to_add;
  all_adds.insert(all_adds.end(), to_readd.begin(), to_readd.end());

  // 2. Validate every addition with a dry run first, so that a rejected rule changes nothing.
  if (!all_adds.empty()) {
    auto validated = Call("POST", RulesUrl(/*dry_run=*/true), AddBody(all_adds));
    if (!validated.ok()) return validated.status();
    ParsedBody parsed;
    if (absl::Status s = ParseObject(validated->body, "X API POST rules (validation)", &parsed); !s.ok()) return s;
    std::vector<std::string> rejected;
    for (const RuleProblem& p : Problems(parsed.root)) {
      const absl::string_view kind = ProblemKind(p.type);
      // A re-tagged rule: its value still exists until step 4 deletes it. Expected, not an error.
      if (kind == "duplicate-rules" && retagged_values.count(p.value) > 0) continue;
      std::string what = p.value.empty() ? std::string(kind) : Quote(p.value);
      if (kind == "duplicate-rules") {
        absl::StrAppend(&what, " (duplicate of rule ", p.id, ")");
      } else if (kind == "rule-cap") {
        absl::StrAppend(&what, " (too many rules)");
      }
      rejected.push_back(absl::StrCat(what, ": ", p.reason));
    }
    if (!rejected.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("X rejected ", rejected.size(), " stream rule(s); nothing was ",
                                                     "changed: ", absl::StrJoin(rejected, "; ")));
    }
  }

  // Applies an add (not on a dry run: step 2 was its dry run); the new ids go into result.added.
  auto apply_add = [&](const std::vector<StreamRule>& rules, const std::vector<ActiveRule>& deleted_before)
      -> absl::Status {
    if (rules.empty()) return absl::OkStatus();
    if (dry_run) {
      for (const StreamRule& r : rules) result.added.push_back(ActiveRule{"", r});
      return absl::OkStatus();
    }
    auto applied = Call("POST", RulesUrl(false), AddBody(rules));
    std::vector<std::string> failures;
    ParsedBody parsed;
    absl::Status status = applied.ok() ? ParseObject(applied->body, "X API POST rules (add)", &parsed)
                                       : applied.status();
    if (status.ok()) {
      for (const RuleProblem& p : Problems(parsed.root)) {
        failures.push_back(absl::StrCat(p.value.empty() ? std::string(ProblemKind(p.type)) : Quote(p.value), ": ",
                                        p.reason));
      }
    }
    if (!status.ok() || !failures.empty()) {
      const std::string why = status.ok() ? absl::StrJoin(failures, "; ") : std::string(status.message());
      if (deleted_before.empty()) {
        if (!status.ok()) return status;
        return absl::InvalidArgumentError(absl::StrCat("X rejected stream rules: ", why));
      }
      std::vector<std::string> gone;
      for (const ActiveRule& r : deleted_before) gone.push_back(Quote(r.rule.value));
      return absl::DataLossError(absl::StrCat("re-adding re-tagged stream rules failed after deleting their old ",
                                              "version (", absl::StrJoin(gone, ", "), "): ", why));
    }
    std::map<std::pair<std::string, std::string>, std::string> ids = CreatedIds(parsed.root);
    for (const StreamRule& r : rules) result.added.push_back(ActiveRule{ids[{r.value, r.tag}], r});
    return absl::OkStatus();
  };

  // 3. Add the new values first: while the sync runs the stream matches at least the old and the new rules.
  if (absl::Status s = apply_add(to_add, {}); !s.ok()) return s;

  // 4. Delete our stale rules and the old versions of re-tagged ones (foreign rules are never sent).
  std::vector<ActiveRule> doomed = result.deleted;
  doomed.insert(doomed.end(), retagged_old.begin(), retagged_old.end());
  if (!doomed.empty()) {
    auto deleted = Call("POST", RulesUrl(dry_run), DeleteBody(doomed));
    if (!deleted.ok()) return deleted.status();
    ParsedBody parsed;
    if (absl::Status s = ParseObject(deleted->body, "X API POST rules (delete)", &parsed); !s.ok()) return s;
    std::vector<std::string> failures;
    for (const RuleProblem& p : Problems(parsed.root)) {
      if (ProblemKind(p.type) == "resource-not-found") continue;  // gone already: what we wanted
      failures.push_back(absl::StrCat(p.id.empty() ? p.value : p.id, ": ", p.reason));
    }
    if (!failures.empty()) {
      return absl::AbortedError(absl::StrCat("X did not delete stream rules (changed concurrently?): ",
                                             absl::StrJoin(failures, "; ")));
    }
  }
  result.deleted = std::move(doomed);

  // 5. The re-tagged rules, now that their values are free again.
  if (absl::Status s = apply_add(to_readd, retagged_old); !s.ok()) return s;

  TS_LOG(INFO) << "stream rules" << (dry_run ? " (dry run)" : "") << ": " << result.added.size() << " added, "
               << result.deleted.size() << " deleted, " << result.kept.size() << " kept, " << result.shared.size()
               << " shared, " << result.foreign.size() << " foreign left alone";
  return result;
}

absl::StatusOr<RulesSyncResult> StreamRulesClient::AddRules(const std::vector<StreamRule>& rules, bool dry_run) {
  if (rules.empty()) return absl::InvalidArgumentError("rules: give at least one rule to add");
  if (absl::Status s = ValidateRules(rules); !s.ok()) return s;
  for (const StreamRule& r : rules) {
    if (absl::StartsWith(r.tag, prefix_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "stream rule ", Quote(r.value), ": the tag prefix ", Quote(prefix_), " belongs to the rules this source ",
          "keeps equal to its configuration (--rule, --rules-file); the next start would delete such a rule. ",
          "Add it to the configuration instead, or use a tag without that prefix"));
    }
  }
  auto answer = Call("POST", RulesUrl(dry_run), AddBody(rules));
  if (!answer.ok()) return answer.status();
  ParsedBody parsed;
  if (absl::Status s = ParseObject(answer->body, "X API POST rules (add)", &parsed); !s.ok()) return s;
  std::vector<std::string> rejected;
  for (const RuleProblem& p : Problems(parsed.root)) {
    std::string what = p.value.empty() ? std::string(ProblemKind(p.type)) : Quote(p.value);
    if (ProblemKind(p.type) == "duplicate-rules") absl::StrAppend(&what, " (duplicate of rule ", p.id, ")");
    rejected.push_back(absl::StrCat(what, ": ", p.reason));
  }
  if (!rejected.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("X rejected ", rejected.size(), " stream rule(s): ",
                                                   absl::StrJoin(rejected, "; ")));
  }
  RulesSyncResult result;
  result.dry_run = dry_run;
  std::map<std::pair<std::string, std::string>, std::string> ids = CreatedIds(parsed.root);
  for (const StreamRule& r : rules) result.added.push_back(ActiveRule{dry_run ? "" : ids[{r.value, r.tag}], r});
  TS_LOG(INFO) << "stream rules" << (dry_run ? " (dry run)" : "") << ": " << result.added.size() << " added";
  return result;
}

absl::StatusOr<RulesSyncResult> StreamRulesClient::DeleteRules(const std::vector<ActiveRule>& rules, bool dry_run) {
  RulesSyncResult result;
  result.dry_run = dry_run;
  if (rules.empty()) return result;
  auto answer = Call("POST", RulesUrl(dry_run), DeleteBody(rules));
  if (!answer.ok()) return answer.status();
  ParsedBody parsed;
  if (absl::Status s = ParseObject(answer->body, "X API POST rules (delete)", &parsed); !s.ok()) return s;
  std::set<std::string> missing;
  std::vector<std::string> failures;
  for (const RuleProblem& p : Problems(parsed.root)) {
    if (ProblemKind(p.type) == "resource-not-found") {
      missing.insert(p.id.empty() ? p.value : p.id);
      continue;
    }
    failures.push_back(absl::StrCat(p.id.empty() ? p.value : p.id, ": ", p.reason));
  }
  if (!failures.empty()) {
    return absl::AbortedError(absl::StrCat("X did not delete stream rules: ", absl::StrJoin(failures, "; ")));
  }
  for (const ActiveRule& r : rules) {
    if (missing.count(r.id) == 0) result.deleted.push_back(r);
  }
  TS_LOG(INFO) << "stream rules" << (dry_run ? " (dry run)" : "") << ": " << result.deleted.size() << " deleted";
  return result;
}

absl::Status ValidateRules(const std::vector<StreamRule>& rules) {
  std::set<std::string> values;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (absl::StripAsciiWhitespace(rules[i].value).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("stream rule ", i + 1, " has an empty value"));
    }
    if (!values.insert(rules[i].value).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("stream rule ", Quote(rules[i].value), " is given twice (X refuses duplicate values)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StreamRule>> ParseRulesText(absl::string_view text, absl::string_view origin) {
  std::vector<StreamRule> rules;
  std::map<std::string, int> first_line;
  int number = 0;
  text = absl::StripPrefix(text, "\xEF\xBB\xBF");  // a UTF-8 byte-order mark some editors write
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripSuffix(line, "\r");
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (trimmed.front() == '#' && (trimmed.size() == 1 || absl::ascii_isspace(static_cast<unsigned char>(trimmed[1])))) {
      continue;  // "# comment"; "#hashtag ..." is a rule
    }
    const std::string where = absl::StrCat(origin, ":", number);
    std::vector<absl::string_view> parts = absl::StrSplit(line, '\t');
    if (parts.size() > 2) return absl::InvalidArgumentError(absl::StrCat(where, ": more than one TAB"));
    StreamRule rule{std::string(absl::StripAsciiWhitespace(parts[0])),
                    parts.size() == 2 ? std::string(absl::StripAsciiWhitespace(parts[1])) : std::string()};
    if (rule.value.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": empty rule value"));
    auto [it, inserted] = first_line.emplace(rule.value, number);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": rule ", Quote(rule.value), " already given on line ", it->second));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

absl::StatusOr<std::vector<StreamRule>> LoadRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the rules file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return ParseRulesText(text.str(), path);
}

}  // namespace tweetstream::source
