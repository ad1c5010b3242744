#include "source-connector/x_json_mapper.h"

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"

#ifndef TWEETSTREAM_VERSION
#define TWEETSTREAM_VERSION "unknown"
#endif

// Only simdjson's error-code API is used below (`.get(value)` returning an error_code): nothing here
// throws, whatever SIMDJSON_EXCEPTIONS is.

namespace tweetstream::source {
namespace {

namespace dom = simdjson::dom;
namespace pb = tweetstream::tweet::v1;
using google::protobuf::RepeatedField;
using google::protobuf::RepeatedPtrField;
using google::protobuf::Timestamp;

// ---------------------------------------------------------------------------------------------------
// Field errors.
//
// A conversion that fails returns INVALID_ARGUMENT whose message is ": <what went wrong>"; every level
// on the way up prepends its key with Within(), so the reason of a skipped tweet names the exact field:
// "entities.urls[2].start: expected an integer, got a string". Paths are only built on the error path.
// ---------------------------------------------------------------------------------------------------

// simdjson speaks std::string_view; this Abseil build has its own absl::string_view.
absl::string_view Absl(std::string_view text) { return absl::string_view(text.data(), text.size()); }
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

absl::Status FieldError(absl::string_view what) { return absl::InvalidArgumentError(absl::StrCat(": ", what)); }

absl::Status Within(absl::string_view key, absl::Status status) {
  if (status.ok()) return status;
  absl::string_view message = status.message();
  const bool joins_directly = message.empty() || message.front() == ':' || message.front() == '[';
  return absl::InvalidArgumentError(absl::StrCat(key, joins_directly ? "" : ".", message));
}

absl::Status WithinIndex(size_t index, absl::Status status) {
  if (status.ok()) return status;
  return Within(absl::StrCat("[", index, "]"), std::move(status));
}

// The reason text of a field error, without the leading ": " of an unprefixed one.
std::string Reason(const absl::Status& status) {
  absl::string_view message = status.message();
  if (message.size() >= 2 && message.substr(0, 2) == ": ") message.remove_prefix(2);
  return std::string(message);
}

absl::string_view TypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return "an integer";
    case dom::element_type::DOUBLE:
      return "a non-integer number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "an unknown JSON type";
}

absl::Status Mismatch(absl::string_view expected, dom::element value) {
  return FieldError(absl::StrCat("expected ", expected, ", got ", TypeName(value.type())));
}

// ---------------------------------------------------------------------------------------------------
// Element conversions. Each checks the JSON type and never goes through a double where an integer is
// expected (64-bit ids and counts must survive exactly).
// ---------------------------------------------------------------------------------------------------

absl::StatusOr<dom::object> AsObject(dom::element value) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return Mismatch("an object", value);
  return object;
}

absl::StatusOr<dom::array> AsArray(dom::element value) {
  dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return Mismatch("an array", value);
  return array;
}

absl::StatusOr<absl::string_view> AsString(dom::element value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return Mismatch("a string", value);
  return Absl(text);
}

absl::Status Convert(dom::element value, int64_t* out) {
  if (value.get_int64().get(*out) == simdjson::SUCCESS) return absl::OkStatus();
  if (value.is_uint64()) return FieldError("integer out of range for int64");
  return Mismatch("an integer", value);
}

absl::Status Convert(dom::element value, int32_t* out) {
  int64_t wide = 0;
  TS_RETURN_IF_ERROR(Convert(value, &wide));
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
    return FieldError(absl::StrCat("integer ", wide, " out of range for int32"));
  }
  *out = static_cast<int32_t>(wide);
  return absl::OkStatus();
}

// Integers are accepted too (a probability of exactly 1 arrives as `1`).
absl::Status Convert(dom::element value, double* out) {
  if (value.get_double().get(*out) != simdjson::SUCCESS) return Mismatch("a number", value);
  return absl::OkStatus();
}

absl::Status Convert(dom::element value, bool* out) {
  if (value.get_bool().get(*out) != simdjson::SUCCESS) return Mismatch("a boolean", value);
  return absl::OkStatus();
}

absl::Status ReadString(dom::element value, std::string* out) {
  TS_ASSIGN_OR_RETURN(absl::string_view text, AsString(value));
  out->assign(text.data(), text.size());
  return absl::OkStatus();
}

// An id that may arrive as a string or, in old stream recordings, as a bare JSON integer (above 2^53):
// the integer is printed from its exact int64/uint64 value. A non-integer number is refused because
// simdjson already rounded it to a double and its digits are lost.
absl::StatusOr<std::string> IdString(dom::element value) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) return std::string(text);
  int64_t signed_id = 0;
  if (value.get_int64().get(signed_id) == simdjson::SUCCESS) return absl::StrCat(signed_id);
  uint64_t unsigned_id = 0;
  if (value.get_uint64().get(unsigned_id) == simdjson::SUCCESS) return absl::StrCat(unsigned_id);
  return Mismatch("a string or integer id", value);
}

// RFC 3339 (`2021-04-01T15:52:31.000Z`, or a numeric offset) -> Timestamp, within Timestamp's valid
// range (years 1..9999).
absl::Status ReadTime(dom::element value, Timestamp* out) {
  TS_ASSIGN_OR_RETURN(absl::string_view text, AsString(value));
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return FieldError(absl::StrCat("not an RFC 3339 time: \"", text, "\" (", error, ")"));
  }
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  const int64_t seconds = absl::ToUnixSeconds(time);  // rounds toward the past: nanos stay >= 0
  if (seconds < kMinSeconds || seconds > kMaxSeconds) {
    return FieldError(absl::StrCat("time out of range: \"", text, "\""));
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return absl::OkStatus();
}

