#pragma once
// A slow, obvious model of the X JSON -> TweetEnvelope mapping, the oracle of
// x_encoder_differential_test: it builds TweetEnvelope messages through protobuf reflection, finding
// each JSON member's field by name in tweet.proto's descriptor (no tables, no field numbers, no wire
// format), and serializes them with the generated code. The production encoder
// (source-connector/x_wire_encoder.h) must give the same bytes for every body.
//
// The rules it models (x_json_mapper.h): a member that is unknown, repeated, or of a JSON type that does
// not fit its field goes verbatim to the message's `extra_fields_json`; only a tweet without a usable
// id and included objects without a key are reported in `skipped`.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "source-connector/x_json_mapper.h"

namespace tweetstream::source::testing {

struct ReferenceResponse {
  std::vector<EncodedTweet> tweets;  // id and SerializeAsString() of each envelope
  std::vector<SkippedRecord> skipped;
};

// INVALID_ARGUMENT when `body` is not a JSON object.
absl::StatusOr<ReferenceResponse> ReferenceMap(absl::string_view body, const MappingContext& context);

}  // namespace tweetstream::source::testing
