#include "source-connector/x_wire_encoder.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "source-connector/x_field_tables.h"
#include "source-connector/x_json_reading.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::source::xjson {
namespace {

namespace pb = ::tweetstream::tweet::v1;
using namespace tables;  // NOLINT: the k*Fields tables

#define TS_HOT [[gnu::always_inline]] inline

// `extra_fields_json` has the same number in every message that has it.
constexpr uint32_t kExtras = pb::Tweet::kExtraFieldsJsonFieldNumber;
static_assert(kExtras == pb::User::kExtraFieldsJsonFieldNumber && kExtras == pb::Hashtag::kExtraFieldsJsonFieldNumber &&
              kExtras == pb::Place::kExtraFieldsJsonFieldNumber && kExtras == pb::ApiError::kExtraFieldsJsonFieldNumber);

// Keys are short and mostly differ in length or first letter; compared inline (a memcmp call per
// candidate key cost more than the comparison).
TS_HOT bool SameKey(std::string_view known, std::string_view key) {
  if (known.size() != key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (known[i] != key[i]) return false;
  }
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

// One JSON object read against a message's table, and the message's fields written from it. Each Put
// takes the table index of a member; an absent or null member writes nothing; a member that does not
// fit its field is rolled back and marked, and Finish() keeps it, with the unknown and repeated keys,
// in `extra_fields_json`.
template <size_t N>
class Object {
  static_assert(N <= 32, "one bit per key");

 public:
  Object(const Field (&fields)[N], Wire& w) : fields_(fields), w_(w) {}

  // False when `value` is not an object.
  TS_HOT bool Read(const dom::element& value) {
    if (value.get_object().get(object_) != simdjson::SUCCESS) return false;
    for (dom::key_value_pair member : object_) {
      size_t i = 0;
      while (i < N && !SameKey(fields_[i].key, member.key)) ++i;
      if (i == N) {
        keep_others_ = true;
        continue;
      }
      const uint32_t bit = uint32_t{1} << i;
      if ((seen_ & bit) != 0) {
        keep_others_ = true;  // a key that comes twice: the first is mapped, the others kept
        continue;
      }
      seen_ |= bit;
      if (member.value.is_null()) continue;
      set_ |= bit;
      values_[i] = member.value;
    }
    return true;
  }

  // The member at `i`, or nullptr when absent or null.
  const dom::element* operator[](size_t i) const { return (set_ >> i & 1) != 0 ? &values_[i] : nullptr; }
  uint32_t number(size_t i) const { return fields_[i].number; }
  // Marks member `i` as not fitting its field (kept in extras), forgetting what was written from `from`.
  void Fail(size_t i, size_t from) {
    w_.Truncate(from);
    failed_ |= uint32_t{1} << i;
  }
  // Member `i` is kept in extras as `"key":<json>` instead of whole (a Place's GeoJSON without bbox).
  void KeepPart(size_t i, std::string json) {
    part_index_ = i;
    part_ = std::move(json);
  }

  // --- one per field kind; each returns whether the member (if any) mapped ---
  TS_HOT bool String(size_t i, std::string_view* view = nullptr) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    std::string_view text;
    if (!GetString(*v, &text)) return Failed(i);
    if (!text.empty()) w_.LengthDelimited(number(i), Absl(text));
    if (view != nullptr) *view = text;
    return true;
  }
  TS_HOT bool Int32(size_t i, bool optional = false) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    int32_t n = 0;
    if (!GetInt32(*v, &n)) return Failed(i);
    if (optional || n != 0) PutVarint(i, static_cast<uint64_t>(static_cast<int64_t>(n)));
    return true;
  }
  TS_HOT bool Int64(size_t i, bool optional = false) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    int64_t n = 0;
    if (!GetInt64(*v, &n)) return Failed(i);
    if (optional || n != 0) PutVarint(i, static_cast<uint64_t>(n));
    return true;
  }
  // `optional int32` from an integer or a string of digits (edits_remaining).
  bool Int32OrDigits(size_t i) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    int32_t n = 0;
    if (!GetInt32OrDigits(*v, &n)) return Failed(i);
    PutVarint(i, static_cast<uint64_t>(static_cast<int64_t>(n)));
    return true;
  }
  // Every bool of the schema is `optional`: written when present.
  bool Bool(size_t i) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    bool b = false;
    if (!GetBool(*v, &b)) return Failed(i);
    PutVarint(i, b ? 1 : 0);
    return true;
  }
  bool Double(size_t i) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    double d = 0;
    if (!GetDouble(*v, &d)) return Failed(i);
    PutDoubleNumber(w_, number(i), d);
    return true;
  }
  // A string id, or an integer printed exactly (matching_rules[].id).
  bool Id(size_t i) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    std::string id;
    if (!GetId(*v, &id)) return Failed(i);
    if (!id.empty()) w_.LengthDelimited(number(i), id);
    return true;
  }
  // A google.protobuf.Timestamp from an RFC 3339 string.
  bool Time(size_t i) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    std::string_view text;
    int64_t seconds = 0;
    int32_t nanos = 0;
    if (!GetString(*v, &text) || !ParseTime(Absl(text), &seconds, &nanos)) return Failed(i);
    const size_t start = w_.Begin(number(i));
    if (seconds != 0) {
      w_.Tag(google::protobuf::Timestamp::kSecondsFieldNumber, Wire::kVarint);
      w_.Varint(static_cast<uint64_t>(seconds));
    }
    if (nanos != 0) {
      w_.Tag(google::protobuf::Timestamp::kNanosFieldNumber, Wire::kVarint);
      w_.Varint(static_cast<uint64_t>(static_cast<int64_t>(nanos)));
    }
    w_.End(start);
    return true;
  }
  // repeated string: every item written, empty ones too; one item that is not a string keeps the whole
  // list in extras. `views` (nullable) collects the items.
  bool Strings(size_t i, std::vector<std::string_view>* views = nullptr) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    const size_t from = w_.size();
    const size_t views_from = views != nullptr ? views->size() : 0;
    dom::array array;
    if (v->get_array().get(array) != simdjson::SUCCESS) return Failed(i);
    for (dom::element item : array) {
      std::string_view text;
      if (!GetString(item, &text)) {
        if (views != nullptr) views->resize(views_from);
        Fail(i, from);
        return false;
      }
      w_.LengthDelimited(number(i), Absl(text));
      if (views != nullptr) views->push_back(text);
    }
    return true;
  }
  // repeated int32 / double, packed: nothing when empty.
  bool PackedInt32(size_t i) { return Packed(i, (*this)[i], [this](const dom::element& item) {
      int32_t n = 0;
      if (!GetInt32(item, &n)) return false;
      w_.Varint(static_cast<uint64_t>(static_cast<int64_t>(n)));
      return true;
    });
  }
  bool PackedDoubles(size_t i, const dom::element* v) { return Packed(i, v, [this](const dom::element& item) {
      double d = 0;
      if (!GetDouble(item, &d)) return false;
      w_.Fixed64(BitsOf(d));
      return true;
    });
  }
  // A sub-message: `encode(value, wire)` writes its payload, false when the value is not an object.
  template <typename Encode>
  bool Message(size_t i, Encode encode) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    const size_t from = w_.size();
    const size_t start = w_.Begin(number(i));
    if (!encode(*v, w_)) {
      Fail(i, from);
      return false;
    }
    w_.End(start);
    return true;
  }
  // A repeated sub-message: one item that is not an object keeps the whole list in extras.
  template <typename Encode>
  bool Messages(size_t i, Encode encode) {
    const dom::element* v = (*this)[i];
    if (v == nullptr) return true;
    const size_t from = w_.size();
    dom::array array;
    if (v->get_array().get(array) != simdjson::SUCCESS) return Failed(i);
    for (dom::element item : array) {
      const size_t start = w_.Begin(number(i));
      if (!encode(item, w_)) {
        Fail(i, from);
        return false;
      }
      w_.End(start);
    }
    return true;
  }

  // The members kept verbatim, in the order they came ("" when none); the caller writes them, or
  // Finish() does as field 999.
  std::string Others() const {
    std::string out;
    if (!keep_others_ && failed_ == 0) return out;
    uint32_t seen = 0;
    for (dom::key_value_pair member : object_) {
      size_t i = 0;
      while (i < N && !SameKey(fields_[i].key, member.key)) ++i;
      if (i < N) {
        const uint32_t bit = uint32_t{1} << i;
        const bool first = (seen & bit) == 0;
        seen |= bit;
        if (first && (failed_ & bit) == 0) continue;  // mapped (or a null: absent)
        if (first && i == part_index_) {
          AppendMember(member.key, part_, &out);
          continue;
        }
      }
      AppendMember(member, &out);
    }
    CloseObject(&out);
    return out;
  }
  void Finish() {
    if (!keep_others_ && failed_ == 0) return;
    const std::string others = Others();
    if (!others.empty()) w_.LengthDelimited(kExtras, others);
  }

 private:
  bool Failed(size_t i) {
    failed_ |= uint32_t{1} << i;
    return false;
  }
  TS_HOT void PutVarint(size_t i, uint64_t value) {
    w_.Tag(number(i), Wire::kVarint);
    w_.Varint(value);
  }
  template <typename Item>
  bool Packed(size_t i, const dom::element* v, Item item) {
    if (v == nullptr) return true;
    dom::array array;
    if (v->get_array().get(array) != simdjson::SUCCESS) return Failed(i);
    if (array.size() == 0) return true;
    const size_t from = w_.size();
    const size_t start = w_.Begin(number(i));
    for (dom::element e : array) {
      if (!item(e)) {
        Fail(i, from);
        return false;
      }
    }
    w_.End(start);
    return true;
  }

  const Field (&fields_)[N];
  Wire& w_;
  dom::object object_;
  dom::element values_[N];
  uint32_t seen_ = 0;
  uint32_t set_ = 0;
  uint32_t failed_ = 0;
  bool keep_others_ = false;
  size_t part_index_ = N;
  std::string part_;
};