absl::Status ReadStrings(dom::element value, RepeatedPtrField<std::string>* out) {
  TS_ASSIGN_OR_RETURN(dom::array array, AsArray(value));
  size_t index = 0;
  for (dom::element item : array) {
    TS_RETURN_IF_ERROR(WithinIndex(index, ReadString(item, out->Add())));
    ++index;
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadNumbers(dom::element value, RepeatedField<T>* out) {
  TS_ASSIGN_OR_RETURN(dom::array array, AsArray(value));
  size_t index = 0;
  for (dom::element item : array) {
    T number{};
    TS_RETURN_IF_ERROR(WithinIndex(index, Convert(item, &number)));
    out->Add(number);
    ++index;
  }
  return absl::OkStatus();
}

template <typename Sub>
absl::Status ReadEach(dom::element value, RepeatedPtrField<Sub>* out, absl::Status (*map)(dom::element, Sub*)) {
  TS_ASSIGN_OR_RETURN(dom::array array, AsArray(value));
  size_t index = 0;
  for (dom::element item : array) {
    TS_RETURN_IF_ERROR(WithinIndex(index, map(item, out->Add())));
    ++index;
  }
  return absl::OkStatus();
}

// Sets a scalar proto field (through its setter) from `value`.
template <typename Msg, typename T>
absl::Status SetScalar(dom::element value, Msg* msg, void (Msg::*set)(T)) {
  T converted{};
  TS_RETURN_IF_ERROR(Convert(value, &converted));
  (msg->*set)(converted);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------------
// Object members. The API omits and nulls optional fields interchangeably: an absent or null member
// leaves the proto field unset, so proto3 presence still tells "missing" from "zero".
// ---------------------------------------------------------------------------------------------------

std::optional<dom::element> Member(dom::object object, absl::string_view key) {
  dom::element value;
  if (object.at_key(Std(key)).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

absl::Status MemberString(dom::object object, absl::string_view key, std::string* out) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return absl::OkStatus();
  return Within(key, ReadString(*value, out));
}

template <typename Msg, typename T>
absl::Status MemberScalar(dom::object object, absl::string_view key, Msg* msg, void (Msg::*set)(T)) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return absl::OkStatus();
  return Within(key, SetScalar(*value, msg, set));
}

// Sub-message (or Timestamp): created only when the member is present.
template <typename Msg, typename Sub>
absl::Status MemberMessage(dom::object object, absl::string_view key, Msg* msg, Sub* (Msg::*mutable_sub)(),
                           absl::Status (*map)(dom::element, Sub*)) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return absl::OkStatus();
  return Within(key, map(*value, (msg->*mutable_sub)()));
}

template <typename Sub>
absl::Status MemberEach(dom::object object, absl::string_view key, RepeatedPtrField<Sub>* out,
                        absl::Status (*map)(dom::element, Sub*)) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return absl::OkStatus();
  return Within(key, ReadEach(*value, out, map));
}

absl::Status MemberStrings(dom::object object, absl::string_view key, RepeatedPtrField<std::string>* out) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return absl::OkStatus();
  return Within(key, ReadStrings(*value, out));
}

// ---------------------------------------------------------------------------------------------------
// The X API objects, one mapper per proto message. Each takes the JSON element (checking it is an
// object) so that it can be used for members, array items and includes alike.
// ---------------------------------------------------------------------------------------------------

absl::Status MapHashtag(dom::element value, pb::Hashtag* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "start", out, &pb::Hashtag::set_start));
  TS_RETURN_IF_ERROR(MemberScalar(o, "end", out, &pb::Hashtag::set_end));
  return MemberString(o, "tag", out->mutable_tag());
}

absl::Status MapMention(dom::element value, pb::Mention* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "start", out, &pb::Mention::set_start));
  TS_RETURN_IF_ERROR(MemberScalar(o, "end", out, &pb::Mention::set_end));
  TS_RETURN_IF_ERROR(MemberString(o, "username", out->mutable_username()));
  return MemberString(o, "id", out->mutable_id());
}

absl::Status MapImage(dom::element value, pb::Image* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "url", out->mutable_url()));
  TS_RETURN_IF_ERROR(MemberScalar(o, "width", out, &pb::Image::set_width));
  return MemberScalar(o, "height", out, &pb::Image::set_height);
}

absl::Status MapUrl(dom::element value, pb::Url* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "start", out, &pb::Url::set_start));
  TS_RETURN_IF_ERROR(MemberScalar(o, "end", out, &pb::Url::set_end));
  TS_RETURN_IF_ERROR(MemberString(o, "url", out->mutable_url()));
  TS_RETURN_IF_ERROR(MemberString(o, "expanded_url", out->mutable_expanded_url()));
  TS_RETURN_IF_ERROR(MemberString(o, "display_url", out->mutable_display_url()));
  TS_RETURN_IF_ERROR(MemberString(o, "media_key", out->mutable_media_key()));
  TS_RETURN_IF_ERROR(MemberScalar(o, "status", out, &pb::Url::set_status));
  TS_RETURN_IF_ERROR(MemberString(o, "title", out->mutable_title()));
  TS_RETURN_IF_ERROR(MemberString(o, "description", out->mutable_description()));
  TS_RETURN_IF_ERROR(MemberString(o, "unwound_url", out->mutable_unwound_url()));
  return MemberEach(o, "images", out->mutable_images(), MapImage);
}

