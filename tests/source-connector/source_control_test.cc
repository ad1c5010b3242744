// SourceControlService (the stream rules, the cursor) over fakes: the X rules API, a KafkaAdmin for
// the cursor topic and a producer (unit: no sockets). What a tweetctl user sees: the rules and whose
// they are, what a delete found, the cursor, and the status codes (X's 429 RESOURCE_EXHAUSTED, its
// 5xx and a Kafka outage UNAVAILABLE, as control_server.h defines them).

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "gtest/gtest.h"
#include "source-connector/cursor_store.h"
#include "source-connector/source_control.h"
#include "source-connector/x_api_client.h"
#include "tests/fakes/fake_producer.h"
#include "tests/fakes/fake_data_plane.h"
#include "tests/fakes/fake_kafka_admin.h"
#include "tests/fakes/fake_rules_api.h"

namespace tweetstream::source {
namespace {

using testing::FakeKafkaAdmin;
using testing::FakeProducer;
using testing::FakeRulesApi;

class SourceControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.name = "tweet-source";
    config_.x_api.bearer_token = "token";
    config_.bootstrap_servers = "broker-a:9092";
    config_.cursor_topic = "cursors";
    rules_.rules = {{"1", {"cats has:images", "tweet-source:cats"}}, {"2", {"dogs", "someone-else"}}};
    control::ConnectorHostOptions options;
    options.name = "source-under-test";
    options.kind = "source";
    host_ = std::make_unique<control::ConnectorHost>(
        options, []() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
          return std::make_unique<testing::IdleDataPlane>();
        });
    ASSERT_TRUE(host_->Start().ok());
    service_ = std::make_unique<SourceControlService>(
        host_.get(), [this]() -> absl::StatusOr<SourceConfig> { return config_; }, &auth_, &admin_,
        [this](const SourceConfig& config) -> absl::StatusOr<std::unique_ptr<RulesApi>> {
          rules_for_.push_back(config.name);
          return std::unique_ptr<RulesApi>(std::make_unique<FakeRulesApi>(&rules_));
        },
        [this](const common::KafkaProducerOptions& options) -> absl::StatusOr<std::unique_ptr<common::Producer>> {
          producer_bootstrap_ = options.bootstrap_servers;
          producer_client_id_ = options.client_id;
          return std::unique_ptr<common::Producer>(std::make_unique<FakeProducer>(&produced_));
        });
  }

  SourceConfig config_;
  FakeKafkaAdmin admin_;
  FakeRulesApi::Shared rules_;
  std::vector<std::string> rules_for_;
  FakeProducer::Shared produced_;
  std::string producer_bootstrap_, producer_client_id_;
  control::ControlAuth auth_{""};
  std::unique_ptr<control::ConnectorHost> host_;
  std::unique_ptr<SourceControlService> service_;
  grpc::ServerContext context_;
};

TEST_F(SourceControlTest, ListRulesSaysWhichRulesAreThisSourcesOwn) {
  v1::ListRulesResponse response;
  grpc::Status status = service_->ListRules(&context_, nullptr, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.rules_size(), 2);
  EXPECT_EQ(response.rules(0).id(), "1");
  EXPECT_EQ(response.rules(0).value(), "cats has:images");
  EXPECT_EQ(response.rules(0).tag(), "tweet-source:cats");
  EXPECT_TRUE(response.rules(0).owned());
  EXPECT_EQ(response.rules(1).value(), "dogs");
  EXPECT_FALSE(response.rules(1).owned());
  EXPECT_EQ(rules_for_, std::vector<std::string>{"tweet-source"});
}

TEST_F(SourceControlTest, RulesNeedTheBearerTokenAndAskNothingWithoutIt) {
  config_.x_api.bearer_token.clear();
  v1::ListRulesResponse response;
  grpc::Status status = service_->ListRules(&context_, nullptr, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("X_BEARER_TOKEN"), std::string::npos) << status.error_message();
  EXPECT_TRUE(rules_.calls.empty());
  EXPECT_TRUE(rules_for_.empty());
}

