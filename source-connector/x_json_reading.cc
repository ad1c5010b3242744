#include "source-connector/x_json_reading.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

// Only simdjson's error-code API is used (`.get(value)` returning an error_code): nothing here throws,
// whatever SIMDJSON_EXCEPTIONS is.

namespace tweetstream::source::xjson {
namespace {

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
bool ParseXTimeImpl(absl::string_view text, int64_t* seconds, int32_t* nanos) {
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

}  // namespace

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

bool GetInt32(const dom::element& value, int32_t* out) {
  int64_t wide = 0;
  if (!GetInt64(value, &wide) || wide < std::numeric_limits<int32_t>::min() ||
      wide > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(wide);
  return true;
}

bool GetInt32OrDigits(const dom::element& value, int32_t* out) {
  std::string_view text;
  if (GetString(value, &text)) return absl::SimpleAtoi(Absl(text), out);
  return GetInt32(value, out);
}

bool GetId(const dom::element& value, std::string* out) {
  std::string_view text;
  if (GetString(value, &text)) {
    out->assign(text.data(), text.size());
    return true;
  }
  int64_t signed_id = 0;
  if (GetInt64(value, &signed_id)) {
    *out = absl::StrCat(signed_id);
    return true;
  }
  uint64_t unsigned_id = 0;
  if (value.get_uint64().get(unsigned_id) == simdjson::SUCCESS) {
    *out = absl::StrCat(unsigned_id);
    return true;
  }
  return false;
}

bool ParseXTime(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  return ParseXTimeImpl(text, seconds, nanos);
}

bool ParseTime(absl::string_view text, int64_t* seconds, int32_t* nanos) {
  if (ParseXTimeImpl(text, seconds, nanos)) return true;  // years 1..9999: always in range
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return false;
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  const int64_t whole = absl::ToUnixSeconds(time);  // rounds toward the past: nanos stay >= 0
  if (whole < kMinSeconds || whole > kMaxSeconds) return false;
  *seconds = whole;
  *nanos = static_cast<int32_t>((time - absl::FromUnixSeconds(whole)) / absl::Nanoseconds(1));
  return true;
}

void AppendMember(const dom::key_value_pair& member, std::string* out) {
  out->push_back(out->empty() ? '{' : ',');
  out->append(simdjson::minify(member));
}

void AppendMember(std::string_view key, std::string_view raw_json_value, std::string* out) {
  out->push_back(out->empty() ? '{' : ',');
  out->push_back('"');
  out->append(key);  // callers pass the schema's own keys: plain ASCII, nothing to escape
  out->append("\":");
  out->append(raw_json_value);
}

}  // namespace tweetstream::source::xjson
