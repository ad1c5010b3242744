#include "common/clock.h"

namespace tweetstream::common {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool SleepUntil(absl::Time deadline, const std::atomic<bool>* stop) override {
    while (true) {
      if (stop != nullptr && stop->load()) return false;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return true;
      absl::SleepFor(std::min(left, absl::Milliseconds(50)));
    }
  }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* clock = new RealClock();
  return clock;
}

}  // namespace tweetstream::common
