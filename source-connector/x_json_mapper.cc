#include "source-connector/x_json_mapper.h"

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wire_format_lite.h"

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

// Days from 1970-01-01 to the civil date (proleptic Gregorian; H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The form X writes every time in, `YYYY-MM-DDTHH:MM:SS.mmmZ` (or without `.mmm`), read without the
// general RFC 3339 parser (which costs as much as the rest of a tweet). False for anything else, and
// for values it leaves to the general parser (year 0, a leap second, an impossible date): the caller
// then falls back to absl::ParseTime, so the result is the same either way.
bool ParseXTime(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  if (text.size() != 24 && text.size() != 20) return false;
  const char* p = text.data();
  auto digits = [p](size_t at, size_t n, int64_t* value) {
    int64_t v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (p[i] < '0' || p[i] > '9') return false;
      v = v * 10 + (p[i] - '0');
    }
    *value = v;
    return true;
  };
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || p[text.size() - 1] != 'Z') {
    return false;
  }
  int64_t year, month, day, hour, minute, second, millis = 0;
  if (!digits(0, 4, &year) || !digits(5, 2, &month) || !digits(8, 2, &day) || !digits(11, 2, &hour) ||
      !digits(14, 2, &minute) || !digits(17, 2, &second)) {
    return false;
  }
  if (text.size() == 24 && (p[19] != '.' || !digits(20, 3, &millis))) return false;
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > kDaysInMonth[month - 1] + (month == 2 && leap ? 1 : 0)) return false;
  *seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  *nanos = static_cast<int32_t>(millis * 1000000);
  return true;
}

// RFC 3339 (`2021-04-01T15:52:31.000Z`, or a numeric offset) -> Timestamp, within Timestamp's valid
// range (years 1..9999).
absl::Status ReadTime(dom::element value, Timestamp* out) {
  TS_ASSIGN_OR_RETURN(absl::string_view text, AsString(value));
  int64_t fast_seconds = 0;
  int32_t fast_nanos = 0;
  if (ParseXTime(text, &fast_seconds, &fast_nanos)) {  // years 1..9999: always in range
    out->set_seconds(fast_seconds);
    out->set_nanos(fast_nanos);
    return absl::OkStatus();
  }
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

// ---------------------------------------------------------------------------------------------------
// Scratch state reused from body to body.
//
// Mapping a body allocates little once a Mapper is warm: the JSON parser keeps its buffers, the
// included users/tweets/media/places/polls are mapped into pooled messages that keep their strings'
// capacity (Clear() does not free them), and the join tables keep their buckets.
// ---------------------------------------------------------------------------------------------------

// The messages of one `includes.<name>` list. Items [0, size()) belong to the current body; their
// addresses never change while it is mapped (the keys of the join tables point into them). Each item's
// serialized bytes are computed at most once per body, when the encoder first needs them.
template <typename Msg>
class IncludePool {
 public:
  // A cleared message, on `arena`, to map the next item into; it counts only once Keep() is called.
  Msg* Next(google::protobuf::Arena* arena) {
    if (used_ == items_.size()) {
      items_.push_back(google::protobuf::Arena::CreateMessage<Msg>(arena));
      if (encoded_.size() < items_.size()) encoded_.emplace_back();
      encoded_valid_.push_back(false);
    } else {
      items_[used_]->Clear();
    }
    return items_[used_];
  }
  void Keep() {
    encoded_valid_[used_] = false;
    ++used_;
  }
  // Forgets the items (their arena is about to be reset); the encoded buffers are kept.
  void Reset() {
    used_ = 0;
    items_.clear();
    encoded_valid_.clear();
  }
  size_t size() const { return used_; }
  const Msg& operator[](size_t i) const { return *items_[i]; }

  // The serialized message (without tag and length), cached for the rest of the body.
  absl::string_view Encoded(size_t i) {
    if (!encoded_valid_[i]) {
      items_[i]->SerializeToString(&encoded_[i]);
      encoded_valid_[i] = true;
    }
    return encoded_[i];
  }

 private:
  std::vector<Msg*> items_;  // owned by the arena
  std::vector<std::string> encoded_;
  std::vector<bool> encoded_valid_;
  size_t used_ = 0;
};

// The objects of `includes`, each mapped once per body and indexed (position in its pool) by the key
// tweets refer to it by. Keys are string_views into the pooled protos.
struct Includes {
  // Holds the included messages and the scratch tweets of one body; reset before the next body. Its
  // first block is kept (the Mapper owns it), so a warm mapper rarely asks malloc for more.
  google::protobuf::Arena* arena = nullptr;
  IncludePool<pb::User> users;
  IncludePool<pb::Tweet> tweets;
  IncludePool<pb::Media> media;
  IncludePool<pb::Place> places;
  IncludePool<pb::Poll> polls;

  std::unordered_map<std::string_view, uint32_t> user_by_id;
  // ASCII-lowercased (handles are case-insensitive). Built on first use in a body: only mentions
  // without a joinable id need it.
  std::unordered_map<std::string, uint32_t> user_by_username;
  bool user_by_username_built = false;
  std::unordered_map<std::string_view, uint32_t> tweet_by_id;
  std::unordered_map<std::string_view, uint32_t> media_by_key;
  std::unordered_map<std::string_view, uint32_t> place_by_id;
  std::unordered_map<std::string_view, uint32_t> poll_by_id;

  void Reset() {
    users.Reset();
    tweets.Reset();
    media.Reset();
    places.Reset();
    polls.Reset();
    user_by_id.clear();
    user_by_username.clear();
    user_by_username_built = false;
    tweet_by_id.clear();
    media_by_key.clear();
    place_by_id.clear();
    poll_by_id.clear();
    arena->Reset();
  }
};

// What one tweet joins from `includes`, as positions in the pools.
struct Joins {
  int64_t author = -1;
  std::vector<uint32_t> referenced_users;
  std::vector<uint32_t> referenced_tweets;
  std::vector<uint32_t> media;
  std::vector<uint32_t> polls;
  int64_t place = -1;

  void Clear() {
    author = -1;
    referenced_users.clear();
    referenced_tweets.clear();
    media.clear();
    polls.clear();
    place = -1;
  }
};

// Appends field `number` as a length-delimited record holding `payload` (an embedded message).
void AppendEmbedded(int number, absl::string_view payload, std::string* out) {
  namespace io = google::protobuf::io;
  using google::protobuf::internal::WireFormatLite;
  uint8_t header[16];
  uint8_t* end = WireFormatLite::WriteTagToArray(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, header);
  end = io::CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(payload.size()), end);
  out->append(reinterpret_cast<const char*>(header), static_cast<size_t>(end - header));
  out->append(payload.data(), payload.size());
}

// Appends field `number` holding `message`, serialized straight into `out`.
void AppendEmbedded(int number, const google::protobuf::MessageLite& message, std::string* out) {
  namespace io = google::protobuf::io;
  using google::protobuf::internal::WireFormatLite;
  const size_t size = message.ByteSizeLong();
  uint8_t header[16];
  uint8_t* end = WireFormatLite::WriteTagToArray(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED, header);
  end = io::CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(size), end);
  const size_t header_size = static_cast<size_t>(end - header);
  const size_t at = out->size();
  out->resize(at + header_size + size);
  uint8_t* target = reinterpret_cast<uint8_t*>(out->data() + at);
  std::memcpy(target, header, header_size);
  message.SerializeWithCachedSizesToArray(target + header_size);
}

// TweetEnvelope field numbers (tweet.proto), in the order the generated code serializes them.
constexpr int kEnvelopeTweet = 1;
constexpr int kEnvelopeAuthor = 2;
constexpr int kEnvelopeMedia = 10;
constexpr int kEnvelopePlace = 11;
constexpr int kEnvelopePolls = 12;
constexpr int kEnvelopeReferencedTweets = 13;
constexpr int kEnvelopeReferencedUsers = 14;

class Mapper;

