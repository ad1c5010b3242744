#pragma once
// The encoder of the X JSON -> TweetEnvelope mapping: from simdjson's parsed document straight to
// protobuf wire bytes, one function per message of tweet.proto, no message objects. This is the one
// production mapping (x_json_mapper.h is its facade); tests/source-connector/x_reference_mapper.* is
// a slow, obvious model of it that the differential test compares it with, byte for byte.
//
// Rules, the same for every message:
//  * members are read against the message's table (x_field_tables.h) and written in field-number
//    order, with proto3's presence rules: a plain scalar is left out when zero or empty, an `optional`
//    one is written when present, a sub-message when present (even empty), repeated numbers packed;
//  * an absent or null member leaves its field unset (X omits and nulls optional fields alike);
//  * nothing is dropped: a member the table does not know, the second occurrence of a key, and a
//    member whose JSON type does not fit its field (a string count, a time that is not RFC 3339, an
//    int32 out of range, a list with one item of the wrong type, a point that is not [lon, lat]) are
//    kept verbatim, in the order they came, in the message's `extra_fields_json` (field 999), and the
//    field is left unset. So an Encode* function fails only when the value is not an object at all.
// Internal to source-connector/.

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tweetstream::source::xjson {

namespace dom = simdjson::dom;

// Writes `value` as a protobuf varint at `at`; returns the end (at most 10 bytes).
[[gnu::always_inline]] inline char* WriteVarint(uint64_t value, char* at) {
  while (value >= 0x80) {
    *at++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *at++ = static_cast<char>(value);
  return at;
}

inline size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

// Protobuf wire format into a growable buffer. Offsets (not pointers) stay valid across growth.
class Wire {
 public:
  static constexpr uint32_t kVarint = 0;
  static constexpr uint32_t kFixed64 = 1;
  static constexpr uint32_t kLengthDelimited = 2;

  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  // Forgets everything written after `size` (a member that turned out not to fit its field).
  void Truncate(size_t size) { size_ = size; }
  absl::string_view View(size_t from, size_t length) const { return absl::string_view(buffer_.data() + from, length); }
  absl::string_view All() const { return absl::string_view(buffer_.data(), size_); }

  [[gnu::always_inline]] void Varint(uint64_t value) {
    if (value < 0x80) {  // tags of fields 1-15, short lengths, small numbers
      *Room(1) = static_cast<char>(value);
      ++size_;
      return;
    }
    size_ = static_cast<size_t>(WriteVarint(value, Room(10)) - buffer_.data());
  }
  [[gnu::always_inline]] void Tag(uint32_t field, uint32_t wire_type) {
    Varint((static_cast<uint64_t>(field) << 3) | wire_type);
  }
  [[gnu::always_inline]] void Raw(absl::string_view bytes) {
    if (bytes.empty()) return;
    std::memcpy(Room(bytes.size()), bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void Fixed64(uint64_t bits) {
    char* p = Room(8);
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(bits >> (8 * i));  // little-endian
    size_ += 8;
  }
  [[gnu::always_inline]] void LengthDelimited(uint32_t field, absl::string_view bytes) {
    Tag(field, kLengthDelimited);
    Varint(bytes.size());
    Raw(bytes);
  }
  // An embedded message (or packed list): Begin() writes the tag and leaves room for the longest length
  // varint; End() writes the length and closes the gap. Returns where the payload starts.
  size_t Begin(uint32_t field) {
    Tag(field, kLengthDelimited);
    Room(kMaxLength);
    size_ += kMaxLength;
    return size_;
  }
  void End(size_t payload_start) {
    const size_t length = size_ - payload_start;
    char header[10];
    const auto n = static_cast<size_t>(WriteVarint(length, header) - header);
    char* length_at = buffer_.data() + payload_start - kMaxLength;
    if (n < kMaxLength) std::memmove(length_at + n, buffer_.data() + payload_start, length);
    std::memcpy(length_at, header, n);
    size_ -= kMaxLength - n;
  }

 private:
  static constexpr size_t kMaxLength = 5;  // a uint32 length as a varint

  [[gnu::always_inline]] char* Room(size_t bytes) {
    if (size_ + bytes > buffer_.size()) [[unlikely]] Grow(bytes);
    return buffer_.data() + size_;
  }
  [[gnu::noinline]] void Grow(size_t bytes) { buffer_.resize(std::max(size_ + bytes, buffer_.size() * 2 + 256)); }

  std::string buffer_;
  size_t size_ = 0;
};

// What a tweet of `data` refers to, collected while it is encoded (views into the parsed body; only
// members that mapped to their fields count).
struct TweetRefs {
  std::string_view id;
  std::string_view author_id;
  std::string_view in_reply_to_user_id;
  std::vector<std::pair<std::string_view, std::string_view>> mentions;  // (id, username), "" when absent
  std::vector<std::string_view> referenced_tweet_ids;
  std::vector<std::string_view> media_keys;
  std::vector<std::string_view> poll_ids;
  std::string_view place_id;

  void Clear() {
    id = author_id = in_reply_to_user_id = place_id = {};
    mentions.clear();
    referenced_tweet_ids.clear();
    media_keys.clear();
    poll_ids.clear();
  }
};

// What an `errors[]` item names (views into the parsed body).
struct ErrorRefs {
  std::string_view resource_type;
  std::string_view resource_id;
  std::string_view value;
};

// Each writes the payload (no tag, no length) of one message for `value`; false only when `value` is
// not a JSON object (nothing written then). `refs` (a tweet of `data`: nullable) collects the joins;
// `key` gets the id or media key an included object is joined by ("" when it has none of string type).
bool EncodeTweet(const dom::element& value, Wire& w, TweetRefs* refs, std::string_view* id);
bool EncodeUser(const dom::element& value, Wire& w, std::string_view* id, std::string_view* username);
bool EncodeMedia(const dom::element& value, Wire& w, std::string_view* key);
bool EncodePlace(const dom::element& value, Wire& w, std::string_view* key);
bool EncodePoll(const dom::element& value, Wire& w, std::string_view* key);
bool EncodeMatchingRule(const dom::element& value, Wire& w);
bool EncodeApiError(const dom::element& value, Wire& w, ErrorRefs* refs);

}  // namespace tweetstream::source::xjson
