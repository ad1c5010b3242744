// The control plane both connectors share (issue 5), without sockets:
//  - ConnectorHost over a scripted fake DataPlane: Pause/Resume/Stop/Restart and their preconditions,
//    factory errors, the data plane ending by itself (Finished), counters and the ring of last errors
//    across restarts, the last plane's detail while STOPPED, generation/WaitForChange, state listeners;
//  - FlagConfig over absl flags defined in this file: Get (sorted, secrets redacted), Validate (type
//    errors, the binary's check, dashes, unknown / startup-only / secret settings) and Apply (whole or
//    nothing).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/control/connector_host.h"
#include "common/control/flag_config.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

// The settings of a pretend binary: FlagConfig sees the flags its table (below) names.
ABSL_FLAG(int32_t, batch_max_records, 500, "Records per bulk request.");
ABSL_FLAG(int32_t, linger_ms, 100, "How long a batch waits for more records.");
ABSL_FLAG(int32_t, flush_timeout_ms, 1000, "How long a flush may take.");
ABSL_FLAG(std::string, topic, "tweets", "The Kafka topic.");
ABSL_FLAG(std::string, control_addr, "127.0.0.1:50051", "The control plane's address (startup only).");
// A flag of the same process that is not in the table (e.g. another library's): never a setting.
ABSL_FLAG(int32_t, not_a_setting, 7, "A flag no table names.");

namespace tweetstream::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------------
// A scripted data plane. Its script outlives it, so a test can see that it was stopped and destroyed.
struct PlaneScript {
  absl::Mutex mu;
  bool running ABSL_GUARDED_BY(mu) = false;
  bool stop_requested ABSL_GUARDED_BY(mu) = false;
  bool destroyed ABSL_GUARDED_BY(mu) = false;
  std::optional<absl::Status> finish ABSL_GUARDED_BY(mu);  // set: Run() returns it
  std::vector<bool> paused_calls ABSL_GUARDED_BY(mu);
  tweetstream::connector::v1::Counters counters ABSL_GUARDED_BY(mu);
  std::vector<std::string> errors ABSL_GUARDED_BY(mu);
  bool degraded ABSL_GUARDED_BY(mu) = false;
  std::string cause ABSL_GUARDED_BY(mu);
  std::string mode ABSL_GUARDED_BY(mu);  // reported as the source detail's mode when not empty

  // Makes Run() return `status` (as if the input ended, or a fatal error).
  void Finish(absl::Status status) {
    absl::MutexLock lock(&mu);
    finish = std::move(status);
  }
  bool StopRequested() {
    absl::MutexLock lock(&mu);
    return stop_requested;
  }
  bool Destroyed() {
    absl::MutexLock lock(&mu);
    return destroyed;
  }
  std::vector<bool> PausedCalls() {
    absl::MutexLock lock(&mu);
    return paused_calls;
  }
  void SetCounters(int64_t read, int64_t indexed, int64_t failed) {
    absl::MutexLock lock(&mu);
    counters.set_read(read);
    counters.set_indexed(indexed);
    counters.set_failed(failed);
  }
  void AddErrors(const std::string& prefix, int n) {
    absl::MutexLock lock(&mu);
    for (int i = 0; i < n; ++i) errors.push_back(absl::StrCat(prefix, i));
  }
};

class FakePlane : public DataPlane {
 public:
  explicit FakePlane(std::shared_ptr<PlaneScript> script) : script_(std::move(script)) {}
  ~FakePlane() override {
    absl::MutexLock lock(&script_->mu);
    script_->destroyed = true;
  }

  absl::Status Run() override {
    PlaneScript* s = script_.get();
    absl::MutexLock lock(&s->mu);
    s->running = true;
    auto done = [s]() ABSL_SHARED_LOCKS_REQUIRED(s->mu) { return s->stop_requested || s->finish.has_value(); };
    s->mu.Await(absl::Condition(&done));
    s->running = false;
    return s->finish.has_value() ? *s->finish : absl::OkStatus();
  }
  void RequestStop() override {
    absl::MutexLock lock(&script_->mu);
    script_->stop_requested = true;
  }
  void SetPaused(bool paused) override {
    absl::MutexLock lock(&script_->mu);
    script_->paused_calls.push_back(paused);
  }
  void FillStatus(tweetstream::connector::v1::ConnectorStatus* status) override {
    absl::MutexLock lock(&script_->mu);
    *status->mutable_counters() = script_->counters;
    for (const std::string& e : script_->errors) status->add_last_errors()->set_message(e);
    status->set_degraded(script_->degraded);
    status->set_cause(script_->cause);
    if (!script_->mode.empty()) status->mutable_source()->set_mode(script_->mode);
  }

 private:
  std::shared_ptr<PlaneScript> script_;
};

