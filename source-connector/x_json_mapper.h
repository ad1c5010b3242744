#pragma once
// X API v2 JSON -> TweetEnvelope.
//
// Parses one response body of the X API v2 — a search page (`data[]`), a lookup (`data` object or
// array), or one filtered-stream event (`data` object + `matching_rules`) — and maps every tweet in it
// to a TweetEnvelope, joining the expansions from `includes` (author, mentioned/replied-to users,
// referenced tweets, media, place, polls) by id.
//
// Bad input loses nothing else: a tweet without `id` or `text`, or with a field of the wrong type,
// is reported in `skipped` (where + why) and the other tweets of the body are still returned.
// Partial errors of the API (`errors[]` beside or instead of `data`) are returned in `problems`.
//
// Two ways to call it, with the same mapping:
//  * ParseXResponse: TweetEnvelope objects (each owns copies of the users/tweets/media it joins).
//  * XResponseEncoder::Encode: the serialized envelopes, ready for Kafka, byte for byte what
//    `ParseXResponse(...)->envelopes[i].SerializeAsString()` gives, without building the envelopes:
//    each included object is serialized once per body however many tweets join it, and the encoder
//    keeps its parser, buffers and scratch messages from body to body. Several times faster; use it
//    where only the bytes are needed (producing to Kafka).

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
  // How the body was mapped. true: the single-pass writer, which turns the parsed JSON straight into
  // protobuf wire bytes; it takes every well-formed body without `errors[]`. false: the general mapper
  // (the one ParseXResponse uses), which the writer hands a body to as soon as it meets anything it
  // leaves to it: a field of the wrong type, a duplicate key, a tweet to skip, partial errors, a time
  // in another form than X's... The bytes are the same either way; only the speed differs.
  bool fast_path = false;
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

  class Mapper;  // implementation detail (x_json_mapper.cc), shared with ParseXResponse

 private:
  std::unique_ptr<Mapper> mapper_;
};

}  // namespace tweetstream::source
