#include "sink-connector/es_document.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "rapidjson/writer.h"
#include "simdjson.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

#ifndef TWEETSTREAM_VERSION
#define TWEETSTREAM_VERSION "unknown"
#endif

namespace tweetstream::sink {
namespace {

namespace pb = ::tweetstream::tweet::v1;

// ---------------------------------------------------------------------------------------------
// Output: a RapidJSON output stream that appends to a caller-owned std::string, so the document is
// written straight into the caller's buffer (a bulk body, typically) without an intermediate copy.
// The string is resized ahead of the writes (RapidJSON announces sizes with PutReserve) and written
// through a cursor; Finish() (or the destructor) trims it to what was written. RapidJSON finds
// PutReserve/PutUnsafe by argument-dependent lookup, which keeps its per-character path free of
// capacity checks.
class StringAppendStream {
 public:
  using Ch = char;
  explicit StringAppendStream(std::string* out) : out_(out), len_(out->size()) {}
  ~StringAppendStream() { Finish(); }
  StringAppendStream(const StringAppendStream&) = delete;
  StringAppendStream& operator=(const StringAppendStream&) = delete;

  void Put(char c) {
    Reserve(1);
    (*out_)[len_++] = c;
  }
  void Flush() {}
  // Trims the string to the bytes written. Call after the last write; idempotent.
  void Finish() {
    if (out_->size() != len_) out_->resize(len_);
  }

  friend void PutReserve(StringAppendStream& s, size_t count) { s.Reserve(count); }
  friend void PutUnsafe(StringAppendStream& s, char c) { s.out_->data()[s.len_++] = c; }

 private:
  void Reserve(size_t count) {
    // Grown in small steps (std::string itself reallocates geometrically): the caller's buffer may
    // hold megabytes of earlier bulk lines, and the bytes added here are zero-filled first.
    if (out_->size() - len_ < count) out_->resize(len_ + std::max<size_t>(count, 4096));
  }

  std::string* out_;
  size_t len_;  // bytes of *out_ in use; the rest is room reserved for the next writes
};

using JsonWriter = rapidjson::Writer<StringAppendStream>;

// ---------------------------------------------------------------------------------------------
// UTF-8.

// True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF). Pure-ASCII strings (ids, most keywords) are settled by an inline 8-bytes-at-a-time scan;
// the first block with a high bit hands the rest to simdjson's SIMD validator.
bool IsValidUtf8(absl::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t block;
    std::memcpy(&block, p + i, 8);
    if (block & 0x8080808080808080ULL) break;
  }
  for (; i < n; ++i) {
    // Everything before `i` is ASCII, so `i` is a character boundary.
    if (static_cast<unsigned char>(p[i]) & 0x80) return simdjson::validate_utf8(p + i, n - i);
  }
  return true;
}

// Copies `in` to `*out` (replacing its contents) with every ill-formed sequence replaced by U+FFFD,
// following the Unicode "maximal subpart" practice (Unicode 15, section 3.9, and WHATWG Encoding):
// a lead byte followed by a valid but truncated continuation becomes ONE U+FFFD; any byte that cannot
// start or continue a sequence (0x80..0xC1, 0xF5..0xFF, an unexpected continuation) becomes one
// U+FFFD each. Python's `bytes.decode("utf-8", "replace")` and browsers produce the same output.
void RepairUtf8(absl::string_view in, std::string* out) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  out->clear();
  out->reserve(in.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = p[i];
    if (b < 0x80) {
      out->push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    // Table 3-7 of the Unicode standard: sequence length and the range of the second byte.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b == 0xE0) {
      len = 3, lo = 0xA0;
    } else if (b >= 0xE1 && b <= 0xEC) {
      len = 3;
    } else if (b == 0xED) {
      len = 3, hi = 0x9F;  // no UTF-16 surrogates
    } else if (b >= 0xEE && b <= 0xEF) {
      len = 3;
    } else if (b == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = 4;
    } else if (b == 0xF4) {
      len = 4, hi = 0x8F;  // nothing above U+10FFFF
    }
    if (len == 0) {  // 0x80..0xC1 or 0xF5..0xFF: never valid here
      out->append(kReplacement, 3);
      ++i;
      continue;
    }
    size_t k = 1;  // bytes of the sequence that are valid so far
    if (i + 1 < n && p[i + 1] >= lo && p[i + 1] <= hi) {
      k = 2;
      while (k < len && i + k < n && p[i + k] >= 0x80 && p[i + k] <= 0xBF) ++k;
    }
    if (k == len) {
      out->append(in.data() + i, len);
    } else {
      out->append(kReplacement, 3);  // the maximal subpart p[i, i+k) is one replacement
    }
    i += k;
  }
}

// ---------------------------------------------------------------------------------------------
// Time: RFC 3339, UTC, milliseconds: "2021-04-01T15:52:31.000Z" (what `strict_date_optional_time`
// parses, and what the X API itself sends). Writes 24 chars to `buf`; false when `ts` is outside
// google.protobuf.Timestamp's valid range (0001-01-01 .. 9999-12-31, nanos in [0, 1e9)).
constexpr size_t kTimestampLen = 24;

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

