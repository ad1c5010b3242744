#pragma once
// The filtered stream's rules: list them, bring them in line with the configuration, load them from
// a file (X-API-V2.md §2.3).
//
// SyncRules(desired) leaves the rules that are already right alone, so a restart does not touch
// the live stream's matching. A rule is identified by (value, tag): a rule whose value matches but
// whose tag differs is deleted and added again (X cannot edit tags).
//
// Status codes (what the caller should do):
//   INVALID_ARGUMENT    a desired rule was rejected by X (each value with X's reason: invalid-rules,
//                       duplicate-rules, rule-cap) or by local checks (empty value, a value twice);
//                       nothing was changed. Also HTTP 400. Fix the configuration; do not retry.
//   UNAUTHENTICATED     401: the bearer token (X_BEARER_TOKEN) was rejected
//   PERMISSION_DENIED   403: rules are not in this app's access level
//   RESOURCE_EXHAUSTED  429: rate limit (100 POSTs / 450 GETs per 15 min) or the usage cap
//   UNAVAILABLE, DEADLINE_EXCEEDED   5xx / network: retry later
//   ABORTED             X did not delete some rules (changed concurrently?): run the sync again
//   DATA_LOSS           the add failed after the stale rules were deleted (only if the rules changed
//                       between validation and apply): the message lists what was deleted
// Thread-safety: one client per thread (it uses one HttpClient).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/http_client.h"
#include "source-connector/x_api_client.h"

namespace tweetstream::source {

struct StreamRule {
  std::string value;  // X's rule syntax, e.g. "cat has:images lang:en"
  std::string tag;    // opaque label echoed in matching_rules; empty = none
  bool operator==(const StreamRule& other) const { return value == other.value && tag == other.tag; }
};

// A rule as X stores it.
struct ActiveRule {
  std::string id;  // X's rule id (decimal string)
  StreamRule rule;
};

struct RulesSyncResult {
  bool dry_run = false;
  // Added (dry run: would be added). `id` is X's new id; empty on a dry run.
  std::vector<ActiveRule> added;
  // Deleted (dry run: would be deleted), with their old ids.
  std::vector<ActiveRule> deleted;
  // Already present with the same value and tag: untouched.
  std::vector<ActiveRule> kept;
};

class StreamRulesClient {
 public:
  // `http` must outlive the client. Uses options.base_url, bearer_token and timeout.
  StreamRulesClient(common::HttpClient* http, XApiOptions options) : http_(http), options_(std::move(options)) {}

  // GET /2/tweets/search/stream/rules, following meta.next_token. No `data` = no rules.
  absl::StatusOr<std::vector<ActiveRule>> ListRules();

  // Makes the active rules exactly `desired` (non-empty; an empty list is refused, since a stream
  // without rules matches nothing: to keep the rules as they are, do not call SyncRules).
  //
  // Requests, in this order (each only when there is something to send):
  //   1. GET the rules (ListRules)
  //   2. POST ?dry_run=true {"add":[...]}: X validates the new rules without applying anything. Any
  //      rejection -> INVALID_ARGUMENT listing each rejected value with X's reason, and nothing else
  //      is sent: the live rules stay as they were. (A duplicate-rules answer for a value that step
  //      3 deletes, i.e. a re-tagged rule, is expected and ignored.)
  //   3. POST {"delete":{"ids":[...]}}   (with ?dry_run=true when dry_run)
  //   4. POST {"add":[...]}              (skipped when dry_run: step 2 already was that dry run)
  // Delete comes before add so that a re-tagged value is free when it is added again.
  absl::StatusOr<RulesSyncResult> SyncRules(const std::vector<StreamRule>& desired, bool dry_run);

  // Adds `rules` as they are (the control plane's AddRules): INVALID_ARGUMENT listing X's reason for
  // each rejected rule, and then nothing is added. `added` holds X's new ids (empty on a dry run).
  absl::StatusOr<RulesSyncResult> AddRules(const std::vector<StreamRule>& rules, bool dry_run);
  // Deletes the rules with these ids (the control plane's DeleteRules); ids X does not know are
  // skipped. `deleted` holds what was (dry run: would be) deleted.
  absl::StatusOr<RulesSyncResult> DeleteRules(const std::vector<ActiveRule>& rules, bool dry_run);

  std::string RulesUrl(bool dry_run) const;

 private:
  absl::StatusOr<common::HttpResponse> Call(const std::string& method, const std::string& url,
                                            const std::string& body);
  common::HttpClient* http_;
  XApiOptions options_;
};

// INVALID_ARGUMENT when a rule has an empty value or a value appears twice (X refuses duplicates).
absl::Status ValidateRules(const std::vector<StreamRule>& rules);

// The rules-file format, one rule per line:
//   value                 a rule without a tag
//   value<TAB>tag         a rule with a tag (the first TAB separates them; value and tag are trimmed)
//   # comment             a line whose first non-blank character is '#' followed by a blank or the
//                         end of the line. "#brexit lang:en" is a RULE (X's hashtag operator), not a
//                         comment: a comment needs the blank after '#'.
//   (blank lines are ignored; CRLF line ends and a leading byte-order mark are accepted; UTF-8)
// INVALID_ARGUMENT naming `origin` and the line for an empty value, a second TAB, or a value given
// twice; the result passes ValidateRules() unless it is empty.
absl::StatusOr<std::vector<StreamRule>> ParseRulesText(absl::string_view text, absl::string_view origin);
// Reads and parses a rules file; NOT_FOUND when it cannot be read.
absl::StatusOr<std::vector<StreamRule>> LoadRulesFile(const std::string& path);

}  // namespace tweetstream::source