// Where the mapped tweets go: heap envelopes (ParseXResponse) or serialized envelopes (the encoder).
struct Output {
  std::vector<SkippedRecord>* skipped = nullptr;
  std::vector<ApiProblem>* problems = nullptr;
  PageMeta* meta = nullptr;
  std::vector<pb::TweetEnvelope>* envelopes = nullptr;  // set: build envelopes
  std::vector<EncodedTweet>* encoded = nullptr;         // set: serialize envelopes
  size_t encoded_count = 0;
  bool fast_path = false;  // the encoder's single-pass writer mapped the body (see WireWriter)
};

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
void ReadProblems(dom::object body, std::vector<ApiProblem>* out, std::vector<SkippedRecord>* skipped) {
  std::optional<ApiProblem> whole_body;
  std::vector<std::string> folded_messages;
  if (Member(body, "type").has_value() || Member(body, "title").has_value()) whole_body = ProblemFrom(body);

  std::vector<ApiProblem> problems;
  if (std::optional<dom::element> errors = Member(body, "errors"); errors.has_value()) {
    absl::StatusOr<dom::array> array = AsArray(*errors);
    if (!array.ok()) {
      skipped->push_back(SkippedRecord{"errors", Reason(array.status())});
    } else {
      size_t index = 0;
      for (dom::element item : *array) {
        absl::StatusOr<dom::object> object = AsObject(item);
        if (!object.ok()) {
          skipped->push_back(SkippedRecord{absl::StrCat("errors[", index, "]"), Reason(object.status())});
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
    out->push_back(*std::move(whole_body));
  }
  for (ApiProblem& problem : problems) out->push_back(std::move(problem));
}

// ---------------------------------------------------------------------------------------------------
// The single-pass writer (XResponseEncoder's fast path).
//
// Walks the parsed JSON once and writes protobuf wire bytes as it goes: no message objects, no
// strings copied but into the output, each object's members looked up in one pass over its keys. It
// handles the common case only — every body of well-formed tweets — and gives up (returns false) on
// anything else: a member of the wrong type, a key that comes twice, a tweet the general mapper would
// skip, `errors[]`, a time that is not in X's own form, an integer out of range... The general mapper
// (BodyMapper) then maps the same parsed body, with its reasons. So the writer needs no error
// reporting of its own, and its output, for what it accepts, is byte for byte what the generated code
// serializes for BodyMapper's envelopes: fields in field-number order, proto3 scalars left out when
// zero, `optional` ones written when present, sub-messages written when present (even empty), repeated
// numbers packed.
// ---------------------------------------------------------------------------------------------------

// The few small functions every field goes through: inlined wherever they are called.
#define TS_HOT [[gnu::always_inline]] inline

// Writes `value` as a protobuf varint at `at`; returns the end (at most 10 bytes).
TS_HOT char* WriteVarint(uint64_t value, char* at) {
  while (value >= 0x80) {
    *at++ = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  *at++ = static_cast<char>(value);
  return at;
}

// Protobuf wire format into a growable buffer. Offsets (not pointers) stay valid across growth.
class Wire {
 public:
  static constexpr uint32_t kVarint = 0;
  static constexpr uint32_t kFixed64 = 1;
  static constexpr uint32_t kLengthDelimited = 2;

  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  absl::string_view View(size_t from, size_t length) const { return absl::string_view(buffer_.data() + from, length); }
  absl::string_view All() const { return absl::string_view(buffer_.data(), size_); }

  TS_HOT void Varint(uint64_t value) {
    if (value < 0x80) {  // tags of fields 1-15, short lengths, small numbers
      *Room(1) = static_cast<char>(value);
      ++size_;
      return;
    }
    size_ = static_cast<size_t>(WriteVarint(value, Room(10)) - buffer_.data());
  }
  TS_HOT void Tag(uint32_t field, uint32_t wire_type) { Varint((static_cast<uint64_t>(field) << 3) | wire_type); }
  TS_HOT void Raw(absl::string_view bytes) {
    if (bytes.empty()) return;
    std::memcpy(Room(bytes.size()), bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void Fixed64(uint64_t bits) {
    char* p = Room(8);
    for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(bits >> (8 * i));  // little-endian
    size_ += 8;
  }
  TS_HOT void LengthDelimited(uint32_t field, absl::string_view bytes) {
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

  TS_HOT char* Room(size_t bytes) {
    if (size_ + bytes > buffer_.size()) [[unlikely]] Grow(bytes);
    return buffer_.data() + size_;
  }
  [[gnu::noinline]] void Grow(size_t bytes) { buffer_.resize(std::max(size_ + bytes, buffer_.size() * 2 + 256)); }

  std::string buffer_;
  size_t size_ = 0;
};

// Keys are short and mostly differ in length or first letter; compared inline (a memcmp call per
// candidate key cost more than the comparison).
TS_HOT bool SameKey(std::string_view known, std::string_view key) {
  if (known.size() != key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (known[i] != key[i]) return false;
  }
  return true;
}

// The members of one JSON object, looked up in a message's key table (`keys[i]` is found at index i).
template <size_t N>
class Members {
  static_assert(N <= 32, "one bit per key");

 public:
  // False when `value` is not an object or a key of the table comes twice (the general mapper decides
  // what that means). Other members are ignored, or, with `extras` set, added to it minified as
  // MapKnownFields does (so null ones too).
  bool Read(dom::element value, const std::string_view (&keys)[N], std::string* extras = nullptr) {
    dom::object object;
    return value.get_object().get(object) == simdjson::SUCCESS && Read(object, keys, extras);
  }
  bool Read(dom::object object, const std::string_view (&keys)[N], std::string* extras = nullptr) {
    seen_ = 0;
    set_ = 0;
    for (dom::key_value_pair field : object) {
      size_t i = 0;
      while (i < N && !SameKey(keys[i], field.key)) ++i;
      if (i == N) {
        if (extras != nullptr) {
          extras->append(extras->empty() ? "{" : ",");
          extras->append(simdjson::minify(field));
        }
        continue;
      }
      const uint32_t bit = uint32_t{1} << i;
      if ((seen_ & bit) != 0) return false;
      seen_ |= bit;
      if (field.value.is_null()) continue;  // the API nulls and omits optional fields interchangeably
      set_ |= bit;
      values_[i] = field.value;
    }
    if (extras != nullptr && !extras->empty()) extras->append("}");
    return true;
  }
  // The member at `i`, or nullptr when absent or null.
  const dom::element* operator[](size_t i) const { return (set_ >> i & 1) != 0 ? &values_[i] : nullptr; }

 private:
  dom::element values_[N];
  uint32_t seen_ = 0;
  uint32_t set_ = 0;
};

TS_HOT bool GetString(const dom::element& value, std::string_view* out) {
  return value.get_string().get(*out) == simdjson::SUCCESS;
}

TS_HOT bool GetInt64(const dom::element& value, int64_t* out) { return value.get_int64().get(*out) == simdjson::SUCCESS; }

bool GetInt32(const dom::element& value, int32_t* out) {
  int64_t wide = 0;
  if (!GetInt64(value, &wide) || wide < std::numeric_limits<int32_t>::min() ||
      wide > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(wide);
  return true;
}

// Negative int32/int64 values are written as 10-byte varints (sign-extended), as protobuf does.
uint64_t VarintOf(int64_t value) { return static_cast<uint64_t>(value); }

// One function per field kind; `value` is nullptr when the member is absent or null.
TS_HOT bool PutString(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  std::string_view text;
  if (!GetString(*value, &text)) return false;
  if (!text.empty()) w.LengthDelimited(field, Absl(text));
  return true;
}

// An int32 or int64 field: proto3 leaves a zero out unless the field is `optional` (then present = written).
template <typename Int>
TS_HOT bool PutInteger(Wire& w, uint32_t field, const dom::element* value, bool optional) {
  if (value == nullptr) return true;
  Int number = 0;
  if constexpr (sizeof(Int) == 4) {
    if (!GetInt32(*value, &number)) return false;
  } else {
    if (!GetInt64(*value, &number)) return false;
  }
  if (optional || number != 0) {
    w.Tag(field, Wire::kVarint);
    w.Varint(VarintOf(number));
  }
  return true;
}
TS_HOT bool PutInt32(Wire& w, uint32_t field, const dom::element* value, bool optional = false) {
  return PutInteger<int32_t>(w, field, value, optional);
}
TS_HOT bool PutInt64(Wire& w, uint32_t field, const dom::element* value, bool optional = false) {
  return PutInteger<int64_t>(w, field, value, optional);
}

TS_HOT bool PutOptionalInt64(Wire& w, uint32_t field, const dom::element* value) { return PutInt64(w, field, value, true); }

bool PutOptionalBool(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  bool flag = false;
  if (value->get_bool().get(flag) != simdjson::SUCCESS) return false;
  w.Tag(field, Wire::kVarint);
  w.Varint(flag ? 1 : 0);
  return true;
}

uint64_t BitsOf(double number) {
  uint64_t bits = 0;
  std::memcpy(&bits, &number, sizeof bits);
  return bits;
}

// A proto3 double: left out when its bits are all zero (so -0.0 is written, as the generated code does).
void PutDoubleNumber(Wire& w, uint32_t field, double number) {
  if (BitsOf(number) == 0) return;
  w.Tag(field, Wire::kFixed64);
  w.Fixed64(BitsOf(number));
}

bool PutDouble(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  double number = 0;
  if (value->get_double().get(number) != simdjson::SUCCESS) return false;
  PutDoubleNumber(w, field, number);
  return true;
}

// A Timestamp, from X's own form only (anything else goes to the general mapper's RFC 3339 parser).
bool PutTime(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  std::string_view text;
  int64_t seconds = 0;
  int32_t nanos = 0;
  if (!GetString(*value, &text) || !ParseXTime(Absl(text), &seconds, &nanos)) return false;
  const size_t start = w.Begin(field);
  if (seconds != 0) {
    w.Tag(1, Wire::kVarint);
    w.Varint(VarintOf(seconds));
  }
  if (nanos != 0) {
    w.Tag(2, Wire::kVarint);
    w.Varint(VarintOf(nanos));
  }
  w.End(start);
  return true;
}

// repeated string: every item written, empty ones too.
bool PutStrings(Wire& w, uint32_t field, const dom::element* value, std::vector<std::string_view>* seen = nullptr) {
  if (value == nullptr) return true;
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) return false;
  for (dom::element item : array) {
    std::string_view text;
    if (!GetString(item, &text)) return false;
    w.LengthDelimited(field, Absl(text));
    if (seen != nullptr) seen->push_back(text);
  }
  return true;
}

// repeated int32 (packed): nothing when empty.
bool PutPackedInt32(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) return false;
  if (array.size() == 0) return true;
  const size_t start = w.Begin(field);
  for (dom::element item : array) {
    int32_t number = 0;
    if (!GetInt32(item, &number)) return false;
    w.Varint(VarintOf(number));
  }
  w.End(start);
  return true;
}

// repeated double (packed): nothing when empty.
bool PutPackedDoubles(Wire& w, uint32_t field, const dom::element* value) {
  if (value == nullptr) return true;
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) return false;
  if (array.size() == 0) return true;
  const size_t start = w.Begin(field);
  for (dom::element item : array) {
    double number = 0;
    if (item.get_double().get(number) != simdjson::SUCCESS) return false;
    w.Fixed64(BitsOf(number));
  }
  w.End(start);
  return true;
}

template <typename Encode>
bool PutMessage(Wire& w, uint32_t field, const dom::element* value, Encode encode) {
  if (value == nullptr) return true;
  const size_t start = w.Begin(field);
  if (!encode(*value, w)) return false;
  w.End(start);
  return true;
}

template <typename Encode>
bool PutMessages(Wire& w, uint32_t field, const dom::element* value, Encode encode) {
  if (value == nullptr) return true;
  dom::array array;
  if (value->get_array().get(array) != simdjson::SUCCESS) return false;
  for (dom::element item : array) {
    const size_t start = w.Begin(field);
    if (!encode(item, w)) return false;
    w.End(start);
  }
  return true;
}

// What a data tweet joins from `includes`, as views into the parsed body.
struct TweetRefs {
  std::string_view id;
  std::string_view text;
  std::string_view author_id;
  std::string_view in_reply_to_user_id;
  std::vector<std::pair<std::string_view, std::string_view>> mentions;  // (id, username), "" when absent
  std::vector<std::string_view> referenced_tweet_ids;
  std::vector<std::string_view> media_keys;
  std::vector<std::string_view> poll_ids;
  std::string_view place_id;

  void Clear() {
    id = text = author_id = in_reply_to_user_id = place_id = {};
    mentions.clear();
    referenced_tweet_ids.clear();
    media_keys.clear();
    poll_ids.clear();
  }
};

// Reads an optional string member into `out` ("" when absent); false when it is not a string.
bool ViewString(const dom::element* value, std::string_view* out) {
  *out = {};
  return value == nullptr || GetString(*value, out);
}

// Each Encode* writes the payload of one message (no tag, no length) for the element, which must be
// an object; the key tables list the JSON keys in field-number order, as the Put* calls use them.
constexpr std::string_view kHashtagKeys[] = {"start", "end", "tag"};
bool EncodeHashtag(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kHashtagKeys) && PutInt32(w, 1, m[0]) && PutInt32(w, 2, m[1]) && PutString(w, 3, m[2]);
}

constexpr std::string_view kMentionKeys[] = {"start", "end", "username", "id"};
bool EncodeMention(dom::element value, Wire& w, TweetRefs* refs) {
  Members<4> m;
  if (!m.Read(value, kMentionKeys) || !PutInt32(w, 1, m[0]) || !PutInt32(w, 2, m[1]) || !PutString(w, 3, m[2]) ||
      !PutString(w, 4, m[3])) {
    return false;
  }
  if (refs != nullptr) {
    std::string_view id, username;
    ViewString(m[3], &id);
    ViewString(m[2], &username);
    refs->mentions.emplace_back(id, username);
  }
  return true;
}

constexpr std::string_view kImageKeys[] = {"url", "width", "height"};
bool EncodeImage(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kImageKeys) && PutString(w, 1, m[0]) && PutInt32(w, 2, m[1]) && PutInt32(w, 3, m[2]);
}

constexpr std::string_view kUrlKeys[] = {"start",     "end",   "url",         "expanded_url", "display_url", "media_key",
                                         "status",    "title", "description", "unwound_url",  "images"};
bool EncodeUrl(dom::element value, Wire& w) {
  Members<11> m;
  return m.Read(value, kUrlKeys) && PutInt32(w, 1, m[0]) && PutInt32(w, 2, m[1]) && PutString(w, 3, m[2]) &&
         PutString(w, 4, m[3]) && PutString(w, 5, m[4]) && PutString(w, 6, m[5]) &&
         PutInt32(w, 7, m[6], /*optional=*/true) && PutString(w, 8, m[7]) && PutString(w, 9, m[8]) &&
         PutString(w, 10, m[9]) && PutMessages(w, 11, m[10], EncodeImage);
}

constexpr std::string_view kAnnotationKeys[] = {"start", "end", "probability", "type", "normalized_text"};
bool EncodeAnnotation(dom::element value, Wire& w) {
  Members<5> m;
  return m.Read(value, kAnnotationKeys) && PutInt32(w, 1, m[0]) && PutInt32(w, 2, m[1]) && PutDouble(w, 3, m[2]) &&
         PutString(w, 4, m[3]) && PutString(w, 5, m[4]);
}

constexpr std::string_view kEntitiesKeys[] = {"hashtags", "cashtags", "mentions", "urls", "annotations"};
// `refs` (a data tweet's own entities only) collects the mentions for the joins.
bool EncodeEntities(dom::element value, Wire& w, TweetRefs* refs = nullptr) {
  Members<5> m;
  return m.Read(value, kEntitiesKeys) && PutMessages(w, 1, m[0], EncodeHashtag) &&
         PutMessages(w, 2, m[1], EncodeHashtag) &&
         PutMessages(w, 3, m[2], [refs](dom::element v, Wire& out) { return EncodeMention(v, out, refs); }) &&
         PutMessages(w, 4, m[3], EncodeUrl) && PutMessages(w, 5, m[4], EncodeAnnotation);
}

bool EncodePlainEntities(dom::element value, Wire& w) { return EncodeEntities(value, w); }

constexpr std::string_view kContextEntityKeys[] = {"id", "name", "description"};
bool EncodeContextEntity(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kContextEntityKeys) && PutString(w, 1, m[0]) && PutString(w, 2, m[1]) &&
         PutString(w, 3, m[2]);
}

constexpr std::string_view kContextAnnotationKeys[] = {"domain", "entity"};
bool EncodeContextAnnotation(dom::element value, Wire& w) {
  Members<2> m;
  return m.Read(value, kContextAnnotationKeys) && PutMessage(w, 1, m[0], EncodeContextEntity) &&
         PutMessage(w, 2, m[1], EncodeContextEntity);
}

constexpr std::string_view kReferencedTweetKeys[] = {"type", "id"};
bool EncodeReferencedTweet(dom::element value, Wire& w, TweetRefs* refs) {
  Members<2> m;
  if (!m.Read(value, kReferencedTweetKeys) || !PutString(w, 1, m[0]) || !PutString(w, 2, m[1])) return false;
  if (refs != nullptr) {
    std::string_view id;
    ViewString(m[1], &id);
    refs->referenced_tweet_ids.push_back(id);
  }
  return true;
}

constexpr std::string_view kAttachmentsKeys[] = {"media_keys", "poll_ids", "media_source_tweet_id"};
bool EncodeAttachments(dom::element value, Wire& w, TweetRefs* refs) {
  Members<3> m;
  return m.Read(value, kAttachmentsKeys) &&
         PutStrings(w, 1, m[0], refs != nullptr ? &refs->media_keys : nullptr) &&
         PutStrings(w, 2, m[1], refs != nullptr ? &refs->poll_ids : nullptr) && PutStrings(w, 3, m[2]);
}

// GeoJSON point: `coordinates` = [longitude, latitude, ...]; every item must be a number.
constexpr std::string_view kPointKeys[] = {"coordinates"};
bool EncodePoint(dom::element value, Wire& w) {
  Members<1> m;
  if (!m.Read(value, kPointKeys)) return false;
  if (m[0] == nullptr) return true;
  dom::array array;
  if (m[0]->get_array().get(array) != simdjson::SUCCESS) return false;
  double numbers[2] = {0, 0};
  size_t count = 0;
  for (dom::element item : array) {
    double number = 0;
    if (item.get_double().get(number) != simdjson::SUCCESS) return false;
    if (count < 2) numbers[count] = number;
    ++count;
  }
  if (count < 2) return false;
  PutDoubleNumber(w, 1, numbers[0]);
  PutDoubleNumber(w, 2, numbers[1]);
  return true;
}

constexpr std::string_view kGeoKeys[] = {"place_id", "coordinates"};
bool EncodeGeo(dom::element value, Wire& w, TweetRefs* refs) {
  Members<2> m;
  if (!m.Read(value, kGeoKeys) || !PutString(w, 1, m[0]) || !PutMessage(w, 2, m[1], EncodePoint)) return false;
  return refs == nullptr || ViewString(m[0], &refs->place_id);
}

constexpr std::string_view kPublicMetricsKeys[] = {"retweet_count", "reply_count",    "like_count",
                                                   "quote_count",   "bookmark_count", "impression_count"};
constexpr std::string_view kUserPublicMetricsKeys[] = {"followers_count", "following_count", "tweet_count",
                                                       "listed_count",    "like_count",      "media_count"};
template <size_t N>
bool EncodeOptionalCounts(dom::element value, Wire& w, const std::string_view (&keys)[N]) {
  Members<N> m;
  if (!m.Read(value, keys)) return false;
  for (size_t i = 0; i < N; ++i) {
    if (!PutOptionalInt64(w, static_cast<uint32_t>(i + 1), m[i])) return false;
  }
  return true;
}
bool EncodePublicMetrics(dom::element value, Wire& w) { return EncodeOptionalCounts(value, w, kPublicMetricsKeys); }
bool EncodeUserPublicMetrics(dom::element value, Wire& w) {
  return EncodeOptionalCounts(value, w, kUserPublicMetricsKeys);
}

constexpr std::string_view kWithheldKeys[] = {"copyright", "country_codes", "scope"};
bool EncodeWithheld(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kWithheldKeys) && PutOptionalBool(w, 1, m[0]) && PutStrings(w, 2, m[1]) &&
         PutString(w, 3, m[2]);
}

constexpr std::string_view kEditControlsKeys[] = {"is_edit_eligible", "editable_until", "edits_remaining"};
bool EncodeEditControls(dom::element value, Wire& w) {
  Members<3> m;
  if (!m.Read(value, kEditControlsKeys) || !PutOptionalBool(w, 1, m[0]) || !PutTime(w, 2, m[1])) return false;
  const dom::element* edits = m[2];
  if (edits == nullptr) return true;
  int32_t number = 0;
  std::string_view text;
  if (GetString(*edits, &text)) {  // "4" in 2022 recordings, 5 since: as ReadEditsRemaining
    if (!absl::SimpleAtoi(Absl(text), &number)) return false;
  } else if (!GetInt32(*edits, &number)) {
    return false;
  }
  w.Tag(3, Wire::kVarint);
  w.Varint(VarintOf(number));
  return true;
}

constexpr std::string_view kNoteTweetKeys[] = {"text", "entities"};
bool EncodeNoteTweet(dom::element value, Wire& w) {
  Members<2> m;
  return m.Read(value, kNoteTweetKeys) && PutString(w, 1, m[0]) && PutMessage(w, 2, m[1], EncodePlainEntities);
}

constexpr std::string_view kUserEntitiesKeys[] = {"url", "description"};
bool EncodeUserEntities(dom::element value, Wire& w) {
  Members<2> m;
  return m.Read(value, kUserEntitiesKeys) && PutMessage(w, 1, m[0], EncodePlainEntities) &&
         PutMessage(w, 2, m[1], EncodePlainEntities);
}

constexpr std::string_view kMediaPublicMetricsKeys[] = {"view_count"};
bool EncodeMediaPublicMetrics(dom::element value, Wire& w) {
  return EncodeOptionalCounts(value, w, kMediaPublicMetricsKeys);
}

constexpr std::string_view kMediaVariantKeys[] = {"bit_rate", "content_type", "url"};
bool EncodeMediaVariant(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kMediaVariantKeys) && PutOptionalInt64(w, 1, m[0]) && PutString(w, 2, m[1]) &&
         PutString(w, 3, m[2]);
}