absl::Status MapAnnotation(dom::element value, pb::Annotation* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "start", out, &pb::Annotation::set_start));
  TS_RETURN_IF_ERROR(MemberScalar(o, "end", out, &pb::Annotation::set_end));
  TS_RETURN_IF_ERROR(MemberScalar(o, "probability", out, &pb::Annotation::set_probability));
  TS_RETURN_IF_ERROR(MemberString(o, "type", out->mutable_type()));
  return MemberString(o, "normalized_text", out->mutable_normalized_text());
}

absl::Status MapEntities(dom::element value, pb::Entities* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberEach(o, "hashtags", out->mutable_hashtags(), MapHashtag));
  TS_RETURN_IF_ERROR(MemberEach(o, "cashtags", out->mutable_cashtags(), MapHashtag));
  TS_RETURN_IF_ERROR(MemberEach(o, "mentions", out->mutable_mentions(), MapMention));
  TS_RETURN_IF_ERROR(MemberEach(o, "urls", out->mutable_urls(), MapUrl));
  return MemberEach(o, "annotations", out->mutable_annotations(), MapAnnotation);
}

absl::Status MapContextEntity(dom::element value, pb::ContextEntity* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "id", out->mutable_id()));
  TS_RETURN_IF_ERROR(MemberString(o, "name", out->mutable_name()));
  return MemberString(o, "description", out->mutable_description());
}

absl::Status MapContextAnnotation(dom::element value, pb::ContextAnnotation* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberMessage(o, "domain", out, &pb::ContextAnnotation::mutable_domain, MapContextEntity));
  return MemberMessage(o, "entity", out, &pb::ContextAnnotation::mutable_entity, MapContextEntity);
}

absl::Status MapReferencedTweet(dom::element value, pb::ReferencedTweet* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "type", out->mutable_type()));
  return MemberString(o, "id", out->mutable_id());
}

absl::Status MapAttachments(dom::element value, pb::Attachments* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberStrings(o, "media_keys", out->mutable_media_keys()));
  TS_RETURN_IF_ERROR(MemberStrings(o, "poll_ids", out->mutable_poll_ids()));
  return MemberStrings(o, "media_source_tweet_id", out->mutable_media_source_tweet_id());
}

// GeoJSON point: `{"type":"Point","coordinates":[longitude, latitude]}` (GeoJSON order: lon first).
absl::Status MapPoint(dom::element value, pb::Point* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  std::optional<dom::element> coordinates = Member(o, "coordinates");
  if (!coordinates.has_value()) return absl::OkStatus();
  RepeatedField<double> numbers;
  TS_RETURN_IF_ERROR(Within("coordinates", ReadNumbers(*coordinates, &numbers)));
  if (numbers.size() < 2) {
    return Within("coordinates", FieldError(absl::StrCat("expected [longitude, latitude], got ", numbers.size(),
                                                         " number(s)")));
  }
  out->set_longitude(numbers[0]);
  out->set_latitude(numbers[1]);
  return absl::OkStatus();
}

absl::Status MapGeo(dom::element value, pb::Geo* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "place_id", out->mutable_place_id()));
  return MemberMessage(o, "coordinates", out, &pb::Geo::mutable_coordinates, MapPoint);
}

absl::Status MapPublicMetrics(dom::element value, pb::PublicMetrics* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "retweet_count", out, &pb::PublicMetrics::set_retweet_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "reply_count", out, &pb::PublicMetrics::set_reply_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "like_count", out, &pb::PublicMetrics::set_like_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "quote_count", out, &pb::PublicMetrics::set_quote_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "bookmark_count", out, &pb::PublicMetrics::set_bookmark_count));
  return MemberScalar(o, "impression_count", out, &pb::PublicMetrics::set_impression_count);
}

absl::Status MapWithheld(dom::element value, pb::Withheld* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "copyright", out, &pb::Withheld::set_copyright));
  TS_RETURN_IF_ERROR(MemberStrings(o, "country_codes", out->mutable_country_codes()));
  return MemberString(o, "scope", out->mutable_scope());
}

// `edits_remaining` was the string "4" in 2022 recordings and is the integer 5 since: both -> int32.
absl::Status ReadEditsRemaining(dom::element value, pb::EditControls* out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    int32_t number = 0;
    if (!absl::SimpleAtoi(Absl(text), &number)) {
      return FieldError(absl::StrCat("expected an integer or a string of digits, got \"", Absl(text), "\""));
    }
    out->set_edits_remaining(number);
    return absl::OkStatus();
  }
  return SetScalar(value, out, &pb::EditControls::set_edits_remaining);
}

absl::Status MapEditControls(dom::element value, pb::EditControls* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "is_edit_eligible", out, &pb::EditControls::set_is_edit_eligible));
  TS_RETURN_IF_ERROR(MemberMessage(o, "editable_until", out, &pb::EditControls::mutable_editable_until, ReadTime));
  std::optional<dom::element> edits = Member(o, "edits_remaining");
  if (!edits.has_value()) return absl::OkStatus();
  return Within("edits_remaining", ReadEditsRemaining(*edits, out));
}

absl::Status MapNoteTweet(dom::element value, pb::NoteTweet* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "text", out->mutable_text()));
  return MemberMessage(o, "entities", out, &pb::NoteTweet::mutable_entities, MapEntities);
}

absl::Status MapUserPublicMetrics(dom::element value, pb::UserPublicMetrics* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "followers_count", out, &pb::UserPublicMetrics::set_followers_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "following_count", out, &pb::UserPublicMetrics::set_following_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "tweet_count", out, &pb::UserPublicMetrics::set_tweet_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "listed_count", out, &pb::UserPublicMetrics::set_listed_count));
  TS_RETURN_IF_ERROR(MemberScalar(o, "like_count", out, &pb::UserPublicMetrics::set_like_count));
  return MemberScalar(o, "media_count", out, &pb::UserPublicMetrics::set_media_count);
}

