#include "common/confluent_wire.h"

#include "absl/strings/str_cat.h"

namespace tweetstream::common {

void AppendZigzagVarint(int32_t n, std::string* out) {
  uint32_t v = (static_cast<uint32_t>(n) << 1) ^ static_cast<uint32_t>(n >> 31);
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

std::string ConfluentProtobufPrefix(uint32_t schema_id, const std::vector<int32_t>& message_indexes) {
  std::string out;
  out.reserve(6 + message_indexes.size() * 2);
  out.push_back(kConfluentMagicByte);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((schema_id >> shift) & 0xff));
  if (message_indexes.empty() || (message_indexes.size() == 1 && message_indexes[0] == 0)) {
    out.push_back(0);  // Confluent's shorthand for [0]
    return out;
  }
  AppendZigzagVarint(static_cast<int32_t>(message_indexes.size()), &out);
  for (int32_t index : message_indexes) AppendZigzagVarint(index, &out);
  return out;
}

namespace {

// Reads one zigzag varint at *pos; false when truncated or longer than 5 bytes.
bool ReadZigzagVarint(absl::string_view in, size_t* pos, int32_t* value) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= in.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(in[(*pos)++]);
    v |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<ConfluentFrame> UnframeConfluentProtobuf(absl::string_view value) {
  if (!LooksConfluentFramed(value)) {
    return absl::InvalidArgumentError("not in the Confluent wire format (the first byte is not the magic byte 0)");
  }
  if (value.size() < 6) {
    return absl::InvalidArgumentError(absl::StrCat("Confluent wire format: ", value.size(),
                                                   " bytes, shorter than magic byte, schema id and message index"));
  }
  ConfluentFrame frame;
  for (int i = 1; i <= 4; ++i) frame.schema_id = (frame.schema_id << 8) | static_cast<uint8_t>(value[i]);
  size_t pos = 5;
  int32_t count = 0;
  if (!ReadZigzagVarint(value, &pos, &count)) {
    return absl::InvalidArgumentError("Confluent wire format: truncated message-index array");
  }
  if (count < 0 || static_cast<size_t>(count) > value.size() - pos) {
    return absl::InvalidArgumentError(absl::StrCat("Confluent wire format: message-index array of ", count, " entries"));
  }
  if (count == 0) {
    frame.message_indexes = {0};
  } else {
    for (int32_t i = 0; i < count; ++i) {
      int32_t index = 0;
      if (!ReadZigzagVarint(value, &pos, &index)) {
        return absl::InvalidArgumentError("Confluent wire format: truncated message-index array");
      }
      if (index < 0) return absl::InvalidArgumentError(absl::StrCat("Confluent wire format: negative message index ", index));
      frame.message_indexes.push_back(index);
    }
  }
  frame.payload = value.substr(pos);
  return frame;
}

}  // namespace tweetstream::common
