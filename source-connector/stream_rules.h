#pragma once
// The filtered stream's rules: list them, bring this source's own rules in line with the
// configuration, load them from a file (X-API-V2.md §2.3).
//
// Ownership. All the rules of an X project (one bearer token) feed the one stream connection, and
// other apps, other tweet-source instances and operators (AddRules, X's console) add rules there
// too. A source owns exactly the rules whose tag starts with its owner prefix "<name>:" (--name):
// a configured rule {value, tag} is stored on X as {value, "<name>:<tag>"} ("<name>:" alone for a
// rule without a tag). SyncRules adds, keeps and deletes only those; every other rule is *foreign*
// and left alone (listed in the result, counted in the status). The tag X stores, prefix included,
// is what every streamed tweet carries in matching_rules and what the records keep: with several
// sources on one token each record says whose rule matched it.
//
// Migration (rules made before the prefix existed, or by someone else): a foreign rule whose value
// equals a configured rule is *shared*: it is kept as it is and satisfies that configured rule (X
// refuses a second rule with the same value, and deleting it to re-add it under the prefix could
// take away another app's rule). It is never deleted by the sync, also not once the value leaves
// the configuration; delete it by hand (tweetctl rules delete) and restart to let the source own it.
//
// SyncRules(desired) leaves the rules that are already right alone, so a restart does not touch the
// live stream's matching. An owned rule whose value matches but whose tag differs is re-tagged
// (deleted and added again: X cannot edit tags).
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
//   DATA_LOSS           re-adding a re-tagged rule failed after its old version was deleted (only if
//                       the rules changed between validation and apply): the message lists them
// Thread-safety: one client per thread (it uses one HttpClient).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
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

// Rules as X stores them (tags with the owner prefix) in every list.
struct RulesSyncResult {
  bool dry_run = false;
  // Added (dry run: would be added). `id` is X's new id; empty on a dry run.
  std::vector<ActiveRule> added;
  // Deleted (dry run: would be deleted), with their old ids. Only ever owned rules.
  std::vector<ActiveRule> deleted;
  // Owned, already present with the same value and tag: untouched.
  std::vector<ActiveRule> kept;
  // Foreign rules whose value is configured: kept as they are, and they satisfy that rule.
  std::vector<ActiveRule> shared;
  // Every other foreign rule: not this source's, left alone.
  std::vector<ActiveRule> foreign;
};

class StreamRulesClient {
 public:
  // `http` must outlive the client. Uses options.base_url, bearer_token and timeout. `owner` is the
  // source's --name: the rules whose tag starts with OwnerPrefix(owner) are its own.
  StreamRulesClient(common::HttpClient* http, XApiOptions options, std::string owner)
      : http_(http), options_(std::move(options)), prefix_(OwnerPrefix(owner)) {}

  // "<owner>:", the tag prefix of the rules a source owns.
  static std::string OwnerPrefix(absl::string_view owner) { return std::string(owner) + ":"; }
  // The tag X stores for a configured rule's tag.
  std::string OwnedTag(absl::string_view tag) const { return prefix_ + std::string(tag); }
  // Whether a rule is this source's own (its tag starts with the owner prefix).
  bool Owns(const ActiveRule& rule) const { return absl::StartsWith(rule.rule.tag, prefix_); }

  // GET /2/tweets/search/stream/rules, following meta.next_token. No `data` = no rules.
  absl::StatusOr<std::vector<ActiveRule>> ListRules();

  // Makes the source's own rules exactly `desired` (user tags, without the prefix; non-empty: an
  // empty list is refused, since a stream without rules matches nothing: to keep the rules as they
  // are, do not call SyncRules). Foreign rules are never touched (see the top of this file).
  //
  // Requests, in this order (each only when there is something to send):
  //   1. GET the rules (ListRules)
  //   2. POST ?dry_run=true {"add":[...]}: X validates every rule to add without applying anything.
  //      Any rejection -> INVALID_ARGUMENT listing each rejected value with X's reason, and nothing
  //      else is sent: the live rules stay as they were. (A duplicate-rules answer for a re-tagged
  //      value, deleted in step 4, is expected and ignored.)
  //   3. POST {"add":[...]}              the new values (skipped when dry_run: step 2 was its dry run)
  //   4. POST {"delete":{"ids":[...]}}   stale owned rules and the old versions of re-tagged ones
  //                                      (with ?dry_run=true when dry_run)
  //   5. POST {"add":[...]}              the re-tagged rules (skipped when dry_run)
  // Add before delete: the stream never matches less than both the old and the new configuration
  // while a sync runs. Only a re-tagged value is briefly absent (X frees a value only by deleting).
  absl::StatusOr<RulesSyncResult> SyncRules(const std::vector<StreamRule>& desired, bool dry_run);

  // Adds `rules` as they are (the control plane's AddRules): tags are not prefixed, so these rules
  // are foreign to every source's sync and survive restarts. INVALID_ARGUMENT, with nothing sent, for
  // a tag that starts with the owner prefix (it belongs to the configured rules); INVALID_ARGUMENT
  // listing X's reason for each rejected rule, and then nothing is added. `added` holds X's new ids
  // (empty on a dry run).
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
  std::string prefix_;  // OwnerPrefix(owner)
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