constexpr std::string_view kMediaKeys[] = {"media_key", "type",        "url",      "preview_image_url", "width",
                                           "height",    "duration_ms", "alt_text", "public_metrics",    "variants"};
bool EncodeMedia(dom::element value, Wire& w, std::string_view* key) {
  Members<10> m;
  return m.Read(value, kMediaKeys) && ViewString(m[0], key) && PutString(w, 1, m[0]) && PutString(w, 2, m[1]) &&
         PutString(w, 3, m[2]) && PutString(w, 4, m[3]) && PutInt32(w, 5, m[4]) && PutInt32(w, 6, m[5]) &&
         PutInt64(w, 7, m[6]) && PutString(w, 8, m[7]) && PutMessage(w, 9, m[8], EncodeMediaPublicMetrics) &&
         PutMessages(w, 10, m[9], EncodeMediaVariant);
}

// A place's `geo` is a GeoJSON Feature: only its `bbox` is kept.
constexpr std::string_view kPlaceKeys[] = {"id",           "full_name",  "name", "country",
                                           "country_code", "place_type", "geo",  "contained_within"};
constexpr std::string_view kPlaceGeoKeys[] = {"bbox"};
bool EncodePlace(dom::element value, Wire& w, std::string_view* key) {
  Members<8> m;
  if (!m.Read(value, kPlaceKeys) || !ViewString(m[0], key)) return false;
  for (uint32_t i = 0; i < 6; ++i) {
    if (!PutString(w, i + 1, m[i])) return false;
  }
  if (m[6] != nullptr) {
    Members<1> geo;
    if (!geo.Read(*m[6], kPlaceGeoKeys) || !PutPackedDoubles(w, 7, geo[0])) return false;
  }
  return PutStrings(w, 8, m[7]);
}