bool InDocumentRange(const google::protobuf::Timestamp& ts) {
  return ts.seconds() >= kMinSeconds && ts.seconds() <= kMaxSeconds && ts.nanos() >= 0 && ts.nanos() <= 999999999;
}

bool FormatTimestamp(const google::protobuf::Timestamp& ts, char* buf) {
  if (!InDocumentRange(ts)) return false;
  const int64_t seconds = ts.seconds();
  const int32_t nanos = ts.nanos();
  int64_t days = seconds / 86400;
  int64_t sod = seconds % 86400;
  if (sod < 0) sod += 86400, --days;
  // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date algorithms").
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const int64_t millis = nanos / 1000000;
  auto put = [](char* at, int64_t v, int width) {
    for (int d = width - 1; d >= 0; --d, v /= 10) at[d] = static_cast<char>('0' + v % 10);
  };
  put(buf, year, 4);
  buf[4] = '-';
  put(buf + 5, month, 2);
  buf[7] = '-';
  put(buf + 8, day, 2);
  buf[10] = 'T';
  put(buf + 11, sod / 3600, 2);
  buf[13] = ':';
  put(buf + 14, sod / 60 % 60, 2);
  buf[16] = ':';
  put(buf + 17, sod % 60, 2);
  buf[19] = '.';
  put(buf + 20, millis, 3);
  buf[23] = 'Z';
  return true;
}

// ---------------------------------------------------------------------------------------------
// A JSON key: always a string literal of ours (ASCII, nothing to escape), length known at compile time.
struct Key {
  template <size_t N>
  constexpr Key(const char (&literal)[N]) : str(literal), len(N - 1) {}  // NOLINT: implicit on purpose
  const char* str;
  rapidjson::SizeType len;
};

// Writes the document through a RapidJSON Writer, omitting what is unset or empty.
//
// Objects and arrays are opened lazily: Begin*() only records a pending frame, and the key and the
// bracket are written when the first value inside is. A message that is set but holds nothing, an
// array whose elements are all empty, or an `includes` with no expansions therefore leaves no trace
// (no `"public_metrics":{}`, no `"includes":{}`), without look-ahead over the protobuf.
class DocWriter {
 public:
  DocWriter(std::string* out, RenderStats* stats) : stream_(out), writer_(stream_), stats_(stats) {
    frames_.reserve(16);  // the document nests 8 deep at most (author.entities.description.urls[].images[])
  }
  // Trims the output to what was written; call after the last End().
  void Finish() { stream_.Finish(); }

  // --- containers ---
  void BeginObject() { frames_.push_back({nullptr, 0, false}); }  // root or array element
  void BeginObject(Key key) { frames_.push_back({key.str, key.len, false}); }
  void BeginArray(Key key) { frames_.push_back({key.str, key.len, true}); }
  void End() {
    if (opened_ == frames_.size()) {
      frames_.back().is_array ? writer_.EndArray() : writer_.EndObject();
      --opened_;
    }
    frames_.pop_back();
  }

  // --- object members; each omits itself when there is nothing to say ---
  void String(Key key, const std::string& value) {
    if (value.empty()) return;
    Open();
    writer_.Key(key.str, key.len);
    WriteString(value);
  }
  // Written as given: callers check presence of `optional` fields first; plain proto3 numbers whose
  // zero is meaningful (entity offsets, poll votes) always come through here.
  void Int(Key key, int64_t value) {
    Open();
    writer_.Key(key.str, key.len);
    writer_.Int64(value);
  }
  // Written only when non-zero (proto3 fields without presence whose zero means "absent").
  void NonZeroInt(Key key, int64_t value) {
    if (value != 0) Int(key, value);
  }
  void Bool(Key key, bool value) {
    Open();
    writer_.Key(key.str, key.len);
    writer_.Bool(value);
  }
  // Finite values only: JSON has no NaN/Infinity, and Elasticsearch would reject them.
  void Double(Key key, double value) {
    if (!std::isfinite(value)) return;
    Open();
    writer_.Key(key.str, key.len);
    writer_.Double(value);
  }
  void Time(Key key, const google::protobuf::Timestamp& ts) {
    char buf[kTimestampLen];
    if (!FormatTimestamp(ts, buf)) return;
    Open();
    writer_.Key(key.str, key.len);
    writer_.String(buf, kTimestampLen);
  }
  template <typename Repeated>
  void StringArray(Key key, const Repeated& values) {
    if (values.empty()) return;
    BeginArray(key);
    for (const std::string& v : values) {
      if (v.empty()) continue;
      Open();
      WriteString(v);
    }
    End();
  }
  template <typename Repeated>
  void IntArray(Key key, const Repeated& values) {
    if (values.empty()) return;
    BeginArray(key);
    Open();
    for (auto v : values) writer_.Int64(v);
    End();
  }
  // Positional arrays of doubles (a bbox): all finite, or omitted as a whole (dropping one element
  // would shift the meaning of the others).
  template <typename Repeated>
  void DoubleTuple(Key key, const Repeated& values) {
    if (values.empty()) return;
    for (double v : values) {
      if (!std::isfinite(v)) return;
    }
    BeginArray(key);
    Open();
    for (double v : values) writer_.Double(v);
    End();
  }
  // A GeoJSON point {"type":"Point","coordinates":[lon,lat]}, as the X API sends `geo.coordinates`.
  void Point(Key key, const pb::Point& point) {
    if (!std::isfinite(point.longitude()) || !std::isfinite(point.latitude())) return;
    Open();
    writer_.Key(key.str, key.len);
    writer_.StartObject();
    writer_.Key("type", 4);
    writer_.String("Point", 5);
    writer_.Key("coordinates", 11);
    writer_.StartArray();
    writer_.Double(point.longitude());
    writer_.Double(point.latitude());
    writer_.EndArray();
    if (!point.extra_fields_json().empty()) {
      writer_.Key("extra_fields_json", 17);
      WriteString(point.extra_fields_json());
    }
    writer_.EndObject();
  }

