#pragma once
// How tweetctl writes values: JSON (protobuf's JSON mapping, and rapidjson for tweetctl's own keyed
// objects), times, durations, counts, connector states and configuration cells. Pure functions, no
// I/O; any thread.

#include <cstdint>
#include <string>

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/tweetctl/client.h"
#include "tweetstream/connector/v1/control.pb.h"

namespace tweetstream::tweetctl {

// ---- JSON

// The message in protobuf's JSON mapping, on one line: proto field names, primitive fields always
// printed, 64-bit integers as strings. "{}" if it cannot be printed.
std::string ToJson(const google::protobuf::Message& message);

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void JsonString(JsonWriter& w, absl::string_view s);

// {"error": "<message>", "code": "UNAVAILABLE", "address": "..."}: what a connector that did not
// answer looks like in --json output.
void JsonError(JsonWriter& w, const grpc::Status& status, const Connection& connection);

// ---- times, durations, counts

bool IsSet(const google::protobuf::Timestamp& t);
absl::Time ToTime(const google::protobuf::Timestamp& t);

// RFC 3339 in UTC, whole seconds; "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& t);

// "3d4h5m", "2h0m12s", "45s"; "-" when negative.
std::string FormatSeconds(int64_t seconds);

// The value, or "unknown" when negative (the servers' "could not tell").
std::string Known(int64_t value);

// Whole numbers without a fraction ("12"), others with 6 significant digits ("0.125").
std::string FormatDouble(double value);

// ---- states

// The state's name (control::StateName: "RUNNING", ...), followed by " DEGRADED" when degraded.
std::string StateCell(const tweetstream::connector::v1::ConnectorStatus& status);

// ---- configuration cells

// What a setting's value cell shows. A secret (ES_PASSWORD, ...) is never shown, whatever the
// server sent: `<redacted>` when it is set, `(not set)` when it is not.
std::string ValueCell(const tweetstream::connector::v1::ConfigSetting& s);
// The same for the default value.
std::string DefaultCell(const tweetstream::connector::v1::ConfigSetting& s);

// The same rule for --json: a secret's value stays "" (not set) or becomes "<redacted>", and so
// does its default.
void RedactSecrets(tweetstream::connector::v1::Config* config);

// Setting names compare with dashes and underscores alike ("batch-max-records" = "batch_max_records").
std::string NormalizeName(std::string name);

}  // namespace tweetstream::tweetctl
