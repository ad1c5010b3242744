#pragma once
// TweetEnvelope -> Elasticsearch document (JSON), and the index template that maps it.
//
// The document uses the X API's own snake_case field names (DESIGN.md): the tweet's fields at the
// top level (`id`, `text`, `author_id`, `created_at`, `lang`, `public_metrics.like_count`, ...),
// the expanded author as `author` (`author.username`, ...), `matching_rules`, `query`, `ingestion`,
// and the other expansions under `includes` (`includes.media`, `includes.places`, `includes.polls`,
// `includes.tweets`, `includes.users`). Times are RFC 3339 UTC with milliseconds.
//
// Rendering is direct (RapidJSON Writer over the generated accessors), not a reflection-based JSON
// printer: it is on the sink's hot path. Output is valid JSON for any input text: invalid UTF-8 in a
// string is repaired (each maximal invalid subsequence becomes U+FFFD, as Python and browsers do)
// and counted.
// Thread-safety: free functions; safe from any thread.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::sink {

struct RenderStats {
  // Strings whose invalid UTF-8 was replaced by U+FFFD.
  int repaired_strings = 0;
};

// Appends the document of `envelope` to `*out` (one line, no trailing newline).
// INVALID_ARGUMENT when the envelope has no tweet id (such a record cannot be indexed by id).
absl::Status RenderDocument(const tweet::v1::TweetEnvelope& envelope, std::string* out,
                            RenderStats* stats = nullptr);

// Milliseconds since the Unix epoch of a time the document can hold (google.protobuf.Timestamp's valid
// range, 0001-01-01 .. 9999-12-31, nanos in [0, 1e9): what RenderDocument writes), or nullopt for any
// other value, which RenderDocument leaves out of the document. A record's bytes are anyone's: a
// `seconds` near INT64_MAX must not overflow (seconds * 1000 would) into a plausible-looking time.
std::optional<int64_t> DocumentTimeMillis(const google::protobuf::Timestamp& ts);

// The body of a composable index template (`PUT _index_template/<name>`) for indices matching
// `index_pattern`: explicit mapping (`dynamic: false` for unknown fields), dates for times, keyword for
// ids/hashtags/usernames/lang, text (standard analyzer only: the minimal distributions lack
// analysis-common) for text fields, geo_point for coordinates, 1 shard. Valid for Elasticsearch 7.17,
// 8.x, 9.x and OpenSearch 2.x. `priority` orders it against other templates.
std::string IndexTemplateJson(absl::string_view index_pattern, int priority = 100);

}  // namespace tweetstream::sink
