#pragma once
// The tweet-source application: reads tweets (replayed files or the X API's recent search), maps
// them to TweetEnvelope and produces them to Kafka, keyed by tweet id, waiting for every delivery.
//
// Lifecycle: Create() (validates, connects, ensures the topic) -> Run() on one thread until the
// input is exhausted or RequestStop() is called from any thread (e.g. a signal handler's watcher)
// -> the summary. Run() flushes the producer with a deadline before it returns.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/http_client.h"
#include "common/kafka_producer.h"
#include "common/metrics.h"
#include "common/clock.h"
#include "source-connector/cursor_store.h"
#include "source-connector/rate_limit_gate.h"
#include "source-connector/source_status.h"
#include "source-connector/stream_position.h"
#include "source-connector/stream_recovery.h"
#include "source-connector/stream_rules.h"
#include "source-connector/x_stream.h"
#include "source-connector/x_api_client.h"
#include "source-connector/x_json_mapper.h"

namespace tweetstream::source {

struct SourceConfig {
  // Connector instance name, stamped into every envelope's ingestion.connector.
  std::string name = "tweet-source";
  // "replay" (recorded files), "search" (GET /2/tweets/search/recent), "stream" (the filtered
  // stream) or "synthetic" (generated tweets, no token needed).
  std::string mode = "replay";
  // replay: files or directories of recorded responses.
  std::vector<std::string> replay_files;
  // replay/synthetic: tweets per second (0 = as fast as possible); replay: start again at the end.
  double rate = 0;
  bool loop = false;
  // Log a progress line this often during long runs (0 = never).
  std::chrono::milliseconds progress_interval{5000};
  // search: the query, and at most this many pages per poll (0 = follow next_token to the end).
  std::string query;
  int max_results = 100;
  int max_pages = 0;
  // The first poll's oldest tweet time (RFC 3339); used only until a cursor exists (later polls
  // continue from the cursor, even after an empty poll).
  std::string start_time;
  // Without a cursor and without start_time, the first poll reads this far back (not X's whole 7 days:
  // every tweet read counts toward the usage cap and costs).
  std::chrono::milliseconds initial_lookback{std::chrono::hours(1)};
  // Time between the starts of two polls; 0 = one poll, then exit.
  std::chrono::milliseconds poll_interval{0};
  // Stop after this many polls (0 = until stopped; with poll_interval 0, one poll).
  int max_polls = 0;
  // stream: the rules to keep on the stream (synced at start: missing ones added, stale ones
  // deleted), the connection's idle timeout and backfill (see XStreamOptions).
  std::vector<StreamRule> rules;
  bool sync_rules = true;
  XStreamOptions stream;
  // stream: recovery by recent search of what a cut, an outage or a restart missed (its delay after the
  // connect and its page cap per rule; stream_recovery.h).
  StreamRecoveryOptions stream_recovery;
  // stream: the queue between the socket thread and the Kafka producer, bounded in bytes and lines; when
  // full, the socket is not read (X may then cut the connection as a slow reader; that window is recovered).
  size_t stream_queue_bytes = size_t{64} << 20;
  size_t stream_queue_lines = 100000;
  // synthetic: the generator's seed, and how many tweets (0 = until stopped).
  uint64_t seed = 1;
  int64_t count = 0;
  // synthetic: created_at follows the wall clock (live dashboards) instead of the seed's own timeline.
  bool synthetic_live = false;
  // Compacted topic of cursors (newest id per connector and query); empty = no persistence.
  std::string cursor_topic = "twitter-stream-source-offsets";
  // Write the status JSON here after every page / state change (empty = nowhere).
  std::string status_file;
  // X API endpoint and credentials (the token comes from X_BEARER_TOKEN, never from a flag).
  XApiOptions x_api;

