#pragma once
// Whose fault is it? The one place that decides what happens to a bulk item Elasticsearch did not
// accept, by the item's HTTP status and `error.type`:
//
//   kDone        2xx; 404 on a delete (already gone); 409 (a record at least as new is indexed)
//   kTransient   429, es_rejected_execution_exception, 5xx: the node is busy or failing. Retried
//                with backoff; 429/rejections forever, other 5xx at most `max_item_retries` times
//                (then the record is dead-lettered: a poison item must not wedge its partition)
//   kSystem      not the record's fault: authorization (security_exception), a missing or closed
//                index, an alias without a write index, write blocks (cluster_block_exception: an
//                operator's index.blocks.write, the disk flood stage), an invalid index name from
//                the configuration. Held (nothing committed past it), retried with backoff forever,
//                DEGRADED with the cause; it recovers by itself when the condition clears.
//   kRecord      the record's own content: the mapping or parser refuses the document. Dead-lettered.
//   kUnknown     an error type not listed here: held like kSystem unless the configuration chooses to
//                dead-letter unknown errors (a new Elasticsearch version may add types of either kind).
//
// Thread-safety: pure functions.

#include <string>

#include "sink-connector/es_client.h"

namespace tweetstream::sink {

enum class ItemFault { kDone, kTransient, kSystem, kRecord, kUnknown };

// `is_delete`: the item was a delete (for which 404 means done).
ItemFault ClassifyItem(const BulkItemResult& result, bool is_delete);
// True for 429 and es_rejected_execution_exception: back-pressure, never capped.
bool IsBackPressure(const BulkItemResult& result);
// "security_exception: action [...] is unauthorized ..." (type and reason, or the HTTP status).
std::string DescribeItemError(const BulkItemResult& result);
// The dead-letter error class of an item: its error type, or http_<status>.
std::string ItemErrorClass(const BulkItemResult& result);

}  // namespace tweetstream::sink