template <size_t N>
Object(const Field (&)[N], Wire&) -> Object<N>;

bool EncodeHashtag(const dom::element& value, Wire& w) {
  Object m(kHashtagFields, w);
  if (!m.Read(value)) return false;
  m.Int32(0), m.Int32(1), m.String(2);
  m.Finish();
  return true;
}

bool EncodeMention(const dom::element& value, Wire& w, TweetRefs* refs) {
  Object m(kMentionFields, w);
  if (!m.Read(value)) return false;
  std::string_view username, id;
  m.Int32(0), m.Int32(1), m.String(2, &username), m.String(3, &id);
  m.Finish();
  if (refs != nullptr) refs->mentions.emplace_back(id, username);
  return true;
}

bool EncodeImage(const dom::element& value, Wire& w) {
  Object m(kImageFields, w);
  if (!m.Read(value)) return false;
  m.String(0), m.Int32(1), m.Int32(2);
  m.Finish();
  return true;
}

bool EncodeUrl(const dom::element& value, Wire& w) {
  Object m(kUrlFields, w);
  if (!m.Read(value)) return false;
  m.Int32(0), m.Int32(1);
  for (size_t i = 2; i < 6; ++i) m.String(i);  // url, expanded_url, display_url, media_key
  m.Int32(6, /*optional=*/true);                // status
  for (size_t i = 7; i < 10; ++i) m.String(i);  // title, description, unwound_url
  m.Messages(10, EncodeImage);
  m.Finish();
  return true;
}

