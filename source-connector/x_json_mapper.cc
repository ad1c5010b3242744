#include "source-connector/x_json_mapper.h"

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "source-connector/x_includes.h"
#include "source-connector/x_json_reading.h"
#include "source-connector/x_wire_encoder.h"

#ifndef TWEETSTREAM_VERSION
#define TWEETSTREAM_VERSION "unknown"
#endif

// The facade of the mapping: one body -> its tweets' serialized envelopes. The work is done by
//   x_json_reading.*  typed reads of simdjson's DOM, times, ids, the lone-surrogate repair;
//   x_field_tables.*  the JSON keys of every message with their generated field numbers;
//   x_wire_encoder.*  one encoder per message, JSON straight to wire bytes, extras kept;
//   x_includes.*      `includes` encoded once per body, the joins, the errors about each tweet;
// and this file puts a body together: `meta`, `errors[]`, `includes`, `matching_rules`, then each tweet
// of `data` and its envelope.

namespace tweetstream::source {
namespace {

namespace pb = tweetstream::tweet::v1;
using xjson::Absl;
namespace dom = simdjson::dom;
using xjson::Wire;

std::optional<dom::element> Member(dom::object object, std::string_view key) {
  dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

std::string Expected(absl::string_view expected, const dom::element& value) {
  return absl::StrCat("expected ", expected, ", got ", xjson::TypeName(value.type()));
}

// A problem's string member, read leniently: a problem is informational, so a member of the wrong type
// reads as empty instead of hiding the rest of the problem.
std::string LenientString(dom::object object, std::string_view key) {
  std::optional<dom::element> value = Member(object, key);
  std::string text;
  if (!value.has_value() || !xjson::GetId(*value, &text)) return "";  // strings, and integer ids printed exactly
  return text;
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
void ReadProblems(dom::object body, std::vector<ApiProblem>* out, std::vector<SkippedRecord>* skipped) {
  std::optional<ApiProblem> whole_body;
  std::vector<std::string> folded_messages;
  if (Member(body, "type").has_value() || Member(body, "title").has_value()) whole_body = ProblemFrom(body);

  std::vector<ApiProblem> problems;
  if (std::optional<dom::element> errors = Member(body, "errors"); errors.has_value()) {
    dom::array array;
    if (errors->get_array().get(array) != simdjson::SUCCESS) {
      skipped->push_back(SkippedRecord{"errors", Expected("an array", *errors)});
    } else {
      size_t index = 0;
      for (dom::element item : array) {
        dom::object object;
        if (item.get_object().get(object) != simdjson::SUCCESS) {
          skipped->push_back(SkippedRecord{absl::StrCat("errors[", index, "]"), Expected("an object", item)});
        } else if (whole_body.has_value() && !Member(object, "type").has_value() &&
                   !Member(object, "title").has_value()) {
          std::string message = LenientString(object, "message");
          if (!message.empty()) folded_messages.push_back(std::move(message));
        } else {
          problems.push_back(ProblemFrom(object));
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

void ReadMeta(const dom::element& value, PageMeta* page, std::vector<SkippedRecord>* skipped) {
  dom::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    skipped->push_back(SkippedRecord{"meta", Expected("an object", value)});
    return;
  }
  const std::pair<std::string_view, std::string*> strings[] = {
      {"newest_id", &page->newest_id}, {"oldest_id", &page->oldest_id}, {"next_token", &page->next_token}};
  for (const auto& [key, target] : strings) {
    std::optional<dom::element> member = Member(object, key);
    if (!member.has_value()) continue;
    std::string_view text;
    if (xjson::GetString(*member, &text)) {
      target->assign(text.data(), text.size());
    } else {
      skipped->push_back(SkippedRecord{"meta", absl::StrCat(Absl(key), ": ", Expected("a string", *member))});
    }
  }
  if (std::optional<dom::element> count = Member(object, "result_count"); count.has_value()) {
    int64_t number = 0;
    if (xjson::GetInt64(*count, &number)) {
      page->result_count = number;
    } else {
      skipped->push_back(SkippedRecord{
          "meta", absl::StrCat("result_count: ", count->is_uint64() ? "integer out of range for int64"
                                                                    : Expected("an integer", *count))});
    }
  }
}

void StampIngestion(const MappingContext& context, pb::Ingestion* ingestion) {
  ingestion->set_connector(context.connector);
  ingestion->set_mode(context.mode);
  ingestion->set_origin(context.origin);
  ingestion->set_connector_version(TWEETSTREAM_VERSION);
  // InfinitePast/InfiniteFuture have no Timestamp: left unset rather than clamped to a wrong time.
  if (context.ingested_at != absl::InfinitePast() && context.ingested_at != absl::InfiniteFuture()) {
    const int64_t seconds = absl::ToUnixSeconds(context.ingested_at);
    google::protobuf::Timestamp* at = ingestion->mutable_ingested_at();
    at->set_seconds(seconds);
    at->set_nanos(static_cast<int32_t>((context.ingested_at - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  }
}

size_t EmbeddedSize(uint32_t field, size_t length) {
  return xjson::VarintSize(uint64_t{field} << 3) + xjson::VarintSize(length) + length;
}
char* WriteEmbeddedHeader(uint32_t field, size_t length, char* at) {
  return xjson::WriteVarint(length, xjson::WriteVarint((uint64_t{field} << 3) | Wire::kLengthDelimited, at));
}

// The members of a body (and of its `includes`) the schema knows; problem bodies' own members too.
constexpr std::string_view kBodyKeys[] = {"data",  "includes", "meta",   "matching_rules", "errors",
                                          "type",  "title",    "detail", "status"};
enum BodyKey { kData, kIncludes, kMeta, kMatchingRules, kErrors, kBodyKeyCount = std::size(kBodyKeys) };

}  // namespace

// Everything a body needs that can outlive it: the parser, a padded copy of the body, the encoded
// includes and the scratch buffers.
class XResponseEncoder::Mapper {
 public:
  // Parses `body` and maps it into `out`. INVALID_ARGUMENT when it is not a JSON object.
  absl::Status Map(absl::string_view body, const MappingContext& context, EncodedResponse* out, size_t* count) {
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: the body is copied into a padded
    // buffer kept from call to call (the lone-surrogate repair also needs a writable copy).
    const size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
    if (buffer_.size() < needed) buffer_.resize(std::max(needed, buffer_.size() * 2));
    if (!body.empty()) std::memcpy(buffer_.data(), body.data(), body.size());
    std::memset(buffer_.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    dom::element root;
    simdjson::error_code error = parser_.parse(buffer_.data(), body.size(), false).get(root);
    if (error == simdjson::STRING_ERROR && xjson::ReplaceLoneSurrogates(buffer_.data(), body.size())) {
      error = parser_.parse(buffer_.data(), body.size(), false).get(root);
    }
    if (error != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat("X API body is not valid JSON: ", simdjson::error_message(error)));
    }
    dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      return absl::InvalidArgumentError(
          absl::StrCat("X API body is not a JSON object: the document is ", xjson::TypeName(root.type())));
    }
    MapBody(object, context, out, count);
    return absl::OkStatus();
  }

 private:
  void MapBody(dom::object body, const MappingContext& context, EncodedResponse* out, size_t* count) {
    // The known members (the first of each), and whether anything is left for the response's extras.
    const dom::element* known[kBodyKeyCount] = {};
    dom::element values[kBodyKeyCount];
    bool others = false;
    for (dom::key_value_pair member : body) {
      size_t i = 0;
      while (i < kBodyKeyCount && kBodyKeys[i] != member.key) ++i;
      if (i == kBodyKeyCount || known[i] != nullptr) {
        others = true;
        continue;
      }
      values[i] = member.value;
      known[i] = &values[i];
    }
    auto present = [&](BodyKey key) { return known[key] != nullptr && !known[key]->is_null(); };

    if (present(kErrors) || known[5] != nullptr || known[6] != nullptr) ReadProblems(body, &out->problems, &out->skipped);
    if (present(kMeta)) ReadMeta(*known[kMeta], &out->meta, &out->skipped);

    includes_.Clear();
    includes_rest_.clear();
    bool includes_whole = false;
    if (present(kIncludes)) includes_whole = !ReadIncludes(*known[kIncludes], &out->skipped);
    if (present(kErrors)) includes_.AddErrors(*known[kErrors]);
    const bool rules_whole = present(kMatchingRules) && !BuildRules(*known[kMatchingRules]);
    BuildMiddle(context);

    response_extras_.clear();
    if (others || includes_whole || !includes_rest_.empty() || rules_whole) {
      bool seen[kBodyKeyCount] = {};
      for (dom::key_value_pair member : body) {
        size_t i = 0;
        while (i < kBodyKeyCount && kBodyKeys[i] != member.key) ++i;
        const bool first = i < kBodyKeyCount && !seen[i];
        if (i < kBodyKeyCount) seen[i] = true;
        if (!first || (i == kIncludes && includes_whole) || (i == kMatchingRules && rules_whole)) {
          xjson::AppendMember(member, &response_extras_);
        } else if (i == kIncludes && !includes_rest_.empty()) {
          xjson::AppendMember("includes", includes_rest_, &response_extras_);
        }
      }
      xjson::CloseObject(&response_extras_);
    }

    if (!present(kData)) return;  // empty result, or an errors-only body
    const dom::element& data = *known[kData];
    dom::array array;
    if (data.get_array().get(array) == simdjson::SUCCESS) {
      size_t index = 0;
      for (dom::element item : array) {
        MapTweet(item, [index] { return absl::StrCat("data[", index, "]"); }, out, count);
        ++index;
      }
    } else if (data.is_object()) {
      MapTweet(data, [] { return std::string("data"); }, out, count);
    } else {
      out->skipped.push_back(SkippedRecord{"data", Expected("an object or an array of tweets", data)});
    }
  }

  // False when `includes` is not an object (kept whole in the response's extras). Lists the schema does
  // not model, or that are not arrays, go to includes_rest_.
  bool ReadIncludes(const dom::element& value, std::vector<SkippedRecord>* skipped) {
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return false;
    unjoinable_.clear();
    std::vector<std::string_view> names;
    for (dom::key_value_pair member : object) {
      const bool repeated = std::find(names.begin(), names.end(), member.key) != names.end();
      names.push_back(member.key);
      bool mapped = false;
      if (!repeated && member.value.is_null()) {
        mapped = xjson::Includes::Models(member.key);  // a modelled list that is null: absent
      } else if (!repeated && !includes_.Add(member.key, member.value, &mapped, &unjoinable_)) {
        mapped = false;  // a list the schema does not model (`topics`)
      }
      if (!mapped) xjson::AppendMember(member, &includes_rest_);
    }
    xjson::CloseObject(&includes_rest_);
    for (xjson::UnjoinableItem& item : unjoinable_) {
      skipped->push_back(SkippedRecord{std::move(item.where), std::move(item.reason)});
    }
    return true;
  }

  // Field 3 of every envelope of the body: the rules this event matched. False when `matching_rules` is
  // not an array of objects (then kept whole in the response's extras).
  bool BuildRules(const dom::element& value) {
    rules_.Clear();
    dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) return false;
    for (dom::element item : array) {
      const size_t start = rules_.Begin(pb::TweetEnvelope::kMatchingRulesFieldNumber);
      if (!xjson::EncodeMatchingRule(item, rules_)) {
        rules_.Clear();
        return false;
      }
      rules_.End(start);
    }
    return true;
  }

  // Fields 3 (matching_rules), 4 (query) and 5 (ingestion): the same for every tweet of the body.
  void BuildMiddle(const MappingContext& context) {
    middle_.assign(rules_.All().data(), rules_.All().size());
    rules_.Clear();
    pb::TweetEnvelope rest;
    if (!context.query.empty()) rest.set_query(context.query);
    StampIngestion(context, rest.mutable_ingestion());
    middle_.append(rest.SerializeAsString());
  }

  // One tweet of `data`. `id` and `text` (non-empty strings) are what makes an object of `data` a tweet
  // (a rules listing or a user lookup has other objects there), and the id is the record key: without
  // them it is skipped with the reason; any other member that does not fit is kept in extras.
  template <typename Where>
  void MapTweet(const dom::element& value, Where where, EncodedResponse* out, size_t* count) {
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
      out->skipped.push_back(SkippedRecord{where(), Expected("an object", value)});
      return;
    }
    std::string_view id;
    if (!Require(object, "id", &id, [&] { return where(); }, out)) return;
    std::string_view text;
    if (!Require(object, "text", &text, [&] { return absl::StrCat(where(), " (id ", Absl(id), ")"); }, out)) return;
    tweet_.Clear();
    refs_.Clear();
    std::string_view encoded_id;
    xjson::EncodeTweet(value, tweet_, &refs_, &encoded_id);
    includes_.Join(refs_, &joins_);
    WriteEnvelope(id, out, count);
  }

  template <typename Where>
  static bool Require(dom::object object, std::string_view key, std::string_view* text, Where where,
                      EncodedResponse* out) {
    std::optional<dom::element> value = Member(object, key);
    if (!value.has_value()) {
      out->skipped.push_back(SkippedRecord{where(), absl::StrCat("tweet has no '", Absl(key), "'")});
      return false;
    }
    if (!xjson::GetString(*value, text)) {
      out->skipped.push_back(SkippedRecord{
          where(), absl::StrCat("tweet '", Absl(key), "' is ", xjson::TypeName(value->type()), ", expected a string")});
      return false;
    }
    if (text->empty()) {
      out->skipped.push_back(SkippedRecord{where(), absl::StrCat("tweet has an empty '", Absl(key), "'")});
      return false;
    }
    return true;
  }

  // The envelope, in field-number order: the parts, then one exact-size write into the record's
  // (reused) buffer.
  void WriteEnvelope(std::string_view id, EncodedResponse* out, size_t* count) {
    using E = pb::TweetEnvelope;
    parts_.clear();
    parts_.emplace_back(E::kTweetFieldNumber, tweet_.All());
    if (joins_.author >= 0) {
      parts_.emplace_back(E::kAuthorFieldNumber, includes_.users().Payload(static_cast<size_t>(joins_.author)));
    }
    parts_.emplace_back(0, middle_);  // already tagged
    for (uint32_t i : joins_.media) parts_.emplace_back(E::kMediaFieldNumber, includes_.media().Payload(i));
    if (joins_.place >= 0) {
      parts_.emplace_back(E::kPlaceFieldNumber, includes_.places().Payload(static_cast<size_t>(joins_.place)));
    }
    for (uint32_t i : joins_.polls) parts_.emplace_back(E::kPollsFieldNumber, includes_.polls().Payload(i));
    for (uint32_t i : joins_.tweets) {
      parts_.emplace_back(E::kReferencedTweetsFieldNumber, includes_.tweets().Payload(i));
    }
    for (uint32_t i : joins_.users) parts_.emplace_back(E::kReferencedUsersFieldNumber, includes_.users().Payload(i));
    for (uint32_t i : joins_.errors) parts_.emplace_back(E::kErrorsFieldNumber, includes_.Error(i));
    if (!response_extras_.empty()) parts_.emplace_back(E::kResponseExtraFieldsJsonFieldNumber, response_extras_);

    std::vector<EncodedTweet>& records = out->tweets;
    if (*count == records.size()) records.emplace_back();
    EncodedTweet& record = records[(*count)++];
    record.id.assign(id.data(), id.size());
    size_t total = 0;
    for (const auto& [field, bytes] : parts_) total += field == 0 ? bytes.size() : EmbeddedSize(field, bytes.size());
    record.value.resize(total);
    char* at = record.value.data();
    for (const auto& [field, bytes] : parts_) {
      if (field != 0) at = WriteEmbeddedHeader(field, bytes.size(), at);
      if (!bytes.empty()) std::memcpy(at, bytes.data(), bytes.size());
      at += bytes.size();
    }
  }

  dom::parser parser_;
  std::vector<char> buffer_;
  xjson::Includes includes_;
  std::string includes_rest_;
  std::vector<xjson::UnjoinableItem> unjoinable_;
  Wire rules_;
  std::string middle_;
  std::string response_extras_;
  Wire tweet_;
  xjson::TweetRefs refs_;
  xjson::Joins joins_;
  std::vector<std::pair<uint32_t, absl::string_view>> parts_;  // (envelope field, payload); 0 = pre-tagged
};

XResponseEncoder::XResponseEncoder() : mapper_(std::make_unique<Mapper>()) {}
XResponseEncoder::~XResponseEncoder() = default;
XResponseEncoder::XResponseEncoder(XResponseEncoder&&) noexcept = default;
XResponseEncoder& XResponseEncoder::operator=(XResponseEncoder&&) noexcept = default;

absl::Status XResponseEncoder::Encode(absl::string_view body, const MappingContext& context, EncodedResponse* out) {
  out->skipped.clear();
  out->problems.clear();
  out->meta = PageMeta{};
  size_t count = 0;
  absl::Status status = mapper_->Map(body, context, out, &count);
  // Records past the ones written are dropped; the ones written keep their buffers for the next body.
  out->tweets.resize(count);
  return status;
}

absl::StatusOr<ParsedResponse> ParseXResponse(absl::string_view body, const MappingContext& context) {
  // The same mapping (the encoder), read back into messages. One encoder per thread, reused across
  // calls: the parser and the buffers keep their memory.
  thread_local XResponseEncoder encoder;
  thread_local EncodedResponse encoded;
  absl::Status status = encoder.Encode(body, context, &encoded);
  if (!status.ok()) return status;
  ParsedResponse parsed;
  parsed.skipped = encoded.skipped;
  parsed.problems = encoded.problems;
  parsed.meta = encoded.meta;
  parsed.envelopes.resize(encoded.tweets.size());
  for (size_t i = 0; i < encoded.tweets.size(); ++i) {
    if (!parsed.envelopes[i].ParseFromString(encoded.tweets[i].value)) {
      return absl::InternalError(absl::StrCat("tweet ", encoded.tweets[i].id, ": the encoder wrote bytes protobuf cannot read"));
    }
  }
  return parsed;
}

}  // namespace tweetstream::source