// Builds FakePlanes (one script per plane, in order), or fails with the error set by FailWith().
class FakeFactory {
 public:
  ConnectorHost::Factory factory() {
    return [this]() -> absl::StatusOr<std::unique_ptr<DataPlane>> {
      absl::MutexLock lock(&mu_);
      ++calls_;
      if (!error_.ok()) return error_;
      auto script = std::make_shared<PlaneScript>();
      scripts_.push_back(script);
      return std::make_unique<FakePlane>(script);
    };
  }
  void FailWith(absl::Status error) {
    absl::MutexLock lock(&mu_);
    error_ = std::move(error);
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int planes() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(scripts_.size());
  }
  std::shared_ptr<PlaneScript> plane(int i) {
    absl::MutexLock lock(&mu_);
    return scripts_.at(static_cast<size_t>(i));
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<PlaneScript>> scripts_ ABSL_GUARDED_BY(mu_);
};

ConnectorHostOptions TestOptions() {
  ConnectorHostOptions options;
  options.name = "test-connector";
  options.kind = "source";
  options.version = "9.9.9";
  return options;
}

// Waits (bounded) until the host is in `state`; true when it got there.
bool WaitForState(const ConnectorHost& host, v1::ConnectorState state, absl::Duration timeout = absl::Seconds(5)) {
  const absl::Time deadline = absl::Now() + timeout;
  uint64_t seen = host.generation();
  while (host.state() != state) {
    if (absl::Now() >= deadline) return false;
    seen = host.WaitForChange(seen, deadline - absl::Now());
  }
  return true;
}

// Records what listeners were told; WaitForCount waits (bounded) for the n-th call.
class StateRecorder {
 public:
  std::function<void(v1::ConnectorState)> listener() {
    return [this](v1::ConnectorState state) {
      absl::MutexLock lock(&mu_);
      states_.push_back(state);
    };
  }
  std::vector<v1::ConnectorState> WaitForCount(size_t n, absl::Duration timeout = absl::Seconds(5)) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return states_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return states_;
  }
  std::vector<v1::ConnectorState> states() {
    absl::MutexLock lock(&mu_);
    return states_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::ConnectorState> states_ ABSL_GUARDED_BY(mu_);
};

std::vector<std::string> ErrorMessages(const v1::ConnectorStatus& status) {
  std::vector<std::string> out;
  for (const auto& e : status.last_errors()) out.push_back(e.message());
  return out;
}

// ---------------------------------------------------------------------------------------------------
// ConnectorHost: pause and resume.

TEST(ConnectorHostTest, StartPauseResumeAndTheirPreconditions) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(factory.calls(), 1);
  auto plane = factory.plane(0);

  ASSERT_TRUE(host.Pause().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_PAUSED);
  EXPECT_THAT(plane->PausedCalls(), ElementsAre(true));
  EXPECT_EQ(host.Status(false).state(), v1::CONNECTOR_STATE_PAUSED);

  // Pausing again is fine and leaves it paused.
  EXPECT_TRUE(host.Pause().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_PAUSED);
  EXPECT_EQ(plane->PausedCalls().back(), true);

