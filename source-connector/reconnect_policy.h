#pragma once
// When to (re)connect the filtered stream: the backoff X documents for streaming clients, plus the
// cap of connection attempts per 15-minute window (X_API-V2.md §6, §5.2).
//
//   kNetwork      a TCP/IP-level failure (refused, reset, stalled, cut): linear, +250 ms per
//                 consecutive failure, at most 16 s
//   kHttp         an HTTP error worth retrying (5xx, 409, an in-stream error object): exponential,
//                 5 s doubling, at most 320 s
//   kRateLimited  HTTP 429 (rate limit, too many connections): exponential, 60 s doubling, at most
//                 960 s. X documents no cap ("each 429 increases the wait"); 960 s = 16 min is one
//                 full 15-minute rate-limit window plus a minute: after that the window has surely
//                 reset, so waiting longer would only lose more data, never avoid another 429.
//
// A healthy connection resets every backoff: one that delivered a message, or stayed up
// `healthy_after` (30 s). When a healthy connection drops, the next attempt is immediate (X: "reconnect
// immediately after an established connection drops"). A connection that answered 200 and dropped
// at once is not healthy, so a server that accepts and hangs up cannot drive a tight loop.
//
// Independently of the backoff, at most `max_attempts_per_window` attempts start within any
// `window` (sliding): the attempt after that waits until the oldest one leaves the window.
//
// Thread-safety: none; one policy belongs to one stream loop (XStream copies what it reports).
// Time comes from the injected Clock, so tests drive it with common::FakeClock.

#include <deque>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace tweetstream::source {

enum class FailureKind { kNetwork, kHttp, kRateLimited };

// "network", "http", "rate-limited" (for logs and status).
const char* FailureKindName(FailureKind kind);

struct ReconnectPolicyOptions {
  // Network failures: the n-th consecutive one waits n * network_step, at most network_max.
  absl::Duration network_step = absl::Milliseconds(250);
  absl::Duration network_max = absl::Seconds(16);
  // HTTP errors: http_initial, doubling, at most http_max.
  absl::Duration http_initial = absl::Seconds(5);
  absl::Duration http_max = absl::Seconds(320);
  // 429s: rate_limit_initial, doubling, at most rate_limit_max (see the header comment for 960 s).
  absl::Duration rate_limit_initial = absl::Seconds(60);
  absl::Duration rate_limit_max = absl::Seconds(960);
  // A connection that stayed up this long (or delivered a message) was healthy: backoff resets.
  absl::Duration healthy_after = absl::Seconds(30);
  // X allows 50 connection attempts per 15 minutes per app on GET /2/tweets/search/stream.
  int max_attempts_per_window = 50;
  absl::Duration window = absl::Minutes(15);

  // INVALID_ARGUMENT naming the field when a duration is not positive or a maximum is below its start.
  absl::Status Validate() const;
};

class ReconnectPolicy {
 public:
  // `clock` must outlive the policy. `options` should have passed Validate().
  explicit ReconnectPolicy(common::Clock* clock, ReconnectPolicyOptions options = {});

  // The earliest time the next attempt may start: the end of the current backoff, and, when the
  // window already holds max_attempts_per_window attempts, the moment the oldest leaves it.
  // Now() or earlier means "at once".
  absl::Time NextAttemptTime();

  // Call when an attempt starts (after waiting for NextAttemptTime()): counts it in the window.
  void OnAttempt();
  // The attempt answered 2xx: the stream is up.
  void OnConnected();
  // A complete message arrived on the live connection: it is healthy.
  void OnMessage();

  // The attempt failed, or the live connection ended, for this reason. Resets the backoff first
  // when the connection that just ended was healthy. Returns the backoff chosen (zero after a
  // healthy connection); NextAttemptTime() includes it and the window.
  absl::Duration OnFailure(FailureKind kind);

  // The backoff chosen by the last OnFailure() (zero before any, and after a reset).
  absl::Duration current_backoff() const { return current_backoff_; }
  // True when the last backoff hit its kind's maximum (X: alert when the maximum is reached).
  bool at_max_backoff() const { return at_max_; }
  // Attempts within the window ending now.
  int AttemptsInWindow();

 private:
  void Prune(absl::Time now);
  void Reset();

  common::Clock* clock_;
  ReconnectPolicyOptions options_;
  std::deque<absl::Time> attempts_;  // start times within the window, oldest first
  int network_failures_ = 0;
  int http_failures_ = 0;
  int rate_limit_failures_ = 0;
  bool connected_ = false;
  bool got_message_ = false;
  absl::Time connected_at_ = absl::InfinitePast();
  absl::Time backoff_until_ = absl::InfinitePast();
  absl::Duration current_backoff_ = absl::ZeroDuration();
  bool at_max_ = false;
};

}  // namespace tweetstream::source
