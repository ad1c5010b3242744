#include "source-connector/schema_registry.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.pb.h"

namespace tweetstream::source {

std::string RegistrationBody(const google::protobuf::FileDescriptor* file,
                             const std::vector<std::tuple<std::string, std::string, int>>& references) {
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  std::string serialized;
  proto.SerializeToString(&serialized);
  const std::string schema = absl::Base64Escape(serialized);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("schemaType");
  w.String("PROTOBUF");
  w.Key("schema");
  w.String(schema.data(), static_cast<rapidjson::SizeType>(schema.size()));
  w.Key("references");
  w.StartArray();
  for (const auto& [name, subject, version] : references) {
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("subject");
    w.String(subject.c_str());
    w.Key("version");
    w.Int(version);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

namespace {

// A subject in a URL path: file names hold '/', which must not split the path.
std::string PathSegment(absl::string_view subject) { return absl::StrReplaceAll(subject, {{"/", "%2F"}}); }

// Sends one registry request; the parsed JSON answer of a 2xx, or the status its failure means.
absl::StatusOr<rapidjson::Document> Call(common::HttpClient* http, const std::string& url, const std::string& body,
                                         std::chrono::milliseconds timeout) {
  common::HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = body;
  request.timeout = timeout;
  request.headers = {{"Content-Type", "application/vnd.schemaregistry.v1+json"},
                     {"Accept", "application/vnd.schemaregistry.v1+json, application/json"}};
  absl::StatusOr<common::HttpResponse> response = http->Send(request);
  if (!response.ok()) {
    // The client's message names the URL already.
    return absl::UnavailableError(absl::StrCat("schema registry: ", response.status().message()));
  }
  rapidjson::Document doc;
  doc.Parse(response->body.data(), response->body.size());
  std::string reason = response->body.substr(0, 300);
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("message") && doc["message"].IsString()) {
    reason = doc["message"].GetString();
  }
  const std::string what = absl::StrCat("schema registry ", url, ": HTTP ", response->status, " ", reason);
  if (response->status == 401 || response->status == 403) return absl::FailedPreconditionError(what);
  if (response->status >= 500 || response->status == 0) return absl::UnavailableError(what);
  if (response->status < 200 || response->status >= 300) return absl::InvalidArgumentError(what);
  if (doc.HasParseError() || !doc.IsObject()) return absl::UnavailableError(absl::StrCat(what, " (not a JSON object)"));
  return doc;
}

absl::StatusOr<int> IntMember(const rapidjson::Document& doc, const char* name, const std::string& url) {
  if (!doc.HasMember(name) || !doc[name].IsInt()) {
    return absl::UnavailableError(absl::StrCat("schema registry ", url, ": the answer has no \"", name, "\""));
  }
  return doc[name].GetInt();
}

// Registers `file` under `subject` after its imports; its id, and its version when `version` is set.
absl::StatusOr<int> Register(common::HttpClient* http, const std::string& base, const std::string& subject,
                             const google::protobuf::FileDescriptor* file, std::chrono::milliseconds timeout,
                             int* version) {
  std::vector<std::tuple<std::string, std::string, int>> references;
  for (int i = 0; i < file->dependency_count(); ++i) {
    const google::protobuf::FileDescriptor* dep = file->dependency(i);
    if (absl::StartsWith(dep->name(), "google/protobuf/")) continue;  // well-known: built into the registry
    int dep_version = 0;
    TS_RETURN_IF_ERROR(Register(http, base, dep->name(), dep, timeout, &dep_version).status());
    references.emplace_back(dep->name(), dep->name(), dep_version);
  }
  const std::string body = RegistrationBody(file, references);
  const std::string url = absl::StrCat(base, "/subjects/", PathSegment(subject), "/versions");
  TS_ASSIGN_OR_RETURN(rapidjson::Document registered, Call(http, url, body, timeout));
  TS_ASSIGN_OR_RETURN(int id, IntMember(registered, "id", url));
  if (version != nullptr) {
    // The version is what a reference names; registering answers only the id, a lookup both.
    const std::string lookup = absl::StrCat(base, "/subjects/", PathSegment(subject));
    TS_ASSIGN_OR_RETURN(rapidjson::Document found, Call(http, lookup, body, timeout));
    TS_ASSIGN_OR_RETURN(*version, IntMember(found, "version", lookup));
  }
  return id;
}

}  // namespace

absl::StatusOr<int> RegisterProtobufSchema(common::HttpClient* http, const std::string& registry_url,
                                           const std::string& subject, const google::protobuf::FileDescriptor* file,
                                           std::chrono::milliseconds timeout) {
  const std::string base(absl::StripSuffix(registry_url, "/"));
  return Register(http, base, subject, file, timeout, nullptr);
}

}  // namespace tweetstream::source
