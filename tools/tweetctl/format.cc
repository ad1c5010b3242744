#include "tools/tweetctl/format.h"

#include <cmath>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/control/connector_host.h"
#include "common/rfc3339.h"

namespace tweetstream::tweetctl {

namespace v1 = tweetstream::connector::v1;

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) return "{}";
  return json;
}

void JsonString(JsonWriter& w, absl::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void JsonError(JsonWriter& w, const grpc::Status& status, const Connection& connection) {
  w.StartObject();
  w.Key("error");
  JsonString(w, status.error_message().empty() ? CodeName(status.error_code()) : status.error_message());
  w.Key("code");
  JsonString(w, CodeName(status.error_code()));
  w.Key("address");
  JsonString(w, connection.address());
  w.EndObject();
}

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (!IsSet(t)) return "-";
  return common::Rfc3339Seconds(ToTime(t));
}

std::string FormatSeconds(int64_t seconds) {
  if (seconds < 0) return "-";
  const int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60, s = seconds % 60;
  if (d > 0) return absl::StrFormat("%dd%dh%dm", d, h, m);
  if (h > 0) return absl::StrFormat("%dh%dm%ds", h, m, s);
  if (m > 0) return absl::StrFormat("%dm%ds", m, s);
  return absl::StrFormat("%ds", s);
}

std::string Known(int64_t value) { return value < 0 ? "unknown" : absl::StrCat(value); }

std::string FormatDouble(double value) {
  // The range first: casting a double outside int64_t's range (1e20) is undefined behaviour.
  if (value < 1e15 && value > -1e15 && value == std::trunc(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.6g", value);
}

std::string StateCell(const v1::ConnectorStatus& status) {
  std::string state = control::StateName(status.state());
  if (status.degraded()) absl::StrAppend(&state, " DEGRADED");
  return state;
}

namespace {
constexpr char kRedacted[] = "<redacted>";
constexpr char kNotSet[] = "(not set)";
}  // namespace

std::string ValueCell(const v1::ConfigSetting& s) {
  if (!s.secret()) return s.value();
  return s.value().empty() ? kNotSet : kRedacted;
}

std::string DefaultCell(const v1::ConfigSetting& s) {
  if (s.secret() && !s.default_value().empty()) return kRedacted;
  return s.default_value();
}

void RedactSecrets(v1::Config* config) {
  for (v1::ConfigSetting& s : *config->mutable_settings()) {
    if (!s.secret()) continue;
    if (!s.value().empty()) s.set_value(kRedacted);
    if (!s.default_value().empty()) s.set_default_value(kRedacted);
  }
}

std::string NormalizeName(std::string name) {
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

}  // namespace tweetstream::tweetctl