TEST_F(SourceControlTest, XRateLimitIsResourceExhaustedAndXOutageUnavailable) {
  rules_.error = XHttpError(429, "X API GET /2/tweets/search/stream/rules answered HTTP 429: Too Many Requests", false, "");
  v1::ListRulesResponse list;
  grpc::Status status = service_->ListRules(&context_, nullptr, &list);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find("rate limited until the window resets"), std::string::npos);

  rules_.error = XHttpError(503, "X API POST /2/tweets/search/stream/rules answered HTTP 503: Service Unavailable", false, "");
  v1::AddRulesRequest add;
  add.add_rules()->set_value("birds");
  v1::AddRulesResponse added;
  status = service_->AddRules(&context_, &add, &added);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "X API POST /2/tweets/search/stream/rules answered HTTP 503: Service Unavailable");

  rules_.error = XHttpError(401, "X API GET /2/tweets/search/stream/rules answered HTTP 401: Unauthorized", false, "");
  v1::DeleteRulesRequest del;
  del.add_ids("1");
  v1::DeleteRulesResponse deleted;
  EXPECT_EQ(service_->DeleteRules(&context_, &del, &deleted).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SourceControlTest, AddRulesReturnsXsIdsAndRejectionsAsInvalidArgumentWithTheReason) {
  v1::AddRulesRequest request;
  auto* rule = request.add_rules();
  rule->set_value("birds lang:en");
  rule->set_tag("ops");
  v1::AddRulesResponse response;
  ASSERT_TRUE(service_->AddRules(&context_, &request, &response).ok());
  ASSERT_EQ(response.added_size(), 1);
  EXPECT_EQ(response.added(0).id(), "100");
  EXPECT_EQ(response.added(0).value(), "birds lang:en");
  EXPECT_EQ(response.added(0).tag(), "ops");
  EXPECT_FALSE(response.dry_run());
  EXPECT_EQ(rules_.rules.size(), 3u);

  rules_.error = absl::InvalidArgumentError("'(birds' rejected by X: invalid-rules (unbalanced parenthesis)");
  response.Clear();
  grpc::Status status = service_->AddRules(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(response.errors_size(), 1);
  EXPECT_EQ(response.errors(0).reason(), "'(birds' rejected by X: invalid-rules (unbalanced parenthesis)");
}

TEST_F(SourceControlTest, DeleteRulesByIdAndValueListsWhatWasNotFound) {
  v1::DeleteRulesRequest request;
  request.add_ids("1");
  request.add_ids("999");
  request.add_values("dogs");
  request.add_values("no such rule");
  request.set_dry_run(true);
  v1::DeleteRulesResponse response;
  ASSERT_TRUE(service_->DeleteRules(&context_, &request, &response).ok());
  EXPECT_TRUE(response.dry_run());
  ASSERT_EQ(response.deleted_size(), 2);
  EXPECT_EQ(response.deleted(0).id(), "1");
  EXPECT_EQ(response.deleted(1).id(), "2");
  EXPECT_EQ(std::vector<std::string>(response.not_found().begin(), response.not_found().end()),
            (std::vector<std::string>{"999", "no such rule"}));
  EXPECT_EQ(rules_.rules.size(), 2u);  // a dry run deletes nothing
  EXPECT_EQ(rules_.calls, (std::vector<std::string>{"List", "Delete dry_run=1"}));
}

TEST_F(SourceControlTest, GetCursorReadsThisSourcesKeyFromTheCursorTopic) {
  const std::string key = SourceApp::CursorKeyFor(config_);
  {
    absl::MutexLock lock(&admin_.mu);
    admin_.compacted["cursors"][key] = CursorToJson(Cursor{"1790000000000000001", "2026-12-01T10:00:00Z"});
    admin_.compacted["cursors"]["another-source"] = CursorToJson(Cursor{"5", "2026-12-01T10:00:00Z"});
  }
  v1::Cursor cursor;
  ASSERT_TRUE(service_->GetCursor(&context_, nullptr, &cursor).ok());
  EXPECT_EQ(cursor.key(), key);
  EXPECT_EQ(cursor.newest_id(), "1790000000000000001");
  EXPECT_EQ(cursor.cursor_topic(), "cursors");
  EXPECT_EQ(admin_.Calls(), std::vector<std::string>{"ReadCompactedTopic broker-a:9092"});

  admin_.SetError(absl::UnavailableError("reading topic cursors: Local: Broker transport failure"));
  EXPECT_EQ(service_->GetCursor(&context_, nullptr, &cursor).error_code(), grpc::StatusCode::UNAVAILABLE);

  config_.cursor_topic.clear();  // no cursor kept: nothing to read, not an error
  cursor.Clear();
  ASSERT_TRUE(service_->GetCursor(&context_, nullptr, &cursor).ok());
  EXPECT_EQ(cursor.key(), key);
  EXPECT_EQ(cursor.newest_id(), "");
}

TEST_F(SourceControlTest, ResetCursorOnlyWhileStoppedAndOnlyATweetId) {
  v1::ResetCursorRequest request;
  request.set_newest_id("123");
  v1::Cursor response;
  grpc::Status status = service_->ResetCursor(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("only while the source is STOPPED (it is RUNNING)"), std::string::npos);
  ASSERT_TRUE(host_->Stop().ok());
  request.set_newest_id("12a");
  EXPECT_EQ(service_->ResetCursor(&context_, &request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_newest_id("12345678901234567890");  // 20 digits
  EXPECT_EQ(service_->ResetCursor(&context_, &request, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(produced_.records.empty());
}

TEST_F(SourceControlTest, ResetCursorWritesTheNewCursorOrATombstoneUnderThisSourcesKey) {
  ASSERT_TRUE(host_->Stop().ok());
  const std::string key = SourceApp::CursorKeyFor(config_);
  v1::ResetCursorRequest request;
  request.set_newest_id("1790000000000000009");
  v1::Cursor response;
  ASSERT_TRUE(service_->ResetCursor(&context_, &request, &response).ok());
  EXPECT_EQ(response.key(), key);
  EXPECT_EQ(response.newest_id(), "1790000000000000009");
  EXPECT_EQ(producer_bootstrap_, "broker-a:9092");
  EXPECT_EQ(producer_client_id_, "tweet-source-control");
  ASSERT_EQ(produced_.records.size(), 1u);
  EXPECT_EQ(produced_.records[0].topic, "cursors");
  EXPECT_EQ(produced_.records[0].key, key);
  ASSERT_TRUE(produced_.records[0].value.has_value());
  auto cursor = CursorFromJson(*produced_.records[0].value);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->newest_id, "1790000000000000009");

  request.clear_newest_id();  // forget the cursor
  ASSERT_TRUE(service_->ResetCursor(&context_, &request, &response).ok());
  ASSERT_EQ(produced_.records.size(), 2u);
  EXPECT_FALSE(produced_.records[1].value.has_value());

  produced_.fail_deliveries = true;  // the broker did not take it
  request.set_newest_id("7");
  grpc::Status status = service_->ResetCursor(&context_, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "the cursor topic did not take the new cursor");
}

}  // namespace
}  // namespace tweetstream::source
