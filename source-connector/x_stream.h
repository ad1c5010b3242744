#pragma once
// The filtered stream, GET /2/tweets/search/stream: one long-lived HTTP connection read line by
// line, reconnected per ReconnectPolicy (X-API-V2.md §2.2, §6).
//
// Framing: every message is one JSON object ended by "\r\n" (a bare "\n" is tolerated); lines are
// buffered across network chunks, which may split a line or a UTF-8 character anywhere. An empty
// line is a keep-alive (sent at least every 20 s): counted, never delivered. Silence longer than
// `idle_timeout` means a dead connection: it is dropped and opened again. A line cut by a
// disconnect is never delivered (its bytes are discarded and counted): X sends whole objects again
// only through backfill, never the rest of a line.
//
// Every delivered line is a whole JSON object: a complete line that is not (e.g. a truncated object
// followed by a line break, as in recordings) is dropped and counted. An in-stream error object
// (`{"errors":[...]}` or a top-level problem, without `data`; e.g. operational-disconnect) is logged,
// counted, and followed by a reconnect. A line holding `data` and `errors` is a message.
//
// Run() returns (the code says what the caller should do):
//   OK                  *stop became true (checked between chunks, and about once a second while
//                       nothing arrives; the open transfer is aborted)
//   UNAUTHENTICATED     401: the bearer token (X_BEARER_TOKEN) was rejected. Exactly one request;
//                       never retried, since retrying a rejected token only earns 429s
//   PERMISSION_DENIED   403: the filtered stream is not in this app's access level
//   RESOURCE_EXHAUSTED  429 usage-capped: the monthly usage cap is reached; waiting will not help.
//                       (A plain 429, rate limit or too many connections, is retried per policy.)
//   INVALID_ARGUMENT    400 or 404: the request or base URL is wrong; retrying cannot help
//   UNIMPLEMENTED       the HttpClient cannot stream
// Everything else (network errors, stalls, 5xx, other 4xx, disconnects) is retried for ever, per
// the policy, until *stop. The bearer token never appears in a message or log line.
//
// Threads: Run() blocks the calling thread and calls on_message and on_connect on it; Stats() may be
// called from any thread. The HttpClient is used by Run() only (give the stream its own client).
// on_message must return quickly (SourceApp hands the line to a bounded queue read by another thread,
// so Kafka never blocks the socket): while it runs the socket is not read, and X cuts slow readers
// (losing what its buffer held; the caller recovers that window, see stream_recovery.h).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/http_client.h"
#include "source-connector/reconnect_policy.h"
#include "source-connector/x_api_client.h"

namespace tweetstream::source {

struct XStreamOptions {
  // Host of the API (configurable: api.x.com now, api.twitter.com in older recordings; tests use
  // the fake server).
  std::string base_url = "https://api.x.com";
  // App-only bearer token (from X_BEARER_TOKEN); sent in a header, never logged.
  std::string bearer_token;
  // tweet.fields / expansions / *.fields, as for search.
  XFieldSelection fields;
  // A connection that delivers nothing, not even a keep-alive, for this long is dead. X sends a
  // keep-alive at least every 20 s; 25 s leaves room for a slow network without waiting much longer.
  std::chrono::milliseconds idle_timeout{25000};
  // Deadline for the TCP/TLS connect of each attempt.
  std::chrono::milliseconds connect_timeout{10000};
  // 1..5: asks X to redeliver up to that many minutes missed during a disconnect (Enterprise only;
  // may duplicate tweets, which the pipeline de-duplicates by id). Sent on reconnects, and on the first
  // connection too when `resume` is set. 0: not sent; every reconnect is then recorded as a gap that
  // could not be backfilled (SourceApp recovers it by recent search, stream_recovery.h).
  int backfill_minutes = 0;
  // A saved stream position exists (a restart, a deploy, a Restart through the control plane): the
  // first connection is a reconnect as far as backfill is concerned.
  bool resume = false;
  // A line longer than this without "\r\n" is not X's framing: the connection is dropped.
  size_t max_line_bytes = 16 * 1024 * 1024;
  // Backoff and the cap of connection attempts (max_attempts_per_window: 50 per 15 min, X's limit).
  ReconnectPolicyOptions reconnect;

