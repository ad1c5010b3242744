#include "sink-connector/sink_config.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/http_client.h"

namespace tweetstream::sink {

std::string SinkConfig::EffectiveTemplateName() const {
  if (!template_name.empty()) return template_name;
  std::string prefix = IndexPrefix();
  while (!prefix.empty() && (prefix.back() == '-' || prefix.back() == '.' || prefix.back() == '_')) prefix.pop_back();
  return "tweetstream-" + prefix;
}

absl::Status SinkConfig::Validate() const {
  if (bootstrap_servers.empty()) return absl::InvalidArgumentError("bootstrap-servers: must not be empty");
  if (topic.empty()) return absl::InvalidArgumentError("topic: must not be empty");
  if (group_id.empty()) return absl::InvalidArgumentError("group-id: must not be empty");
  for (const char* fixed : {"enable.auto.commit", "enable.auto.offset.store"}) {
    if (consumer_properties.count(fixed) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "consumer-property: ", fixed,
          " cannot be set: the sink stores and commits offsets itself, only after the documents are indexed"));
    }
  }
  if (dlq_topic == topic) return absl::InvalidArgumentError("dlq-topic: must differ from topic");
  if (start_from != "earliest" && start_from != "latest") {
    return absl::InvalidArgumentError("start-from: must be earliest or latest");
  }
  if (es.urls.empty()) return absl::InvalidArgumentError("es-url: at least one Elasticsearch URL is needed");
  for (const auto& url : es.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("es-url: '", common::RedactUrl(url), "' must start with http:// or https://"));
    }
  }
  if (index.empty() || IndexPrefix().empty()) return absl::InvalidArgumentError("index: needs a fixed prefix, e.g. twitter or twitter-%Y.%m.%d");
  if (index != absl::AsciiStrToLower(index) && !IndexIsPattern()) return absl::InvalidArgumentError("index: must be lower case");
  if (batch_max_records < 1) return absl::InvalidArgumentError("batch-max-records: must be >= 1");
  if (batch_max_bytes < 1024) return absl::InvalidArgumentError("batch-max-bytes: must be >= 1024");
  if (linger.count() < 0) return absl::InvalidArgumentError("linger: must be >= 0");
  if (max_in_flight < 1 || max_in_flight > 64) return absl::InvalidArgumentError("max-in-flight: must be 1..64");
  if (max_pending_records < 0) return absl::InvalidArgumentError("max-pending-records: must be >= 0");
  if (max_pending_records > 0 && max_pending_records < batch_max_records) {
    return absl::InvalidArgumentError("max-pending-records: must be >= batch-max-records");
  }
  if (max_pending_bytes < batch_max_bytes) {
    return absl::InvalidArgumentError("max-pending-bytes: must be >= batch-max-bytes");
  }
  if (max_item_retries < 1) return absl::InvalidArgumentError("max-item-retries: must be >= 1");
  if (linger > shutdown_timeout) {
    return absl::InvalidArgumentError("linger: must be <= shutdown-timeout (a batch lingering longer could not be flushed at a stop)");
  }
  if (retry_backoff_initial.count() <= 0 || retry_backoff_max < retry_backoff_initial) {
    return absl::InvalidArgumentError("retry-backoff-initial: must be > 0 and <= retry-backoff-max");
  }
  return absl::OkStatus();
}

}  // namespace tweetstream::sink
