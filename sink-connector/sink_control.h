#pragma once
// The sink's side of the control plane: its data plane for the ConnectorHost (a SinkApp run), the
// broker and index figures of its status (lag per partition, the index's document count), the
// process-wide dead-letter ledger, the SinkControl service (offsets, dead-letter stats) and the
// sink's metrics.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/control/connector_host.h"
#include "common/control/control_server.h"
#include "common/kafka_admin.h"
#include "common/metrics.h"
#include "sink-connector/es_client.h"
#include "sink-connector/sink_app.h"
#include "tweetstream/connector/v1/sink.grpc.pb.h"

namespace tweetstream::sink {

namespace v1 = ::tweetstream::connector::v1;

// The current configuration (rebuilt from the flags, which UpdateConfig may change).
using SinkConfigSource = std::function<absl::StatusOr<SinkConfig>()>;

class SinkDataPlane final : public control::DataPlane {
 public:
  explicit SinkDataPlane(std::unique_ptr<SinkApp> app) : app_(std::move(app)) {}
  absl::Status Run() override { return app_->Run(); }
  void RequestStop() override { app_->RequestStop(); }
  void SetPaused(bool paused) override { app_->SetPaused(paused); }
  void FillStatus(v1::ConnectorStatus* status) override;

 private:
  std::unique_ptr<SinkApp> app_;
};

// Every record dead-lettered since the process started, by error class, and the last one.
class DeadLetterLedger {
 public:
  void Record(const std::string& error_class, const std::string& message);
  void Fill(v1::DeadLetterStats* out) const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> by_class_ ABSL_GUARDED_BY(mu_);
  v1::ErrorEntry last_ ABSL_GUARDED_BY(mu_);
};

// Makes the Elasticsearch client of the probe from the current options (the seam where a test puts
// a fake). The default: an EsClient over a curl HttpClient.
using EsApiFactory = std::function<absl::StatusOr<std::unique_ptr<EsApi>>(const EsOptions&)>;
absl::StatusOr<std::unique_ptr<EsApi>> MakeCurlEsClient(const EsOptions& options);

// The group's lag and the index's document count, asked of Kafka and Elasticsearch at most every
// `max_age` (status and metrics are read often; these are network calls with short deadlines).
// Kafka through `admin` (not owned, outlives the probe: one client for every refresh); Elasticsearch
// through a client made by `es` and kept while the configuration's ES options stay the same.
// Thread-safety: any thread; refreshes are serialized.
class SinkProbe {
 public:
  SinkProbe(SinkConfigSource config, common::KafkaAdmin* admin, EsApiFactory es = MakeCurlEsClient,
            absl::Duration max_age = absl::Seconds(1));
  // Fills the sink detail's topic, group, index, dlq topic, partitions, total lag, document count.
  void Fill(v1::ConnectorStatus* status);
  // The last known lag per partition (refreshed when older than max_age).
  std::vector<common::PartitionOffsetInfo> Partitions();

 private:
  void RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SinkConfigSource config_;
  common::KafkaAdmin* const admin_;
  const EsApiFactory es_factory_;
  const absl::Duration max_age_;
  absl::Mutex mu_;
  absl::Time refreshed_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<common::PartitionOffsetInfo> partitions_ ABSL_GUARDED_BY(mu_);
  int64_t document_count_ ABSL_GUARDED_BY(mu_) = -1;
  std::unique_ptr<EsApi> es_ ABSL_GUARDED_BY(mu_);
  std::string es_key_ ABSL_GUARDED_BY(mu_);  // the options es_ was made with
};

// The number of documents in `config.index` (all indices of a date pattern), asked of `es`; 0 when
// the index does not exist yet; -1 with the reason logged at debug level when Elasticsearch does not
// answer or answers something else.
int64_t CountIndexDocuments(EsApi* es, const SinkConfig& config);

class SinkControlService final : public v1::SinkControl::Service {
 public:
  // `admin` (not owned) answers every offset question and commit; it must outlive the service.
  // Status codes: UNAVAILABLE / DEADLINE_EXCEEDED when Kafka does not answer (retry), NOT_FOUND for a
  // topic that does not exist, FAILED_PRECONDITION for ResetOffsets unless STOPPED or while the group
  // has members, INVALID_ARGUMENT for a bad target (see control_server.h for the shared meanings).
  SinkControlService(control::ConnectorHost* host, SinkConfigSource config, const DeadLetterLedger* ledger,
                     const control::ControlAuth* auth, common::KafkaAdmin* admin);
  grpc::Status GetOffsets(grpc::ServerContext* context, const v1::GetOffsetsRequest* request,
                          v1::GetOffsetsResponse* response) override;
  grpc::Status ResetOffsets(grpc::ServerContext* context, const v1::ResetOffsetsRequest* request,
                            v1::ResetOffsetsResponse* response) override;
  grpc::Status GetDeadLetterStats(grpc::ServerContext* context, const v1::GetDeadLetterStatsRequest* request,
                                  v1::DeadLetterStats* response) override;

 private:
  control::ConnectorHost* const host_;
  const SinkConfigSource config_;
  const DeadLetterLedger* const ledger_;
  const control::ControlAuth* const auth_;
  common::KafkaAdmin* const admin_;
};

// Registers the sink's counters (the host's, so /metrics and GetStatus agree), flow gauges and the
// per-partition lag family on `registry`.
void RegisterSinkMetrics(control::ConnectorHost* host, SinkProbe* probe, common::MetricsRegistry* registry);

}  // namespace tweetstream::sink
