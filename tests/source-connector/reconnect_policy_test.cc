// ReconnectPolicy: the backoff X documents for the filtered stream, and the 50-per-15-minute cap of
// connection attempts, on a fake clock.

#include "source-connector/reconnect_policy.h"

#include <vector>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tweetstream::source {
namespace {

using ::testing::ElementsAreArray;

std::vector<absl::Duration> Seconds(std::vector<double> seconds) {
  std::vector<absl::Duration> out;
  for (double s : seconds) out.push_back(absl::Seconds(s));
  return out;
}

// `n` failed attempts of one kind, each right after the previous backoff; the backoffs chosen.
std::vector<absl::Duration> Fail(ReconnectPolicy& policy, common::FakeClock& clock, FailureKind kind, int n) {
  std::vector<absl::Duration> delays;
  for (int i = 0; i < n; ++i) {
    clock.SleepUntil(policy.NextAttemptTime(), nullptr);
    policy.OnAttempt();
    delays.push_back(policy.OnFailure(kind));
  }
  return delays;
}

ReconnectPolicyOptions NoWindow() {
  ReconnectPolicyOptions options;
  options.max_attempts_per_window = 1000000;  // the cap is tested on its own below
  return options;
}

TEST(ReconnectPolicyTest, NetworkErrorsBackOffLinearlyBy250msUpTo16s) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  std::vector<absl::Duration> expected;
  for (int i = 1; i <= 64; ++i) expected.push_back(absl::Milliseconds(250 * i));
  expected.push_back(absl::Seconds(16));
  expected.push_back(absl::Seconds(16));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kNetwork, 66), ElementsAreArray(expected));
  EXPECT_TRUE(policy.at_max_backoff());
  // The clock slept exactly those backoffs (the first attempt started at once).
  std::vector<absl::Duration> slept(expected.begin(), expected.end() - 1);
  EXPECT_THAT(clock.Sleeps(), ElementsAreArray(slept));
}

TEST(ReconnectPolicyTest, HttpErrorsBackOffExponentiallyFrom5sUpTo320s) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  EXPECT_THAT(Fail(policy, clock, FailureKind::kHttp, 9),
              ElementsAreArray(Seconds({5, 10, 20, 40, 80, 160, 320, 320, 320})));
  EXPECT_TRUE(policy.at_max_backoff());
}

TEST(ReconnectPolicyTest, RateLimitBacksOffExponentiallyFrom60sCappedAt960s) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  EXPECT_THAT(Fail(policy, clock, FailureKind::kRateLimited, 7),
              ElementsAreArray(Seconds({60, 120, 240, 480, 960, 960, 960})));
}

TEST(ReconnectPolicyTest, KindsCountTheirOwnConsecutiveFailures) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  EXPECT_THAT(Fail(policy, clock, FailureKind::kNetwork, 2), ElementsAreArray(Seconds({0.25, 0.5})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kHttp, 2), ElementsAreArray(Seconds({5, 10})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kNetwork, 1), ElementsAreArray(Seconds({0.75})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kRateLimited, 1), ElementsAreArray(Seconds({60})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kHttp, 1), ElementsAreArray(Seconds({20})));
}

TEST(ReconnectPolicyTest, AConnectionThatDeliveredAMessageResetsTheBackoffAndReconnectsAtOnce) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  Fail(policy, clock, FailureKind::kHttp, 3);
  Fail(policy, clock, FailureKind::kNetwork, 3);
  Fail(policy, clock, FailureKind::kRateLimited, 2);
  clock.SleepUntil(policy.NextAttemptTime(), nullptr);
  policy.OnAttempt();
  policy.OnConnected();
  policy.OnMessage();
  EXPECT_EQ(policy.OnFailure(FailureKind::kNetwork), absl::ZeroDuration());  // the drop: immediate
  EXPECT_LE(policy.NextAttemptTime(), clock.Now());
  EXPECT_EQ(policy.current_backoff(), absl::ZeroDuration());
  // Every kind starts again from its first step.
  EXPECT_THAT(Fail(policy, clock, FailureKind::kHttp, 1), ElementsAreArray(Seconds({5})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kNetwork, 1), ElementsAreArray(Seconds({0.25})));
  EXPECT_THAT(Fail(policy, clock, FailureKind::kRateLimited, 1), ElementsAreArray(Seconds({60})));
}