 private:
  struct Frame {
    const char* key;  // nullptr: root object or array element
    rapidjson::SizeType key_len;
    bool is_array;
  };

  // Writes the keys and brackets of the pending frames (outermost first).
  void Open() {
    for (; opened_ < frames_.size(); ++opened_) {
      const Frame& f = frames_[opened_];
      if (f.key != nullptr) writer_.Key(f.key, f.key_len);
      f.is_array ? writer_.StartArray() : writer_.StartObject();
    }
  }

  void WriteString(absl::string_view value) {
    if (IsValidUtf8(value)) {
      writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
      return;
    }
    RepairUtf8(value, &scratch_);
    writer_.String(scratch_.data(), static_cast<rapidjson::SizeType>(scratch_.size()));
    if (stats_ != nullptr) ++stats_->repaired_strings;
  }

  StringAppendStream stream_;
  JsonWriter writer_;
  RenderStats* stats_;
  std::vector<Frame> frames_;
  size_t opened_ = 0;  // frames_[0, opened_) have been written
  std::string scratch_;
};

// ---------------------------------------------------------------------------------------------
// The renderers, one per message. Field names are the proto's, which are the X API's.

void WriteHashtags(DocWriter& w, Key key, const google::protobuf::RepeatedPtrField<pb::Hashtag>& tags) {
  if (tags.empty()) return;
  w.BeginArray(key);
  for (const pb::Hashtag& h : tags) {
    w.BeginObject();
    w.Int("start", h.start());
    w.Int("end", h.end());
    w.String("tag", h.tag());
    w.String("extra_fields_json", h.extra_fields_json());
    w.End();
  }
  w.End();
}

void WriteEntities(DocWriter& w, Key key, const pb::Entities& e) {
  w.BeginObject(key);
  WriteHashtags(w, "hashtags", e.hashtags());
  WriteHashtags(w, "cashtags", e.cashtags());
  if (!e.mentions().empty()) {
    w.BeginArray("mentions");
    for (const pb::Mention& m : e.mentions()) {
      w.BeginObject();
      w.Int("start", m.start());
      w.Int("end", m.end());
      w.String("username", m.username());
      w.String("id", m.id());
      w.String("extra_fields_json", m.extra_fields_json());
      w.End();
    }
    w.End();
  }
  if (!e.urls().empty()) {
    w.BeginArray("urls");
    for (const pb::Url& u : e.urls()) {
      w.BeginObject();
      w.Int("start", u.start());
      w.Int("end", u.end());
      w.String("url", u.url());
      w.String("expanded_url", u.expanded_url());
      w.String("display_url", u.display_url());
      w.String("media_key", u.media_key());
      if (u.has_status()) w.Int("status", u.status());
      w.String("title", u.title());
      w.String("description", u.description());
      w.String("unwound_url", u.unwound_url());
      if (!u.images().empty()) {
        w.BeginArray("images");
        for (const pb::Image& img : u.images()) {
          w.BeginObject();
          w.String("url", img.url());
          w.NonZeroInt("width", img.width());
          w.NonZeroInt("height", img.height());
          w.String("extra_fields_json", img.extra_fields_json());
          w.End();
        }
        w.End();
      }
      w.String("extra_fields_json", u.extra_fields_json());
      w.End();
    }
    w.End();
  }
  if (!e.annotations().empty()) {
    w.BeginArray("annotations");
    for (const pb::Annotation& a : e.annotations()) {
      w.BeginObject();
      w.Int("start", a.start());
      w.Int("end", a.end());
      w.Double("probability", a.probability());
      w.String("type", a.type());
      w.String("normalized_text", a.normalized_text());
      w.String("extra_fields_json", a.extra_fields_json());
      w.End();
    }
    w.End();
  }
  w.String("extra_fields_json", e.extra_fields_json());
  w.End();
}