  // Kafka.
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "twitter-stream";
  // Used only when the topic does not exist yet.
  int partitions = 3;
  int replication_factor = -1;  // -1: the broker's default.replication.factor
  // Bounded wait for the broker at start, and for outstanding deliveries at the end.
  std::chrono::milliseconds kafka_timeout{30000};
  common::KafkaProducerOptions producer;
  // Record values: "plain" (a serialized TweetEnvelope, the default) or "confluent-protobuf" (the
  // Confluent Schema Registry wire format: magic byte 0, the schema id, the message index [0], then the
  // same bytes; common/confluent_wire.h), for consumers that use a registry's deserializers.
  std::string value_format = "plain";
  // confluent-protobuf: the registry (Confluent's REST API) that tweet.proto is registered with at start,
  // under the subject `<topic>-value`; its answer is the schema id written into every record.
  std::string schema_registry_url;
  // confluent-protobuf without a registry URL: the schema id to write (registered by other means); 0 = none.
  int64_t value_schema_id = 0;
  // The produce latency histogram is recorded here when set; not owned.
  common::MetricsRegistry* metrics = nullptr;

  absl::Status Validate() const;
};

// What one response body yielded, for the callers that need more than the produced records.
struct BodyOutcome {
  PageMeta meta;          // the body's `meta` (search pages)
  int64_t tweets = 0;     // records produced from this body
  std::string newest_id;  // the highest tweet id among them (empty when none)
  std::string oldest_id;  // the lowest (empty when none)
  // Search pages only: why the page cannot be read (not JSON, `meta` unusable); nothing was produced.
  std::string unreadable;
};

struct SourceSummary {
  int64_t bodies = 0;           // response bodies (pages, lookups, stream lines) read
  int64_t tweets = 0;           // tweets mapped
  int64_t skipped = 0;          // records that could not be mapped (malformed body, tweet without id/text),
                                // or not produced because they are too large (too_large)
  int64_t too_large = 0;        // tweets whose record is larger than the topic accepts: skipped, see README
  int64_t api_problems = 0;     // partial errors reported by the API inside 2xx bodies
  int64_t produced = 0;
  int64_t delivered = 0;
  int64_t delivery_failed = 0;
  int64_t requests = 0;         // X API requests sent
  int64_t polls = 0;            // search polls completed
  int64_t bad_pages = 0;        // search: 200 answers that could not be read (each attempt counted)
  int64_t window_gaps = 0;      // search: times the 7-day window made tweets unreadable (reported)
  int64_t window_gap_seconds = 0;  // search: the length of those gaps, summed
};

class SourceApp {
 public:
  // Real Kafka producer and libcurl client; checks that the broker answers (bounded by
  // kafka_timeout) and creates the topic when missing. UNAVAILABLE naming the address otherwise.
  static absl::StatusOr<std::unique_ptr<SourceApp>> Create(const SourceConfig& config);
  // For tests: given producer, HTTP client, cursor store (null = in memory) and clock (null = real);
  // no topic creation.
  static absl::StatusOr<std::unique_ptr<SourceApp>> CreateWith(const SourceConfig& config,
                                                               std::unique_ptr<common::Producer> producer,
                                                               std::unique_ptr<common::HttpClient> http,
                                                               std::unique_ptr<CursorStore> cursors = nullptr,
                                                               common::Clock* clock = nullptr);
  SourceStatus& status() { return status_; }
  // The cursor key of this configuration: "<name>/<mode>/<query>".
  std::string CursorKey() const { return CursorKeyFor(config_); }
  static std::string CursorKeyFor(const SourceConfig& config);
  const SourceConfig& config() const { return config_; }

  // Runs to the end of the input. OK when everything read was delivered (skipped bad records are
  // counted, not errors); the first fatal error otherwise (e.g. UNAUTHENTICATED from the X API,
  // DEADLINE_EXCEEDED when deliveries did not complete). The summary is filled in either case.
  absl::Status Run(SourceSummary* summary);

  // Asks Run() to stop after the current body; safe from any thread.
  void RequestStop() { stop_.store(true); }
  // Operator pause (control plane): no more tweets are read or produced (deliveries in flight are
  // still served) until false; connections and the cursor stay. In stream mode the connection is
  // not read meanwhile: a long pause ends in a reconnect (with backfill where allowed). Any thread.
  void SetPaused(bool paused) { paused_.store(paused); }