bool EncodeAnnotation(const dom::element& value, Wire& w) {
  Object m(kAnnotationFields, w);
  if (!m.Read(value)) return false;
  m.Int32(0), m.Int32(1), m.Double(2), m.String(3), m.String(4);
  m.Finish();
  return true;
}

// `refs` (a data tweet's own entities only) collects the mentions for the joins.
bool EncodeEntities(const dom::element& value, Wire& w, TweetRefs* refs) {
  Object m(kEntitiesFields, w);
  if (!m.Read(value)) return false;
  m.Messages(0, EncodeHashtag);
  m.Messages(1, EncodeHashtag);
  const size_t mentions_from = refs != nullptr ? refs->mentions.size() : 0;
  if (!m.Messages(2, [refs](const dom::element& v, Wire& out) { return EncodeMention(v, out, refs); }) &&
      refs != nullptr) {
    refs->mentions.resize(mentions_from);  // the list is kept in extras: not joined
  }
  m.Messages(3, EncodeUrl);
  m.Messages(4, EncodeAnnotation);
  m.Finish();
  return true;
}

bool EncodePlainEntities(const dom::element& value, Wire& w) { return EncodeEntities(value, w, nullptr); }

bool EncodeContextEntity(const dom::element& value, Wire& w) {
  Object m(kContextEntityFields, w);
  if (!m.Read(value)) return false;
  m.String(0), m.String(1), m.String(2);
  m.Finish();
  return true;
}

bool EncodeContextAnnotation(const dom::element& value, Wire& w) {
  Object m(kContextAnnotationFields, w);
  if (!m.Read(value)) return false;
  m.Message(0, EncodeContextEntity), m.Message(1, EncodeContextEntity);
  m.Finish();
  return true;
}

bool EncodeReferencedTweet(const dom::element& value, Wire& w, TweetRefs* refs) {
  Object m(kReferencedTweetFields, w);
  if (!m.Read(value)) return false;
  std::string_view id;
  m.String(0), m.String(1, &id);
  m.Finish();
  if (refs != nullptr) refs->referenced_tweet_ids.push_back(id);
  return true;
}

