// The bulk item classifier on its own: every error type bulk_errors.cc names, at the statuses
// Elasticsearch answers them with, goes to its class (the record's fault -> dead-letter, the system's
// -> hold, transient -> retry); unknown types are kUnknown, never silently the record's fault.
// sink_app_test.cc shows what the sink then does with a few of them end to end. Unit: pure functions.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sink-connector/bulk_errors.h"

namespace tweetstream::testing {
namespace {

using sink::ClassifyItem;
using sink::ItemFault;

sink::BulkItemResult Item(int status, std::string type = "", std::string reason = "") {
  return sink::BulkItemResult{status, std::move(type), std::move(reason)};
}

const char* Name(ItemFault f) {
  switch (f) {
    case ItemFault::kDone: return "kDone";
    case ItemFault::kTransient: return "kTransient";
    case ItemFault::kSystem: return "kSystem";
    case ItemFault::kRecord: return "kRecord";
    case ItemFault::kUnknown: return "kUnknown";
  }
  return "?";
}

struct Case {
  int status;
  const char* type;
  const char* reason;
};

// The record's own content; the status each usually comes with (all of them 400).
const std::vector<Case> kRecordCases = {
    {400, "mapper_parsing_exception", "failed to parse field [created_at] of type [date]"},
    {400, "document_parsing_exception", "[1:40] failed to parse field [lang]"},
    {400, "strict_dynamic_mapping_exception", "mapping set to strict, dynamic introduction of [x] is not allowed"},
    {400, "mapper_exception", "mapper [text] cannot be changed"},
    {400, "parse_exception", "unexpected character"},
    {400, "json_parse_exception", "Unexpected end-of-input"},
    {400, "x_content_parse_exception", "[1:7] unexpected token"},
    {400, "not_x_content_exception", "Compressor detection can only be called on some xcontent bytes"},
    {400, "illegal_argument_exception", "mapper [public_metrics.like_count] cannot be changed from type [long] to [text]"},
    {400, "action_request_validation_exception", "Validation Failed: 1: id is too long"},
    {400, "document_source_missing_exception", "[twitter][1]: document source missing"},
};

// Not the record's fault, at their usual statuses.
const std::vector<Case> kSystemCases = {
    {403, "security_exception", "action [indices:data/write/bulk[s]] is unauthorized for API key id [k1]"},
    {404, "index_not_found_exception", "no such index [twitter]"},
    {403, "cluster_block_exception", "index [twitter] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark]"},
    {400, "index_closed_exception", "closed"},
    {400, "invalid_index_name_exception", "Invalid index name [Twitter], must be lowercase"},
    {400, "invalid_alias_name_exception", "Invalid alias name [twitter]"},
    {503, "no_shard_available_action_exception", "no shard available"},
    {503, "unavailable_shards_exception", "[twitter][0] primary shard is not active"},
    {400, "resource_already_exists_exception", "index [twitter/abc] already exists"},
    {503, "circuit_breaking_exception", "[parent] Data too large"},
    {503, "process_cluster_event_timeout_exception", "failed to process cluster event (put-mapping) within 30s"},
};

TEST(ClassifyItemTest, EveryRecordFaultTypeIsTheRecordsFault) {
  for (const Case& c : kRecordCases) {
    EXPECT_EQ(Name(ClassifyItem(Item(c.status, c.type, c.reason), false)), std::string("kRecord")) << c.type;
    EXPECT_EQ(Name(ClassifyItem(Item(c.status, c.type, c.reason), true)), std::string("kRecord")) << c.type << " (delete)";
  }
}

TEST(ClassifyItemTest, EverySystemFaultTypeIsHeldWhateverItsStatus) {
  for (const Case& c : kSystemCases) {
    EXPECT_EQ(Name(ClassifyItem(Item(c.status, c.type, c.reason), false)), std::string("kSystem")) << c.type;
    // The type decides, not the status: the same types answered with a plain 400.
    EXPECT_EQ(Name(ClassifyItem(Item(400, c.type, c.reason), false)), std::string("kSystem")) << c.type << " at 400";
  }
}

TEST(ClassifyItemTest, AnIllegalArgumentAboutTheIndexRatherThanTheFieldIsTheSystems) {
  const std::vector<std::string> systems_reasons = {
      "no write index is defined for alias [twitter]. The write index may be explicitly disabled",
      "alias [twitter] has more than one index associated with it, can't execute a single index op",
      "number of documents in the index cannot exceed 2147483519",
      "pipeline with id [tweets] does not exist",
      "index [twitter] is read-only",
  };
  for (const std::string& reason : systems_reasons) {
    EXPECT_EQ(Name(ClassifyItem(Item(400, "illegal_argument_exception", reason), false)), std::string("kSystem"))
        << reason;
  }
  EXPECT_EQ(ClassifyItem(Item(400, "illegal_argument_exception", "Limit of total fields [1000] has been exceeded"), false),
            ItemFault::kRecord);
  EXPECT_EQ(ClassifyItem(Item(400, "illegal_argument_exception", ""), false), ItemFault::kRecord);
}

TEST(ClassifyItemTest, UnknownAndMissingErrorTypesAreUnknownNotTheRecordsFault) {
  EXPECT_EQ(ClassifyItem(Item(400, "brand_new_exception", "a type this sink has never seen"), false), ItemFault::kUnknown);
  EXPECT_EQ(ClassifyItem(Item(400), false), ItemFault::kUnknown);   // a 400 without an error
  EXPECT_EQ(ClassifyItem(Item(404), false), ItemFault::kUnknown);   // an index answered 404 without an error
  EXPECT_EQ(ClassifyItem(Item(300), false), ItemFault::kUnknown);   // not 2xx
  EXPECT_EQ(ClassifyItem(Item(422, "MAPPER_PARSING_EXCEPTION"), false), ItemFault::kUnknown);  // types are exact
}

TEST(ClassifyItemTest, SuccessAConflictAndADeleteOfWhatIsGoneAreDone) {
  for (int status : {200, 201, 299}) {
    EXPECT_EQ(ClassifyItem(Item(status), false), ItemFault::kDone) << status;
    EXPECT_EQ(ClassifyItem(Item(status), true), ItemFault::kDone) << status;
  }
  // 409: Elasticsearch holds a version at least as new (external_gte): the later record won.
  const auto conflict = Item(409, "version_conflict_engine_exception", "[1]: version conflict, current version [9] is higher");
  EXPECT_EQ(ClassifyItem(conflict, false), ItemFault::kDone);
  EXPECT_EQ(ClassifyItem(conflict, true), ItemFault::kDone);
  EXPECT_EQ(ClassifyItem(Item(404), true), ItemFault::kDone);               // delete: not found, no error
  EXPECT_EQ(ClassifyItem(Item(404, "not_found"), true), ItemFault::kDone);
}

TEST(ClassifyItemTest, ADeleteIntoAMissingIndexIsHeldNotTakenAsAlreadyGone) {
  EXPECT_EQ(ClassifyItem(Item(404, "index_not_found_exception", "no such index [twitter]"), true), ItemFault::kSystem);
  EXPECT_EQ(ClassifyItem(Item(404, "brand_new_exception"), true), ItemFault::kUnknown);
}

TEST(ClassifyItemTest, BackPressureIsTransientWhateverTheTypeAndIsNeverCapped) {
  const std::vector<sink::BulkItemResult> busy = {
      Item(429, "es_rejected_execution_exception", "rejected execution of coordinating operation"),
      Item(429, "circuit_breaking_exception", "[parent] Data too large"),  // 429 decides before the type
      Item(429, "mapper_parsing_exception", "status first"),
      Item(429),
      Item(500, "es_rejected_execution_exception", "rejected"),
      Item(503, "es_rejected_execution_exception", "rejected"),
  };
  for (const auto& r : busy) {
    EXPECT_EQ(Name(ClassifyItem(r, false)), std::string("kTransient")) << r.status << " " << r.error_type;
    EXPECT_TRUE(sink::IsBackPressure(r)) << r.status << " " << r.error_type;
  }
}

TEST(ClassifyItemTest, OtherServerErrorsAreTransientButCapped) {
  const std::vector<sink::BulkItemResult> failing = {
      Item(500, "illegal_state_exception", "scripted"),
      Item(502),
      Item(503, "unavailable", "node shutting down"),
      Item(599, "brand_new_exception"),
  };
  for (const auto& r : failing) {
    EXPECT_EQ(Name(ClassifyItem(r, false)), std::string("kTransient")) << r.status << " " << r.error_type;
    EXPECT_FALSE(sink::IsBackPressure(r)) << r.status << " " << r.error_type << " would never be capped";
  }
  for (const Case& c : kSystemCases) EXPECT_FALSE(sink::IsBackPressure(Item(c.status, c.type, c.reason))) << c.type;
}

TEST(ClassifyItemTest, UnauthorizedOrForbiddenWithoutAKnownTypeIsTheSystems) {
  for (int status : {401, 403}) {
    EXPECT_EQ(ClassifyItem(Item(status), false), ItemFault::kSystem) << status;
    EXPECT_EQ(ClassifyItem(Item(status, "brand_new_exception"), false), ItemFault::kSystem) << status;
    // Even a record-fault type: a refusal to write is not the document's fault.
    EXPECT_EQ(ClassifyItem(Item(status, "mapper_parsing_exception"), false), ItemFault::kSystem) << status;
  }
}

TEST(ItemErrorTextTest, TheClassIsTheTypeOrTheHttpStatusAndTheDescriptionAddsTheReason) {
  EXPECT_EQ(sink::ItemErrorClass(Item(400, "mapper_parsing_exception", "failed to parse")), "mapper_parsing_exception");
  EXPECT_EQ(sink::ItemErrorClass(Item(503)), "http_503");
  EXPECT_EQ(sink::DescribeItemError(Item(403, "security_exception", "action [x] is unauthorized")),
            "security_exception: action [x] is unauthorized");
  EXPECT_EQ(sink::DescribeItemError(Item(503)), "HTTP 503");
}

}  // namespace
}  // namespace tweetstream::testing