 private:
  // The status' counters now: the summary's and the producer's.
  SourceCounters CountersOf(const SourceSummary& summary) const;
  SourceApp(SourceConfig config, std::unique_ptr<common::Producer> producer,
            std::unique_ptr<common::HttpClient> http, std::unique_ptr<CursorStore> cursors, common::Clock* clock);
  // One poll: the backlog of an interrupted poll if there is one, else every page newer than the
  // cursor's floor. Saves the backlog after every page that has a next one (so that the page cap, an
  // unreadable page, a stop or a crash never leave the older pages behind), and moves the floor only
  // once the whole range is read and delivered. `*unread` says why a poll ended before the end of
  // its range (an unreadable page); it stays empty otherwise. Errors are fatal (401, 403, usage cap,
  // a 400 that is not the 7-day window, a failed delivery).
  absl::Status Poll(XApiClient* client, RateLimitGate* gate, SourceSummary* summary, std::string* unread);
  struct SearchRange;
  // X refused a bound of `range` (HTTP 400 naming `rejected`): when they are older than the 7-day
  // window, moves `range` inside it, reports the gap and returns true; false otherwise.
  bool MoveIntoWindow(SearchRange* range, const std::vector<std::string>& rejected, int attempt,
                      SourceSummary* summary);
  // Waits for every delivery, then writes `cursor` (UNAVAILABLE when a delivery failed).
  absl::Status SaveSearchCursor(const Cursor& cursor, int64_t failed_before);
  void PublishStatus(const SourceSummary& summary);
  // After each produced tweet: holds the configured rate and logs progress.
  void Pace(const SourceSummary& summary);
  absl::Status RunReplay(SourceSummary* summary);
  absl::Status RunSearch(SourceSummary* summary);
  absl::Status RunStream(SourceSummary* summary);
  absl::Status RunSynthetic(SourceSummary* summary);
  // Maps one body (encoder_) and produces its tweets; `outcome` (optional) gets its meta and ids.
  // With `search_page`, a body that cannot be read whole (not JSON, `meta` unusable) produces nothing
  // and says why in outcome->unreadable.
  absl::Status HandleBody(absl::string_view body, const MappingContext& context, SourceSummary* summary,
                          BodyOutcome* outcome = nullptr, bool search_page = false);

  // Caps the producer's message.max.bytes and batch.size to the topic's max.message.bytes (read from
  // the broker), so that a record too large is refused alone when produced; that limit, or -1 unknown.
  static int64_t FitProducerToTopic(const SourceConfig& config, common::KafkaProducerOptions* options);

  SourceConfig config_;
  // The topic's max.message.bytes as read at Create() (-1: unknown, e.g. CreateWith), for reports.
  int64_t topic_max_bytes_ = -1;
  std::unique_ptr<common::Producer> producer_;
  std::unique_ptr<common::HttpClient> http_;
  std::unique_ptr<CursorStore> cursors_;
  common::Clock* clock_;
  SourceStatus status_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  common::Histogram* produce_seconds_ = nullptr;
  // Stream mode: while set, HandleBody produces each record with a delivery report that confirms it in
  // this position (shared: the producer may serve reports after RunStream returned), read at read_at_.
  std::shared_ptr<DeliveryPosition> tracked_;
  absl::Time read_at_ = absl::InfinitePast();
  // HandleBody's encoder and its last body's records (kept to reuse their memory); Run()'s thread only.
  XResponseEncoder encoder_;
  EncodedResponse encoded_;
  // confluent-protobuf: the wire-format prefix of every value (empty for plain), and the buffer a framed
  // value is assembled in (reused; Run()'s thread only).
  std::string value_prefix_;
  std::string framed_;
  // The value to produce for `value` (the serialized envelope): itself, or framed into framed_.
  absl::string_view FrameValue(absl::string_view value);
  // Blocks while paused (serving delivery reports), until resumed or stopped; with `summary`, keeps
  // the status' counters current meanwhile.
  void WaitWhilePaused(const SourceSummary* summary = nullptr);
  // The status' counters from `summary` and the producer's, now.
  void SetLiveCounters(const SourceSummary& summary);
  absl::Time paced_since_ = absl::InfinitePast();
  int64_t paced_count_ = 0;
  absl::Time last_progress_ = absl::InfinitePast();
  absl::Time counters_at_ = absl::InfinitePast();  // when Pace() last refreshed the status' counters
};

}  // namespace tweetstream::source