  ASSERT_TRUE(host.Resume().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(plane->PausedCalls().back(), false);

  // Resuming while RUNNING is fine too.
  EXPECT_TRUE(host.Resume().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_FALSE(plane->StopRequested()) << "pause/resume must not stop the data plane";
  EXPECT_EQ(factory.calls(), 1) << "pause/resume must not rebuild the data plane";

  ASSERT_TRUE(host.Stop().ok());
  const size_t paused_calls = plane->PausedCalls().size();
  absl::Status pause = host.Pause();
  EXPECT_EQ(pause.code(), absl::StatusCode::kFailedPrecondition) << pause;
  EXPECT_THAT(pause.message(), HasSubstr("STOPPED"));
  absl::Status resume = host.Resume();
  EXPECT_EQ(resume.code(), absl::StatusCode::kFailedPrecondition) << resume;
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_EQ(plane->PausedCalls().size(), paused_calls);
}

TEST(ConnectorHostTest, StopWhilePausedStopsThePlane) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  ASSERT_TRUE(host.Pause().ok());
  ASSERT_TRUE(host.Stop().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_TRUE(factory.plane(0)->StopRequested());
  EXPECT_TRUE(factory.plane(0)->Destroyed());
  // A restart resumes data movement: the new plane runs and is not paused.
  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_TRUE(factory.plane(1)->PausedCalls().empty());
}

// ---------------------------------------------------------------------------------------------------
// ConnectorHost: stop and restart.

TEST(ConnectorHostTest, StopTearsDownAndRestartBuildsANewPlane) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  auto first = factory.plane(0);

  ASSERT_TRUE(host.Stop().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_TRUE(first->StopRequested());
  EXPECT_TRUE(first->Destroyed());
  EXPECT_FALSE(host.Finished()) << "a Stop is not the plane ending by itself";

  const uint64_t generation = host.generation();
  EXPECT_TRUE(host.Stop().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_EQ(host.generation(), generation) << "a second Stop changes nothing";
  EXPECT_EQ(factory.calls(), 1);

  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(factory.calls(), 2);
  auto second = factory.plane(1);
  EXPECT_FALSE(second->StopRequested());
  EXPECT_FALSE(second->Destroyed());

  // Restart from RUNNING stops the running plane first.
  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(factory.calls(), 3);
  EXPECT_TRUE(second->StopRequested());
  EXPECT_TRUE(second->Destroyed());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
}

TEST(ConnectorHostTest, DestructorStopsTheRunningPlane) {
  FakeFactory factory;
  std::shared_ptr<PlaneScript> plane;
  {
    ConnectorHost host(TestOptions(), factory.factory());
    ASSERT_TRUE(host.Start().ok());
    plane = factory.plane(0);
    ASSERT_TRUE(host.Pause().ok());
  }
  EXPECT_TRUE(plane->StopRequested());
  EXPECT_TRUE(plane->Destroyed());
}

TEST(ConnectorHostTest, FactoryErrorFailsAndRestartRecovers) {
  FakeFactory factory;
  factory.FailWith(absl::InvalidArgumentError("broker: cannot resolve kafka:9092"));
  ConnectorHost host(TestOptions(), factory.factory());

  absl::Status started = host.Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(started.message(), "broker: cannot resolve kafka:9092");
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_FAILED);
  v1::ConnectorStatus status = host.Status(false);
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_FAILED);
  EXPECT_EQ(status.cause(), "broker: cannot resolve kafka:9092");
  EXPECT_THAT(ErrorMessages(status), ElementsAre("broker: cannot resolve kafka:9092"));
  EXPECT_EQ(host.Pause().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(host.Resume().code(), absl::StatusCode::kFailedPrecondition);

  // Still failing: Restart returns the factory's error and the host stays FAILED.
  factory.FailWith(absl::UnavailableError("elasticsearch down"));
  absl::Status restarted = host.Restart();
  EXPECT_EQ(restarted.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(restarted.message(), "elasticsearch down");
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_FAILED);
  EXPECT_EQ(host.Status(false).cause(), "elasticsearch down");
  EXPECT_EQ(factory.planes(), 0);

  // Working again: Restart from FAILED runs a new plane and the cause is gone.
  factory.FailWith(absl::OkStatus());
  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(factory.planes(), 1);
  EXPECT_EQ(host.Status(false).cause(), "");
  EXPECT_FALSE(host.Finished());
}

TEST(ConnectorHostTest, FactoryErrorOnRestartFromRunningStopsTheOldPlane) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  auto first = factory.plane(0);
  factory.FailWith(absl::InternalError("bad config"));
  absl::Status restarted = host.Restart();
  EXPECT_EQ(restarted.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_FAILED);
  EXPECT_EQ(host.Status(false).cause(), "bad config");
  EXPECT_TRUE(first->StopRequested());
  EXPECT_TRUE(first->Destroyed());
  // Stop from FAILED (no plane) goes to STOPPED.
  ASSERT_TRUE(host.Stop().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_EQ(host.Status(false).cause(), "");
}

// ---------------------------------------------------------------------------------------------------
// ConnectorHost: the data plane ending by itself.

TEST(ConnectorHostTest, PlaneEndingCleanlyIsStoppedAndFinished) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  absl::Status result = absl::UnknownError("not set");
  EXPECT_FALSE(host.Finished(&result));

  factory.plane(0)->Finish(absl::OkStatus());
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_STOPPED)) << StateName(host.state());
  EXPECT_TRUE(host.Finished(&result));
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_TRUE(host.Finished()) << "Finished(nullptr) works too";
  EXPECT_EQ(host.Status(false).cause(), "");

  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_FALSE(host.Finished(&result)) << "Restart clears Finished";
  EXPECT_TRUE(factory.plane(0)->Destroyed());
}

TEST(ConnectorHostTest, PlaneFailingIsFailedWithItsCause) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());

  factory.plane(0)->Finish(absl::PermissionDeniedError("index twitter: forbidden"));
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_FAILED)) << StateName(host.state());
  absl::Status result;
  EXPECT_TRUE(host.Finished(&result));
  EXPECT_EQ(result.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(result.message(), "index twitter: forbidden");
  v1::ConnectorStatus status = host.Status(false);
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_FAILED);
  EXPECT_EQ(status.cause(), "index twitter: forbidden");
  EXPECT_EQ(host.Pause().code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(host.Restart().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_FALSE(host.Finished(&result));
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(host.Status(false).cause(), "");
  EXPECT_EQ(factory.calls(), 2);
}

TEST(ConnectorHostTest, StopAfterThePlaneFailedIsStopped) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  factory.plane(0)->Finish(absl::InternalError("boom"));
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_FAILED));
  ASSERT_TRUE(host.Stop().ok());
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_TRUE(factory.plane(0)->Destroyed());
  EXPECT_EQ(host.Status(false).cause(), "");
}

// ---------------------------------------------------------------------------------------------------
// ConnectorHost: status, counters, errors.

TEST(ConnectorHostTest, CountersSurviveRestartsAndMatchStatus) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  factory.plane(0)->SetCounters(/*read=*/5, /*indexed=*/3, /*failed=*/1);
  EXPECT_EQ(host.Counters().read(), 5);

  ASSERT_TRUE(host.Restart().ok());
  factory.plane(1)->SetCounters(/*read=*/7, /*indexed=*/0, /*failed=*/2);
  v1::Counters counters = host.Counters();
  EXPECT_EQ(counters.read(), 12);
  EXPECT_EQ(counters.indexed(), 3);
  EXPECT_EQ(counters.failed(), 3);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(counters, host.Status(false).counters()))
      << counters.DebugString() << " vs " << host.Status(false).counters().DebugString();

  // A plane that ended by itself still counts, before and after it is retired.
  factory.plane(1)->Finish(absl::OkStatus());
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_STOPPED));
  EXPECT_EQ(host.Counters().read(), 12);
  ASSERT_TRUE(host.Restart().ok());
  factory.plane(2)->SetCounters(/*read=*/100, /*indexed=*/10, /*failed=*/0);
  EXPECT_EQ(host.Counters().read(), 112);
  EXPECT_EQ(host.Counters().indexed(), 13);

  ASSERT_TRUE(host.Stop().ok());
  counters = host.Counters();
  EXPECT_EQ(counters.read(), 112);
  EXPECT_EQ(counters.indexed(), 13);
  EXPECT_EQ(counters.failed(), 3);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(counters, host.Status(false).counters()))
      << counters.DebugString() << " vs " << host.Status(false).counters().DebugString();
}