constexpr std::string_view kPollOptionKeys[] = {"position", "label", "votes"};
bool EncodePollOption(dom::element value, Wire& w) {
  Members<3> m;
  return m.Read(value, kPollOptionKeys) && PutInt32(w, 1, m[0]) && PutString(w, 2, m[1]) && PutInt64(w, 3, m[2]);
}

constexpr std::string_view kPollKeys[] = {"id", "options", "duration_minutes", "end_datetime", "voting_status"};
bool EncodePoll(dom::element value, Wire& w, std::string_view* key) {
  Members<5> m;
  return m.Read(value, kPollKeys) && ViewString(m[0], key) && PutString(w, 1, m[0]) &&
         PutMessages(w, 2, m[1], EncodePollOption) && PutInt32(w, 3, m[2]) && PutTime(w, 4, m[3]) &&
         PutString(w, 5, m[4]);
}

// The same keys as kTweetFields / kUserFields (which decide what goes to extra_fields_json), in
// field-number order.
constexpr std::string_view kTweetKeys[] = {
    "id",         "text",           "author_id",       "created_at",      "conversation_id",
    "in_reply_to_user_id",          "lang",            "source",          "reply_settings",
    "possibly_sensitive",           "referenced_tweets",                  "attachments",
    "entities",   "context_annotations",               "geo",             "public_metrics",
    "withheld",   "edit_history_tweet_ids",            "edit_controls",   "note_tweet",
    "display_text_range",           "community_id",    "card_uri"};