void WriteContextEntity(DocWriter& w, Key key, const pb::ContextEntity& e) {
  w.BeginObject(key);
  w.String("id", e.id());
  w.String("name", e.name());
  w.String("description", e.description());
  w.String("extra_fields_json", e.extra_fields_json());
  w.End();
}

void WriteWithheld(DocWriter& w, const pb::Withheld& wh) {
  w.BeginObject("withheld");
  if (wh.has_copyright()) w.Bool("copyright", wh.copyright());
  w.StringArray("country_codes", wh.country_codes());
  w.String("scope", wh.scope());
  w.String("extra_fields_json", wh.extra_fields_json());
  w.End();
}

// The members of a Tweet (without the braces: at the document's top level they share the root object
// with the envelope's fields).
void WriteTweetFields(DocWriter& w, const pb::Tweet& t) {
  w.String("id", t.id());
  w.String("text", t.text());
  w.String("author_id", t.author_id());
  if (t.has_created_at()) w.Time("created_at", t.created_at());
  w.String("conversation_id", t.conversation_id());
  w.String("in_reply_to_user_id", t.in_reply_to_user_id());
  w.String("lang", t.lang());
  w.String("source", t.source());
  w.String("reply_settings", t.reply_settings());
  if (t.has_possibly_sensitive()) w.Bool("possibly_sensitive", t.possibly_sensitive());

  if (!t.referenced_tweets().empty()) {
    w.BeginArray("referenced_tweets");
    for (const pb::ReferencedTweet& r : t.referenced_tweets()) {
      w.BeginObject();
      w.String("type", r.type());
      w.String("id", r.id());
      w.String("extra_fields_json", r.extra_fields_json());
      w.End();
    }
    w.End();
  }
  if (t.has_attachments()) {
    const pb::Attachments& a = t.attachments();
    w.BeginObject("attachments");
    w.StringArray("media_keys", a.media_keys());
    w.StringArray("poll_ids", a.poll_ids());
    w.StringArray("media_source_tweet_id", a.media_source_tweet_id());
    w.String("extra_fields_json", a.extra_fields_json());
    w.End();
  }
  if (t.has_entities()) WriteEntities(w, "entities", t.entities());
  if (!t.context_annotations().empty()) {
    w.BeginArray("context_annotations");
    for (const pb::ContextAnnotation& c : t.context_annotations()) {
      w.BeginObject();
      if (c.has_domain()) WriteContextEntity(w, "domain", c.domain());
      if (c.has_entity()) WriteContextEntity(w, "entity", c.entity());
      w.String("extra_fields_json", c.extra_fields_json());
      w.End();
    }
    w.End();
  }
  if (t.has_geo()) {
    w.BeginObject("geo");
    w.String("place_id", t.geo().place_id());
    if (t.geo().has_coordinates()) w.Point("coordinates", t.geo().coordinates());
    w.String("extra_fields_json", t.geo().extra_fields_json());
    w.End();
  }
  if (t.has_public_metrics()) {
    const pb::PublicMetrics& m = t.public_metrics();
    w.BeginObject("public_metrics");
    if (m.has_retweet_count()) w.Int("retweet_count", m.retweet_count());
    if (m.has_reply_count()) w.Int("reply_count", m.reply_count());
    if (m.has_like_count()) w.Int("like_count", m.like_count());
    if (m.has_quote_count()) w.Int("quote_count", m.quote_count());
    if (m.has_bookmark_count()) w.Int("bookmark_count", m.bookmark_count());
    if (m.has_impression_count()) w.Int("impression_count", m.impression_count());
    w.String("extra_fields_json", m.extra_fields_json());
    w.End();
  }
  if (t.has_withheld()) WriteWithheld(w, t.withheld());

  w.StringArray("edit_history_tweet_ids", t.edit_history_tweet_ids());
  if (t.has_edit_controls()) {
    const pb::EditControls& e = t.edit_controls();
    w.BeginObject("edit_controls");
    if (e.has_is_edit_eligible()) w.Bool("is_edit_eligible", e.is_edit_eligible());
    if (e.has_editable_until()) w.Time("editable_until", e.editable_until());
    if (e.has_edits_remaining()) w.Int("edits_remaining", e.edits_remaining());
    w.String("extra_fields_json", e.extra_fields_json());
    w.End();
  }
  if (t.has_note_tweet()) {
    w.BeginObject("note_tweet");
    w.String("text", t.note_tweet().text());
    if (t.note_tweet().has_entities()) WriteEntities(w, "entities", t.note_tweet().entities());
    w.String("extra_fields_json", t.note_tweet().extra_fields_json());
    w.End();
  }
  w.IntArray("display_text_range", t.display_text_range());
  w.String("community_id", t.community_id());
  w.String("card_uri", t.card_uri());
  w.String("extra_fields_json", t.extra_fields_json());
}

