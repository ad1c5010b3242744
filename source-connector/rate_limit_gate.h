#pragma once
// Respects the X API's rate limits to the letter: after every response, the x-rate-limit-* headers
// say how many requests the window still allows; once `remaining` is 0, no request goes out before
// `reset`. On a 429 the gate waits until the reset the headers name, or, without headers, backs off
// exponentially from 60 s (doubling, capped at 15 min, the window's length). Successful answers reset
// the backoff. Uses an injectable clock so tests can check every wait without waiting.
// Clock skew: x-rate-limit-reset is an epoch second on X's clock. Each answer's `Date` header (X's
// clock when it answered) gives the local clock's offset from X's, and the reset is moved by it
// before it is compared with the local time; without any Date header so far the offset is zero.
// Thread-safety: one thread.

#include <atomic>
#include <optional>

#include "absl/time/time.h"
#include "common/clock.h"
#include "source-connector/x_api_client.h"

namespace tweetstream::source {

class RateLimitGate {
 public:
  explicit RateLimitGate(common::Clock* clock) : clock_(clock) {}

  // Records an answer's headers and HTTP status.
  void Update(const RateLimit& limit, int http_status);
  // When the next request may go out (now when unrestricted).
  absl::Time NextAllowed() const { return next_allowed_; }
  // Sleeps until NextAllowed(); false when `stop` became true first.
  bool Wait(const std::atomic<bool>* stop);

  // The last headers seen (for status).
  const RateLimit& last() const { return last_; }
  // How far the local clock is ahead of X's (negative: behind), from the last `Date` header seen;
  // zero before any.
  absl::Duration skew() const { return skew_; }

 private:
  common::Clock* clock_;
  absl::Time next_allowed_ = absl::InfinitePast();
  absl::Duration backoff_ = absl::ZeroDuration();
  RateLimit last_;
  absl::Duration skew_ = absl::ZeroDuration();
};

}  // namespace tweetstream::source