static_assert(std::size(kTweetKeys) == std::size(kTweetFields));
constexpr std::string_view kUserKeys[] = {
    "id",        "name",        "username",          "created_at",       "description",   "location",
    "url",       "profile_image_url",                "protected",        "verified",      "verified_type",
    "pinned_tweet_id",          "public_metrics",    "withheld",         "entities",      "most_recent_tweet_id",
    "profile_banner_url"};
static_assert(std::size(kUserKeys) == std::size(kUserFields));

constexpr bool SameKeys(const std::string_view* keys, const auto& fields) {
  for (const auto& field : fields) {
    bool found = false;
    for (size_t i = 0; i < std::size(fields); ++i) found = found || keys[i] == field.name;
    if (!found) return false;
  }
  return true;
}
static_assert(SameKeys(kTweetKeys, kTweetFields) && SameKeys(kUserKeys, kUserFields));

// extra_fields_json (field 999, after every other field).
bool PutExtras(Wire& w, absl::string_view extras) {
  if (!extras.empty()) w.LengthDelimited(999, extras);
  return true;
}

// `refs`: set for a tweet of `data` (its id and text are required and its joins collected), null for
// an included tweet (only its id is read, into refs_out_id).
bool EncodeTweet(dom::element value, Wire& w, std::string* extras, TweetRefs* refs, std::string_view* id) {
  Members<23> m;
  extras->clear();
  if (!m.Read(value, kTweetKeys, extras) || !ViewString(m[0], id)) return false;
  if (refs != nullptr) {
    // As BodyMapper::MapDataTweet: no id or text, or an empty one, is a tweet to skip (with a reason).
    refs->id = *id;
    if (refs->id.empty() || !ViewString(m[1], &refs->text) || refs->text.empty()) return false;
    if (!ViewString(m[2], &refs->author_id) || !ViewString(m[5], &refs->in_reply_to_user_id)) return false;
  }
  for (uint32_t i = 0; i < 3; ++i) {  // id, text, author_id
    if (!PutString(w, i + 1, m[i])) return false;
  }
  if (!PutTime(w, 4, m[3])) return false;
  for (uint32_t i = 4; i < 9; ++i) {  // conversation_id .. reply_settings
    if (!PutString(w, i + 1, m[i])) return false;
  }
  return PutOptionalBool(w, 10, m[9]) &&
         PutMessages(w, 20, m[10], [refs](dom::element v, Wire& out) { return EncodeReferencedTweet(v, out, refs); }) &&
         PutMessage(w, 21, m[11], [refs](dom::element v, Wire& out) { return EncodeAttachments(v, out, refs); }) &&
         PutMessage(w, 22, m[12], [refs](dom::element v, Wire& out) { return EncodeEntities(v, out, refs); }) &&
         PutMessages(w, 23, m[13], EncodeContextAnnotation) &&
         PutMessage(w, 24, m[14], [refs](dom::element v, Wire& out) { return EncodeGeo(v, out, refs); }) &&
         PutMessage(w, 25, m[15], EncodePublicMetrics) && PutMessage(w, 26, m[16], EncodeWithheld) &&
         PutStrings(w, 30, m[17]) && PutMessage(w, 31, m[18], EncodeEditControls) &&
         PutMessage(w, 32, m[19], EncodeNoteTweet) && PutPackedInt32(w, 33, m[20]) && PutString(w, 34, m[21]) &&
         PutString(w, 35, m[22]) && PutExtras(w, *extras);
}

bool EncodeUser(dom::element value, Wire& w, std::string* extras, std::string_view* id, std::string_view* username) {
  Members<17> m;
  extras->clear();
  if (!m.Read(value, kUserKeys, extras) || !ViewString(m[0], id) || !ViewString(m[2], username)) return false;
  for (uint32_t i = 0; i < 3; ++i) {  // id, name, username
    if (!PutString(w, i + 1, m[i])) return false;
  }
  if (!PutTime(w, 4, m[3])) return false;
  for (uint32_t i = 4; i < 8; ++i) {  // description .. profile_image_url
    if (!PutString(w, i + 1, m[i])) return false;
  }
  return PutOptionalBool(w, 9, m[8]) && PutOptionalBool(w, 10, m[9]) && PutString(w, 11, m[10]) &&
         PutString(w, 12, m[11]) && PutMessage(w, 13, m[12], EncodeUserPublicMetrics) &&
         PutMessage(w, 14, m[13], EncodeWithheld) && PutMessage(w, 15, m[14], EncodeUserEntities) &&
         PutString(w, 16, m[15]) && PutString(w, 17, m[16]) && PutExtras(w, *extras);
}

// One `includes.<name>` list, encoded: each item's payload in `bytes`, found by key (first one wins).
struct EncodedIncludes {
  Wire bytes;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // (offset, length) in `bytes`
  std::vector<std::string_view> keys;
  absl::flat_hash_map<std::string_view, uint32_t> by_key;

  void Clear() {
    bytes.Clear();
    spans.clear();
    keys.clear();
    by_key.clear();
  }
  // Encodes every item of `list` (an array) with `encode(item, wire, &key)`. False when the list is
  // not an array or an item fails or has no key (the general mapper reports it).
  template <typename Encode>
  bool Add(const dom::element* list, Encode encode) {
    if (list == nullptr) return true;
    dom::array array;
    if (list->get_array().get(array) != simdjson::SUCCESS) return false;
    for (dom::element item : array) {
      const size_t start = bytes.size();
      std::string_view key;
      if (!encode(item, bytes, &key) || key.empty()) return false;
      const auto index = static_cast<uint32_t>(spans.size());
      spans.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(bytes.size() - start));
      keys.push_back(key);
      by_key.emplace(key, index);
    }
    return true;
  }
  int64_t Find(std::string_view key) const {
    if (key.empty()) return -1;
    auto it = by_key.find(key);
    return it == by_key.end() ? -1 : static_cast<int64_t>(it->second);
  }
  absl::string_view Payload(size_t index) const { return bytes.View(spans[index].first, spans[index].second); }
};