void WriteUserFields(DocWriter& w, const pb::User& u) {
  w.String("id", u.id());
  w.String("name", u.name());
  w.String("username", u.username());
  if (u.has_created_at()) w.Time("created_at", u.created_at());
  w.String("description", u.description());
  w.String("location", u.location());
  w.String("url", u.url());
  w.String("profile_image_url", u.profile_image_url());
  if (u.has_protected_()) w.Bool("protected", u.protected_());
  if (u.has_verified()) w.Bool("verified", u.verified());
  w.String("verified_type", u.verified_type());
  w.String("pinned_tweet_id", u.pinned_tweet_id());
  if (u.has_public_metrics()) {
    const pb::UserPublicMetrics& m = u.public_metrics();
    w.BeginObject("public_metrics");
    if (m.has_followers_count()) w.Int("followers_count", m.followers_count());
    if (m.has_following_count()) w.Int("following_count", m.following_count());
    if (m.has_tweet_count()) w.Int("tweet_count", m.tweet_count());
    if (m.has_listed_count()) w.Int("listed_count", m.listed_count());
    if (m.has_like_count()) w.Int("like_count", m.like_count());
    if (m.has_media_count()) w.Int("media_count", m.media_count());
    w.String("extra_fields_json", m.extra_fields_json());
    w.End();
  }
  if (u.has_withheld()) WriteWithheld(w, u.withheld());
  if (u.has_entities()) {
    w.BeginObject("entities");
    if (u.entities().has_url()) WriteEntities(w, "url", u.entities().url());
    if (u.entities().has_description()) WriteEntities(w, "description", u.entities().description());
    w.String("extra_fields_json", u.entities().extra_fields_json());
    w.End();
  }
  w.String("most_recent_tweet_id", u.most_recent_tweet_id());
  w.String("profile_banner_url", u.profile_banner_url());
  w.String("extra_fields_json", u.extra_fields_json());
}

void WriteMedia(DocWriter& w, const pb::Media& m) {
  w.BeginObject();
  w.String("media_key", m.media_key());
  w.String("type", m.type());
  w.String("url", m.url());
  w.String("preview_image_url", m.preview_image_url());
  w.NonZeroInt("width", m.width());
  w.NonZeroInt("height", m.height());
  w.NonZeroInt("duration_ms", m.duration_ms());
  w.String("alt_text", m.alt_text());
  if (m.has_public_metrics()) {
    w.BeginObject("public_metrics");
    if (m.public_metrics().has_view_count()) w.Int("view_count", m.public_metrics().view_count());
    w.String("extra_fields_json", m.public_metrics().extra_fields_json());
    w.End();
  }
  if (!m.variants().empty()) {
    w.BeginArray("variants");
    for (const pb::MediaVariant& v : m.variants()) {
      w.BeginObject();
      if (v.has_bit_rate()) w.Int("bit_rate", v.bit_rate());
      w.String("content_type", v.content_type());
      w.String("url", v.url());
      w.String("extra_fields_json", v.extra_fields_json());
      w.End();
    }
    w.End();
  }
  w.String("extra_fields_json", m.extra_fields_json());
  w.End();
}

void WritePlace(DocWriter& w, const pb::Place& p) {
  w.BeginObject();
  w.String("id", p.id());
  w.String("full_name", p.full_name());
  w.String("name", p.name());
  w.String("country", p.country());
  w.String("country_code", p.country_code());
  w.String("place_type", p.place_type());
  w.DoubleTuple("bbox", p.bbox());
  w.StringArray("contained_within", p.contained_within());
  w.String("extra_fields_json", p.extra_fields_json());
  w.End();
}

void WritePoll(DocWriter& w, const pb::Poll& p) {
  w.BeginObject();
  w.String("id", p.id());
  if (!p.options().empty()) {
    w.BeginArray("options");
    for (const pb::PollOption& o : p.options()) {
      w.BeginObject();
      w.Int("position", o.position());
      w.String("label", o.label());
      w.Int("votes", o.votes());
      w.String("extra_fields_json", o.extra_fields_json());
      w.End();
    }
    w.End();
  }
  w.NonZeroInt("duration_minutes", p.duration_minutes());
  if (p.has_end_datetime()) w.Time("end_datetime", p.end_datetime());
  w.String("voting_status", p.voting_status());
  w.String("extra_fields_json", p.extra_fields_json());
  w.End();
}

// ---------------------------------------------------------------------------------------------
// The index template: a small vocabulary of field mappings, composed with the same Writer.

// Keywords carry `ignore_above: 8191` characters: Lucene refuses terms longer than 32766 bytes and
// rejects the WHOLE document when one is ("immense term"); 8191 four-byte characters stay below that.
// Longer values are kept in _source, just not indexed.
constexpr int kKeywordIgnoreAbove = 8191;

class MappingWriter {
 public:
  explicit MappingWriter(JsonWriter& w) : w_(w) {}

