#pragma once

// Registers the tweet schema with a schema registry that speaks Confluent's REST API, for
// `--value-format=confluent-protobuf` (the Confluent wire format, common/confluent_wire.h).
//
// What it sends is what Confluent's own Protobuf serializers send when they auto-register: the .proto
// file as a base64-encoded FileDescriptorProto (`"schemaType":"PROTOBUF"`), under the subject
// `<topic>-value` (TopicNameStrategy), after each import it depends on, registered under its own file
// name (`tweetstream/...proto`) and referenced by name, subject and version. Google's well-known types
// (`google/protobuf/*.proto`, e.g. the Timestamp of tweet.proto) are built into every Confluent-compatible
// registry and are not registered (Confluent's `skip.known.types`).
//
// Calling thread: any; blocking, each request bounded by `timeout`. Returns the schema id. Status codes:
// UNAVAILABLE (the registry is unreachable or answered 5xx: retry later), INVALID_ARGUMENT (the registry
// refused the schema, e.g. 409 incompatible with the subject's compatibility level; its message quoted),
// FAILED_PRECONDITION (401/403: credentials).

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "common/http_client.h"
#include "google/protobuf/descriptor.h"

namespace tweetstream::source {

absl::StatusOr<int> RegisterProtobufSchema(common::HttpClient* http, const std::string& registry_url,
                                           const std::string& subject, const google::protobuf::FileDescriptor* file,
                                           std::chrono::milliseconds timeout);

// The request body of a registration, as Confluent's serializers build it (exposed for tests).
std::string RegistrationBody(const google::protobuf::FileDescriptor* file,
                             const std::vector<std::tuple<std::string, std::string, int>>& references);

}  // namespace tweetstream::source