TEST(ConnectorHostTest, LastErrorsKeepTheNewestSixteen) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  factory.plane(0)->AddErrors("a", 10);
  EXPECT_EQ(host.Status(false).last_errors_size(), 10);

  ASSERT_TRUE(host.Restart().ok());
  factory.plane(1)->AddErrors("b", 10);
  std::vector<std::string> errors = ErrorMessages(host.Status(false));
  ASSERT_EQ(errors.size(), 16u);
  EXPECT_EQ(errors.front(), "a4") << "the six oldest are dropped";
  EXPECT_EQ(errors[5], "a9");
  EXPECT_EQ(errors[6], "b0");
  EXPECT_EQ(errors.back(), "b9");

  // Retired: the same newest sixteen.
  ASSERT_TRUE(host.Stop().ok());
  errors = ErrorMessages(host.Status(false));
  ASSERT_EQ(errors.size(), 16u);
  EXPECT_EQ(errors.front(), "a4");
  EXPECT_EQ(errors.back(), "b9");

  // A factory error is the newest entry.
  factory.FailWith(absl::UnavailableError("factory says no"));
  EXPECT_FALSE(host.Restart().ok());
  errors = ErrorMessages(host.Status(false));
  ASSERT_EQ(errors.size(), 16u);
  EXPECT_EQ(errors.front(), "a5");
  EXPECT_EQ(errors.back(), "factory says no");
}

TEST(ConnectorHostTest, ASinglePlaneWithManyErrorsIsCappedToo) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  factory.plane(0)->AddErrors("e", 40);
  std::vector<std::string> errors = ErrorMessages(host.Status(false));
  ASSERT_EQ(errors.size(), 16u);
  EXPECT_EQ(errors.front(), "e24");
  EXPECT_EQ(errors.back(), "e39");
}

TEST(ConnectorHostTest, StatusHasIdentityDetailAndKeepsItWhileStopped) {
  std::atomic<int> extra_calls{0};
  ConnectorHostOptions options = TestOptions();
  options.extra_status = [&extra_calls](v1::ConnectorStatus* status) {
    ++extra_calls;
    status->mutable_source()->set_topic("probed-topic");
  };
  FakeFactory factory;
  ConnectorHost host(options, factory.factory());
  ASSERT_TRUE(host.Start().ok());
  {
    absl::MutexLock lock(&factory.plane(0)->mu);
    factory.plane(0)->mode = "replay";
    factory.plane(0)->degraded = true;
    factory.plane(0)->cause = "rate limited";
  }

  v1::ConnectorStatus status = host.Status(false);
  EXPECT_EQ(extra_calls.load(), 0) << "Status(false) must not probe";
  EXPECT_EQ(status.name(), "test-connector");
  EXPECT_EQ(status.kind(), "source");
  EXPECT_EQ(status.version(), "9.9.9");
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_RUNNING);
  EXPECT_TRUE(status.degraded());
  EXPECT_EQ(status.cause(), "rate limited");
  EXPECT_EQ(status.source().mode(), "replay");
  EXPECT_TRUE(status.has_since());
  EXPECT_TRUE(status.has_observed_at());

  status = host.Status();
  EXPECT_EQ(extra_calls.load(), 1);
  EXPECT_EQ(status.source().topic(), "probed-topic");
  EXPECT_EQ(status.source().mode(), "replay");

  // Paused: not degraded, no cause.
  ASSERT_TRUE(host.Pause().ok());
  status = host.Status(false);
  EXPECT_FALSE(status.degraded());
  EXPECT_EQ(status.cause(), "");

  ASSERT_TRUE(host.Stop().ok());
  status = host.Status(false);
  EXPECT_EQ(status.state(), v1::CONNECTOR_STATE_STOPPED);
  EXPECT_EQ(status.source().mode(), "replay") << "the last plane's detail stays visible while STOPPED";
  EXPECT_FALSE(status.degraded());
  EXPECT_EQ(status.cause(), "");
  status = host.Status();
  EXPECT_EQ(extra_calls.load(), 2) << "the kind's part is asked for without a data plane too";
  EXPECT_EQ(status.source().topic(), "probed-topic");
}

TEST(ConnectorHostTest, SinceMovesOnlyWithTheState) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  const auto since = host.Status(false).since();
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(since, host.Status(false).since()));
  ASSERT_TRUE(host.Pause().ok());
  const auto paused_since = host.Status(false).since();
  EXPECT_FALSE(google::protobuf::util::MessageDifferencer::Equals(since, paused_since));
}

