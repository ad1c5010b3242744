#pragma once
// JSON reading helpers of the X JSON -> TweetEnvelope mapping (x_json_mapper.h): typed reads of
// simdjson DOM elements that never throw and never go through a double where an integer is meant,
// X's time format, ids that arrive as numbers, the lone-surrogate repair, and the compact JSON of
// members kept verbatim (`extra_fields_json`). Internal to source-connector/.
// Thread-safety: free functions over caller-owned values.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace tweetstream::source::xjson {

namespace dom = simdjson::dom;

// simdjson speaks std::string_view; this Abseil build has its own absl::string_view.
inline absl::string_view Absl(std::string_view text) { return absl::string_view(text.data(), text.size()); }
inline std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

// "a string", "an integer", ... for reasons.
absl::string_view TypeName(dom::element_type type);

// Typed reads: false (and `*out` untouched or partial) when the element has another JSON type or the
// value does not fit.
[[gnu::always_inline]] inline bool GetString(const dom::element& value, std::string_view* out) {
  return value.get_string().get(*out) == simdjson::SUCCESS;
}
[[gnu::always_inline]] inline bool GetInt64(const dom::element& value, int64_t* out) {
  return value.get_int64().get(*out) == simdjson::SUCCESS;
}
bool GetInt32(const dom::element& value, int32_t* out);
// Integers are numbers too (a probability of exactly 1 arrives as `1`).
inline bool GetDouble(const dom::element& value, double* out) {
  return value.get_double().get(*out) == simdjson::SUCCESS;
}
inline bool GetBool(const dom::element& value, bool* out) { return value.get_bool().get(*out) == simdjson::SUCCESS; }
// `edits_remaining`: the string "4" in 2022 recordings, the integer 5 since.
bool GetInt32OrDigits(const dom::element& value, int32_t* out);
// An id that is a string, or (2021 stream recordings) a bare JSON integer above 2^53, printed from its
// exact int64/uint64 value. A non-integer number has lost its digits already: false.
bool GetId(const dom::element& value, std::string* out);

// RFC 3339 (`2021-04-01T15:52:31.000Z` in X's own form, read without the general parser, or any other
// RFC 3339 form through absl::ParseTime) -> seconds and nanos, within Timestamp's range (years
// 1..9999). False when it is not such a time.
bool ParseTime(absl::string_view text, int64_t* seconds, int32_t* nanos);
// X's own form only (`YYYY-MM-DDTHH:MM:SS.mmmZ` or without `.mmm`); false for anything else, including
// forms ParseTime still reads.
bool ParseXTime(absl::string_view text, int64_t* seconds, int32_t* nanos);

// Rewrites each lone UTF-16 surrogate escape (`\uD83E` without its other half) in place to `\uFFFD`
// (same length), so that simdjson, which refuses the whole document for one, reads the body and
// strings stay valid UTF-8. Returns whether anything was replaced.
bool ReplaceLoneSurrogates(char* data, size_t size);

// Appends `"key":value` (simdjson's minified form, its own escaping) to a compact JSON object being
// built in `*out`: "{" before the first member, "," before the others. CloseObject appends the "}"
// when anything was appended.
void AppendMember(const dom::key_value_pair& member, std::string* out);
void AppendMember(std::string_view key, std::string_view raw_json_value, std::string* out);
inline void CloseObject(std::string* out) {
  if (!out->empty()) out->push_back('}');
}

}  // namespace tweetstream::source::xjson
