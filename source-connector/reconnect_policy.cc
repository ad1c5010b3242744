#include "source-connector/reconnect_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tweetstream::source {
namespace {

// initial * 2^(n-1), at most max, without overflowing for large n.
absl::Duration Exponential(absl::Duration initial, absl::Duration max, int n) {
  absl::Duration d = initial;
  for (int i = 1; i < n && d < max; ++i) d *= 2;
  return std::min(d, max);
}

}  // namespace

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kNetwork:
      return "network";
    case FailureKind::kHttp:
      return "http";
    case FailureKind::kRateLimited:
      return "rate-limited";
  }
  return "unknown";
}

absl::Status ReconnectPolicyOptions::Validate() const {
  auto positive = [](absl::Duration d, const char* name) -> absl::Status {
    if (d <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("reconnect policy: ", name, " must be positive"));
    }
    return absl::OkStatus();
  };
  for (const auto& [d, name] : {std::pair{network_step, "network_step"}, {network_max, "network_max"},
                                {http_initial, "http_initial"}, {http_max, "http_max"},
                                {rate_limit_initial, "rate_limit_initial"}, {rate_limit_max, "rate_limit_max"},
                                {healthy_after, "healthy_after"}, {window, "window"}}) {
    if (absl::Status s = positive(d, name); !s.ok()) return s;
  }
  if (network_max < network_step) return absl::InvalidArgumentError("reconnect policy: network_max < network_step");
  if (http_max < http_initial) return absl::InvalidArgumentError("reconnect policy: http_max < http_initial");
  if (rate_limit_max < rate_limit_initial) {
    return absl::InvalidArgumentError("reconnect policy: rate_limit_max < rate_limit_initial");
  }
  if (max_attempts_per_window < 1) {
    return absl::InvalidArgumentError("reconnect policy: max_attempts_per_window must be at least 1");
  }
  return absl::OkStatus();
}

ReconnectPolicy::ReconnectPolicy(common::Clock* clock, ReconnectPolicyOptions options)
    : clock_(clock), options_(options) {}

void ReconnectPolicy::Prune(absl::Time now) {
  while (!attempts_.empty() && attempts_.front() <= now - options_.window) attempts_.pop_front();
}

int ReconnectPolicy::AttemptsInWindow() {
  Prune(clock_->Now());
  return static_cast<int>(attempts_.size());
}

absl::Time ReconnectPolicy::NextAttemptTime() {
  const absl::Time now = clock_->Now();
  Prune(now);
  absl::Time next = backoff_until_;
  if (static_cast<int>(attempts_.size()) >= options_.max_attempts_per_window) {
    // The attempt that would exceed the cap waits until enough of the oldest leave the window.
    const size_t over = attempts_.size() - static_cast<size_t>(options_.max_attempts_per_window);
    next = std::max(next, attempts_[over] + options_.window);
  }
  return next;
}

void ReconnectPolicy::OnAttempt() {
  const absl::Time now = clock_->Now();
  Prune(now);
  attempts_.push_back(now);
  connected_ = false;
  got_message_ = false;
}

void ReconnectPolicy::OnConnected() {
  connected_ = true;
  connected_at_ = clock_->Now();
}

void ReconnectPolicy::OnMessage() { got_message_ = true; }

void ReconnectPolicy::Reset() {
  network_failures_ = 0;
  http_failures_ = 0;
  rate_limit_failures_ = 0;
  current_backoff_ = absl::ZeroDuration();
  at_max_ = false;
}

absl::Duration ReconnectPolicy::OnFailure(FailureKind kind) {
  const absl::Time now = clock_->Now();
  const bool healthy = connected_ && (got_message_ || now - connected_at_ >= options_.healthy_after);
  connected_ = false;
  got_message_ = false;
  if (healthy) {
    // An established connection dropped: reconnect at once, with every backoff reset.
    Reset();
    backoff_until_ = now;
    return current_backoff_;
  }
  absl::Duration delay;
  switch (kind) {
    case FailureKind::kNetwork:
      ++network_failures_;
      delay = std::min(options_.network_step * network_failures_, options_.network_max);
      at_max_ = delay >= options_.network_max;
      break;
    case FailureKind::kHttp:
      ++http_failures_;
      delay = Exponential(options_.http_initial, options_.http_max, http_failures_);
      at_max_ = delay >= options_.http_max;
      break;
    case FailureKind::kRateLimited:
      ++rate_limit_failures_;
      delay = Exponential(options_.rate_limit_initial, options_.rate_limit_max, rate_limit_failures_);
      at_max_ = delay >= options_.rate_limit_max;
      break;
  }
  current_backoff_ = delay;
  backoff_until_ = now + delay;
  return delay;
}

}  // namespace tweetstream::source