// ---------------------------------------------------------------------------------------------------
// ConnectorHost: generation, WaitForChange, listeners.

TEST(ConnectorHostTest, WaitForChangeTimesOutWithoutAChange) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());
  const uint64_t g = host.generation();
  const absl::Time start = absl::Now();
  EXPECT_EQ(host.WaitForChange(g, absl::Milliseconds(100)), g);
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(90));
  EXPECT_LT(waited, absl::Seconds(3));
  // Already different: returns at once.
  const absl::Time again = absl::Now();
  EXPECT_EQ(host.WaitForChange(g - 1, absl::Seconds(10)), g);
  EXPECT_LT(absl::Now() - again, absl::Seconds(1));
}

TEST(ConnectorHostTest, WaitForChangeWakesUpOnAChange) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());

  // An operation on another thread.
  uint64_t g = host.generation();
  std::thread pauser([&host] {
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_TRUE(host.Pause().ok());
  });
  absl::Time start = absl::Now();
  uint64_t now = host.WaitForChange(g, absl::Seconds(10));
  pauser.join();
  EXPECT_GT(now, g);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_PAUSED);

  // The plane ending by itself.
  ASSERT_TRUE(host.Resume().ok());
  g = host.generation();
  std::thread finisher([&factory] {
    absl::SleepFor(absl::Milliseconds(50));
    factory.plane(0)->Finish(absl::InternalError("gone"));
  });
  start = absl::Now();
  now = host.WaitForChange(g, absl::Seconds(10));
  finisher.join();
  EXPECT_GT(now, g);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(host.state(), v1::CONNECTOR_STATE_FAILED);
}

TEST(ConnectorHostTest, GenerationIncreasesOnEveryChange) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  uint64_t g = host.generation();
  ASSERT_TRUE(host.Start().ok());
  EXPECT_GT(host.generation(), g);
  g = host.generation();
  ASSERT_TRUE(host.Pause().ok());
  EXPECT_GT(host.generation(), g);
  g = host.generation();
  ASSERT_TRUE(host.Pause().ok());
  EXPECT_EQ(host.generation(), g) << "no change, no new generation";
  ASSERT_TRUE(host.Resume().ok());
  EXPECT_GT(host.generation(), g);
  g = host.generation();
  ASSERT_TRUE(host.Restart().ok());
  EXPECT_GE(host.generation(), g + 2) << "RESTARTING, then RUNNING";
}

TEST(ConnectorHostTest, ListenersHearEveryChange) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  StateRecorder early;
  host.AddStateListener(early.listener());
  EXPECT_THAT(early.states(), ElementsAre(v1::CONNECTOR_STATE_STARTING)) << "the current state at registration";

  ASSERT_TRUE(host.Start().ok());
  StateRecorder late;
  host.AddStateListener(late.listener());
  EXPECT_THAT(late.states(), ElementsAre(v1::CONNECTOR_STATE_RUNNING));

  ASSERT_TRUE(host.Pause().ok());
  ASSERT_TRUE(host.Resume().ok());
  ASSERT_TRUE(host.Stop().ok());
  ASSERT_TRUE(host.Restart().ok());
  factory.plane(1)->Finish(absl::InternalError("boom"));
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_FAILED));
  // The plane's thread tells the listeners after the state changed: wait for it before the next
  // operation (otherwise the two notifications race: see ListenersEndOnTheCurrentState below).
  ASSERT_EQ(late.WaitForCount(7).size(), 7u);
  factory.FailWith(absl::InternalError("no"));
  EXPECT_FALSE(host.Restart().ok());

  const std::vector<v1::ConnectorState> expected = {
      v1::CONNECTOR_STATE_RUNNING, v1::CONNECTOR_STATE_PAUSED,     v1::CONNECTOR_STATE_RUNNING,
      v1::CONNECTOR_STATE_STOPPED, v1::CONNECTOR_STATE_RESTARTING, v1::CONNECTOR_STATE_RUNNING,
      v1::CONNECTOR_STATE_FAILED,  v1::CONNECTOR_STATE_RESTARTING, v1::CONNECTOR_STATE_FAILED};
  EXPECT_EQ(late.WaitForCount(expected.size()), expected);
  std::vector<v1::ConnectorState> early_expected = {v1::CONNECTOR_STATE_STARTING};
  early_expected.insert(early_expected.end(), expected.begin(), expected.end());
  EXPECT_EQ(early.WaitForCount(early_expected.size()), early_expected);
}