absl::Status MapUserEntities(dom::element value, pb::UserEntities* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberMessage(o, "url", out, &pb::UserEntities::mutable_url, MapEntities));
  return MemberMessage(o, "description", out, &pb::UserEntities::mutable_description, MapEntities);
}

absl::Status MapMediaPublicMetrics(dom::element value, pb::MediaPublicMetrics* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  return MemberScalar(o, "view_count", out, &pb::MediaPublicMetrics::set_view_count);
}

absl::Status MapMediaVariant(dom::element value, pb::MediaVariant* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "bit_rate", out, &pb::MediaVariant::set_bit_rate));
  TS_RETURN_IF_ERROR(MemberString(o, "content_type", out->mutable_content_type()));
  return MemberString(o, "url", out->mutable_url());
}

absl::Status MapMedia(dom::element value, pb::Media* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "media_key", out->mutable_media_key()));
  TS_RETURN_IF_ERROR(MemberString(o, "type", out->mutable_type()));
  TS_RETURN_IF_ERROR(MemberString(o, "url", out->mutable_url()));
  TS_RETURN_IF_ERROR(MemberString(o, "preview_image_url", out->mutable_preview_image_url()));
  TS_RETURN_IF_ERROR(MemberScalar(o, "width", out, &pb::Media::set_width));
  TS_RETURN_IF_ERROR(MemberScalar(o, "height", out, &pb::Media::set_height));
  TS_RETURN_IF_ERROR(MemberScalar(o, "duration_ms", out, &pb::Media::set_duration_ms));
  TS_RETURN_IF_ERROR(MemberString(o, "alt_text", out->mutable_alt_text()));
  TS_RETURN_IF_ERROR(
      MemberMessage(o, "public_metrics", out, &pb::Media::mutable_public_metrics, MapMediaPublicMetrics));
  return MemberEach(o, "variants", out->mutable_variants(), MapMediaVariant);
}

// The place's `geo` is a GeoJSON Feature; only its `bbox` [west, south, east, north] is kept.
absl::Status MapPlace(dom::element value, pb::Place* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "id", out->mutable_id()));
  TS_RETURN_IF_ERROR(MemberString(o, "full_name", out->mutable_full_name()));
  TS_RETURN_IF_ERROR(MemberString(o, "name", out->mutable_name()));
  TS_RETURN_IF_ERROR(MemberString(o, "country", out->mutable_country()));
  TS_RETURN_IF_ERROR(MemberString(o, "country_code", out->mutable_country_code()));
  TS_RETURN_IF_ERROR(MemberString(o, "place_type", out->mutable_place_type()));
  TS_RETURN_IF_ERROR(MemberStrings(o, "contained_within", out->mutable_contained_within()));
  std::optional<dom::element> geo = Member(o, "geo");
  if (!geo.has_value()) return absl::OkStatus();
  absl::StatusOr<dom::object> geo_object = AsObject(*geo);
  if (!geo_object.ok()) return Within("geo", geo_object.status());
  std::optional<dom::element> bbox = Member(*geo_object, "bbox");
  if (!bbox.has_value()) return absl::OkStatus();
  return Within("geo.bbox", ReadNumbers(*bbox, out->mutable_bbox()));
}

absl::Status MapPollOption(dom::element value, pb::PollOption* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberScalar(o, "position", out, &pb::PollOption::set_position));
  TS_RETURN_IF_ERROR(MemberString(o, "label", out->mutable_label()));
  return MemberScalar(o, "votes", out, &pb::PollOption::set_votes);
}

absl::Status MapPoll(dom::element value, pb::Poll* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  TS_RETURN_IF_ERROR(MemberString(o, "id", out->mutable_id()));
  TS_RETURN_IF_ERROR(MemberEach(o, "options", out->mutable_options(), MapPollOption));
  TS_RETURN_IF_ERROR(MemberScalar(o, "duration_minutes", out, &pb::Poll::set_duration_minutes));
  TS_RETURN_IF_ERROR(MemberMessage(o, "end_datetime", out, &pb::Poll::mutable_end_datetime, ReadTime));
  return MemberString(o, "voting_status", out->mutable_voting_status());
}

// ---------------------------------------------------------------------------------------------------
// Tweet and User: the two messages with `extra_fields_json`. Their fields are listed in one table each,
// so a key is either mapped or kept as an extra field: nothing the API sends is dropped unnoticed.
// ---------------------------------------------------------------------------------------------------

template <typename Msg>
struct KnownField {
  std::string_view name;
  absl::Status (*map)(dom::element, Msg*);
};

