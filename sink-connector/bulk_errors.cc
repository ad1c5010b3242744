#include "sink-connector/bulk_errors.h"

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tweetstream::sink {
namespace {

// The document itself is refused: its content conflicts with the mapping or cannot be parsed.
constexpr std::string_view kRecordFaults[] = {
    "mapper_parsing_exception",        "document_parsing_exception", "strict_dynamic_mapping_exception",
    "mapper_exception",                "parse_exception",            "json_parse_exception",
    "x_content_parse_exception",       "not_x_content_exception",    "illegal_argument_exception",
    "action_request_validation_exception", "document_source_missing_exception",
};

// The system refuses to write, whatever the document: configuration, privileges, blocks, disk.
constexpr std::string_view kSystemFaults[] = {
    "security_exception",        "index_not_found_exception",  "cluster_block_exception",
    "index_closed_exception",    "invalid_index_name_exception", "invalid_alias_name_exception",
    "no_shard_available_action_exception", "unavailable_shards_exception", "resource_already_exists_exception",
    "circuit_breaking_exception", "process_cluster_event_timeout_exception",
};

// illegal_argument_exception is mostly a field's fault, but also what an alias without a write index
// or an index at its document limit answers: those are the system's.
bool IllegalArgumentIsTheSystems(const std::string& reason) {
  return absl::StrContains(reason, "write index") || absl::StrContains(reason, "alias") ||
         absl::StrContains(reason, "number of documents in the index cannot exceed") ||
         absl::StrContains(reason, "pipeline") || absl::StrContains(reason, "read-only");
}

template <size_t N>
bool In(const std::string_view (&list)[N], const std::string& type) {
  for (std::string_view t : list) {
    if (t == type) return true;
  }
  return false;
}

}  // namespace

bool IsBackPressure(const BulkItemResult& r) {
  return r.status == 429 || r.error_type == "es_rejected_execution_exception";
}

ItemFault ClassifyItem(const BulkItemResult& r, bool is_delete) {
  if (r.status >= 200 && r.status < 300) return ItemFault::kDone;
  if (is_delete && r.status == 404 && (r.error_type.empty() || r.error_type == "not_found")) return ItemFault::kDone;
  if (r.status == 409) return ItemFault::kDone;
  if (IsBackPressure(r)) return ItemFault::kTransient;
  if (In(kSystemFaults, r.error_type)) return ItemFault::kSystem;
  if (r.error_type == "illegal_argument_exception" && IllegalArgumentIsTheSystems(r.error_reason)) {
    return ItemFault::kSystem;
  }
  if (r.status >= 500) return ItemFault::kTransient;
  if (r.status == 401 || r.status == 403) return ItemFault::kSystem;
  if (In(kRecordFaults, r.error_type)) return ItemFault::kRecord;
  return ItemFault::kUnknown;
}

std::string DescribeItemError(const BulkItemResult& r) {
  if (r.error_type.empty()) return absl::StrCat("HTTP ", r.status);
  return absl::StrCat(r.error_type, ": ", r.error_reason);
}

std::string ItemErrorClass(const BulkItemResult& r) {
  return r.error_type.empty() ? absl::StrCat("http_", r.status) : r.error_type;
}

}  // namespace tweetstream::sink
