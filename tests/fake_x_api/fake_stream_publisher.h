#pragma once
// The world behind a filtered stream, for tests: tweets "published" at a time on the test's clock and
// matched by one rule. Every published tweet goes into the recent-search index (X indexes everything,
// connected or not); the test decides which of them a stream connection sends (what was published
// while no connection was open, or while the reader was cut off, is only in the index: recovering it is
// the source's job). Ids are snowflakes of the publication time, so ids and times agree as on X.
// Thread-safety: every method may be called from any thread (the server's handlers included).

#include <set>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/fake_x_api/fake_search_index.h"

namespace tweetstream::testing {

class FakeStreamPublisher {
 public:
  // `rule_id` and `rule_tag` as X stores the rule (the tag with the source's "<name>:" prefix).
  FakeStreamPublisher(FakeSearchIndex* index, std::string rule_id, std::string rule_tag);

  // Publishes a tweet created at `t` (into the index); returns its stream line, "\r\n" included.
  std::string Publish(absl::Time t, const std::string& text, std::string* id = nullptr);

  // Every id published so far.
  std::set<std::string> Published() const;

  // The user every tweet is by (also in the index, for includes.users).
  static constexpr char kAuthorId[] = "42";

 private:
  FakeSearchIndex* index_;
  const std::string rule_id_, rule_tag_;
  mutable absl::Mutex mu_;
  int sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> published_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tweetstream::testing