void StampIngestion(const MappingContext& context, pb::Ingestion* ingestion) {
  ingestion->set_connector(context.connector);
  ingestion->set_mode(context.mode);
  ingestion->set_origin(context.origin);
  ingestion->set_connector_version(TWEETSTREAM_VERSION);
  // InfinitePast/InfiniteFuture have no Timestamp: left unset rather than clamped to a wrong time.
  if (context.ingested_at != absl::InfinitePast() && context.ingested_at != absl::InfiniteFuture()) {
    const int64_t seconds = absl::ToUnixSeconds(context.ingested_at);
    Timestamp* at = ingestion->mutable_ingested_at();
    at->set_seconds(seconds);
    at->set_nanos(static_cast<int32_t>((context.ingested_at - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  }
}

constexpr std::string_view kBodyKeys[] = {"data", "includes", "meta", "matching_rules", "errors", "type", "title"};
constexpr std::string_view kIncludesKeys[] = {"users", "tweets", "media", "places", "polls"};
constexpr std::string_view kMetaKeys[] = {"newest_id", "oldest_id", "next_token", "result_count"};

// The writer's scratch state, kept from body to body (buffers and tables keep their capacity).
class WireWriter {
 public:
  // Maps `body` into `out->encoded`/`out->meta` and returns true, or returns false as soon as it meets
  // something it leaves to the general mapper (`out` then holds a partial result the caller discards).
  bool Run(dom::object body, const MappingContext& context, Output* out) {
    Members<7> top;
    if (!top.Read(body, kBodyKeys)) return false;
    if (top[4] != nullptr || top[5] != nullptr || top[6] != nullptr) {  // partial errors, or a problem body
      skipped_.clear();
      ReadProblems(body, out->problems, &skipped_);
      if (!skipped_.empty()) return false;
    }
    return ReadMeta(top[2], out->meta) && ReadIncludes(top[1]) && BuildMiddle(top[3], context) &&
           WriteData(top[0], out);
  }

 private:
  static bool ReadMeta(const dom::element* value, PageMeta* meta) {
    if (value == nullptr) return true;
    Members<4> m;
    std::string_view text;
    if (!m.Read(*value, kMetaKeys)) return false;
    std::string* const strings[] = {&meta->newest_id, &meta->oldest_id, &meta->next_token};
    for (size_t i = 0; i < 3; ++i) {
      if (!ViewString(m[i], &text)) return false;
      strings[i]->assign(text.data(), text.size());
    }
    if (m[3] != nullptr) {
      int64_t count = 0;
      if (!GetInt64(*m[3], &count)) return false;
      meta->result_count = count;
    }
    return true;
  }

  bool ReadIncludes(const dom::element* value) {
    users_.Clear();
    tweets_.Clear();
    media_.Clear();
    places_.Clear();
    polls_.Clear();
    usernames_.clear();
    user_by_username_.clear();
    user_by_username_built_ = false;
    if (value == nullptr) return true;
    Members<5> m;
    if (!m.Read(*value, kIncludesKeys)) return false;
    return users_.Add(m[0],
                      [this](dom::element v, Wire& w, std::string_view* id) {
                        std::string_view username;
                        if (!EncodeUser(v, w, &extras_, id, &username)) return false;
                        usernames_.push_back(username);
                        return true;
                      }) &&
           tweets_.Add(m[1],
                       [this](dom::element v, Wire& w, std::string_view* id) {
                         return EncodeTweet(v, w, &extras_, nullptr, id);
                       }) &&
           media_.Add(m[2], EncodeMedia) && places_.Add(m[3], EncodePlace) && polls_.Add(m[4], EncodePoll);
  }

  // Fields 3 (matching_rules), 4 (query) and 5 (ingestion): the same for every tweet of the body.
  bool BuildMiddle(const dom::element* rules, const MappingContext& context) {
    pb::TweetEnvelope middle;
    if (rules != nullptr && !ReadEach(*rules, middle.mutable_matching_rules(), MapMatchingRule).ok()) return false;
    if (!context.query.empty()) middle.set_query(context.query);
    StampIngestion(context, middle.mutable_ingestion());
    middle.SerializeToString(&middle_);
    return true;
  }

  bool WriteData(const dom::element* data, Output* out) {
    if (data == nullptr) return true;
    dom::array array;
    if (data->get_array().get(array) == simdjson::SUCCESS) {
      for (dom::element item : array) {
        if (!WriteTweet(item, out)) return false;
      }
      return true;
    }
    return data->is_object() && WriteTweet(*data, out);
  }

  // One envelope, in field-number order as EncodeEnvelope writes it.
  bool WriteTweet(dom::element value, Output* out) {
    tweet_.Clear();
    refs_.Clear();
    std::string_view id;
    if (!EncodeTweet(value, tweet_, &extras_, &refs_, &id)) return false;
    Join();
    // The parts, then one exact-size write into the record's (reused) buffer.
    parts_.clear();
    parts_.emplace_back(kEnvelopeTweet, tweet_.All());
    if (author_ >= 0) parts_.emplace_back(kEnvelopeAuthor, users_.Payload(static_cast<size_t>(author_)));
    parts_.emplace_back(0, middle_);  // already tagged
    for (uint32_t i : media_joined_) parts_.emplace_back(kEnvelopeMedia, media_.Payload(i));
    if (place_ >= 0) parts_.emplace_back(kEnvelopePlace, places_.Payload(static_cast<size_t>(place_)));
    for (uint32_t i : polls_joined_) parts_.emplace_back(kEnvelopePolls, polls_.Payload(i));
    for (uint32_t i : tweets_joined_) parts_.emplace_back(kEnvelopeReferencedTweets, tweets_.Payload(i));
    for (uint32_t i : users_joined_) parts_.emplace_back(kEnvelopeReferencedUsers, users_.Payload(i));

    std::vector<EncodedTweet>& records = *out->encoded;
    if (out->encoded_count == records.size()) records.emplace_back();
    EncodedTweet& record = records[out->encoded_count++];
    record.id.assign(refs_.id.data(), refs_.id.size());
    size_t total = 0;
    for (const auto& [field, bytes] : parts_) total += field == 0 ? bytes.size() : EmbeddedSize(field, bytes.size());
    record.value.resize(total);
    char* at = record.value.data();
    for (const auto& [field, bytes] : parts_) {
      if (field != 0) at = WriteEmbeddedHeader(field, bytes.size(), at);
      if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
      at += bytes.size();
    }
    return true;
  }

  static size_t VarintSize(uint64_t value) {
    size_t n = 1;
    while (value >= 0x80) {
      value >>= 7;
      ++n;
    }
    return n;
  }
  static size_t EmbeddedSize(uint32_t field, size_t length) {
    return VarintSize(uint64_t{field} << 3) + VarintSize(length) + length;
  }
  static char* WriteEmbeddedHeader(uint32_t field, size_t length, char* at) {
    return WriteVarint(length, WriteVarint((uint64_t{field} << 3) | Wire::kLengthDelimited, at));
  }

  // As BodyMapper::Join: the author; the replied-to user, then mentions in text order (by id, else by
  // case-insensitive handle), each user once and never the author; referenced tweets once each; media
  // and polls as listed; the place.
  void Join() {
    author_ = users_.Find(refs_.author_id);
    users_joined_.clear();
    auto add_user = [this](int64_t user) {
      if (user < 0) return;
      const std::string_view id = users_.keys[static_cast<size_t>(user)];
      if (id == refs_.author_id) return;
      for (uint32_t seen : users_joined_) {
        if (users_.keys[seen] == id) return;
      }
      users_joined_.push_back(static_cast<uint32_t>(user));
    };
    add_user(users_.Find(refs_.in_reply_to_user_id));
    for (const auto& [id, username] : refs_.mentions) {
      int64_t user = users_.Find(id);
      if (user < 0 && !username.empty()) user = FindUserByUsername(username);
      add_user(user);
    }
    tweets_joined_.clear();
    for (std::string_view id : refs_.referenced_tweet_ids) {
      const int64_t found = tweets_.Find(id);
      if (found < 0) continue;
      if (std::find(tweets_joined_.begin(), tweets_joined_.end(), static_cast<uint32_t>(found)) == tweets_joined_.end()) {
        tweets_joined_.push_back(static_cast<uint32_t>(found));
      }
    }
    media_joined_.clear();
    for (std::string_view key : refs_.media_keys) {
      const int64_t found = media_.Find(key);
      if (found >= 0) media_joined_.push_back(static_cast<uint32_t>(found));
    }
    polls_joined_.clear();
    for (std::string_view id : refs_.poll_ids) {
      const int64_t found = polls_.Find(id);
      if (found >= 0) polls_joined_.push_back(static_cast<uint32_t>(found));
    }
    place_ = places_.Find(refs_.place_id);
  }

  int64_t FindUserByUsername(std::string_view username) {
    if (!user_by_username_built_) {
      for (size_t i = 0; i < usernames_.size(); ++i) {
        if (!usernames_[i].empty()) {
          user_by_username_.emplace(absl::AsciiStrToLower(Absl(usernames_[i])), static_cast<uint32_t>(i));
        }
      }
      user_by_username_built_ = true;
    }
    auto it = user_by_username_.find(absl::AsciiStrToLower(Absl(username)));
    return it == user_by_username_.end() ? -1 : static_cast<int64_t>(it->second);
  }

  EncodedIncludes users_, tweets_, media_, places_, polls_;
  std::vector<std::string_view> usernames_;  // per included user, "" when it has none
  absl::flat_hash_map<std::string, uint32_t> user_by_username_;
  bool user_by_username_built_ = false;
  std::string middle_;
  std::string extras_;
  std::vector<SkippedRecord> skipped_;
  Wire tweet_;
  std::vector<std::pair<uint32_t, absl::string_view>> parts_;  // (envelope field, payload); 0 = pre-tagged
  TweetRefs refs_;
  int64_t author_ = -1;
  int64_t place_ = -1;
  std::vector<uint32_t> users_joined_, tweets_joined_, media_joined_, polls_joined_;
};

class BodyMapper {
 public:
  BodyMapper(dom::object body, const MappingContext& context, Includes* includes, Joins* joins,
             std::string* envelope_middle, Output* out)
      : body_(body),
        context_(context),
        includes_(*includes),
        joins_(*joins),
        envelope_middle_(envelope_middle),
        out_(out) {}

  void Run() {
    includes_.Reset();
    MapProblems();
    MapMeta();
    MapIncludes();
    MapMatchingRules();
    MapData();
  }

 private:
  void Skip(std::string where, std::string reason) {
    out_->skipped->push_back(SkippedRecord{std::move(where), std::move(reason)});
  }

  void MapProblems() { ReadProblems(body_, out_->problems, out_->skipped); }

  void MapMeta() {
    std::optional<dom::element> meta = Member(body_, "meta");
    if (!meta.has_value()) return;
    absl::StatusOr<dom::object> object = AsObject(*meta);
    if (!object.ok()) {
      Skip("meta", Reason(object.status()));
      return;
    }
    PageMeta& page = *out_->meta;
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
  // left out of the joins, the tweets that refer to it are still returned. The first occurrence of a
  // key wins (emplace keeps it).
  template <typename Msg>
  void MapIncludeList(dom::object includes, absl::string_view name, IncludePool<Msg>* pool,
                      std::unordered_map<std::string_view, uint32_t>* by_key,
                      absl::Status (*map)(dom::element, Msg*), const std::string& (Msg::*key)() const) {
    std::optional<dom::element> list = Member(includes, name);
    if (!list.has_value()) return;
    absl::StatusOr<dom::array> array = AsArray(*list);
    if (!array.ok()) {
      Skip(absl::StrCat("includes.", name), Reason(array.status()));
      return;
    }
    by_key->reserve(array->size());
    size_t index = 0;
    for (dom::element item : *array) {
      Msg* msg = pool->Next(includes_.arena);
      absl::Status status = map(item, msg);
      if (status.ok() && (msg->*key)().empty()) status = FieldError("no id to join it by");
      if (!status.ok()) {
        Skip(WhereWithId(absl::StrCat("includes.", name, "[", index, "]"), (msg->*key)()), Reason(status));
      } else {
        by_key->emplace((msg->*key)(), static_cast<uint32_t>(pool->size()));
        pool->Keep();
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
        *includes, "users", &includes_.users, &includes_.user_by_id,
        [](dom::element v, pb::User* u) -> absl::Status {
          TS_ASSIGN_OR_RETURN(dom::object o, AsObject(v));
          return MapUser(o, u);
        },
        &pb::User::id);
    MapIncludeList<pb::Tweet>(
        *includes, "tweets", &includes_.tweets, &includes_.tweet_by_id,
        [](dom::element v, pb::Tweet* t) -> absl::Status {
          TS_ASSIGN_OR_RETURN(dom::object o, AsObject(v));
          return MapTweet(o, t);
        },
        &pb::Tweet::id);
    MapIncludeList<pb::Media>(*includes, "media", &includes_.media, &includes_.media_by_key, MapMedia,
                              &pb::Media::media_key);
    MapIncludeList<pb::Place>(*includes, "places", &includes_.places, &includes_.place_by_id, MapPlace,
                              &pb::Place::id);
    MapIncludeList<pb::Poll>(*includes, "polls", &includes_.polls, &includes_.poll_by_id, MapPoll, &pb::Poll::id);
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
      if (out_->envelopes != nullptr) out_->envelopes->reserve(array.size());
      size_t index = 0;
      for (dom::element item : array) {
        MapDataTweet(item, index);
        ++index;
      }
      return;
    }
    if (data->is_object()) {
      MapDataTweet(*data, std::nullopt);
      return;
    }
    Skip("data", Reason(Mismatch("an object or an array of tweets", *data)));
  }

  // `index` is the position in `data[]`, nullopt when `data` is one object. The report's "where" is
  // only built for a tweet that is skipped.
  void MapDataTweet(dom::element value, std::optional<size_t> index) {
    auto where = [index](absl::string_view id) {
      return WhereWithId(index.has_value() ? absl::StrCat("data[", *index, "]") : std::string("data"), id);
    };
    absl::StatusOr<dom::object> object = AsObject(value);
    if (!object.ok()) {
      Skip(where(""), Reason(object.status()));
      return;
    }
    // `id` and `text` are the two fields every tweet has; without them there is nothing to index.
    absl::string_view id;
    if (absl::Status status = RequireString(*object, "id", &id); !status.ok()) {
      Skip(where(""), std::string(status.message()));
      return;
    }
    absl::string_view unused_text;
    if (absl::Status status = RequireString(*object, "text", &unused_text); !status.ok()) {
      Skip(where(id), std::string(status.message()));
      return;
    }
    if (!matching_rules_status_.ok()) {
      Skip(where(id), Reason(matching_rules_status_));
      return;
    }

    if (out_->envelopes != nullptr) {
      pb::TweetEnvelope envelope;
      pb::Tweet* tweet = envelope.mutable_tweet();
      if (absl::Status status = MapTweet(*object, tweet); !status.ok()) {
        Skip(where(id), Reason(status));
        return;
      }
      Join(*tweet);
      BuildEnvelope(&envelope);
      out_->envelopes->push_back(std::move(envelope));
      return;
    }
    pb::Tweet* tweet = google::protobuf::Arena::CreateMessage<pb::Tweet>(includes_.arena);
    if (absl::Status status = MapTweet(*object, tweet); !status.ok()) {
      Skip(where(id), Reason(status));
      return;
    }
    Join(*tweet);
    EncodeEnvelope(*tweet);
  }

  // Copies what the tweet joins into its envelope, with the rules, the query and the ingestion stamp.
  void BuildEnvelope(pb::TweetEnvelope* envelope) const {
    if (joins_.author >= 0) *envelope->mutable_author() = includes_.users[static_cast<size_t>(joins_.author)];
    for (uint32_t i : joins_.referenced_users) *envelope->add_referenced_users() = includes_.users[i];
    for (uint32_t i : joins_.referenced_tweets) *envelope->add_referenced_tweets() = includes_.tweets[i];
    for (uint32_t i : joins_.media) *envelope->add_media() = includes_.media[i];
    for (uint32_t i : joins_.polls) *envelope->add_polls() = includes_.polls[i];
    if (joins_.place >= 0) *envelope->mutable_place() = includes_.places[static_cast<size_t>(joins_.place)];
    for (const pb::MatchingRule& rule : matching_rules_) *envelope->add_matching_rules() = rule;
    if (!context_.query.empty()) envelope->set_query(context_.query);
    Stamp(envelope->mutable_ingestion());
  }

  // Writes the serialized envelope BuildEnvelope would build, field by field in field-number order (the
  // order the generated code serializes in): the tweet, then each joined object's bytes (serialized once
  // per body, however many tweets join it), and the rules/query/ingestion part, the same for every
  // tweet of the body (serialized once per body).
  void EncodeEnvelope(const pb::Tweet& tweet) {
    if (!envelope_middle_ready_) {
      pb::TweetEnvelope middle;  // fields 3 (matching_rules), 4 (query) and 5 (ingestion) only
      for (const pb::MatchingRule& rule : matching_rules_) *middle.add_matching_rules() = rule;
      if (!context_.query.empty()) middle.set_query(context_.query);
      Stamp(middle.mutable_ingestion());
      middle.SerializeToString(envelope_middle_);
      envelope_middle_ready_ = true;
    }
    std::vector<EncodedTweet>& records = *out_->encoded;
    if (out_->encoded_count == records.size()) records.emplace_back();
    EncodedTweet& record = records[out_->encoded_count++];
    record.id.assign(tweet.id());
    std::string& out = record.value;
    out.clear();
    AppendEmbedded(kEnvelopeTweet, tweet, &out);
    if (joins_.author >= 0) {
      AppendEmbedded(kEnvelopeAuthor, includes_.users.Encoded(static_cast<size_t>(joins_.author)), &out);
    }
    out.append(*envelope_middle_);
    for (uint32_t i : joins_.media) AppendEmbedded(kEnvelopeMedia, includes_.media.Encoded(i), &out);
    if (joins_.place >= 0) {
      AppendEmbedded(kEnvelopePlace, includes_.places.Encoded(static_cast<size_t>(joins_.place)), &out);
    }
    for (uint32_t i : joins_.polls) AppendEmbedded(kEnvelopePolls, includes_.polls.Encoded(i), &out);
    for (uint32_t i : joins_.referenced_tweets) {
      AppendEmbedded(kEnvelopeReferencedTweets, includes_.tweets.Encoded(i), &out);
    }
    for (uint32_t i : joins_.referenced_users) {
      AppendEmbedded(kEnvelopeReferencedUsers, includes_.users.Encoded(i), &out);
    }
  }

  static absl::Status RequireString(dom::object object, absl::string_view key, absl::string_view* out) {
    std::optional<dom::element> value = Member(object, key);
    if (!value.has_value()) return absl::InvalidArgumentError(absl::StrCat("tweet has no '", key, "'"));
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("tweet '", key, "' is ", TypeName(value->type()), ", expected a string"));
    }
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("tweet has an empty '", key, "'"));
    *out = Absl(text);
    return absl::OkStatus();
  }

  static int64_t Find(const std::unordered_map<std::string_view, uint32_t>& table, std::string_view key) {
    auto it = table.find(key);
    return it == table.end() ? -1 : static_cast<int64_t>(it->second);
  }

  // Finds the expansions this tweet refers to. Objects the API did not include are simply absent.
  void Join(const pb::Tweet& tweet) {
    joins_.Clear();
    if (!tweet.author_id().empty()) joins_.author = Find(includes_.user_by_id, tweet.author_id());

    // Replied-to user first, then mentions in text order; each user once, never the author. Users are
    // told apart by id (the first user included with an id is the one joined), as few per tweet as
    // fit a linear scan.
    const std::string& author_id = tweet.author_id();
    auto add_user = [&](int64_t user) {
      if (user < 0) return;
      const std::string& id = includes_.users[static_cast<size_t>(user)].id();
      if (id == author_id) return;
      for (uint32_t seen : joins_.referenced_users) {
        if (includes_.users[seen].id() == id) return;
      }
      joins_.referenced_users.push_back(static_cast<uint32_t>(user));
    };
    add_user(FindUser(tweet.in_reply_to_user_id()));
    for (const pb::Mention& mention : tweet.entities().mentions()) {
      int64_t user = FindUser(mention.id());
      if (user < 0 && !mention.username().empty()) user = FindUserByUsername(mention.username());
      add_user(user);
    }

    for (const pb::ReferencedTweet& reference : tweet.referenced_tweets()) {
      const int64_t found = Find(includes_.tweet_by_id, reference.id());
      if (found < 0) continue;
      bool seen = false;
      for (uint32_t earlier : joins_.referenced_tweets) seen = seen || includes_.tweets[earlier].id() == reference.id();
      if (!seen) joins_.referenced_tweets.push_back(static_cast<uint32_t>(found));
    }
    for (const std::string& key : tweet.attachments().media_keys()) {
      const int64_t found = Find(includes_.media_by_key, key);
      if (found >= 0) joins_.media.push_back(static_cast<uint32_t>(found));
    }
    for (const std::string& id : tweet.attachments().poll_ids()) {
      const int64_t found = Find(includes_.poll_by_id, id);
      if (found >= 0) joins_.polls.push_back(static_cast<uint32_t>(found));
    }
    if (!tweet.geo().place_id().empty()) joins_.place = Find(includes_.place_by_id, tweet.geo().place_id());
  }

  int64_t FindUser(std::string_view id) const {
    if (id.empty()) return -1;
    return Find(includes_.user_by_id, id);
  }

  int64_t FindUserByUsername(absl::string_view username) {
    if (!includes_.user_by_username_built) {
      for (size_t i = 0; i < includes_.users.size(); ++i) {
        const pb::User& user = includes_.users[i];
        if (!user.username().empty()) {
          includes_.user_by_username.emplace(absl::AsciiStrToLower(user.username()), static_cast<uint32_t>(i));
        }
      }
      includes_.user_by_username_built = true;
    }
    auto it = includes_.user_by_username.find(absl::AsciiStrToLower(username));
    return it == includes_.user_by_username.end() ? -1 : static_cast<int64_t>(it->second);
  }

  void Stamp(pb::Ingestion* ingestion) const { StampIngestion(context_, ingestion); }

  dom::object body_;
  const MappingContext& context_;
  Includes& includes_;
  Joins& joins_;
  std::string* envelope_middle_;
  bool envelope_middle_ready_ = false;
  Output* out_;
  std::vector<pb::MatchingRule> matching_rules_;
  absl::Status matching_rules_status_;
};

}  // namespace

