#pragma once
// The sink's configuration: every setting with its default and why, validated whole.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "common/metrics.h"
#include "sink-connector/es_client.h"

namespace tweetstream::sink {

struct SinkConfig {
  std::string name = "tweet-sink";
  // Kafka.
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "twitter-stream";
  std::string group_id = "tweet-sink";
  // Where a group without committed offsets starts: "earliest" or "latest".
  std::string start_from = "earliest";
  // Extra librdkafka consumer properties (e.g. session.timeout.ms), applied last.
  std::map<std::string, std::string> consumer_properties;
  // Dead-letter topic for records that can never be indexed; empty = log and skip them.
  std::string dlq_topic = "twitter-stream-dlq";
  // Elasticsearch.
  EsOptions es;
  // A fixed index or alias ("twitter"), or a date pattern on created_at ("twitter-%Y.%m.%d", UTC).
  std::string index = "twitter";
  // The composable index template installed at start; empty = "tweetstream-<index prefix>".
  std::string template_name;
  // A bulk request closes at whichever bound comes first.
  int batch_max_records = 2000;
  int64_t batch_max_bytes = 5 * 1024 * 1024;
  std::chrono::milliseconds linger{1000};
  // Close the open batch as soon as the consumer has nothing more and a bulk slot is free (linger
  // stays the upper bound); false: always wait for a bound or the linger.
  bool send_when_idle = true;
  // Bulk requests in flight at once (one worker thread and HTTP connection each).
  int max_in_flight = 2;
  // Records in flight (consumed, not yet done) at which the partitions are paused. 0 = 4 batches.
  int64_t max_pending_records = 0;
  // The same bound in bytes: record values plus rendered documents of everything consumed and not
  // yet done (held, retrying and dead-letter-retrying records included). Whichever bound is reached
  // first pauses; both must fall to half before the sink takes more.
  int64_t max_pending_bytes = 64 * 1024 * 1024;
  // An item that Elasticsearch fails with the same item-level 5xx this many times is dead-lettered
  // with the reason (a poison item must not wedge its partition). 429 and rejections are never capped,
  // and neither are errors that are not the record's fault (see bulk_errors.h).
  int max_item_retries = 10;
  // An item error of a type the sink does not know is held and retried (it may be the system's
  // fault); true dead-letters it instead.
  bool dead_letter_unknown_errors = false;
  // Backoff between retries of a failed bulk request or of retriable items (doubling, capped, ±20%).
  std::chrono::milliseconds retry_backoff_initial{500};
  std::chrono::milliseconds retry_backoff_max{30000};
  // Bounded waits: Elasticsearch and Kafka at start; in-flight work at a revocation and at shutdown.
  std::chrono::milliseconds es_wait_timeout{60000};
  std::chrono::milliseconds kafka_timeout{30000};
  std::chrono::milliseconds revoke_timeout{10000};
  std::chrono::milliseconds shutdown_timeout{30000};
  // When > 0, Run() returns once nothing arrived and nothing was in flight for this long.
  std::chrono::milliseconds exit_when_idle{0};
  // Where to write the status JSON every second (empty = nowhere).
  std::string status_file;
  // Histograms (bulk latency and size, end-to-end latency) are recorded here when set; not owned.
  common::MetricsRegistry* metrics = nullptr;
  // Told of every record sent to the dead-letter topic (error class, message); any thread.
  std::function<void(const std::string& error_class, const std::string& message)> on_dead_letter;

  bool IndexIsPattern() const { return index.find('%') != std::string::npos; }
  // "twitter" -> "twitter"; "twitter-%Y.%m.%d" -> "twitter-".
  std::string IndexPrefix() const { return index.substr(0, index.find('%')); }
  std::string EffectiveTemplateName() const;
  int64_t EffectiveMaxPending() const {
    return max_pending_records > 0 ? max_pending_records : 4 * static_cast<int64_t>(batch_max_records);
  }
  absl::Status Validate() const;
};

}  // namespace tweetstream::sink
