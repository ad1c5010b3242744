#pragma once
// A DataPlane that runs until RequestStop() and fills nothing: what a control service test needs to
// put a ConnectorHost in RUNNING (Start) or STOPPED (Start, then Stop).

#include "absl/synchronization/mutex.h"
#include "common/control/connector_host.h"

namespace tweetstream::testing {

class IdleDataPlane : public control::DataPlane {
 public:
  absl::Status Run() override {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&stop_));
    return absl::OkStatus();
  }
  void RequestStop() override {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  void SetPaused(bool) override {}
  void FillStatus(control::v1::ConnectorStatus*) override {}

 private:
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tweetstream::testing