constexpr KnownField<pb::Tweet> kTweetFields[] = {
    {"id", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_id()); }},
    {"text", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_text()); }},
    {"author_id", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_author_id()); }},
    {"created_at", [](dom::element v, pb::Tweet* t) { return ReadTime(v, t->mutable_created_at()); }},
    {"conversation_id", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_conversation_id()); }},
    {"in_reply_to_user_id",
     [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_in_reply_to_user_id()); }},
    {"lang", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_lang()); }},
    {"source", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_source()); }},
    {"reply_settings", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_reply_settings()); }},
    {"possibly_sensitive",
     [](dom::element v, pb::Tweet* t) { return SetScalar(v, t, &pb::Tweet::set_possibly_sensitive); }},
    {"referenced_tweets",
     [](dom::element v, pb::Tweet* t) { return ReadEach(v, t->mutable_referenced_tweets(), MapReferencedTweet); }},
    {"attachments", [](dom::element v, pb::Tweet* t) { return MapAttachments(v, t->mutable_attachments()); }},
    {"entities", [](dom::element v, pb::Tweet* t) { return MapEntities(v, t->mutable_entities()); }},
    {"context_annotations",
     [](dom::element v, pb::Tweet* t) {
       return ReadEach(v, t->mutable_context_annotations(), MapContextAnnotation);
     }},
    {"geo", [](dom::element v, pb::Tweet* t) { return MapGeo(v, t->mutable_geo()); }},
    {"public_metrics", [](dom::element v, pb::Tweet* t) { return MapPublicMetrics(v, t->mutable_public_metrics()); }},
    {"withheld", [](dom::element v, pb::Tweet* t) { return MapWithheld(v, t->mutable_withheld()); }},
    {"edit_history_tweet_ids",
     [](dom::element v, pb::Tweet* t) { return ReadStrings(v, t->mutable_edit_history_tweet_ids()); }},
    {"edit_controls", [](dom::element v, pb::Tweet* t) { return MapEditControls(v, t->mutable_edit_controls()); }},
    {"note_tweet", [](dom::element v, pb::Tweet* t) { return MapNoteTweet(v, t->mutable_note_tweet()); }},
    {"display_text_range",
     [](dom::element v, pb::Tweet* t) { return ReadNumbers(v, t->mutable_display_text_range()); }},
    {"community_id", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_community_id()); }},
    {"card_uri", [](dom::element v, pb::Tweet* t) { return ReadString(v, t->mutable_card_uri()); }},
};

constexpr KnownField<pb::User> kUserFields[] = {
    {"id", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_id()); }},
    {"name", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_name()); }},
    {"username", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_username()); }},
    {"created_at", [](dom::element v, pb::User* u) { return ReadTime(v, u->mutable_created_at()); }},
    {"description", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_description()); }},
    {"location", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_location()); }},
    {"url", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_url()); }},
    {"profile_image_url", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_profile_image_url()); }},
    {"protected", [](dom::element v, pb::User* u) { return SetScalar(v, u, &pb::User::set_protected_); }},
    {"verified", [](dom::element v, pb::User* u) { return SetScalar(v, u, &pb::User::set_verified); }},
    {"verified_type", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_verified_type()); }},
    {"pinned_tweet_id", [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_pinned_tweet_id()); }},
    {"public_metrics",
     [](dom::element v, pb::User* u) { return MapUserPublicMetrics(v, u->mutable_public_metrics()); }},
    {"withheld", [](dom::element v, pb::User* u) { return MapWithheld(v, u->mutable_withheld()); }},
    {"entities", [](dom::element v, pb::User* u) { return MapUserEntities(v, u->mutable_entities()); }},
    {"most_recent_tweet_id",
     [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_most_recent_tweet_id()); }},
    {"profile_banner_url",
     [](dom::element v, pb::User* u) { return ReadString(v, u->mutable_profile_banner_url()); }},
};

// Maps every member of `object` through `table`; members not in the table go, minified, into one JSON
// object in `*extra_json` (left empty when there are none). A known member that is null counts as
// absent; an unknown one is kept as it came, null included.
template <typename Msg, size_t N>
absl::Status MapKnownFields(dom::object object, const KnownField<Msg> (&table)[N], Msg* msg, std::string* extra_json) {
  std::vector<std::string> extras;
  for (dom::key_value_pair field : object) {
    const KnownField<Msg>* known = nullptr;
    for (const KnownField<Msg>& candidate : table) {
      if (candidate.name == field.key) {
        known = &candidate;
        break;
      }
    }
    if (known == nullptr) {
      // simdjson writes `"key":value` with its own escaping: no hand-made JSON.
      extras.push_back(simdjson::minify(field));
      continue;
    }
    if (field.value.is_null()) continue;
    TS_RETURN_IF_ERROR(Within(Absl(field.key), known->map(field.value, msg)));
  }
  if (!extras.empty()) *extra_json = absl::StrCat("{", absl::StrJoin(extras, ","), "}");
  return absl::OkStatus();
}

absl::Status MapTweet(dom::object object, pb::Tweet* out) {
  return MapKnownFields(object, kTweetFields, out, out->mutable_extra_fields_json());
}

absl::Status MapUser(dom::object object, pb::User* out) {
  return MapKnownFields(object, kUserFields, out, out->mutable_extra_fields_json());
}

absl::Status MapMatchingRule(dom::element value, pb::MatchingRule* out) {
  TS_ASSIGN_OR_RETURN(dom::object o, AsObject(value));
  if (std::optional<dom::element> id = Member(o, "id"); id.has_value()) {
    absl::StatusOr<std::string> text = IdString(*id);
    if (!text.ok()) return Within("id", text.status());
    out->set_id(*std::move(text));
  }
  return MemberString(o, "tag", out->mutable_tag());  // null tag = no tag
}

// ---------------------------------------------------------------------------------------------------
// Lone UTF-16 surrogate escapes.
//
// simdjson refuses a whole document with STRING_ERROR when a `\uD83E` is not followed by its low half
// (or a low half comes alone), which would cost every tweet of a page for one broken emoji. Such an
// escape is rewritten in place to `\uFFFD` (same length), the replacement character, so proto strings
// stay valid UTF-8. Called only after a STRING_ERROR, so well-formed bodies pay nothing.
// ---------------------------------------------------------------------------------------------------

bool IsHex4(const char* p) {
  for (int i = 0; i < 4; ++i) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(p[i]))) return false;
  }
  return true;
}

uint32_t Hex4(const char* p) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    const uint32_t digit = c <= '9' ? static_cast<uint32_t>(c - '0') : static_cast<uint32_t>((c | 0x20) - 'a' + 10);
    value = value * 16 + digit;
  }
  return value;
}

