#pragma once
// Recovery of what the filtered stream delivered while the source was not reading it (issue 12,
// point 5): a cut, an outage, a crash, a deploy, a Restart. On every (re)connect whose missing window
// (from the saved stream position to the connect) is longer than backfill_minutes covers, each rule's
// value is run as a recent-search query (X-API-V2.md §2.1, §6 "Recovery of missed data: longer: use
// recent search"): since_id = the position's id, paged through with next_token, newest first. Every
// page gets the rule as `matching_rules` [{id, tag}], the way the stream would have tagged its tweets.
// Duplicates (a tweet the stream also delivers, a tweet matching two rules) are fine: the sink's _id
// absorbs them.
//
// What cannot be recovered is reported as a Gap with its window, never skipped in silence:
//   * the part of the window older than recent search's 7 days (the search starts at the window's edge);
//   * a rule recent search cannot express (a stream-only operator such as sample: or bio:, or longer
//     than recent search's 512 characters), for the whole window;
//   * what X refused (400, 403, usage cap), did not answer (5xx or network errors, 5 attempts), or what
//     lies beyond max_pages pages (the oldest part of the window).
//
// Bounded and rate-limit aware: at most max_pages requests per rule; each request waits for the
// RateLimitGate (x-rate-limit-* and 429s, shared with nothing else: recent search has its own limit), a
// 429 at most 3 times per rule. The first request waits `delay` after the connect: recent search does
// not show its last ~30 s, and the stream covers everything from the connect on, so a search that runs
// at least that long after the connect leaves no sliver between the two.
//
// Threads: one (the caller's, SourceApp::RunStream's worker). Step() never sleeps: the caller keeps
// draining the stream in between and calls it again at NextStepAt().

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "source-connector/rate_limit_gate.h"
#include "source-connector/x_api_client.h"

namespace tweetstream::source {

// A rule as X stores it (the tag with the owner prefix): what the stream's matching_rules carry.
struct RecoveryRule {
  std::string id;
  std::string value;
  std::string tag;
};

struct StreamRecoveryOptions {
  // Wait this long after the connect before the first search (recent search hides its last ~30 s; a
  // minute leaves room for a clock ahead of X's).
  absl::Duration delay = absl::Seconds(60);
  // At most this many pages per rule and recovery (100 tweets each); the rest is reported as a gap.
  int max_pages = 100;
  int max_results = 100;  // 10..100
};

// Why `value` cannot be run as a recent-search query ("" when it can): a stream-only operator
// (outside quotes), or more than 512 characters (recent search's documented limit).
std::string SearchInexpressible(absl::string_view value);

// The search page `body` with `matching_rules` [{id, tag}] of `rule` added (replacing any), so that
// every tweet of it is mapped as the stream would have delivered it. INVALID_ARGUMENT when the body
// is not a JSON object.
absl::StatusOr<std::string> TagWithRule(absl::string_view body, const RecoveryRule& rule);

class StreamRecovery {
 public:
  struct Gap {
    std::string rule;  // "value" [tag], or "all rules"
    absl::Time from, to;
    std::string why;
  };
  // Maps and produces one tagged page; sets *tweets and *oldest_id (the page's oldest tweet).
  using PageSink = std::function<absl::Status(absl::string_view tagged_page, const RecoveryRule& rule,
                                              int64_t* tweets, std::string* oldest_id)>;

  // `client`, `gate` and `clock` must outlive this.
  StreamRecovery(XApiClient* client, RateLimitGate* gate, common::Clock* clock, StreamRecoveryOptions options)
      : client_(client), gate_(gate), clock_(clock), options_(options) {}

  // Plans the recovery of the window from the position (`floor_id`, may be ""; `floor_time`) to
  // `connected_at`, for `rules`; replaces one in progress (which then starts over from this floor).
  // Gaps known at once (the 7-day window, inexpressible rules) go to *gaps.
  void Start(const std::vector<RecoveryRule>& rules, const std::string& floor_id, absl::Time floor_time,
             absl::Time connected_at, std::vector<Gap>* gaps);
  bool active() const { return active_; }
  // When Step() has something to do (InfiniteFuture when inactive).
  absl::Time NextStepAt() const;
  // Sends at most one request, if due. Errors are the PageSink's (a producer failure): fatal. When the
  // last rule is done, *finished is set (and active() turns false).
  absl::Status Step(const PageSink& sink, std::vector<Gap>* gaps, bool* finished, int64_t* requests);

  std::string Describe() const;  // for logs: the window and the rule in progress

 private:
  struct RuleState {
    RecoveryRule rule;
    SearchRequest request;
    int pages = 0, failures = 0, rate_limited = 0;
    bool moved_into_window = false;
    std::string oldest_read;
  };
  void NextRule();
  void GiveUp(const std::string& why, absl::Time to, std::vector<Gap>* gaps);

  XApiClient* client_;
  RateLimitGate* gate_;
  common::Clock* clock_;
  const StreamRecoveryOptions options_;

  bool active_ = false;
  std::vector<RuleState> rules_;
  size_t current_ = 0;
  absl::Time from_ = absl::InfinitePast(), to_ = absl::InfinitePast();
  absl::Time due_ = absl::InfiniteFuture();
};

}  // namespace tweetstream::source