// Notifications race: an operation's and the data plane thread's. Here PAUSED is set first and
// FAILED second while the PAUSED notification is still being delivered (a listener blocks on it): the
// last word every listener gets must be the current state, FAILED (the health listener must never be
// left saying SERVING for a FAILED connector).
TEST(ConnectorHostTest, ListenersEndOnTheCurrentState) {
  FakeFactory factory;
  ConnectorHost host(TestOptions(), factory.factory());
  ASSERT_TRUE(host.Start().ok());

  absl::Mutex mu;
  bool paused_heard = false;  // the PAUSED notification is being delivered
  bool release = false;       // lets it finish
  std::vector<v1::ConnectorState> heard;
  host.AddStateListener([&](v1::ConnectorState state) {
    absl::MutexLock lock(&mu);
    if (state == v1::CONNECTOR_STATE_PAUSED) {
      paused_heard = true;
      mu.Await(absl::Condition(&release));
    }
    heard.push_back(state);
  });

  std::thread pauser([&host] { EXPECT_TRUE(host.Pause().ok()); });
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&paused_heard), absl::Seconds(5)));
  }
  // PAUSED is the state; its notification is under way. Now the data plane fails.
  factory.plane(0)->Finish(absl::InternalError("fatal while paused"));
  ASSERT_TRUE(WaitForState(host, v1::CONNECTOR_STATE_FAILED));
  absl::SleepFor(absl::Milliseconds(100));  // room for the plane thread's notification (if not blocked)
  {
    absl::MutexLock lock(&mu);
    release = true;
  }
  pauser.join();
  absl::MutexLock lock(&mu);
  auto three = [&heard]() { return heard.size() >= 3; };
  mu.AwaitWithTimeout(absl::Condition(&three), absl::Seconds(5));
  ASSERT_FALSE(heard.empty());
  EXPECT_EQ(heard.back(), host.state()) << "the last notification must be the current state";
  EXPECT_EQ(heard, (std::vector<v1::ConnectorState>{v1::CONNECTOR_STATE_RUNNING, v1::CONNECTOR_STATE_PAUSED,
                                                     v1::CONNECTOR_STATE_FAILED}));
}

TEST(ConnectorHostTest, StateNames) {
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_STARTING), "STARTING");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_RUNNING), "RUNNING");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_PAUSED), "PAUSED");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_STOPPED), "STOPPED");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_FAILED), "FAILED");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_RESTARTING), "RESTARTING");
  EXPECT_EQ(StateName(v1::CONNECTOR_STATE_UNSPECIFIED), "UNSPECIFIED");
}

// ---------------------------------------------------------------------------------------------------
// FlagConfig over the flags above. Every test restores the flags (FlagSaver).

class FlagConfigTest : public ::testing::Test {
 protected:
  static const SettingsTable& Table() {
    static const SettingsTable* const table = new SettingsTable{
        .program = "pretend",
        .env_prefix = "PRETEND",
        .settings = {{"batch_max_records", "", Change::kLive},
                     {"linger_ms", "", Change::kLive},
                     {"flush_timeout_ms", "", Change::kLive},
                     {"topic", "search", Change::kLive},
                     {"control_addr", "", Change::kStartup}},
        .secrets = {{"X_BEARER_TOKEN", "the token"}, {"ES_PASSWORD", "the password"}},
    };
    return *table;
  }

  FlagConfigOptions Options() {
    FlagConfigOptions options;
    options.settings = &Table();
    options.secrets = [] { return std::map<std::string, bool>{{"X_BEARER_TOKEN", true}, {"ES_PASSWORD", false}}; };
    options.check = [this]() -> absl::Status {
      ++checks_;
      seen_linger_ = absl::GetFlag(FLAGS_linger_ms);
      if (absl::GetFlag(FLAGS_linger_ms) > absl::GetFlag(FLAGS_flush_timeout_ms)) {
        return absl::InvalidArgumentError(
            absl::StrCat("linger: must be at most flush_timeout_ms (", absl::GetFlag(FLAGS_flush_timeout_ms), ")"));
      }
      if (absl::GetFlag(FLAGS_batch_max_records) <= 0) {
        return absl::InvalidArgumentError("batch-max-records: must be positive");
      }
      if (absl::GetFlag(FLAGS_topic).empty()) return absl::InvalidArgumentError("a topic is required");
      return absl::OkStatus();
    };
    return options;
  }

  // The flags as they were before the test.
  void ExpectDefaults() {
    EXPECT_EQ(absl::GetFlag(FLAGS_batch_max_records), 500);
    EXPECT_EQ(absl::GetFlag(FLAGS_linger_ms), 100);
    EXPECT_EQ(absl::GetFlag(FLAGS_flush_timeout_ms), 1000);
    EXPECT_EQ(absl::GetFlag(FLAGS_topic), "tweets");
    EXPECT_EQ(absl::GetFlag(FLAGS_control_addr), "127.0.0.1:50051");
  }

  static std::vector<std::string> Fields(const std::vector<v1::FieldError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) out.push_back(e.field());
    return out;
  }

  absl::FlagSaver saver_;
  int checks_ = 0;
  int seen_linger_ = -1;
};

