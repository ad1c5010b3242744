#pragma once
// X API v2 JSON -> TweetEnvelope.
//
// Parses one response body of the X API v2 — a search page (`data[]`), a lookup (`data` object or
// array), or one filtered-stream event (`data` object + `matching_rules`) — and maps every tweet in it
// to a TweetEnvelope, joining the expansions from `includes` (author, mentioned/replied-to users,
// referenced tweets, media, place, polls) by id.
//
// Nothing X sends is dropped (issue 12): a member the schema does not model, a key that comes twice,
// or a member whose JSON type does not fit its field is kept verbatim in the `extra_fields_json` of
// the message it came in (the field left unset), and the tweet is kept; unknown parts of the body
// (`includes.topics`, ...) travel in every envelope's `response_extra_fields_json`; X's partial errors
// (`errors[]`) about an object a tweet refers to travel in that tweet's envelope (`errors`), so a
// consumer can tell "unavailable" from "not requested". Only a tweet without a usable id (no record
// key) and included objects without an id to join them by are reported in `skipped`. Partial errors are
// also returned in `problems`.
//
// One mapping, two ways to receive it:
//  * XResponseEncoder::Encode: the serialized envelopes, ready for Kafka, written straight from the
//    parsed JSON (x_wire_encoder.h); each included object is encoded once per body however many tweets
//    join it, and the encoder keeps its parser and buffers from body to body. What tweet-source uses.
//  * ParseXResponse: the same bytes read back into TweetEnvelope objects (tests, the API client's error
//    bodies, tools).
// The files: x_json_reading.* (JSON reading helpers), x_field_tables.* (keys and generated field
// numbers), x_wire_encoder.* (the encoder, one function per message), x_includes.* (includes, joins,
// errors per tweet), this file (the facade: one body).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::source {

// `meta` of a search page (empty strings / nullopt when absent).
struct PageMeta {
  std::string newest_id;
  std::string oldest_id;
  std::string next_token;
  std::optional<int64_t> result_count;
};

// One RFC 7807 problem from `errors[]` (or a whole-body problem).
struct ApiProblem {
  std::string type;    // e.g. "https://api.twitter.com/2/problems/resource-not-found"
  std::string title;   // e.g. "Not Found Error"
  std::string detail;  // human-readable
  std::string resource_id;
};

// A record that could not be mapped and was skipped.
struct SkippedRecord {
  std::string where;   // e.g. "data[3]" or "data" (id included when known: "data[3] (id 123)")
  std::string reason;  // e.g. "tweet has no 'text'"
};

struct ParsedResponse {
  std::vector<tweet::v1::TweetEnvelope> envelopes;
  std::vector<SkippedRecord> skipped;
  std::vector<ApiProblem> problems;
  PageMeta meta;
};

// Stamped into every envelope's `ingestion` (and `query`).
struct MappingContext {
  std::string connector = "tweet-source";
  std::string mode;      // "search", "stream", "replay", ...
  std::string origin;    // endpoint or file the body came from
  std::string query;     // search query, empty otherwise
  absl::Time ingested_at = absl::UnixEpoch();
};

// INVALID_ARGUMENT (with the parser's reason) when `body` is not a JSON object at all; otherwise OK,
// with per-tweet failures in `skipped`.
// Thread-safety: safe from any thread (each thread keeps its own parser and scratch state).
absl::StatusOr<ParsedResponse> ParseXResponse(absl::string_view body, const MappingContext& context);

// One tweet ready for Kafka.
struct EncodedTweet {
  std::string id;     // the tweet id: the record key
  std::string value;  // the serialized TweetEnvelope: the record value
};

struct EncodedResponse {
  std::vector<EncodedTweet> tweets;  // in `data` order, as ParseXResponse's envelopes
  std::vector<SkippedRecord> skipped;
  std::vector<ApiProblem> problems;
  PageMeta meta;
};

// Maps X API v2 bodies straight to serialized TweetEnvelopes (see the top of this file).
// Thread-safety: one encoder per thread (it is movable, not copyable); it keeps scratch memory sized to
// the largest body it has seen.
class XResponseEncoder {
 public:
  XResponseEncoder();
  ~XResponseEncoder();
  XResponseEncoder(XResponseEncoder&&) noexcept;
  XResponseEncoder& operator=(XResponseEncoder&&) noexcept;
  XResponseEncoder(const XResponseEncoder&) = delete;
  XResponseEncoder& operator=(const XResponseEncoder&) = delete;

  // Replaces `*out` with the body's tweets, skipped records, problems and meta. Reusing the same `out`
  // for the next body reuses its strings' buffers. INVALID_ARGUMENT (with the parser's reason) when
  // `body` is not a JSON object at all (then `out->tweets` is empty); otherwise OK, as ParseXResponse.
  absl::Status Encode(absl::string_view body, const MappingContext& context, EncodedResponse* out);

  class Mapper;  // implementation detail (x_json_mapper.cc)

 private:
  std::unique_ptr<Mapper> mapper_;
};

}  // namespace tweetstream::source