TEST(ReconnectPolicyTest, AConnectionUpFor30sIsHealthyEvenWithoutMessages) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  Fail(policy, clock, FailureKind::kHttp, 2);  // 5 s, 10 s
  clock.SleepUntil(policy.NextAttemptTime(), nullptr);
  policy.OnAttempt();
  policy.OnConnected();
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(policy.OnFailure(FailureKind::kNetwork), absl::ZeroDuration());
  EXPECT_THAT(Fail(policy, clock, FailureKind::kHttp, 1), ElementsAreArray(Seconds({5})));
}

TEST(ReconnectPolicyTest, A200ThatDropsAtOnceIsNotHealthy) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock, NoWindow());
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 4; ++i) {
    clock.SleepUntil(policy.NextAttemptTime(), nullptr);
    policy.OnAttempt();
    policy.OnConnected();          // answered 200 ...
    clock.Advance(absl::Seconds(29));  // ... and dropped before 30 s, without a message
    delays.push_back(policy.OnFailure(FailureKind::kNetwork));
  }
  EXPECT_THAT(delays, ElementsAreArray(Seconds({0.25, 0.5, 0.75, 1})));
}

TEST(ReconnectPolicyTest, AtMost50AttemptsStartInAnySliding15MinuteWindow) {
  common::FakeClock clock;
  ReconnectPolicy policy(&clock);  // defaults: 50 per 15 min
  const absl::Time t0 = clock.Now();
  // 50 attempts, one per second, each a healthy connection (no backoff at all).
  for (int i = 0; i < 50; ++i) {
    ASSERT_LE(policy.NextAttemptTime(), clock.Now()) << "attempt " << i;
    policy.OnAttempt();
    policy.OnConnected();
    policy.OnMessage();
    EXPECT_EQ(policy.OnFailure(FailureKind::kNetwork), absl::ZeroDuration());
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(policy.AttemptsInWindow(), 50);
  // The 51st waits until the first leaves the window; the 52nd until the second does.
  EXPECT_EQ(policy.NextAttemptTime(), t0 + absl::Minutes(15));
  clock.SleepUntil(policy.NextAttemptTime(), nullptr);
  policy.OnAttempt();
  policy.OnConnected();
  policy.OnMessage();
  policy.OnFailure(FailureKind::kNetwork);
  EXPECT_EQ(policy.AttemptsInWindow(), 50);
  EXPECT_EQ(policy.NextAttemptTime(), t0 + absl::Seconds(1) + absl::Minutes(15));
  // After a quiet quarter hour the window is empty again.
  clock.Advance(absl::Minutes(16));
  EXPECT_EQ(policy.AttemptsInWindow(), 0);
  EXPECT_LE(policy.NextAttemptTime(), clock.Now());
}

TEST(ReconnectPolicyTest, TheWindowAndTheBackoffBothApply) {
  common::FakeClock clock;
  ReconnectPolicyOptions options;
  options.max_attempts_per_window = 2;
  ReconnectPolicy policy(&clock, options);
  const absl::Time t0 = clock.Now();
  policy.OnAttempt();
  EXPECT_EQ(policy.OnFailure(FailureKind::kHttp), absl::Seconds(5));
  EXPECT_EQ(policy.NextAttemptTime(), t0 + absl::Seconds(5));  // backoff later than the window
  clock.SleepUntil(policy.NextAttemptTime(), nullptr);
  policy.OnAttempt();
  EXPECT_EQ(policy.OnFailure(FailureKind::kHttp), absl::Seconds(10));
  EXPECT_EQ(policy.NextAttemptTime(), t0 + absl::Minutes(15));  // window later than the backoff
}

TEST(ReconnectPolicyTest, ValidateRejectsNonsense) {
  EXPECT_TRUE(ReconnectPolicyOptions{}.Validate().ok());
  ReconnectPolicyOptions o;
  o.max_attempts_per_window = 0;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.http_max = absl::Seconds(1);
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.network_step = absl::ZeroDuration();
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tweetstream::source