bool EncodeAttachments(const dom::element& value, Wire& w, TweetRefs* refs) {
  Object m(kAttachmentsFields, w);
  if (!m.Read(value)) return false;
  m.Strings(0, refs != nullptr ? &refs->media_keys : nullptr);
  m.Strings(1, refs != nullptr ? &refs->poll_ids : nullptr);
  m.Strings(2);
  m.Finish();
  return true;
}

// GeoJSON point: exactly [longitude, latitude], or it is no point (false: the member is kept whole in
// the geo's extras). `"type":"Point"` is implied by the message; another type is kept in extras.
bool EncodePoint(const dom::element& value, Wire& w) {
  Object m(kPointFields, w);
  if (!m.Read(value)) return false;
  if (const dom::element* coordinates = m[0]; coordinates != nullptr) {
    dom::array array;
    double numbers[2] = {0, 0};
    size_t count = 0;
    if (coordinates->get_array().get(array) != simdjson::SUCCESS) return false;
    for (dom::element item : array) {
      if (count == 2 || !GetDouble(item, &numbers[count])) return false;
      ++count;
    }
    if (count != 2) return false;
    PutDoubleNumber(w, pb::Point::kLongitudeFieldNumber, numbers[0]);
    PutDoubleNumber(w, pb::Point::kLatitudeFieldNumber, numbers[1]);
  }
  if (const dom::element* type = m[1]; type != nullptr) {
    std::string_view text;
    if (!GetString(*type, &text) || text != "Point") m.Fail(1, w.size());
  }
  m.Finish();
  return true;
}

bool EncodeGeo(const dom::element& value, Wire& w, TweetRefs* refs) {
  Object m(kGeoFields, w);
  if (!m.Read(value)) return false;
  m.String(0, refs != nullptr ? &refs->place_id : nullptr);
  m.Message(1, EncodePoint);
  m.Finish();
  return true;
}

// Messages of `optional int64` counts only (public_metrics of tweets, users, media).
template <size_t N>
bool EncodeCounts(const dom::element& value, Wire& w, const Field (&fields)[N]) {
  Object m(fields, w);
  if (!m.Read(value)) return false;
  for (size_t i = 0; i < N; ++i) m.Int64(i, /*optional=*/true);
  m.Finish();
  return true;
}
bool EncodePublicMetrics(const dom::element& value, Wire& w) { return EncodeCounts(value, w, kPublicMetricsFields); }
bool EncodeUserPublicMetrics(const dom::element& value, Wire& w) {
  return EncodeCounts(value, w, kUserPublicMetricsFields);
}
bool EncodeMediaPublicMetrics(const dom::element& value, Wire& w) {
  return EncodeCounts(value, w, kMediaPublicMetricsFields);
}

bool EncodeWithheld(const dom::element& value, Wire& w) {
  Object m(kWithheldFields, w);
  if (!m.Read(value)) return false;
  m.Bool(0), m.Strings(1), m.String(2);
  m.Finish();
  return true;
}

bool EncodeEditControls(const dom::element& value, Wire& w) {
  Object m(kEditControlsFields, w);
  if (!m.Read(value)) return false;
  m.Bool(0), m.Time(1), m.Int32OrDigits(2);
  m.Finish();
  return true;
}

bool EncodeNoteTweet(const dom::element& value, Wire& w) {
  Object m(kNoteTweetFields, w);
  if (!m.Read(value)) return false;
  m.String(0), m.Message(1, EncodePlainEntities);
  m.Finish();
  return true;
}

bool EncodeUserEntities(const dom::element& value, Wire& w) {
  Object m(kUserEntitiesFields, w);
  if (!m.Read(value)) return false;
  m.Message(0, EncodePlainEntities), m.Message(1, EncodePlainEntities);
  m.Finish();
  return true;
}

bool EncodeMediaVariant(const dom::element& value, Wire& w) {
  Object m(kMediaVariantFields, w);
  if (!m.Read(value)) return false;
  m.Int64(0, /*optional=*/true), m.String(1), m.String(2);
  m.Finish();
  return true;
}

bool EncodePollOption(const dom::element& value, Wire& w) {
  Object m(kPollOptionFields, w);
  if (!m.Read(value)) return false;
  m.Int32(0), m.String(1), m.Int64(2);
  m.Finish();
  return true;
}

}  // namespace

