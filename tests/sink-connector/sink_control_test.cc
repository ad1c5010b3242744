// SinkControlService (GetOffsets, ResetOffsets, GetDeadLetterStats), SinkProbe and DeadLetterLedger
// over a fake KafkaAdmin and a fake Elasticsearch (unit: no sockets). What a tweetctl user sees: the
// offsets and lag per partition, what a reset commits, the dead-letter counts, the status codes.

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/test/server_context_test_spouse.h>

#include "absl/time/time.h"
#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "sink-connector/sink_control.h"
#include "tests/fakes/fake_data_plane.h"
#include "tests/fakes/fake_es.h"
#include "tests/fakes/fake_kafka_admin.h"

namespace tweetstream::sink {
namespace {

using testing::FakeEs;
using testing::FakeKafkaAdmin;

class SinkControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.bootstrap_servers = "broker-a:9092";
    config_.topic = "tweets";
    config_.group_id = "sinks";
    config_.dlq_topic = "tweets-dlq";
    config_.index = "twitter";
    {
      absl::MutexLock lock(&admin_.mu);
      admin_.topics["tweets"][0] = {10, 50, {}};
      admin_.topics["tweets"][1] = {0, 7, {}};
      admin_.commits["sinks"]["tweets"][0] = 45;  // partition 1: no commit
    }
    control::ConnectorHostOptions options;
    options.name = "sink-under-test";
    options.kind = "sink";
    host_ = std::make_unique<control::ConnectorHost>(
        options, []() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
          return std::make_unique<testing::IdleDataPlane>();
        });
    ASSERT_TRUE(host_->Start().ok());
    service_ = std::make_unique<SinkControlService>(
        host_.get(), [this]() -> absl::StatusOr<SinkConfig> { return config_; }, &ledger_, &auth_, &admin_);
  }
  void StopHost() { ASSERT_TRUE(host_->Stop().ok()); }

  SinkConfig config_;
  FakeKafkaAdmin admin_;
  DeadLetterLedger ledger_;
  control::ControlAuth auth_{""};
  std::unique_ptr<control::ConnectorHost> host_;
  std::unique_ptr<SinkControlService> service_;
  grpc::ServerContext context_;
};

TEST_F(SinkControlTest, GetOffsetsGivesCommittedWatermarksAndLagPerPartition) {
  v1::GetOffsetsResponse response;
  grpc::Status status = service_->GetOffsets(&context_, nullptr, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.topic(), "tweets");
  EXPECT_EQ(response.group_id(), "sinks");
  ASSERT_EQ(response.partitions_size(), 2);
  EXPECT_EQ(response.partitions(0).partition(), 0);
  EXPECT_EQ(response.partitions(0).committed(), 45);
  EXPECT_EQ(response.partitions(0).start_offset(), 10);
  EXPECT_EQ(response.partitions(0).end_offset(), 50);
  EXPECT_EQ(response.partitions(0).lag(), 5);
  EXPECT_EQ(response.partitions(1).committed(), -1);
  EXPECT_EQ(response.partitions(1).lag(), 7);  // no commit: everything in the log
  EXPECT_EQ(response.total_lag(), 12);
  EXPECT_EQ(admin_.Calls(), std::vector<std::string>{"GroupOffsets broker-a:9092"});
}

TEST_F(SinkControlTest, GetOffsetsFollowsTheConfiguredBrokers) {
  v1::GetOffsetsResponse response;
  ASSERT_TRUE(service_->GetOffsets(&context_, nullptr, &response).ok());
  config_.bootstrap_servers = "broker-b:9092";  // an UpdateConfig of bootstrap-servers
  ASSERT_TRUE(service_->GetOffsets(&context_, nullptr, &response).ok());
  EXPECT_EQ(admin_.Calls(), (std::vector<std::string>{"GroupOffsets broker-a:9092", "GroupOffsets broker-b:9092"}));
}