// Returns whether anything was replaced.
bool ReplaceLoneSurrogates(char* data, size_t size) {
  bool replaced = false;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      continue;
    }
    if (c == '"') {
      in_string = false;
      continue;
    }
    if (c != '\\' || i + 1 >= size) continue;
    if (data[i + 1] != 'u' || i + 6 > size || !IsHex4(data + i + 2)) {
      ++i;  // a two-character escape such as \" or \\: skip its second character
      continue;
    }
    const uint32_t unit = Hex4(data + i + 2);
    const bool high = unit >= 0xD800 && unit <= 0xDBFF;
    const bool low = unit >= 0xDC00 && unit <= 0xDFFF;
    if (high && i + 12 <= size && data[i + 6] == '\\' && data[i + 7] == 'u' && IsHex4(data + i + 8)) {
      const uint32_t next = Hex4(data + i + 8);
      if (next >= 0xDC00 && next <= 0xDFFF) {
        i += 11;  // a proper pair
        continue;
      }
    }
    if (high || low) {
      data[i + 2] = 'F';
      data[i + 3] = 'F';
      data[i + 4] = 'F';
      data[i + 5] = 'D';
      replaced = true;
    }
    i += 5;
  }
  return replaced;
}

// ---------------------------------------------------------------------------------------------------
// One response body.
// ---------------------------------------------------------------------------------------------------

std::string WhereWithId(std::string where, absl::string_view id) {
  if (!id.empty()) absl::StrAppend(&where, " (id ", id, ")");
  return where;
}

// Reads a problem's string member leniently: a problem is informational, so a member of the wrong type
// reads as empty instead of hiding the rest of the problem.
std::string LenientString(dom::object object, absl::string_view key) {
  std::optional<dom::element> value = Member(object, key);
  if (!value.has_value()) return "";
  absl::StatusOr<std::string> text = IdString(*value);  // strings, and integer ids printed exactly
  return text.ok() ? *std::move(text) : "";
}

// The objects of `includes`, each mapped once per body and indexed by the key tweets refer to it by.
// Keys are string_views into the mapped protos, which never move once the vectors are filled.
struct Includes {
  std::vector<pb::User> users;
  std::vector<pb::Tweet> tweets;
  std::vector<pb::Media> media;
  std::vector<pb::Place> places;
  std::vector<pb::Poll> polls;

  std::unordered_map<std::string_view, const pb::User*> user_by_id;
  std::unordered_map<std::string, const pb::User*> user_by_username;  // ASCII-lowercased (handles are case-insensitive)
  std::unordered_map<std::string_view, const pb::Tweet*> tweet_by_id;
  std::unordered_map<std::string_view, const pb::Media*> media_by_key;
  std::unordered_map<std::string_view, const pb::Place*> place_by_id;
  std::unordered_map<std::string_view, const pb::Poll*> poll_by_id;
};

class BodyMapper {
 public:
  BodyMapper(dom::object body, const MappingContext& context, ParsedResponse* out)
      : body_(body), context_(context), out_(out) {}

  void Run() {
    MapProblems();
    MapMeta();
    MapIncludes();
    MapMatchingRules();
    MapData();
  }

 private:
  void Skip(std::string where, std::string reason) {
    out_->skipped.push_back(SkippedRecord{std::move(where), std::move(reason)});
  }

  ApiProblem ProblemFrom(dom::object object) {
    ApiProblem problem;
    problem.type = LenientString(object, "type");
    problem.title = LenientString(object, "title");
    problem.detail = LenientString(object, "detail");
    if (problem.detail.empty()) problem.detail = LenientString(object, "message");
    problem.resource_id = LenientString(object, "resource_id");
    return problem;
  }

  // `errors[]` are per-item problems (partial errors of a 200) — except in a whole-body problem such as
  // invalid-request, whose `errors[]` hold `{message, parameters}` details of that one problem: those
  // are folded into its `detail` instead of being counted as problems of their own.
  void MapProblems() {
    std::optional<ApiProblem> whole_body;
    std::vector<std::string> folded_messages;
    if (Member(body_, "type").has_value() || Member(body_, "title").has_value()) whole_body = ProblemFrom(body_);

    std::vector<ApiProblem> problems;
    if (std::optional<dom::element> errors = Member(body_, "errors"); errors.has_value()) {
      absl::StatusOr<dom::array> array = AsArray(*errors);
      if (!array.ok()) {
        Skip("errors", Reason(array.status()));
      } else {
        size_t index = 0;
        for (dom::element item : *array) {
          absl::StatusOr<dom::object> object = AsObject(item);
          if (!object.ok()) {
            Skip(absl::StrCat("errors[", index, "]"), Reason(object.status()));
          } else if (whole_body.has_value() && !Member(*object, "type").has_value() &&
                     !Member(*object, "title").has_value()) {
            std::string message = LenientString(*object, "message");
            if (!message.empty()) folded_messages.push_back(std::move(message));
          } else {
            problems.push_back(ProblemFrom(*object));
          }
          ++index;
        }
      }
    }
    if (whole_body.has_value()) {
      if (!folded_messages.empty()) {
        absl::StrAppend(&whole_body->detail, whole_body->detail.empty() ? "" : ": ",
                        absl::StrJoin(folded_messages, "; "));
      }
      out_->problems.push_back(*std::move(whole_body));
    }
    for (ApiProblem& problem : problems) out_->problems.push_back(std::move(problem));
  }