// Everything a body needs that can outlive it: the parser, a padded copy of the body, the include
// pools and the scratch tweet.
class XResponseEncoder::Mapper {
 public:
  Mapper() : first_block_(new char[kFirstBlockSize]), arena_(ArenaOptionsFor(first_block_.get())) {
    includes_.arena = &arena_;
  }

  // Parses `body` and maps it into `out`. INVALID_ARGUMENT when it is not a JSON object.
  absl::Status Map(absl::string_view body, const MappingContext& context, Output* out) {
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: the body is copied into a padded
    // buffer kept from call to call (the lone-surrogate repair also needs a writable copy).
    const size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
    if (buffer_.size() < needed) buffer_.resize(std::max(needed, buffer_.size() * 2));
    if (!body.empty()) std::memcpy(buffer_.data(), body.data(), body.size());
    std::memset(buffer_.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    dom::element root;
    simdjson::error_code error = parser_.parse(buffer_.data(), body.size(), false).get(root);
    if (error == simdjson::STRING_ERROR && ReplaceLoneSurrogates(buffer_.data(), body.size())) {
      error = parser_.parse(buffer_.data(), body.size(), false).get(root);
    }
    if (error != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat("X API body is not valid JSON: ", simdjson::error_message(error)));
    }
    dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("X API body is not a JSON object: the document is ", TypeName(root.type())));
    }
    if (out->encoded != nullptr) {
      if (writer_.Run(object, context, out)) {
        out->fast_path = true;
        return absl::OkStatus();
      }
      out->encoded_count = 0;  // what the writer wrote is rewritten by the general mapper
      *out->meta = PageMeta{};
      out->problems->clear();
    }
    BodyMapper(object, context, &includes_, &joins_, &envelope_middle_, out).Run();
    return absl::OkStatus();
  }

 private:
  static constexpr size_t kFirstBlockSize = 1 << 20;  // a search page's includes and tweets fit in it

  static google::protobuf::ArenaOptions ArenaOptionsFor(char* first_block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = first_block;
    options.initial_block_size = kFirstBlockSize;
    options.max_block_size = kFirstBlockSize;
    return options;
  }

  std::unique_ptr<char[]> first_block_;
  google::protobuf::Arena arena_;
  dom::parser parser_;
  std::vector<char> buffer_;
  Includes includes_;
  Joins joins_;
  std::string envelope_middle_;
  WireWriter writer_;
};

