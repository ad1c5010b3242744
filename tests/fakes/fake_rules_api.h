#pragma once
// An in-memory RulesApi (the X stream-rules calls SourceControlService makes), for unit tests: the
// rules X holds, the calls made, and an error every call answers with (e.g. XHttpError(429, ...)).

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "source-connector/source_control.h"

namespace tweetstream::testing {

class FakeRulesApi : public source::RulesApi {
 public:
  struct Shared {
    std::vector<source::ActiveRule> rules;
    std::vector<std::string> calls;  // "List", "Add dry_run=0", "Delete dry_run=1"
    absl::Status error;              // non-OK: every call fails with it
    std::string prefix = "tweet-source:";
    int next_id = 100;
  };
  explicit FakeRulesApi(Shared* shared) : shared_(shared) {}

  absl::StatusOr<std::vector<source::ActiveRule>> ListRules() override {
    shared_->calls.push_back("List");
    if (!shared_->error.ok()) return shared_->error;
    return shared_->rules;
  }
  absl::StatusOr<source::RulesSyncResult> AddRules(const std::vector<source::StreamRule>& rules, bool dry_run) override {
    shared_->calls.push_back(absl::StrCat("Add dry_run=", dry_run));
    if (!shared_->error.ok()) return shared_->error;
    source::RulesSyncResult result;
    result.dry_run = dry_run;
    for (const auto& r : rules) {
      source::ActiveRule added{dry_run ? "" : std::to_string(shared_->next_id++), r};
      if (!dry_run) shared_->rules.push_back(added);
      result.added.push_back(added);
    }
    return result;
  }
  absl::StatusOr<source::RulesSyncResult> DeleteRules(const std::vector<source::ActiveRule>& rules,
                                                      bool dry_run) override {
    shared_->calls.push_back(absl::StrCat("Delete dry_run=", dry_run));
    if (!shared_->error.ok()) return shared_->error;
    source::RulesSyncResult result;
    result.dry_run = dry_run;
    for (const auto& doomed : rules) {
      for (auto it = shared_->rules.begin(); it != shared_->rules.end(); ++it) {
        if (it->id != doomed.id) continue;
        result.deleted.push_back(*it);
        if (!dry_run) shared_->rules.erase(it);
        break;
      }
    }
    return result;
  }
  bool Owns(const source::ActiveRule& rule) const override { return absl::StartsWith(rule.rule.tag, shared_->prefix); }

 private:
  Shared* shared_;
};

}  // namespace tweetstream::testing
