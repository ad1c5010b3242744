#pragma once

// The Confluent Schema Registry wire format of a record value, as Confluent's serializers write it
// (https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format):
//
//   byte 0      magic byte 0
//   bytes 1..4  schema id, 4 bytes big-endian (the id the registry gave the schema)
//   then        Protobuf only: the message-index array, the path of the record's message type in its
//               .proto file (the first top-level message is [0]), as zigzag varints: the count, then each
//               index; the common case [0] is written as the single byte 0 (count 0)
//   then        the serialized message
//
// A plain Protobuf value never starts with byte 0 (field number 0 is invalid in a tag), so a reader can
// tell the two formats apart by the first byte alone: tweet-sink reads both whatever it is configured for.
//
// Pure functions, no I/O; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tweetstream::common {

inline constexpr char kConfluentMagicByte = 0;

// The prefix written before the message: magic byte, `schema_id` big-endian, the message-index array.
// `message_indexes` empty or {0} gives the 6-byte prefix of a file's first message.
std::string ConfluentProtobufPrefix(uint32_t schema_id, const std::vector<int32_t>& message_indexes = {});

// A value split into its parts. `payload` points into the value given to UnframeConfluentProtobuf.
struct ConfluentFrame {
  uint32_t schema_id = 0;
  std::vector<int32_t> message_indexes;  // {0} for a file's first message (also when written as a lone 0)
  absl::string_view payload;
};

// True when `value` starts with the magic byte, i.e. is framed (a plain Protobuf value never does).
inline bool LooksConfluentFramed(absl::string_view value) {
  return !value.empty() && value[0] == kConfluentMagicByte;
}

// Reads the frame of a value that starts with the magic byte. INVALID_ARGUMENT (the record's own fault)
// when it does not, when it is shorter than magic + id, or when the index array is truncated, negative,
// or longer than the value.
absl::StatusOr<ConfluentFrame> UnframeConfluentProtobuf(absl::string_view value);

// Zigzag varint of a signed 32-bit number, as Confluent's serializers write the index array; exposed for
// tests.
void AppendZigzagVarint(int32_t n, std::string* out);

}  // namespace tweetstream::common