  void MapMeta() {
    std::optional<dom::element> meta = Member(body_, "meta");
    if (!meta.has_value()) return;
    absl::StatusOr<dom::object> object = AsObject(*meta);
    if (!object.ok()) {
      Skip("meta", Reason(object.status()));
      return;
    }
    PageMeta& page = out_->meta;
    const std::pair<absl::string_view, std::string*> strings[] = {
        {"newest_id", &page.newest_id}, {"oldest_id", &page.oldest_id}, {"next_token", &page.next_token}};
    for (const auto& [key, target] : strings) {
      absl::Status status = MemberString(*object, key, target);
      if (!status.ok()) Skip("meta", Reason(status));
    }
    if (std::optional<dom::element> count = Member(*object, "result_count"); count.has_value()) {
      int64_t value = 0;
      absl::Status status = Within("result_count", Convert(*count, &value));
      if (status.ok()) {
        page.result_count = value;
      } else {
        Skip("meta", Reason(status));
      }
    }
  }

  // Maps every element of `includes.<name>` with `map`; one that fails (or has no key) is reported and
  // left out of the joins, the tweets that refer to it are still returned.
  template <typename Msg>
  void MapIncludeList(dom::object includes, absl::string_view name, std::vector<Msg>* out,
                      absl::Status (*map)(dom::element, Msg*), const std::string& (Msg::*key)() const) {
    std::optional<dom::element> list = Member(includes, name);
    if (!list.has_value()) return;
    absl::StatusOr<dom::array> array = AsArray(*list);
    if (!array.ok()) {
      Skip(absl::StrCat("includes.", name), Reason(array.status()));
      return;
    }
    out->reserve(array->size());
    size_t index = 0;
    for (dom::element item : *array) {
      Msg msg;
      absl::Status status = map(item, &msg);
      if (status.ok() && (msg.*key)().empty()) status = FieldError("no id to join it by");
      if (!status.ok()) {
        Skip(WhereWithId(absl::StrCat("includes.", name, "[", index, "]"), (msg.*key)()), Reason(status));
      } else {
        out->push_back(std::move(msg));
      }
      ++index;
    }
  }

  void MapIncludes() {
    std::optional<dom::element> value = Member(body_, "includes");
    if (!value.has_value()) return;
    absl::StatusOr<dom::object> includes = AsObject(*value);
    if (!includes.ok()) {
      Skip("includes", Reason(includes.status()));
      return;
    }
    MapIncludeList<pb::User>(
        *includes, "users", &includes_.users,
        [](dom::element v, pb::User* u) -> absl::Status {
          TS_ASSIGN_OR_RETURN(dom::object o, AsObject(v));
          return MapUser(o, u);
        },
        &pb::User::id);
    MapIncludeList<pb::Tweet>(
        *includes, "tweets", &includes_.tweets,
        [](dom::element v, pb::Tweet* t) -> absl::Status {
          TS_ASSIGN_OR_RETURN(dom::object o, AsObject(v));
          return MapTweet(o, t);
        },
        &pb::Tweet::id);
    MapIncludeList<pb::Media>(*includes, "media", &includes_.media, MapMedia, &pb::Media::media_key);
    MapIncludeList<pb::Place>(*includes, "places", &includes_.places, MapPlace, &pb::Place::id);
    MapIncludeList<pb::Poll>(*includes, "polls", &includes_.polls, MapPoll, &pb::Poll::id);

    // The first occurrence of a key wins (emplace keeps it).
    for (const pb::User& user : includes_.users) {
      includes_.user_by_id.emplace(user.id(), &user);
      if (!user.username().empty()) includes_.user_by_username.emplace(absl::AsciiStrToLower(user.username()), &user);
    }
    for (const pb::Tweet& tweet : includes_.tweets) includes_.tweet_by_id.emplace(tweet.id(), &tweet);
    for (const pb::Media& media : includes_.media) includes_.media_by_key.emplace(media.media_key(), &media);
    for (const pb::Place& place : includes_.places) includes_.place_by_id.emplace(place.id(), &place);
    for (const pb::Poll& poll : includes_.polls) includes_.poll_by_id.emplace(poll.id(), &poll);
  }

  // Stream events: the rules belong to the event, so they are mapped once and copied into each tweet.
  // A rule that cannot be read fails the event's tweets rather than attributing them to the wrong rule.
  void MapMatchingRules() {
    std::optional<dom::element> value = Member(body_, "matching_rules");
    if (!value.has_value()) return;
    RepeatedPtrField<pb::MatchingRule> rules;
    matching_rules_status_ = Within("matching_rules", ReadEach(*value, &rules, MapMatchingRule));
    if (matching_rules_status_.ok()) matching_rules_.assign(rules.begin(), rules.end());
  }

  void MapData() {
    std::optional<dom::element> data = Member(body_, "data");
    if (!data.has_value()) return;  // empty result, or an errors-only body
    dom::array array;
    if (data->get_array().get(array) == simdjson::SUCCESS) {
      out_->envelopes.reserve(array.size());
      size_t index = 0;
      for (dom::element item : array) {
        MapDataTweet(item, absl::StrCat("data[", index, "]"));
        ++index;
      }
      return;
    }
    if (data->is_object()) {
      MapDataTweet(*data, "data");
      return;
    }
    Skip("data", Reason(Mismatch("an object or an array of tweets", *data)));
  }

