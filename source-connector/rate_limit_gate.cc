#include "source-connector/rate_limit_gate.h"

#include <algorithm>

#include "common/logging.h"
#include "common/rfc3339.h"

namespace tweetstream::source {

void RateLimitGate::Update(const RateLimit& limit, int http_status) {
  if (limit.limit || limit.remaining || limit.reset_epoch_seconds) last_ = limit;
  const absl::Time now = clock_->Now();
  // x-rate-limit-reset is a second on X's clock. The answer's Date header is X's clock too: the
  // difference between our clock and it (the skew) turns the reset into our time. It also holds the
  // answer's travel time and Date's truncation to the second, which only lengthen the wait a little
  // (the safe side). The last skew seen stays in use for answers without a Date header.
  if (limit.server_date) {
    const absl::Duration skew = now - *limit.server_date;
    if (absl::AbsDuration(skew - skew_) > absl::Seconds(5) && absl::AbsDuration(skew) > absl::Seconds(5)) {
      TS_LOG(WARNING) << "the local clock is " << absl::FormatDuration(absl::AbsDuration(skew))
                      << (skew > absl::ZeroDuration() ? " ahead of" : " behind")
                      << " the X API's (its Date header); rate-limit resets are read on X's clock";
    }
    skew_ = skew;
  }
  // One second of margin: the reset is given in whole seconds.
  const std::optional<absl::Time> reset =
      limit.reset_epoch_seconds
          ? std::optional<absl::Time>(absl::FromUnixSeconds(*limit.reset_epoch_seconds + 1) + skew_)
          : std::nullopt;
  if (http_status == 429) {
    if (reset && *reset > now) {
      next_allowed_ = *reset;
    } else {
      backoff_ = backoff_ == absl::ZeroDuration() ? absl::Seconds(60) : std::min(backoff_ * 2, absl::Minutes(15));
      next_allowed_ = now + backoff_;
    }
    TS_LOG(WARNING) << "rate limited (429): next request at "
                    << common::Rfc3339Seconds(next_allowed_);
    return;
  }
  if (http_status >= 200 && http_status < 300) backoff_ = absl::ZeroDuration();
  if (limit.remaining && *limit.remaining <= 0 && reset && *reset > now) {
    next_allowed_ = *reset;
    TS_LOG(INFO) << "rate-limit window used up; next request at "
                 << common::Rfc3339Seconds(next_allowed_);
  } else {
    next_allowed_ = absl::InfinitePast();
  }
}

bool RateLimitGate::Wait(const std::atomic<bool>* stop) {
  if (next_allowed_ <= clock_->Now()) return !(stop && stop->load());
  return clock_->SleepUntil(next_allowed_, stop);
}

}  // namespace tweetstream::source