bool EncodeTweet(const dom::element& value, Wire& w, TweetRefs* refs, std::string_view* id) {
  Object m(kTweetFields, w);
  if (!m.Read(value)) return false;
  *id = {};
  m.String(0, id), m.String(1);
  std::string_view author_id, in_reply_to_user_id;
  m.String(2, &author_id), m.Time(3);
  m.String(4), m.String(5, &in_reply_to_user_id);
  for (size_t i = 6; i < 9; ++i) m.String(i);  // lang, source, reply_settings
  m.Bool(9);                                    // possibly_sensitive
  const size_t references_from = refs != nullptr ? refs->referenced_tweet_ids.size() : 0;
  if (!m.Messages(10, [refs](const dom::element& v, Wire& out) { return EncodeReferencedTweet(v, out, refs); }) &&
      refs != nullptr) {
    refs->referenced_tweet_ids.resize(references_from);
  }
  m.Message(11, [refs](const dom::element& v, Wire& out) { return EncodeAttachments(v, out, refs); });
  m.Message(12, [refs](const dom::element& v, Wire& out) { return EncodeEntities(v, out, refs); });
  m.Messages(13, EncodeContextAnnotation);
  m.Message(14, [refs](const dom::element& v, Wire& out) { return EncodeGeo(v, out, refs); });
  m.Message(15, EncodePublicMetrics);
  m.Message(16, EncodeWithheld);
  m.Strings(17);  // edit_history_tweet_ids
  m.Message(18, EncodeEditControls);
  m.Message(19, EncodeNoteTweet);
  m.PackedInt32(20);  // display_text_range
  m.String(21), m.String(22);
  m.Finish();
  if (refs != nullptr) {
    refs->id = *id;
    refs->author_id = author_id;
    refs->in_reply_to_user_id = in_reply_to_user_id;
  }
  return true;
}

bool EncodeUser(const dom::element& value, Wire& w, std::string_view* id, std::string_view* username) {
  Object m(kUserFields, w);
  if (!m.Read(value)) return false;
  *id = {};
  *username = {};
  m.String(0, id), m.String(1), m.String(2, username), m.Time(3);
  for (size_t i = 4; i < 8; ++i) m.String(i);  // description .. profile_image_url
  m.Bool(8), m.Bool(9), m.String(10), m.String(11);
  m.Message(12, EncodeUserPublicMetrics);
  m.Message(13, EncodeWithheld);
  m.Message(14, EncodeUserEntities);
  m.String(15), m.String(16);
  m.Finish();
  return true;
}

bool EncodeMedia(const dom::element& value, Wire& w, std::string_view* key) {
  Object m(kMediaFields, w);
  if (!m.Read(value)) return false;
  *key = {};
  m.String(0, key);
  for (size_t i = 1; i < 4; ++i) m.String(i);  // type, url, preview_image_url
  m.Int32(4), m.Int32(5), m.Int64(6), m.String(7);
  m.Message(8, EncodeMediaPublicMetrics);
  m.Messages(9, EncodeMediaVariant);
  m.Finish();
  return true;
}

// A place's `geo` is a GeoJSON Feature: its `bbox` fills `bbox`; the rest of it (type, properties, ...)
// is kept in the place's extras as `"geo":{...}`.
bool EncodePlace(const dom::element& value, Wire& w, std::string_view* key) {
  Object m(kPlaceFields, w);
  if (!m.Read(value)) return false;
  *key = {};
  m.String(0, key);
  for (size_t i = 1; i < 6; ++i) m.String(i);
  if (const dom::element* geo = m[6]; geo != nullptr) {
    Object g(kPlaceGeoFields, w);
    if (!g.Read(*geo)) {
      m.Fail(6, w.size());
    } else {
      g.PackedDoubles(0, g[0]);
      std::string rest = g.Others();
      if (!rest.empty()) {
        m.Fail(6, w.size());
        m.KeepPart(6, std::move(rest));
      }
    }
  }
  m.Strings(7);
  m.Finish();
  return true;
}

bool EncodePoll(const dom::element& value, Wire& w, std::string_view* key) {
  Object m(kPollFields, w);
  if (!m.Read(value)) return false;
  *key = {};
  m.String(0, key);
  m.Messages(1, EncodePollOption);
  m.Int32(2), m.Time(3), m.String(4);
  m.Finish();
  return true;
}

bool EncodeMatchingRule(const dom::element& value, Wire& w) {
  Object m(kMatchingRuleFields, w);
  if (!m.Read(value)) return false;
  m.Id(0), m.String(1);
  m.Finish();
  return true;
}

bool EncodeApiError(const dom::element& value, Wire& w, ErrorRefs* refs) {
  Object m(kApiErrorFields, w);
  if (!m.Read(value)) return false;
  *refs = ErrorRefs{};
  m.String(0), m.String(1), m.String(2);
  m.String(3, &refs->resource_type), m.String(4, &refs->resource_id), m.String(5), m.String(6, &refs->value);
  m.Finish();
  return true;
}

}  // namespace tweetstream::source::xjson
