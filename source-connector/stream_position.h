#pragma once
// Stream mode's two hand-offs between threads (issue 12, point 6):
//
// StreamLineQueue: the socket thread (XStream::Run) pushes every line it reads, and a marker for every
// connection it opens; the worker thread (SourceApp::RunStream) pops them, maps, produces, serves the
// delivery reports and writes the cursor. Kafka therefore never blocks the socket: only a full queue
// does (bounded in bytes and lines), and then the reader pauses, which X may answer by cutting the
// connection (a slow reader): the reconnect is recovered like any other (stream_recovery.h).
//
// DeliveryPosition: the stream position advances only over a contiguous run of confirmed deliveries.
// Each produced record is tracked in read order; its delivery report confirms or fails it. The position
// is the newest id (and the time it was read) of the longest prefix that is entirely confirmed: a record
// not yet confirmed holds it back, a failed one stops it for good. While a recovery runs, what is read
// after the reconnect is held out of the position (Hold/Release): a crash in the middle of a recovery
// must find the position before the missing window, not after the tweets streamed since.
//
// Thread-safety: StreamLineQueue is for one producer thread and one consumer thread (any number of
// callers is safe; it is one mutex). DeliveryPosition: any thread (one mutex).

#include <cstdint>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tweetstream::source {

// Every member has a default member initializer: StreamItem{.line = "..."} compiles under -Wextra.
struct StreamItem {
  enum class Kind { kLine, kConnected };
  Kind kind = Kind::kLine;
  std::string line{};            // kLine: one message, without "\r\n"
  std::string where{};           // kLine: "GET /2/tweets/search/stream (connection 3, line 17)"
  absl::Time at{};               // kLine: when it was read; kConnected: when the connection was answered
  int64_t connection = 0;        // 1-based connection number
  absl::Time previous_end = absl::InfinitePast();  // kConnected: when the previous connection ended
  bool backfill_asked = false;   // kConnected: backfill_minutes was sent on this connection
};

class StreamLineQueue {
 public:
  StreamLineQueue(size_t max_bytes, size_t max_lines) : max_bytes_(max_bytes), max_lines_(max_lines) {}

  // Socket thread. Waits while the queue is full (lines only: a kConnected marker always goes in),
  // until there is room or *stop; false when stopped (the item is dropped: its tweet was not tracked,
  // so the position stays before it and the next start recovers it).
  bool Push(StreamItem item, const std::atomic<bool>* stop);
  // Worker thread. Waits up to `timeout` for an item; false when there is none.
  bool Pop(StreamItem* item, absl::Duration timeout);

  size_t lines() const;
  int64_t full_waits() const;  // how often Push found the queue full and the reader paused

 private:
  const size_t max_bytes_, max_lines_;
  mutable absl::Mutex mu_;
  std::deque<StreamItem> items_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t lines_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t full_waits_ ABSL_GUARDED_BY(mu_) = 0;
};

class DeliveryPosition {
 public:
  struct Position {
    std::string newest_id;                      // "" when nothing is confirmed yet
    absl::Time read_at = absl::InfinitePast();  // when that record was read
  };

  // Before the record is produced: its sequence number, to confirm with. `id` may be "" for a record
  // that moves nothing (it still holds the run until confirmed).
  uint64_t Track(const std::string& id, absl::Time read_at);
  // From the delivery report (or at once, for a record that is skipped for good): OK confirms it;
  // an error fails it, and the position never passes it.
  void Confirm(uint64_t sequence, const absl::Status& delivery);

  // Where the position starts (the saved cursor), before anything is tracked.
  void Seed(const Position& saved);

  // From now on, records tracked are held out of the position until Release() (a recovery runs).
  // A second Hold() while held keeps the first barrier.
  void Hold();
  void Release();
  bool held() const;

  // The position over the confirmed prefix (the held part excluded).
  Position Get() const;
  // Raises the position's time without moving its id (the stream was seen alive with nothing
  // outstanding); never lowers it.
  void Touch(absl::Time at);
  // OK, or the first failed delivery (the position stops before it).
  absl::Status failure() const;
  int64_t outstanding() const;

 private:
  struct Entry {
    uint64_t sequence;
    std::string id;
    absl::Time read_at;
    int state = 0;  // 0 pending, 1 confirmed, -1 failed
  };
  void AdvanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Raise(Position* p, const std::string& id, absl::Time read_at);

  mutable absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // from the first unconfirmed one, in read order
  Position position_ ABSL_GUARDED_BY(mu_);
  Position held_ ABSL_GUARDED_BY(mu_);               // confirmed beyond the barrier, not yet released
  uint64_t barrier_ ABSL_GUARDED_BY(mu_) = UINT64_MAX;  // records from this sequence on are held
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
};

// Tweet ids are decimal strings of up to 19 digits: compare by length, then digits.
inline bool IdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

}  // namespace tweetstream::source
