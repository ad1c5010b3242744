#pragma once
// tweet-sink's counters, declared once. Each row of TWEETSTREAM_SINK_COUNTERS is one counter:
//   X(name, where, field, metric, help)
//   name    its key in the status file's "counters" object and the SinkCounters field;
//   where   how the control plane carries it: `counters` (ConnectorStatus.counters.<field>, summed over
//           data-plane restarts by ConnectorHost) or `none` (status file only, no metric);
//   metric  the Prometheus counter tweetstream_sink_<metric> (names kept as they were published), help `help`.
// Adding a counter: a row here and the code that counts it (with `counters`, a field of Counters in
// proto/tweetstream/connector/v1/control.proto).

#include <atomic>
#include <cstdint>

#include "tweetstream/connector/v1/control.pb.h"

#define TWEETSTREAM_SINK_COUNTERS(X)                                                                            \
  X(consumed, counters, read, consumed, "Records consumed from Kafka.")                                        \
  X(indexed, counters, indexed, indexed, "Documents written to Elasticsearch (created, updated or already there).") \
  X(deleted, counters, deleted, deleted, "Tombstones applied (document deleted or already absent).")            \
  X(dead_lettered, counters, dead_lettered, dead_lettered, "Records written to the dead-letter topic.")         \
  X(rejected, counters, failed, rejected, "Documents Elasticsearch refused for good.")                          \
  X(undecodable, counters, skipped, undecodable, "Records that are not a TweetEnvelope.")                       \
  X(retried, counters, retried, retries, "Retries of bulk requests and of single items.")                       \
  X(bulks, counters, requests, bulk_requests, "Bulk requests answered.")                                        \
  X(commits, none, none, commits, "Offset commits.")                                                            \
  X(rebalances, none, none, rebalances, "Partition assignments and revocations.")

namespace tweetstream::sink {

// Counted from several threads (the poll loop, the bulk workers, the dead-letter callbacks).
struct SinkCounters {
#define TWEETSTREAM_SINK_COUNTER_FIELD(name, where, field, metric, help) std::atomic<int64_t> name{0};
  TWEETSTREAM_SINK_COUNTERS(TWEETSTREAM_SINK_COUNTER_FIELD)
#undef TWEETSTREAM_SINK_COUNTER_FIELD
};

#define TWEETSTREAM_SINK_COUNTER_SET_counters(status, field, value) (status)->mutable_counters()->set_##field(value)
#define TWEETSTREAM_SINK_COUNTER_SET_none(status, field, value) (void)(value)
#define TWEETSTREAM_SINK_COUNTER_GET_counters(status, field) (status).counters().field()
#define TWEETSTREAM_SINK_COUNTER_GET_none(status, field) int64_t{-1}

// Puts every counter the control plane carries into `out`.
inline void FillCounters(const SinkCounters& c, connector::v1::ConnectorStatus* out) {
#define TWEETSTREAM_SINK_COUNTER_FILL(name, where, field, metric, help) \
  TWEETSTREAM_SINK_COUNTER_SET_##where(out, field, c.name.load());
  TWEETSTREAM_SINK_COUNTERS(TWEETSTREAM_SINK_COUNTER_FILL)
#undef TWEETSTREAM_SINK_COUNTER_FILL
}

}  // namespace tweetstream::sink