  void MapDataTweet(dom::element value, std::string where) {
    absl::StatusOr<dom::object> object = AsObject(value);
    if (!object.ok()) {
      Skip(std::move(where), Reason(object.status()));
      return;
    }
    // `id` and `text` are the two fields every tweet has; without them there is nothing to index.
    std::string id;
    if (absl::Status status = RequireString(*object, "id", &id); !status.ok()) {
      Skip(std::move(where), std::string(status.message()));
      return;
    }
    where = WhereWithId(std::move(where), id);
    std::string unused_text;
    if (absl::Status status = RequireString(*object, "text", &unused_text); !status.ok()) {
      Skip(std::move(where), std::string(status.message()));
      return;
    }
    if (!matching_rules_status_.ok()) {
      Skip(std::move(where), Reason(matching_rules_status_));
      return;
    }

    pb::TweetEnvelope envelope;
    pb::Tweet* tweet = envelope.mutable_tweet();
    if (absl::Status status = MapTweet(*object, tweet); !status.ok()) {
      Skip(std::move(where), Reason(status));
      return;
    }
    Join(*tweet, &envelope);
    for (const pb::MatchingRule& rule : matching_rules_) *envelope.add_matching_rules() = rule;
    if (!context_.query.empty()) envelope.set_query(context_.query);
    Stamp(envelope.mutable_ingestion());
    out_->envelopes.push_back(std::move(envelope));
  }

  static absl::Status RequireString(dom::object object, absl::string_view key, std::string* out) {
    std::optional<dom::element> value = Member(object, key);
    if (!value.has_value()) return absl::InvalidArgumentError(absl::StrCat("tweet has no '", key, "'"));
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("tweet '", key, "' is ", TypeName(value->type()), ", expected a string"));
    }
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("tweet has an empty '", key, "'"));
    out->assign(text.data(), text.size());
    return absl::OkStatus();
  }

  // Joins the expansions this tweet refers to. Objects the API did not include are simply absent.
  void Join(const pb::Tweet& tweet, pb::TweetEnvelope* envelope) const {
    if (auto it = includes_.user_by_id.find(tweet.author_id()); !tweet.author_id().empty() &&
                                                                it != includes_.user_by_id.end()) {
      *envelope->mutable_author() = *it->second;
    }

    // Replied-to user first, then mentions in text order; each user once, never the author.
    std::unordered_set<std::string_view> seen_users = {tweet.author_id()};
    auto add_user = [&](const pb::User* user) {
      if (user != nullptr && seen_users.insert(user->id()).second) *envelope->add_referenced_users() = *user;
    };
    add_user(FindUser(tweet.in_reply_to_user_id()));
    for (const pb::Mention& mention : tweet.entities().mentions()) {
      const pb::User* user = FindUser(mention.id());
      if (user == nullptr && !mention.username().empty()) {
        auto it = includes_.user_by_username.find(absl::AsciiStrToLower(mention.username()));
        if (it != includes_.user_by_username.end()) user = it->second;
      }
      add_user(user);
    }

    std::unordered_set<std::string_view> seen_tweets;
    for (const pb::ReferencedTweet& reference : tweet.referenced_tweets()) {
      auto it = includes_.tweet_by_id.find(reference.id());
      if (it != includes_.tweet_by_id.end() && seen_tweets.insert(reference.id()).second) {
        *envelope->add_referenced_tweets() = *it->second;
      }
    }
    for (const std::string& key : tweet.attachments().media_keys()) {
      auto it = includes_.media_by_key.find(key);
      if (it != includes_.media_by_key.end()) *envelope->add_media() = *it->second;
    }
    for (const std::string& id : tweet.attachments().poll_ids()) {
      auto it = includes_.poll_by_id.find(id);
      if (it != includes_.poll_by_id.end()) *envelope->add_polls() = *it->second;
    }
    if (!tweet.geo().place_id().empty()) {
      auto it = includes_.place_by_id.find(tweet.geo().place_id());
      if (it != includes_.place_by_id.end()) *envelope->mutable_place() = *it->second;
    }
  }

  const pb::User* FindUser(std::string_view id) const {
    if (id.empty()) return nullptr;
    auto it = includes_.user_by_id.find(id);
    return it == includes_.user_by_id.end() ? nullptr : it->second;
  }

  void Stamp(pb::Ingestion* ingestion) const {
    ingestion->set_connector(context_.connector);
    ingestion->set_mode(context_.mode);
    ingestion->set_origin(context_.origin);
    ingestion->set_connector_version(TWEETSTREAM_VERSION);
    // InfinitePast/InfiniteFuture have no Timestamp: left unset rather than clamped to a wrong time.
    if (context_.ingested_at != absl::InfinitePast() && context_.ingested_at != absl::InfiniteFuture()) {
      const int64_t seconds = absl::ToUnixSeconds(context_.ingested_at);
      Timestamp* at = ingestion->mutable_ingested_at();
      at->set_seconds(seconds);
      at->set_nanos(
          static_cast<int32_t>((context_.ingested_at - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
    }
  }

  dom::object body_;
  const MappingContext& context_;
  ParsedResponse* out_;
  Includes includes_;
  std::vector<pb::MatchingRule> matching_rules_;
  absl::Status matching_rules_status_;
};

}  // namespace

absl::StatusOr<ParsedResponse> ParseXResponse(absl::string_view body, const MappingContext& context) {
  // One parser per thread, reused across calls: simdjson's parser keeps its buffers, so a stream of
  // small events does not reallocate them per event. The DOM it returns is only used inside this call.
  thread_local dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  dom::element root;
  simdjson::error_code error = parser.parse(padded).get(root);
  if (error == simdjson::STRING_ERROR && ReplaceLoneSurrogates(padded.data(), padded.size())) {
    error = parser.parse(padded).get(root);
  }
  if (error != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(absl::StrCat("X API body is not valid JSON: ", simdjson::error_message(error)));
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError(
        absl::StrCat("X API body is not a JSON object: the document is ", TypeName(root.type())));
  }
  ParsedResponse parsed;
  BodyMapper(object, context, &parsed).Run();
  return parsed;
}

}  // namespace tweetstream::source
