#pragma once
// Where the source remembers how far it got: the newest tweet id per connector and query (or rule
// set), stored in a compacted Kafka topic (default `twitter-stream-source-offsets`) keyed by
// "<connector name>/<mode>/<query>", so that a restart continues where the last confirmed delivery
// ended. The value is a small JSON object:
//   {"newest_id": "...", "updated_at": "...",            the floor: a tweet id (since_id)
//    "start_time": "...",                                or a time (when newest_id is ""), and
//    "until_id": "...", "head_id": "...",                the backlog of an interrupted poll, if any
//    "stream_time": "..."}                               stream mode: when the position was read
// `start_time`, `until_id`, `head_id` and `stream_time` are written only when set; a value with only
// {"newest_id","updated_at"} (what earlier versions wrote) loads as a floor without backlog. An
// earlier version reading a newer value sees the floor (newest_id) and re-reads the backlog (and a
// time floor as no cursor): duplicates, never a gap.
//
// The caller saves a cursor only after Kafka confirmed the delivery of every tweet before it; a
// restart then re-reads at most the unconfirmed tail (duplicates possible, gaps never).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/kafka_producer.h"

namespace tweetstream::source {

// Every member has a default member initializer: Cursor{id, time} compiles cleanly under -Wextra.
struct Cursor {
  // The floor: every tweet up to and including this id is delivered (the next poll's since_id).
  std::string newest_id{};
  std::string updated_at{};  // RFC 3339
  // The floor when no tweet id is known yet (an empty poll, the edge of the 7-day window): tweets
  // created from this time on (RFC 3339) are still to be read. Only meaningful when newest_id is "".
  std::string start_time{};
  // The backlog of an interrupted poll (page cap, unreadable page, stop, crash): the tweets newer
  // than the floor and older than `until_id` are still to be read. `head_id` is the newest id that
  // poll read: the floor once the backlog is read. Both "" when no poll was interrupted.
  std::string until_id{};
  std::string head_id{};
  // Stream mode: when the stream delivered newest_id (or was last seen alive after it, with every tweet
  // read before confirmed), RFC 3339 with milliseconds. A restart's recovery window starts here. A
  // cursor without it (earlier versions) uses newest_id's own time (a snowflake).
  std::string stream_time{};
};

class CursorStore {
 public:
  virtual ~CursorStore() = default;
  virtual std::optional<Cursor> Get(const std::string& key) const = 0;
  // Writes the cursor and waits for the write to be confirmed.
  virtual absl::Status Save(const std::string& key, const Cursor& cursor) = 0;
};

// In memory, for tests and for runs without persistence.
class MemoryCursorStore : public CursorStore {
 public:
  std::optional<Cursor> Get(const std::string& key) const override;
  absl::Status Save(const std::string& key, const Cursor& cursor) override;

 private:
  std::map<std::string, Cursor> cursors_;
};

// The compacted Kafka topic. Create() makes the topic if missing (one partition, cleanup.policy=
// compact, `replication_factor` replicas: the same --replication-factor as the data topic, since
// losing the cursor means re-reading or skipping), checks an existing one and reads it whole; Save()
// produces through `producer` (not owned) and flushes it with `timeout`.
// Create() fails with FAILED_PRECONDITION when the topic exists but is not compacted: with
// cleanup.policy=delete the broker drops cursors after retention.ms (7 days by default), and the
// source would start over from --start-time (or from now) without a word. "compact,delete" is
// accepted with a warning (cursors not updated within retention.ms can still go). When the broker
// does not let us read the topic's configuration, Create() warns and goes on. INVALID_ARGUMENT when
// the broker refuses to create the topic (e.g. more replicas than brokers).
class KafkaCursorStore : public CursorStore {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaCursorStore>> Create(const std::string& bootstrap_servers,
                                                                  const std::string& topic,
                                                                  int replication_factor,
                                                                  common::Producer* producer,
                                                                  std::chrono::milliseconds timeout);
  std::optional<Cursor> Get(const std::string& key) const override;
  absl::Status Save(const std::string& key, const Cursor& cursor) override;

 private:
  KafkaCursorStore(std::string topic, common::Producer* producer, std::chrono::milliseconds timeout)
      : topic_(std::move(topic)), producer_(producer), timeout_(timeout) {}
  std::string topic_;
  common::Producer* producer_;
  std::chrono::milliseconds timeout_;
  MemoryCursorStore cache_;
};

// JSON of a cursor, and back (nullopt when the value is not a cursor).
std::string CursorToJson(const Cursor& cursor);
std::optional<Cursor> CursorFromJson(const std::string& json);

}  // namespace tweetstream::source