TEST_F(FlagConfigTest, GetListsTheOwnedFlagsSortedAndRedactsSecrets) {
  FlagConfig config(Options());
  v1::Config got = config.Get();
  std::vector<std::string> names;
  for (const auto& s : got.settings()) names.push_back(s.name());
  EXPECT_THAT(names, ElementsAre("batch_max_records", "control_addr", "flush_timeout_ms", "linger_ms", "topic",
                                 "ES_PASSWORD", "X_BEARER_TOKEN"));
  ASSERT_EQ(got.settings_size(), 7);
  const v1::ConfigSetting& batch = got.settings(0);
  EXPECT_EQ(batch.value(), "500");
  EXPECT_EQ(batch.default_value(), "500");
  EXPECT_EQ(batch.description(), "Records per bulk request.");
  EXPECT_FALSE(batch.secret());
  EXPECT_EQ(batch.group(), "");
  EXPECT_FALSE(batch.startup_only());
  EXPECT_EQ(batch.env(), "PRETEND_BATCH_MAX_RECORDS");
  EXPECT_TRUE(got.settings(1).startup_only()) << "control_addr is read at start only";
  const v1::ConfigSetting& topic = got.settings(4);
  EXPECT_EQ(topic.value(), "tweets");
  EXPECT_EQ(topic.description(), "search: The Kafka topic.") << "the group is named before the help";
  EXPECT_EQ(topic.group(), "search");
  EXPECT_FALSE(topic.secret());

  const v1::ConfigSetting& unset = got.settings(5);
  EXPECT_EQ(unset.value(), "");
  EXPECT_TRUE(unset.secret());
  EXPECT_EQ(unset.default_value(), "");
  const v1::ConfigSetting& set = got.settings(6);
  EXPECT_EQ(set.value(), "<redacted>");
  EXPECT_TRUE(set.secret());
  EXPECT_THAT(set.description(), HasSubstr("X_BEARER_TOKEN"));

  // Current values follow the flags; defaults do not.
  absl::SetFlag(&FLAGS_batch_max_records, 42);
  got = config.Get();
  EXPECT_EQ(got.settings(0).value(), "42");
  EXPECT_EQ(got.settings(0).default_value(), "500");
}

TEST_F(FlagConfigTest, GetWithoutSecretsListsOnlyFlags) {
  SettingsTable table = Table();
  table.secrets.clear();
  FlagConfigOptions options = Options();
  options.settings = &table;
  options.secrets = nullptr;
  FlagConfig config(options);
  EXPECT_EQ(config.Get().settings_size(), 5);
}

TEST_F(FlagConfigTest, WithoutAnOverrideASecretIsSetWhenItsEnvironmentVariableHoldsAValue) {
  SettingsTable table = Table();
  table.secrets = {{"TS_CONTROL_TEST_SECRET", "a test secret"}, {"TS_CONTROL_TEST_UNSET", "never set"}};
  FlagConfigOptions options = Options();
  options.settings = &table;
  options.secrets = nullptr;
  FlagConfig config(options);
  ::setenv("TS_CONTROL_TEST_SECRET", "s3cr3t-value", 1);
  ::unsetenv("TS_CONTROL_TEST_UNSET");
  ::unsetenv("TS_CONTROL_TEST_UNSET_FILE");
  std::map<std::string, v1::ConfigSetting> by_name;
  const v1::Config got = config.Get();
  for (const auto& s : got.settings()) by_name[s.name()] = s;
  ::unsetenv("TS_CONTROL_TEST_SECRET");
  ASSERT_EQ(by_name.count("TS_CONTROL_TEST_SECRET"), 1u);
  EXPECT_EQ(by_name["TS_CONTROL_TEST_SECRET"].value(), "<redacted>");
  EXPECT_TRUE(by_name["TS_CONTROL_TEST_SECRET"].secret());
  EXPECT_THAT(by_name["TS_CONTROL_TEST_SECRET"].description(), HasSubstr("a test secret"));
  EXPECT_EQ(by_name["TS_CONTROL_TEST_UNSET"].value(), "");
  EXPECT_EQ(by_name.count("not_a_setting"), 0u);
  for (const auto& [name, setting] : by_name) EXPECT_THAT(setting.value(), Not(HasSubstr("s3cr3t")));
}