  void Keyword(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("keyword");
    w_.Key("ignore_above");
    w_.Int(kKeywordIgnoreAbove);
    w_.EndObject();
  }
  // Full text with the standard analyzer (the only one the minimal distributions are sure to have:
  // the integ-test-zip lacks the analysis-common module). `keyword_subfield` adds `<name>.keyword`
  // for exact match and aggregations.
  void Text(const char* name, bool keyword_subfield = false) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("text");
    w_.Key("analyzer");
    w_.String("standard");
    if (keyword_subfield) {
      w_.Key("fields");
      w_.StartObject();
      w_.Key("keyword");
      w_.StartObject();
      w_.Key("type");
      w_.String("keyword");
      w_.Key("ignore_above");
      w_.Int(256);
      w_.EndObject();
      w_.EndObject();
    }
    w_.EndObject();
  }
  void Date(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("date");
    w_.Key("format");
    w_.String("strict_date_optional_time");
    w_.EndObject();
  }
  void Type(const char* name, const char* type) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String(type);
    w_.EndObject();
  }
  void Integer(const char* name) { Type(name, "integer"); }
  void Long(const char* name) { Type(name, "long"); }
  // `double`, not `float`: the renderer emits any finite proto double, and a value beyond float's
  // range would make Elasticsearch reject the document ("[float] supports only finite values").
  void Double(const char* name) { Type(name, "double"); }
  void Boolean(const char* name) { Type(name, "boolean"); }
  void GeoPoint(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("geo_point");
    w_.Key("ignore_malformed");
    w_.Bool(true);
    w_.EndObject();
  }
  // Kept in _source, neither parsed nor indexed: accepts any JSON value.
  void NotIndexed(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("object");
    w_.Key("enabled");
    w_.Bool(false);
    w_.EndObject();
  }
  // A string kept in _source only (no inverted index, no doc values: no term-length limit applies).
  void StoredString(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("type");
    w_.String("keyword");
    w_.Key("index");
    w_.Bool(false);
    w_.Key("doc_values");
    w_.Bool(false);
    w_.EndObject();
  }
  // `"name": {"properties": {` ... `}}`. Plain objects, not `nested`: arrays of objects are flattened
  // (a query cannot tie a mention's username to its offsets), which is what Kibana handles well and
  // keeps each tweet one Lucene document.
  void BeginObject(const char* name) {
    w_.Key(name);
    w_.StartObject();
    w_.Key("properties");
    w_.StartObject();
  }
  void EndObject() {
    w_.EndObject();
    w_.EndObject();
  }

 private:
  JsonWriter& w_;
};

void MapEntities(MappingWriter& m, const char* name) {
  m.BeginObject(name);
  for (const char* tags : {"hashtags", "cashtags"}) {
    m.BeginObject(tags);
    m.Integer("start");
    m.Integer("end");
    m.Keyword("tag");
    m.StoredString("extra_fields_json");
    m.EndObject();
  }
  m.BeginObject("mentions");
  m.Integer("start");
  m.Integer("end");
  m.Keyword("username");
  m.Keyword("id");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("urls");
  m.Integer("start");
  m.Integer("end");
  m.Keyword("url");
  m.Keyword("expanded_url");
  m.Keyword("display_url");
  m.Keyword("media_key");
  m.Integer("status");
  m.Text("title");
  m.Text("description");
  m.Keyword("unwound_url");
  m.BeginObject("images");
  m.Keyword("url");
  m.Integer("width");
  m.Integer("height");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("annotations");
  m.Integer("start");
  m.Integer("end");
  m.Double("probability");
  m.Keyword("type");
  m.Text("normalized_text");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.StoredString("extra_fields_json");
  m.EndObject();
}

void MapWithheld(MappingWriter& m) {
  m.BeginObject("withheld");
  m.Boolean("copyright");
  m.Keyword("country_codes");
  m.Keyword("scope");
  m.StoredString("extra_fields_json");
  m.EndObject();
}

void MapContextEntity(MappingWriter& m, const char* name) {
  m.BeginObject(name);
  m.Keyword("id");
  m.Keyword("name");  // "Brand", "Nike": exact values to filter and aggregate on
  m.Text("description");
  m.StoredString("extra_fields_json");
  m.EndObject();
}

void MapTweetFields(MappingWriter& m) {
  m.Keyword("id");
  m.Text("text");
  m.Keyword("author_id");
  m.Date("created_at");
  m.Keyword("conversation_id");
  m.Keyword("in_reply_to_user_id");
  m.Keyword("lang");
  m.Keyword("source");
  m.Keyword("reply_settings");
  m.Boolean("possibly_sensitive");
  m.BeginObject("referenced_tweets");
  m.Keyword("type");
  m.Keyword("id");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("attachments");
  m.Keyword("media_keys");
  m.Keyword("poll_ids");
  m.Keyword("media_source_tweet_id");
  m.StoredString("extra_fields_json");
  m.EndObject();
  MapEntities(m, "entities");
  m.BeginObject("context_annotations");
  MapContextEntity(m, "domain");
  MapContextEntity(m, "entity");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("geo");
  m.Keyword("place_id");
  m.BeginObject("coordinates");
  m.Keyword("type");
  // geo_point takes the GeoJSON order [lon, lat]. ignore_malformed: an out-of-range coordinate from the
  // wild leaves the point unindexed instead of sending the whole tweet to the dead-letter topic.
  m.GeoPoint("coordinates");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("public_metrics");
  for (const char* count : {"retweet_count", "reply_count", "like_count", "quote_count",
                            "bookmark_count", "impression_count"}) {
    m.Long(count);
  }
  m.StoredString("extra_fields_json");
  m.EndObject();
  MapWithheld(m);
  m.Keyword("edit_history_tweet_ids");
  m.BeginObject("edit_controls");
  m.Boolean("is_edit_eligible");
  m.Date("editable_until");
  m.Integer("edits_remaining");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("note_tweet");
  m.Text("text");
  MapEntities(m, "entities");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.Integer("display_text_range");
  m.Keyword("community_id");
  m.Keyword("card_uri");
  // Verbatim JSON of fields the schema does not model yet: searchable only once modelled.
  m.StoredString("extra_fields_json");
}