XResponseEncoder::XResponseEncoder() : mapper_(std::make_unique<Mapper>()) {}
XResponseEncoder::~XResponseEncoder() = default;
XResponseEncoder::XResponseEncoder(XResponseEncoder&&) noexcept = default;
XResponseEncoder& XResponseEncoder::operator=(XResponseEncoder&&) noexcept = default;

absl::Status XResponseEncoder::Encode(absl::string_view body, const MappingContext& context, EncodedResponse* out) {
  out->skipped.clear();
  out->problems.clear();
  out->meta = PageMeta{};
  Output output;
  output.skipped = &out->skipped;
  output.problems = &out->problems;
  output.meta = &out->meta;
  output.encoded = &out->tweets;
  absl::Status status = mapper_->Map(body, context, &output);
  // Records past the ones written are dropped; the ones written keep their buffers for the next body.
  out->tweets.resize(output.encoded_count);
  out->fast_path = output.fast_path;
  return status;
}

absl::StatusOr<ParsedResponse> ParseXResponse(absl::string_view body, const MappingContext& context) {
  // One mapper per thread, reused across calls: the parser, the body buffer and the include pools keep
  // their memory, so a stream of small events does not reallocate them per event. Nothing it holds is
  // used after this call returns (the envelopes own copies).
  thread_local XResponseEncoder::Mapper mapper;
  ParsedResponse parsed;
  Output output;
  output.skipped = &parsed.skipped;
  output.problems = &parsed.problems;
  output.meta = &parsed.meta;
  output.envelopes = &parsed.envelopes;
  TS_RETURN_IF_ERROR(mapper.Map(body, context, &output));
  return parsed;
}

}  // namespace tweetstream::source