TEST_F(FlagConfigTest, ValidateTypeErrorNamesTheFieldAndChangesNothing) {
  FlagConfig config(Options());
  std::vector<v1::FieldError> errors = config.Validate({{"batch_max_records", "lots"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "batch_max_records");
  EXPECT_THAT(errors[0].message(), HasSubstr("lots"));
  EXPECT_EQ(checks_, 0) << "the check runs only when every value parsed";
  ExpectDefaults();
}

TEST_F(FlagConfigTest, ValidateRunsTheCheckOnTentativeValuesAndPutsThemBack) {
  FlagConfig config(Options());
  EXPECT_TRUE(config.Validate({{"linger_ms", "900"}, {"topic", "other"}}).empty());
  EXPECT_EQ(checks_, 1);
  EXPECT_EQ(seen_linger_, 900) << "the check sees the tentative value";
  ExpectDefaults();
}

TEST_F(FlagConfigTest, ValidateCheckFailureNamesTheCheckField) {
  FlagConfig config(Options());
  std::vector<v1::FieldError> errors = config.Validate({{"linger_ms", "5000"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "linger");
  EXPECT_EQ(errors[0].message(), "must be at most flush_timeout_ms (1000)");
  ExpectDefaults();

  // A dashed field in the check's message is normalized.
  errors = config.Validate({{"batch_max_records", "0"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "batch_max_records");
  EXPECT_EQ(errors[0].message(), "must be positive");

  // A message that does not start with a field: no field.
  errors = config.Validate({{"topic", ""}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "");
  EXPECT_EQ(errors[0].message(), "a topic is required");
  ExpectDefaults();
}

TEST_F(FlagConfigTest, DashesInNamesAreAccepted) {
  FlagConfig config(Options());
  EXPECT_TRUE(config.Validate({{"batch-max-records", "10"}}).empty());
  EXPECT_EQ(absl::GetFlag(FLAGS_batch_max_records), 500);
  std::vector<v1::FieldError> errors = config.Validate({{"batch-max-records", "x"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "batch_max_records");
  ASSERT_TRUE(config.Apply({{"batch-max-records", "10"}, {"flush-timeout-ms", "2000"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_batch_max_records), 10);
  EXPECT_EQ(absl::GetFlag(FLAGS_flush_timeout_ms), 2000);
}

TEST_F(FlagConfigTest, UnknownStartupOnlyAndSecretSettingsAreRefused) {
  FlagConfig config(Options());
  std::vector<v1::FieldError> errors = config.Validate({{"no_such_setting", "1"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "no_such_setting");
  EXPECT_THAT(errors[0].message(), HasSubstr("unknown"));

  errors = config.Validate({{"control_addr", "0.0.0.0:1"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "control_addr");
  EXPECT_THAT(errors[0].message(), HasSubstr("process start"));
  EXPECT_FALSE(config.Apply({{"control-addr", "0.0.0.0:1"}}).ok());

  errors = config.Validate({{"X_BEARER_TOKEN", "s3cr3t-value"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "X_BEARER_TOKEN");
  EXPECT_THAT(errors[0].message(), HasSubstr("secret"));
  EXPECT_THAT(errors[0].message(), Not(HasSubstr("s3cr3t-value")));
  absl::Status applied = config.Apply({{"X_BEARER_TOKEN", "s3cr3t-value"}});
  EXPECT_EQ(applied.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(applied.message(), Not(HasSubstr("s3cr3t-value")));

  // Several bad fields: one error each.
  errors = config.Validate({{"no_such_setting", "1"}, {"control_addr", "x"}, {"linger_ms", "y"}});
  EXPECT_THAT(Fields(errors), ::testing::UnorderedElementsAre("no_such_setting", "control_addr", "linger_ms"));

  EXPECT_EQ(config.Validate({}).size(), 1u) << "an empty change is refused";
  EXPECT_EQ(checks_, 0);
  ExpectDefaults();
}

TEST_F(FlagConfigTest, AFlagOutsideTheTableIsUnknown) {
  // A flag of the process that the binary's table does not name is no setting of it.
  FlagConfig config(Options());
  const v1::Config got = config.Get();
  for (const auto& s : got.settings()) EXPECT_NE(s.name(), "not_a_setting");
  std::vector<v1::FieldError> errors = config.Validate({{"not_a_setting", "1"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field(), "not_a_setting");
  EXPECT_THAT(errors[0].message(), HasSubstr("unknown"));
  EXPECT_FALSE(config.Apply({{"not-a-setting", "1"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_not_a_setting), 7);

  // A table without batch_max_records: the flag exists, the setting does not.
  SettingsTable table = Table();
  table.settings.erase(table.settings.begin());
  FlagConfigOptions options = Options();
  options.settings = &table;
  FlagConfig narrower(options);
  errors = narrower.Validate({{"batch_max_records", "1"}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message(), HasSubstr("unknown"));
  ExpectDefaults();
}

TEST_F(FlagConfigTest, ApplyIsAllOrNothing) {
  FlagConfig config(Options());
  // One bad value among good ones: nothing changes.
  absl::Status applied = config.Apply({{"batch_max_records", "10"}, {"topic", "other"}, {"linger_ms", "soon"}});
  EXPECT_EQ(applied.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(applied.message(), HasSubstr("linger_ms"));
  EXPECT_THAT(applied.message(), HasSubstr("nothing changed"));
  ExpectDefaults();

  // A check failure among good values: nothing changes either.
  applied = config.Apply({{"batch_max_records", "10"}, {"topic", "other"}, {"linger_ms", "5000"}});
  EXPECT_EQ(applied.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(applied.message(), HasSubstr("linger: must be at most"));
  ExpectDefaults();

  // An unknown setting among good values.
  EXPECT_FALSE(config.Apply({{"batch_max_records", "10"}, {"nope", "1"}}).ok());
  ExpectDefaults();

  // All valid: kept, and Get() shows them.
  ASSERT_TRUE(config.Apply({{"batch_max_records", "10"}, {"topic", "other"}, {"linger_ms", "900"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_batch_max_records), 10);
  EXPECT_EQ(absl::GetFlag(FLAGS_topic), "other");
  EXPECT_EQ(absl::GetFlag(FLAGS_linger_ms), 900);
  v1::Config got = config.Get();
  EXPECT_EQ(got.settings(0).value(), "10");
  EXPECT_EQ(got.settings(4).value(), "other");

  // A later bad change keeps the applied values (not the defaults).
  EXPECT_FALSE(config.Apply({{"batch_max_records", "20"}, {"linger_ms", "5000"}}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_batch_max_records), 10);
  EXPECT_EQ(absl::GetFlag(FLAGS_linger_ms), 900);
}

TEST_F(FlagConfigTest, NormalizeName) {
  EXPECT_EQ(FlagConfig::NormalizeName("batch-max-records"), "batch_max_records");
  EXPECT_EQ(FlagConfig::NormalizeName("batch_max_records"), "batch_max_records");
  EXPECT_EQ(FlagConfig::NormalizeName(""), "");
}

}  // namespace
}  // namespace tweetstream::control