  // INVALID_ARGUMENT naming the field (empty base_url or token, backfill outside 0..5, ...).
  absl::Status Validate() const;
};

// What the stream did so far: a snapshot for status output and tests.
struct XStreamStats {
  enum class State { kIdle, kConnecting, kConnected, kBackingOff, kStopped, kFailed };
  State state = State::kIdle;

  int64_t connect_attempts = 0;       // requests sent to the stream endpoint
  int64_t connects = 0;               // attempts answered 2xx
  int64_t reconnects = 0;             // 2xx connects after the first
  int64_t messages = 0;               // lines delivered to on_message
  int64_t keep_alives = 0;            // empty lines
  int64_t partial_lines_dropped = 0;  // lines cut by a disconnect, discarded
  int64_t malformed_lines_dropped = 0;  // complete lines that are not a JSON object, discarded
  int64_t stream_errors = 0;          // in-stream error objects (operational-disconnect, ...)
  int64_t stalls = 0;                 // connections dropped for silence beyond idle_timeout
  int64_t http_errors = 0;            // non-2xx answers
  int64_t network_errors = 0;         // connects that failed or connections cut (not stalls)

  std::string last_error;             // the last failure, as logged (no token)
  absl::Time last_error_time = absl::InfinitePast();
  absl::Duration current_backoff = absl::ZeroDuration();  // the wait chosen after the last failure
  absl::Time next_attempt_at = absl::InfinitePast();      // while backing off
  bool at_max_backoff = false;        // X: alert when the maximum backoff is reached
  absl::Time connected_since = absl::InfinitePast();      // while connected

  // Reconnects without backfill (backfill_minutes == 0): tweets posted in between were missed.
  int64_t unbackfilled_gaps = 0;
  absl::Time last_gap_start = absl::InfinitePast();  // when the last such connection ended
  absl::Time last_gap_end = absl::InfinitePast();    // when the stream was back
};

const char* XStreamStateName(XStreamStats::State state);

class XStream {
 public:
  // `http` and `clock` must outlive the stream. INVALID_ARGUMENT when the options are invalid.
  static absl::StatusOr<std::unique_ptr<XStream>> Create(common::HttpClient* http, XStreamOptions options,
                                                         common::Clock* clock = common::Clock::Real());

  // `line`: one complete message without its "\r\n" (valid until the callback returns). `where`:
  // e.g. "GET /2/tweets/search/stream (connection 3, line 17)", for the mapper's skip reasons.
  using MessageCallback = std::function<void(absl::string_view line, absl::string_view where)>;

  // A connection answered 2xx: called before its first line is delivered.
  struct ConnectInfo {
    int64_t connection = 0;                          // 1-based attempt number
    absl::Time at;                                   // when it was answered (the stream's clock)
    absl::Time previous_end = absl::InfinitePast();  // when the previous connection ended (none: first)
    bool backfill_asked = false;                     // backfill_minutes was sent on it
  };
  using ConnectCallback = std::function<void(const ConnectInfo&)>;
  // Set before Run().
  void set_on_connect(ConnectCallback on_connect) { on_connect_ = std::move(on_connect); }

  // Connects and reads until *stop (OK) or a failure that retrying cannot cure (see above).
  // `stop` may be null (then only such a failure ends it). Call once at a time.
  absl::Status Run(const MessageCallback& on_message, const std::atomic<bool>* stop);

  // The URL of an attempt (without the token, which travels in a header).
  std::string StreamUrl(bool reconnect) const;

  XStreamStats Stats() const;

 private:
  XStream(common::HttpClient* http, XStreamOptions options, common::Clock* clock)
      : http_(http), options_(std::move(options)), clock_(clock), policy_(clock, options_.reconnect) {}

  // One connection: everything between the request and the end of the transfer.
  struct Attempt;
  absl::Status Classify(const absl::Status& transfer, const common::HttpResponse& head, const Attempt& attempt,
                        FailureKind* kind, std::string* error);
  void HandleLine(absl::string_view line, Attempt& attempt, const MessageCallback& on_message);
  template <typename F>
  void Update(F&& f) {
    absl::MutexLock lock(&mu_);
    f(stats_);
  }

  common::HttpClient* http_;
  const XStreamOptions options_;
  common::Clock* clock_;
  ReconnectPolicy policy_;  // Run()'s thread only
  ConnectCallback on_connect_;

  mutable absl::Mutex mu_;
  XStreamStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tweetstream::source
