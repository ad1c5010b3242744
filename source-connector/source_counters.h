#pragma once
// tweet-source's counters, declared once. Each row of TWEETSTREAM_SOURCE_COUNTERS is one counter:
//   X(name, where, field, help)
//   name   its key in the status file's "counters" object, the SourceCounters field, and the Prometheus
//          counter tweetstream_source_<name> (help: `help`);
//   where  how the control plane carries it: `counters` (ConnectorStatus.counters.<field>, summed over
//          data-plane restarts by ConnectorHost), `source` (ConnectorStatus.source.<field>, this run) or
//          `none` (status file only: no metric either, since /metrics reads the control plane's view).
// Adding a counter: a row here and the code that counts it (SourceCounters field; with `counters` or
// `source`, a field of that message in proto/tweetstream/connector/v1/control.proto).
// Beware the one historical name: the control plane's Counters.produced is `delivered` here (confirmed by
// Kafka); `produced` here is what was handed to the producer.

#include <cstdint>

#include "tweetstream/connector/v1/control.pb.h"

#define TWEETSTREAM_SOURCE_COUNTERS(X)                                                                        \
  X(read, counters, read, "Tweets read (API pages, stream lines, files, generator).")                        \
  X(produced, none, none, "Tweets handed to the Kafka producer (delivered or failed later).")                \
  X(delivered, counters, produced, "Tweets whose delivery Kafka confirmed.")                                 \
  X(delivery_failed, counters, failed, "Tweets whose delivery failed for good.")                             \
  X(skipped, counters, skipped,                                                                              \
    "Records skipped as bad input (malformed body or stream line, no id or text, too large for the topic).") \
  X(too_large, source, too_large, "Tweets skipped because their record is larger than the topic accepts.")   \
  X(api_problems, source, api_problems, "Partial errors the X API reported inside 2xx bodies.")              \
  X(requests, counters, requests, "X API requests sent.")                                                     \
  X(polls, source, polls, "Search polls completed.")

namespace tweetstream::source {

struct SourceCounters {
#define TWEETSTREAM_SOURCE_COUNTER_FIELD(name, where, field, help) int64_t name = 0;
  TWEETSTREAM_SOURCE_COUNTERS(TWEETSTREAM_SOURCE_COUNTER_FIELD)
#undef TWEETSTREAM_SOURCE_COUNTER_FIELD
};

// Where each `where` puts a value in, and reads it from, a ConnectorStatus.
#define TWEETSTREAM_SOURCE_COUNTER_SET_counters(status, field, value) (status)->mutable_counters()->set_##field(value)
#define TWEETSTREAM_SOURCE_COUNTER_SET_source(status, field, value) (status)->mutable_source()->set_##field(value)
#define TWEETSTREAM_SOURCE_COUNTER_SET_none(status, field, value) (void)(value)
#define TWEETSTREAM_SOURCE_COUNTER_GET_counters(status, field) (status).counters().field()
#define TWEETSTREAM_SOURCE_COUNTER_GET_source(status, field) (status).source().field()
#define TWEETSTREAM_SOURCE_COUNTER_GET_none(status, field) int64_t{-1}

// Puts every counter the control plane carries into `out`.
inline void FillCounters(const SourceCounters& c, connector::v1::ConnectorStatus* out) {
#define TWEETSTREAM_SOURCE_COUNTER_FILL(name, where, field, help) \
  TWEETSTREAM_SOURCE_COUNTER_SET_##where(out, field, c.name);
  TWEETSTREAM_SOURCE_COUNTERS(TWEETSTREAM_SOURCE_COUNTER_FILL)
#undef TWEETSTREAM_SOURCE_COUNTER_FILL
}

}  // namespace tweetstream::source
