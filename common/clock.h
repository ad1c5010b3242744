#pragma once
// An injectable clock, so that waits measured in minutes (rate-limit windows, reconnect backoff) can
// be tested in microseconds: code that waits takes a Clock*, tests pass a FakeClock.
// Thread-safety: both implementations may be used from any thread.

#include <atomic>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tweetstream::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Sleeps until `deadline` or until `*stop` becomes true (checked at least every 50 ms in real
  // time). Returns false when woken by `stop`.
  virtual bool SleepUntil(absl::Time deadline, const std::atomic<bool>* stop) = 0;
  bool SleepFor(absl::Duration d, const std::atomic<bool>* stop) { return SleepUntil(Now() + d, stop); }

  // The process-wide real clock.
  static Clock* Real();
};

// A clock that only moves when told to, or when someone sleeps on it: SleepUntil() jumps the time
// forward to the deadline at once and records the sleep. Lets tests check "waited until the reset".
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  bool SleepUntil(absl::Time deadline, const std::atomic<bool>* stop) override {
    if (stop != nullptr && stop->load()) return false;
    absl::MutexLock lock(&mu_);
    if (deadline > now_) {
      sleeps_.push_back(deadline - now_);
      now_ = deadline;
    }
    return true;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // Every sleep so far (the durations asked for).
  std::vector<absl::Duration> Sleeps() {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tweetstream::common