TEST_F(SinkControlTest, GetOffsetsIsUnavailableWhileKafkaIsDownAndNotFoundForAMissingTopic) {
  admin_.SetError(absl::UnavailableError("metadata of tweets at broker-a:9092: Local: Broker transport failure"));
  v1::GetOffsetsResponse response;
  grpc::Status status = service_->GetOffsets(&context_, nullptr, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "metadata of tweets at broker-a:9092: Local: Broker transport failure");
  admin_.SetError(absl::OkStatus());
  config_.topic = "nope";
  status = service_->GetOffsets(&context_, nullptr, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(SinkControlTest, ResetOffsetsIsRefusedUnlessStoppedAndCommitsNothing) {
  v1::ResetOffsetsRequest request;
  request.set_target(v1::ResetOffsetsRequest::TARGET_EARLIEST);
  v1::ResetOffsetsResponse response;
  grpc::Status status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("only while the sink is STOPPED (it is RUNNING)"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(admin_.Calls().empty());
}

TEST_F(SinkControlTest, ResetOffsetsToEarliestLatestAndGivenOffsets) {
  StopHost();
  v1::ResetOffsetsRequest request;
  v1::ResetOffsetsResponse response;
  request.set_target(v1::ResetOffsetsRequest::TARGET_EARLIEST);
  ASSERT_TRUE(service_->ResetOffsets(&context_, &request, &response).ok());
  ASSERT_EQ(response.partitions_size(), 2);
  EXPECT_EQ(response.partitions(0).committed(), 10);
  EXPECT_EQ(response.partitions(1).committed(), 0);
  EXPECT_EQ(response.partitions(0).lag(), 40);

  response.Clear();
  request.set_target(v1::ResetOffsetsRequest::TARGET_LATEST);
  ASSERT_TRUE(service_->ResetOffsets(&context_, &request, &response).ok());
  EXPECT_EQ(response.partitions(0).committed(), 50);
  EXPECT_EQ(response.partitions(1).committed(), 7);
  EXPECT_EQ(response.partitions(1).lag(), 0);

  response.Clear();
  request.set_target(v1::ResetOffsetsRequest::TARGET_OFFSETS);
  (*request.mutable_offsets())[1] = 3;
  ASSERT_TRUE(service_->ResetOffsets(&context_, &request, &response).ok());
  EXPECT_EQ(response.partitions(0).committed(), 50);  // not named: unchanged
  EXPECT_EQ(response.partitions(1).committed(), 3);
  absl::MutexLock lock(&admin_.mu);
  EXPECT_EQ(admin_.commits["sinks"]["tweets"][1], 3);
}

TEST_F(SinkControlTest, ResetOffsetsRefusesOffsetsOutsideTheLogAndUnknownPartitions) {
  StopHost();
  v1::ResetOffsetsRequest request;
  request.set_target(v1::ResetOffsetsRequest::TARGET_OFFSETS);
  (*request.mutable_offsets())[0] = 51;
  v1::ResetOffsetsResponse response;
  grpc::Status status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "offsets: partition 0 offset 51 is outside [10, 50]");
  request.clear_offsets();
  (*request.mutable_offsets())[5] = 0;
  status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "offsets: tweets has no partition 5");
  request.clear_offsets();
  status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_target(v1::ResetOffsetsRequest::TARGET_TIMESTAMP);  // without a timestamp
  status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  absl::MutexLock lock(&admin_.mu);
  EXPECT_EQ(admin_.commits["sinks"]["tweets"][0], 45);  // nothing committed
}

TEST_F(SinkControlTest, ResetOffsetsToATimestampCommitsTheFirstOffsetAtOrAfterIt) {
  StopHost();
  {
    absl::MutexLock lock(&admin_.mu);
    admin_.topics["tweets"][0] = {10, 13, {1000, 2000, 3000}};
    admin_.topics["tweets"][1] = {0, 2, {500, 900}};
  }
  v1::ResetOffsetsRequest request;
  request.set_target(v1::ResetOffsetsRequest::TARGET_TIMESTAMP);
  *request.mutable_timestamp() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(2000);
  v1::ResetOffsetsResponse response;
  ASSERT_TRUE(service_->ResetOffsets(&context_, &request, &response).ok());
  EXPECT_EQ(response.partitions(0).committed(), 11);
  EXPECT_EQ(response.partitions(1).committed(), 2);  // nothing that late: the end
}

TEST_F(SinkControlTest, ResetOffsetsWhileTheGroupHasMembersIsAFailedPrecondition) {
  StopHost();
  {
    absl::MutexLock lock(&admin_.mu);
    admin_.active_groups.insert("sinks");  // another sink of the group still runs
  }
  v1::ResetOffsetsRequest request;
  request.set_target(v1::ResetOffsetsRequest::TARGET_LATEST);
  v1::ResetOffsetsResponse response;
  grpc::Status status = service_->ResetOffsets(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "group sinks has active members");
}

TEST_F(SinkControlTest, DeadLetterStatsCountByClassTheLastOneAndTheTopicsRecords) {
  ledger_.Record("mapper_parsing_exception", "failed to parse field [created_at]");
  ledger_.Record("undecodable", "not a TweetEnvelope");
  ledger_.Record("mapper_parsing_exception", "failed to parse field [geo]");
  {
    absl::MutexLock lock(&admin_.mu);
    admin_.topics["tweets-dlq"][0] = {2, 9, {}};
    admin_.topics["tweets-dlq"][1] = {0, 4, {}};
  }
  v1::DeadLetterStats stats;
  ASSERT_TRUE(service_->GetDeadLetterStats(&context_, nullptr, &stats).ok());
  EXPECT_EQ(stats.topic(), "tweets-dlq");
  EXPECT_EQ(stats.by_error_class().at("mapper_parsing_exception"), 2);
  EXPECT_EQ(stats.by_error_class().at("undecodable"), 1);
  EXPECT_EQ(stats.last().message(), "mapper_parsing_exception: failed to parse field [geo]");
  EXPECT_GT(stats.last().time().seconds(), 0);
  EXPECT_EQ(stats.topic_records(), 11);

  config_.dlq_topic = "absent-dlq";  // not created yet: no records
  stats.Clear();
  ASSERT_TRUE(service_->GetDeadLetterStats(&context_, nullptr, &stats).ok());
  EXPECT_EQ(stats.topic_records(), 0);
  admin_.SetError(absl::UnavailableError("down"));  // unknown, not zero
  stats.Clear();
  ASSERT_TRUE(service_->GetDeadLetterStats(&context_, nullptr, &stats).ok());
  EXPECT_EQ(stats.topic_records(), -1);
}

TEST_F(SinkControlTest, EveryMethodChecksTheTokenBeforeAskingKafka) {
  control::ControlAuth auth("s3cret");
  SinkControlService service(
      host_.get(), [this]() -> absl::StatusOr<SinkConfig> { return config_; }, &ledger_, &auth, &admin_);
  v1::GetOffsetsResponse offsets;
  EXPECT_EQ(service.GetOffsets(&context_, nullptr, &offsets).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::ResetOffsetsRequest reset;
  v1::ResetOffsetsResponse reset_response;
  EXPECT_EQ(service.ResetOffsets(&context_, &reset, &reset_response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::DeadLetterStats stats;
  EXPECT_EQ(service.GetDeadLetterStats(&context_, nullptr, &stats).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(admin_.Calls().empty());
  grpc::ServerContext with_token;
  // The spouse owns the metadata strings the context points at: it must outlive the calls.
  grpc::testing::ServerContextTestSpouse spouse(&with_token);
  spouse.AddClientMetadata("authorization", "Bearer s3cret");
  EXPECT_TRUE(service.GetOffsets(&with_token, nullptr, &offsets).ok());
}

class SinkProbeTest : public SinkControlTest {
 protected:
  // A probe whose Elasticsearch is `es_` (one client per set of ES options, counted).
  std::unique_ptr<SinkProbe> Probe(absl::Duration max_age) {
    return std::make_unique<SinkProbe>(
        [this]() -> absl::StatusOr<SinkConfig> { return config_; }, &admin_,
        [this](const EsOptions& options) -> absl::StatusOr<std::unique_ptr<EsApi>> {
          ++es_clients_;
          es_timeout_ = options.timeout;
          return std::unique_ptr<EsApi>(std::make_unique<FakeEs>(&es_));
        },
        max_age);
  }
  FakeEs::Shared es_;
  int es_clients_ = 0;
  std::chrono::milliseconds es_timeout_{0};
};

TEST_F(SinkProbeTest, FillsTheLagPerPartitionAndTheIndexDocumentCount) {
  es_.handler = [](const FakeEs::Call& call) -> absl::StatusOr<common::HttpResponse> {
    common::HttpResponse r;
    r.status = call.path == "/twitter/_count" ? 200 : 400;
    r.body = R"({"count":42,"_shards":{"total":1}})";
    return r;
  };
  auto probe = Probe(absl::InfiniteDuration());
  v1::ConnectorStatus status;
  probe->Fill(&status);
  const v1::SinkDetail& sink = status.sink();
  EXPECT_EQ(sink.topic(), "tweets");
  EXPECT_EQ(sink.group_id(), "sinks");
  EXPECT_EQ(sink.index(), "twitter");
  EXPECT_EQ(sink.dlq_topic(), "tweets-dlq");
  ASSERT_EQ(sink.partitions_size(), 2);
  EXPECT_EQ(sink.partitions(0).committed(), 45);
  EXPECT_EQ(sink.partitions(0).end_offset(), 50);
  EXPECT_EQ(sink.partitions(0).lag(), 5);
  EXPECT_EQ(sink.partitions(1).lag(), 7);
  EXPECT_EQ(sink.total_lag(), 12);
  EXPECT_EQ(sink.index_document_count(), 42);
  EXPECT_EQ(es_timeout_, std::chrono::milliseconds(2000));  // a probe never waits long

  // Within max_age: the figures are reused, nothing is asked again.
  status.Clear();
  probe->Fill(&status);
  EXPECT_EQ(status.sink().total_lag(), 12);
  EXPECT_EQ(admin_.Calls().size(), 1u);
  EXPECT_EQ(es_.Calls().size(), 1u);
}

TEST_F(SinkProbeTest, RefreshesAfterMaxAgeOnTheSameClientsAndANewEsClientWhenItsOptionsChange) {
  es_.handler = [](const FakeEs::Call&) -> absl::StatusOr<common::HttpResponse> {
    common::HttpResponse r;
    r.status = 404;  // index not created yet
    r.body = R"({"error":{"type":"index_not_found_exception"}})";
    return r;
  };
  auto probe = Probe(absl::ZeroDuration());
  v1::ConnectorStatus status;
  probe->Fill(&status);
  EXPECT_EQ(status.sink().index_document_count(), 0);
  probe->Fill(&status);
  EXPECT_EQ(admin_.Calls().size(), 2u);
  EXPECT_EQ(es_.Calls().size(), 2u);
  EXPECT_EQ(es_clients_, 1);
  config_.es.urls = {"http://es-b:9200"};
  config_.index = "twitter-%Y.%m.%d";  // a date pattern: every index of it
  probe->Fill(&status);
  EXPECT_EQ(es_clients_, 2);
  EXPECT_EQ(es_.Calls().back().path, "/twitter-*/_count");
}

TEST_F(SinkProbeTest, UnknownFiguresWhenKafkaAndElasticsearchAreDown) {
  admin_.SetError(absl::UnavailableError("no broker"));
  es_.handler = [](const FakeEs::Call&) -> absl::StatusOr<common::HttpResponse> {
    return absl::UnavailableError("connection refused");
  };
  auto probe = Probe(absl::InfiniteDuration());
  v1::ConnectorStatus status;
  probe->Fill(&status);
  EXPECT_EQ(status.sink().partitions_size(), 0);
  EXPECT_EQ(status.sink().total_lag(), 0);
  EXPECT_EQ(status.sink().index_document_count(), -1);
  EXPECT_TRUE(probe->Partitions().empty());
}

}  // namespace
}  // namespace tweetstream::sink