void MapUserFields(MappingWriter& m) {
  m.Keyword("id");
  m.Text("name", /*keyword_subfield=*/true);
  m.Keyword("username");
  m.Date("created_at");
  m.Text("description");
  m.Text("location", /*keyword_subfield=*/true);
  m.Keyword("url");
  m.Keyword("profile_image_url");
  m.Boolean("protected");
  m.Boolean("verified");
  m.Keyword("verified_type");
  m.Keyword("pinned_tweet_id");
  m.BeginObject("public_metrics");
  for (const char* count : {"followers_count", "following_count", "tweet_count", "listed_count",
                            "like_count", "media_count"}) {
    m.Long(count);
  }
  m.StoredString("extra_fields_json");
  m.EndObject();
  MapWithheld(m);
  m.BeginObject("entities");
  MapEntities(m, "url");
  MapEntities(m, "description");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.Keyword("most_recent_tweet_id");
  m.Keyword("profile_banner_url");
  m.StoredString("extra_fields_json");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

absl::Status RenderDocument(const tweet::v1::TweetEnvelope& envelope, std::string* out,
                            RenderStats* stats) {
  if (!envelope.has_tweet() || envelope.tweet().id().empty()) {
    return absl::InvalidArgumentError("tweet envelope has no tweet id: cannot be indexed by id");
  }
  DocWriter w(out, stats);
  w.BeginObject();
  WriteTweetFields(w, envelope.tweet());

  if (envelope.has_author()) {
    w.BeginObject("author");
    WriteUserFields(w, envelope.author());
    w.End();
  }
  if (!envelope.matching_rules().empty()) {
    w.BeginArray("matching_rules");
    for (const pb::MatchingRule& r : envelope.matching_rules()) {
      w.BeginObject();
      w.String("id", r.id());
      w.String("tag", r.tag());
      w.String("extra_fields_json", r.extra_fields_json());
      w.End();
    }
    w.End();
  }
  w.String("query", envelope.query());
  if (envelope.has_ingestion()) {
    const pb::Ingestion& in = envelope.ingestion();
    w.BeginObject("ingestion");
    w.String("connector", in.connector());
    w.String("mode", in.mode());
    if (in.has_ingested_at()) w.Time("ingested_at", in.ingested_at());
    w.String("origin", in.origin());
    w.String("connector_version", in.connector_version());
    w.End();
  }

  w.BeginObject("includes");
  if (!envelope.media().empty()) {
    w.BeginArray("media");
    for (const pb::Media& m : envelope.media()) WriteMedia(w, m);
    w.End();
  }
  if (envelope.has_place()) {
    w.BeginArray("places");
    WritePlace(w, envelope.place());
    w.End();
  }
  if (!envelope.polls().empty()) {
    w.BeginArray("polls");
    for (const pb::Poll& p : envelope.polls()) WritePoll(w, p);
    w.End();
  }
  if (!envelope.referenced_tweets().empty()) {
    w.BeginArray("tweets");
    for (const pb::Tweet& t : envelope.referenced_tweets()) {
      w.BeginObject();
      WriteTweetFields(w, t);
      w.End();
    }
    w.End();
  }
  if (!envelope.referenced_users().empty()) {
    w.BeginArray("users");
    for (const pb::User& u : envelope.referenced_users()) {
      w.BeginObject();
      WriteUserFields(w, u);
      w.End();
    }
    w.End();
  }
  w.End();  // includes

  // X's partial errors about the objects this tweet refers to ("unavailable", not "not requested").
  if (!envelope.errors().empty()) {
    w.BeginArray("errors");
    for (const pb::ApiError& e : envelope.errors()) {
      w.BeginObject();
      w.String("type", e.type());
      w.String("title", e.title());
      w.String("detail", e.detail());
      w.String("resource_type", e.resource_type());
      w.String("resource_id", e.resource_id());
      w.String("parameter", e.parameter());
      w.String("value", e.value());
      w.String("extra_fields_json", e.extra_fields_json());
      w.End();
    }
    w.End();
  }
  w.String("response_extra_fields_json", envelope.response_extra_fields_json());

  w.End();  // root (never empty: the id is there)
  w.Finish();
  return absl::OkStatus();
}

std::optional<int64_t> DocumentTimeMillis(const google::protobuf::Timestamp& ts) {
  if (!InDocumentRange(ts)) return std::nullopt;
  return ts.seconds() * 1000 + ts.nanos() / 1000000;  // |seconds| < 2.6e11: no overflow
}

std::string IndexTemplateJson(absl::string_view index_pattern, int priority) {
  std::string body;
  StringAppendStream stream(&body);
  JsonWriter w(stream);
  MappingWriter m(w);

  w.StartObject();
  w.Key("index_patterns");
  w.StartArray();
  // The pattern is the caller's text: written as a JSON string value, escaped by the Writer.
  w.String(index_pattern.data(), static_cast<rapidjson::SizeType>(index_pattern.size()));
  w.EndArray();
  w.Key("priority");
  w.Int(priority);

  w.Key("template");
  w.StartObject();
  w.Key("settings");
  w.StartObject();
  // One shard: tweet volumes from one connector fit one shard comfortably, and fewer shards mean less
  // overhead per index; re-shard with _split if an index outgrows it.
  w.Key("number_of_shards");
  w.Int(1);
  // 0 replicas on a single node (so the index is green there), 1 as soon as a second node joins.
  w.Key("auto_expand_replicas");
  w.String("0-1");
  w.EndObject();  // settings

  w.Key("mappings");
  w.StartObject();
  // dynamic: false. Unknown fields (a field a newer tweet-sink adds, or a stray one) are kept in
  // _source, so nothing is lost and a reindex can pick them up once mapped, but they are not indexed
  // and, above all, never create mappings on their own: dynamic mapping would guess types from the
  // first value seen (an id as `long`, a date as `text`), could not be changed afterwards, and would
  // let arbitrary keys grow the mapping toward the field limit.
  w.Key("dynamic");
  w.Bool(false);
  w.Key("properties");
  w.StartObject();

  MapTweetFields(m);

  m.BeginObject("author");
  MapUserFields(m);
  m.EndObject();

  m.BeginObject("matching_rules");
  m.Keyword("id");
  m.Keyword("tag");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.Keyword("query");

  m.BeginObject("ingestion");
  m.Keyword("connector");
  m.Keyword("mode");
  m.Date("ingested_at");
  m.Keyword("origin");
  m.Keyword("connector_version");
  m.EndObject();

  m.BeginObject("includes");
  m.BeginObject("media");
  m.Keyword("media_key");
  m.Keyword("type");
  m.Keyword("url");
  m.Keyword("preview_image_url");
  m.Integer("width");
  m.Integer("height");
  m.Long("duration_ms");
  m.Text("alt_text");
  m.BeginObject("public_metrics");
  m.Long("view_count");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.BeginObject("variants");
  m.Long("bit_rate");
  m.Keyword("content_type");
  m.Keyword("url");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.StoredString("extra_fields_json");
  m.EndObject();  // media

  m.BeginObject("places");
  m.Keyword("id");
  m.Keyword("full_name");
  m.Keyword("name");
  m.Keyword("country");
  m.Keyword("country_code");
  m.Keyword("place_type");
  m.Double("bbox");
  m.Keyword("contained_within");
  m.StoredString("extra_fields_json");
  m.EndObject();

  m.BeginObject("polls");
  m.Keyword("id");
  m.BeginObject("options");
  m.Integer("position");
  m.Text("label");
  m.Long("votes");
  m.StoredString("extra_fields_json");
  m.EndObject();
  m.Integer("duration_minutes");
  m.Date("end_datetime");
  m.Keyword("voting_status");
  m.StoredString("extra_fields_json");
  m.EndObject();

  // Referenced tweets are documents of their own (when ingested); here they are context for the
  // reader, kept in _source only, so they neither double the index size nor match searches meant for
  // the tweet itself.
  m.NotIndexed("tweets");

  m.BeginObject("users");
  MapUserFields(m);
  m.EndObject();
  m.EndObject();  // includes

  // X's partial errors about the objects the tweet refers to: filter on resource_type/resource_id to
  // find tweets whose author, mention or quoted tweet X could not return (deleted, suspended).
  m.BeginObject("errors");
  m.Keyword("type");
  m.Keyword("title");
  m.Text("detail");
  m.Keyword("resource_type");
  m.Keyword("resource_id");
  m.Keyword("parameter");
  m.Keyword("value");
  m.StoredString("extra_fields_json");
  m.EndObject();
  // What the response carried that the schema does not model (e.g. `includes.topics`): _source only.
  m.StoredString("response_extra_fields_json");

  w.EndObject();  // properties
  w.EndObject();  // mappings
  w.EndObject();  // template

  w.Key("_meta");
  w.StartObject();
  w.Key("managed_by");
  w.String("tweet-sink");
  w.Key("schema");
  w.String("tweetstream.tweet.v1.TweetEnvelope");
  w.Key("tweetstream_version");
  w.String(TWEETSTREAM_VERSION);
  w.EndObject();

  w.EndObject();
  stream.Finish();
  return body;
}

}  // namespace tweetstream::sink
