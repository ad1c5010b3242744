// Differential test of the mapping (source-connector/x_json_mapper.h): the production encoder
// (XResponseEncoder::Encode, source-connector/x_wire_encoder.*, which writes protobuf wire bytes
// straight from the parsed JSON with field numbers from the generated code) must give, for EVERY body,
// byte for byte what the slow, obvious reference model in x_reference_mapper.* gives (protobuf
// reflection over tweet.proto's descriptor, fields found by name, serialized by the generated code),
// with the same record keys, status and skipped records.
//
// What it proves. Two implementations of one mapping drift apart in the corners: a zero written out or
// left out, a negative int32's ten-byte varint, -0.0, a length prefix that crosses 128 or 16384, a
// duplicate key, a member of the wrong type kept in extras by one side only, scratch state not reset
// between bodies. The reference is checked field by field against RapidJSON by the fixture sweep of
// x_json_mapper_test.cc (through ParseXResponse, which reads the encoder's bytes back).
//
// Why mutations. The recorded bodies are well-formed. The mutated bodies are what the encoder must keep
// (in extras) rather than drop: each is a recorded body (a window of it for the big pages) with one to
// three deterministic changes (std::mt19937, fixed seed) at a random place -- null, deleted key, another
// JSON type, integers out of int32/int64 range, floats where integers go, duplicate keys, unknown fields
// with escapes and odd numbers, empty ids, other time forms, lone surrogate escapes, truncated bytes,
// ... -- plus the same body written back as ASCII-escaped or pretty-printed JSON. The hand-written
// bodies pin every proto field kind at its edges. The same mutations are produced on every run, so a
// failure reproduces; the first failing bodies are also written to the test's temporary folder.
//
// One encoder and one EncodedResponse serve every body of every test here, in a mixed order of big and
// small bodies and of mapping contexts, so reusing the encoder's scratch state is part of what is tested.
// The last test walks tweet.proto's descriptor and requires every field reachable from TweetEnvelope to
// have been set in some envelope of the bodies checked here.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// RapidJSON's own checks (type of a value, iterator bounds), on in every build: a slip of the mutator
// must stop the test, not write a corrupt body.
#ifndef RAPIDJSON_ASSERT
#define RAPIDJSON_ASSERT(x) ((x) ? static_cast<void>(0) : std::abort())
#endif
#include "rapidjson/document.h"
#include "rapidjson/encodings.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "source-connector/x_json_mapper.h"
#include "tests/source-connector/x_reference_mapper.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include <set>
#include "tests/common/test_util.h"

namespace tweetstream::source {
namespace {

namespace pb = tweetstream::tweet::v1;
using ::tweetstream::testing::FixturesDir;
using ::tweetstream::testing::ReadFile;
using ::tweetstream::testing::SourceDir;

// How many mutated bodies are compared (the whole binary runs in a few seconds).
constexpr int kMutatedBodies = 4000;
// The fixed seed of the mutations: the same bodies on every run.
constexpr uint32_t kMutationSeed = 20240514;
// Failures reported in full (with the diff and the body); the others are only counted.
constexpr int kMaxReportedMismatches = 12;

// ----------------------------------------------------------------------------------------------------
// Bodies and contexts.
// ----------------------------------------------------------------------------------------------------

struct Body {
  std::string label;  // "file.jsonl line 3"
  std::string text;
};

// The bodies of one file as the connector would receive them: a whole .json/.html file; each LF line of a
// .jsonl file; each CRLF message of a .txt stream capture (empty keep-alive lines left out). A file that
// splits into several bodies is also given whole (several JSON documents in one body: refused by both).
std::vector<Body> FileBodies(const std::string& path, const std::string& label) {
  std::vector<Body> bodies;
  absl::StatusOr<std::string> content = ReadFile(path);
  EXPECT_TRUE(content.ok()) << content.status();
  if (!content.ok()) return bodies;
  const bool jsonl = absl::EndsWith(path, ".jsonl");
  if (!jsonl && !absl::EndsWith(path, ".txt")) {
    bodies.push_back({label, *content});
    return bodies;
  }
  int line = 0;
  for (absl::string_view part : absl::StrSplit(*content, jsonl ? "\n" : "\r\n")) {
    ++line;
    if (!part.empty()) bodies.push_back({absl::StrCat(label, " line ", line), std::string(part)});
  }
  if (bodies.size() > 1) bodies.push_back({absl::StrCat(label, " (whole file)"), *content});
  return bodies;
}

// Every file of `dir` and its subfolders (sorted by path) except the Markdown notes.
std::vector<Body> FolderBodies(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() != ".md") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Body> bodies;
  for (const std::string& path : paths) {
    for (Body& body : FileBodies(path, std::filesystem::relative(path, dir).string())) {
      bodies.push_back(std::move(body));
    }
  }
  return bodies;
}

// The recorded X API responses (../shared/fixtures/x-api-v2, doc-examples/ included).
std::vector<Body> RecordedFixtureBodies() {
  const std::string dir = FixturesDir();
  return dir.empty() ? std::vector<Body>() : FolderBodies(dir);
}

// The repository's invented sample data (samples/).
std::vector<Body> SampleBodies() {
  std::vector<Body> bodies = FolderBodies(SourceDir() + "/samples");
  for (Body& body : bodies) body.label = absl::StrCat("samples/", body.label);
  return bodies;
}

// The contexts every body is mapped under in turn: each mode, a query or none, ingestion times with and
// without nanoseconds, before the epoch, at the epoch (a present but empty Timestamp) and unset.
std::vector<MappingContext> Contexts() {
  std::vector<MappingContext> contexts;
  auto add = [&contexts](const char* connector, const char* mode, const char* origin, const char* query,
                         absl::Time at) {
    MappingContext context;
    context.connector = connector;
    context.mode = mode;
    context.origin = origin;
    context.query = query;
    context.ingested_at = at;
    contexts.push_back(context);
  };
  add("tweet-source", "replay", "samples/search-page-1.json", "", absl::FromUnixSeconds(1700000000));
  add("tweet-source", "stream", "https://api.x.com/2/tweets/search/stream", "",
      absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(123456789));
  add("source-2", "search", "https://api.x.com/2/tweets/search/recent",
      "(#kafka OR #elasticsearch) -is:retweet lang:en \"caf\xC3\xA9\" \xF0\x9F\x9A\x80",
      absl::FromUnixSeconds(1715700000) + absl::Nanoseconds(1));
  add("", "", "", "", absl::UnixEpoch());
  add("tweet-source", "stream", "s", "", absl::InfinitePast());
  add("tweet-source", "search", std::string(300, 'o').c_str(), "q",
      absl::FromUnixSeconds(-1) + absl::Nanoseconds(999999999));
  add("tweet-source", "replay", "f", "", absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999));
  return contexts;
}

// ----------------------------------------------------------------------------------------------------
// Comparing the encoder with ParseXResponse.
// ----------------------------------------------------------------------------------------------------

std::string Excerpt(absl::string_view text, size_t max = 600) {
  if (text.size() <= max) return absl::CHexEscape(text);
  return absl::StrCat(absl::CHexEscape(text.substr(0, max)), "... (", text.size() - max, " more bytes)");
}

std::string HexAround(absl::string_view bytes, size_t at) {
  const size_t from = at < 8 ? 0 : at - 8;
  return absl::StrCat("[", from, "..] ", absl::BytesToHexString(bytes.substr(from, 24)));
}

// One field of protobuf wire format: its bytes (tag included) and, when length-delimited, its payload.
struct WireField {
  uint32_t number = 0;
  uint32_t type = 0;
  absl::string_view bytes;
  absl::string_view payload;
};

bool ReadVarint(absl::string_view bytes, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(bytes[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// The fields of a serialized message, in order; false when it is not wire format.
bool SplitFields(absl::string_view bytes, std::vector<WireField>* fields) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    WireField field;
    const size_t start = pos;
    uint64_t tag = 0, value = 0;
    if (!ReadVarint(bytes, &pos, &tag) || (tag >> 3) == 0) return false;
    field.number = static_cast<uint32_t>(tag >> 3);
    field.type = static_cast<uint32_t>(tag & 7);
    if (field.type == 0) {
      if (!ReadVarint(bytes, &pos, &value)) return false;
    } else if (field.type == 1 || field.type == 5) {
      pos += field.type == 1 ? 8 : 4;
    } else if (field.type == 2) {
      if (!ReadVarint(bytes, &pos, &value) || value > bytes.size() - pos) return false;
      field.payload = bytes.substr(pos, static_cast<size_t>(value));
      pos += static_cast<size_t>(value);
    } else {
      return false;  // groups: never written by proto3
    }
    if (pos > bytes.size()) return false;
    field.bytes = bytes.substr(start, pos - start);
    fields->push_back(field);
  }
  return true;
}

std::string FieldName(const google::protobuf::Descriptor* type, uint32_t number) {
  const google::protobuf::FieldDescriptor* field =
      type != nullptr ? type->FindFieldByNumber(static_cast<int>(number)) : nullptr;
  return field != nullptr ? field->name() : absl::StrCat("#", number);
}

std::string Hex(absl::string_view bytes) {
  return bytes.size() <= 40 ? absl::BytesToHexString(bytes)
                            : absl::StrCat(absl::BytesToHexString(bytes.substr(0, 40)), "...");
}

// The first field where two serializations of `type` differ, descending into sub-messages: e.g.
// "tweet.entities.hashtags.start (field 1): encoder 08ffffffff0f vs ParseXResponse 08ffffffffffffffffff01".
std::string FirstWireDifference(absl::string_view got, absl::string_view want, const google::protobuf::Descriptor* type,
                                const std::string& path) {
  std::vector<WireField> got_fields, want_fields;
  if (!SplitFields(got, &got_fields)) return absl::StrCat(path, ": the encoder's bytes are not wire format");
  if (!SplitFields(want, &want_fields)) return absl::StrCat(path, ": ParseXResponse's bytes are not wire format?!");
  auto at = [&path, type](uint32_t number) {
    return absl::StrCat(path.empty() ? "" : path + ".", FieldName(type, number), " (field ", number, ")");
  };
  for (size_t i = 0; i < std::max(got_fields.size(), want_fields.size()); ++i) {
    if (i >= got_fields.size()) {
      return absl::StrCat(at(want_fields[i].number), ": missing from the encoder's bytes (", Hex(want_fields[i].bytes),
                          ")");
    }
    if (i >= want_fields.size()) {
      return absl::StrCat(at(got_fields[i].number), ": written by the encoder only (", Hex(got_fields[i].bytes), ")");
    }
    const WireField& g = got_fields[i];
    const WireField& w = want_fields[i];
    if (g.bytes == w.bytes) continue;
    if (g.number != w.number || g.type != w.type) {
      return absl::StrCat(path.empty() ? "" : path + ": ", "field #", i, " is ", FieldName(type, g.number), " (",
                          g.number, ") in the encoder's bytes, ", FieldName(type, w.number), " (", w.number,
                          ") in ParseXResponse's");
    }
    const google::protobuf::FieldDescriptor* field =
        type != nullptr ? type->FindFieldByNumber(static_cast<int>(g.number)) : nullptr;
    if (g.type == 2 && g.payload != w.payload && field != nullptr &&
        field->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      return FirstWireDifference(g.payload, w.payload, field->message_type(),
                                 path.empty() ? field->name() : absl::StrCat(path, ".", field->name()));
    }
    return absl::StrCat(at(g.number), ": encoder ", Hex(g.bytes), " vs ParseXResponse ", Hex(w.bytes));
  }
  return absl::StrCat(path, ": no difference in the fields?!");
}

// Why the encoder's bytes differ from the serialized envelope: the first differing byte and field, then
// either MessageDifferencer's report or a note that only the encoding differs (same message once parsed).
std::string EnvelopeDiff(const std::string& got, const pb::TweetEnvelope& want_message) {
  const std::string want = want_message.SerializeAsString();
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  std::string out = absl::StrCat("    encoder ", got.size(), " bytes, ParseXResponse ", want.size(),
                                 " bytes; first difference at byte ", at, ": encoder ", HexAround(got, at),
                                 " vs ", HexAround(want, at), "\n    first differing field: ",
                                 FirstWireDifference(got, want, pb::TweetEnvelope::descriptor(), ""), "\n");
  pb::TweetEnvelope got_message;
  if (!got_message.ParseFromString(got)) {
    absl::StrAppend(&out, "    the encoder's bytes do not parse as a TweetEnvelope\n");
    return out;
  }
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(want_message, got_message)) {
    absl::StrAppend(&out, "    the same message once parsed: only the encoding differs (field order, a default "
                          "written out, packing, a varint's width...)\n");
  } else {
    if (report.size() > 4000) report = absl::StrCat(report.substr(0, 4000), "...\n");
    absl::StrAppend(&out, "    MessageDifferencer (ParseXResponse -> encoder):\n", report);
  }
  return out;
}

// Every difference between what the encoder wrote and what ParseXResponse returned ("" when none).
std::string DescribeDifferences(const EncodedResponse& got, const ParsedResponse& want) {
  std::string diff;
  if (got.tweets.size() != want.envelopes.size()) {
    std::vector<std::string> want_ids;
    for (const pb::TweetEnvelope& envelope : want.envelopes) want_ids.push_back(envelope.tweet().id());
    std::vector<std::string> got_ids;
    for (const EncodedTweet& tweet : got.tweets) got_ids.push_back(tweet.id);
    absl::StrAppend(&diff, "  tweets: encoder ", got.tweets.size(), " [", absl::StrJoin(got_ids, ","),
                    "] vs ParseXResponse ", want.envelopes.size(), " [", absl::StrJoin(want_ids, ","), "]\n");
  }
  int detailed = 0;
  for (size_t i = 0; i < std::min(got.tweets.size(), want.envelopes.size()); ++i) {
    const pb::TweetEnvelope& envelope = want.envelopes[i];
    if (got.tweets[i].id != envelope.tweet().id()) {
      absl::StrAppend(&diff, "  tweets[", i, "].id: encoder \"", absl::CHexEscape(got.tweets[i].id),
                      "\" vs ParseXResponse \"", absl::CHexEscape(envelope.tweet().id()), "\"\n");
    }
    if (got.tweets[i].value != envelope.SerializeAsString()) {
      absl::StrAppend(&diff, "  tweets[", i, "] (id ", envelope.tweet().id(), "): the bytes differ\n");
      if (++detailed <= 3) absl::StrAppend(&diff, EnvelopeDiff(got.tweets[i].value, envelope));
    }
  }
  if (got.skipped.size() != want.skipped.size()) {
    absl::StrAppend(&diff, "  skipped: encoder ", got.skipped.size(), " vs ParseXResponse ", want.skipped.size(),
                    "\n");
  }
  for (size_t i = 0; i < std::max(got.skipped.size(), want.skipped.size()); ++i) {
    const SkippedRecord none{};
    const SkippedRecord& g = i < got.skipped.size() ? got.skipped[i] : none;
    const SkippedRecord& w = i < want.skipped.size() ? want.skipped[i] : none;
    if (g.where != w.where || g.reason != w.reason) {
      absl::StrAppend(&diff, "  skipped[", i, "]: encoder {", g.where, ": ", g.reason, "} vs ParseXResponse {",
                      w.where, ": ", w.reason, "}\n");
    }
  }
  if (got.problems.size() != want.problems.size()) {
    absl::StrAppend(&diff, "  problems: encoder ", got.problems.size(), " vs ParseXResponse ",
                    want.problems.size(), "\n");
  }
  for (size_t i = 0; i < std::max(got.problems.size(), want.problems.size()); ++i) {
    const ApiProblem none{};
    const ApiProblem& g = i < got.problems.size() ? got.problems[i] : none;
    const ApiProblem& w = i < want.problems.size() ? want.problems[i] : none;
    if (g.type != w.type || g.title != w.title || g.detail != w.detail || g.resource_id != w.resource_id) {
      absl::StrAppend(&diff, "  problems[", i, "]: encoder {", g.type, " | ", g.title, " | ", g.detail, " | ",
                      g.resource_id, "} vs ParseXResponse {", w.type, " | ", w.title, " | ", w.detail, " | ",
                      w.resource_id, "}\n");
    }
  }
  auto count = [](const std::optional<int64_t>& value) {
    return value.has_value() ? absl::StrCat(*value) : std::string("none");
  };
  if (got.meta.newest_id != want.meta.newest_id || got.meta.oldest_id != want.meta.oldest_id ||
      got.meta.next_token != want.meta.next_token || got.meta.result_count != want.meta.result_count) {
    absl::StrAppend(&diff, "  meta: encoder {", got.meta.newest_id, ", ", got.meta.oldest_id, ", ",
                    got.meta.next_token, ", ", count(got.meta.result_count), "} vs ParseXResponse {",
                    want.meta.newest_id, ", ", want.meta.oldest_id, ", ", want.meta.next_token, ", ",
                    count(want.meta.result_count), "}\n");
  }
  return diff;
}

// Maps bodies both ways and compares. One instance (so one encoder and one EncodedResponse) serves every
// test of this file: see Shared().
class Differ {
 public:
  struct Counts {
    int bodies = 0;           // compared
    int ok = 0;               // mapped (status OK)
    int invalid = 0;          // refused by both (not a JSON object)
    int with_tweets = 0;      // OK with at least one tweet
    int with_skipped = 0;     // OK with at least one skipped record
    int tweets = 0;           // records compared byte for byte
    int mismatches = 0;       // bodies where the two disagree
  };

  static Differ& Shared() {
    static Differ* const differ = new Differ();
    return *differ;
  }

  // Maps `body` with ParseXResponse and with the shared encoder under `context`; reports any difference
  // as a test failure (in full for the first few). Returns whether they agree.
  bool Check(const std::string& label, absl::string_view body, const MappingContext& context) {
    ++counts_.bodies;
    absl::StatusOr<ParsedResponse> parsed = Reference(body, context);
    const absl::Status status = encoder_.Encode(body, context, &encoded_);
    last_tweets_ = parsed.ok() ? parsed->envelopes.size() : 0;
    if (parsed.ok()) {
      for (const pb::TweetEnvelope& envelope : parsed->envelopes) CollectSetFields(envelope, &set_fields_);
      // Problems and meta are not modelled by the reference: taken from the encoder; the skipped records
      // about `errors[]` and `meta` likewise. Skipped records compared in a canonical order.
      parsed->problems = encoded_.problems;
      parsed->meta = encoded_.meta;
      for (const SkippedRecord& skipped : encoded_.skipped) {
        if (absl::StartsWith(skipped.where, "errors") || skipped.where == "meta") parsed->skipped.push_back(skipped);
      }
      Canonical(&parsed->skipped);
      Canonical(&encoded_.skipped);
    }
    std::string diff;
    if (status.code() != parsed.status().code()) {
      diff = absl::StrCat("  status: encoder ", status.ToString(), " vs ParseXResponse ", parsed.status().ToString(),
                          "\n");
    } else if (!parsed.ok()) {
      ++counts_.invalid;
      if (!encoded_.tweets.empty()) {
        diff = absl::StrCat("  the encoder kept ", encoded_.tweets.size(), " tweets for a refused body\n");
      }
    } else {
      ++counts_.ok;
      if (!parsed->envelopes.empty()) ++counts_.with_tweets;
      if (!parsed->skipped.empty()) ++counts_.with_skipped;
      counts_.tweets += static_cast<int>(std::min(parsed->envelopes.size(), encoded_.tweets.size()));
      diff = DescribeDifferences(encoded_, *parsed);
    }
    if (diff.empty()) return true;
    ++counts_.mismatches;
    // In full once per label (a body checked under several contexts fails the same way each time).
    if (reported_.size() < static_cast<size_t>(kMaxReportedMismatches) && reported_.insert(label).second) {
      const std::string saved = Save(body);
      ADD_FAILURE() << "Encode and ParseXResponse disagree on " << label << " (context mode \"" << context.mode
                    << "\", query \"" << context.query << "\"):\n"
                    << diff << "  body" << saved << ": " << Excerpt(body);
    }
    return false;
  }

  const Counts& counts() const { return counts_; }
  size_t last_tweets() const { return last_tweets_; }
  // "Message.field" of every field set (present, or non-empty) in some reference envelope so far.
  const std::set<std::string>& set_fields() const { return set_fields_; }

  static void CollectSetFields(const google::protobuf::Message& m, std::set<std::string>* out) {
    const google::protobuf::Reflection* r = m.GetReflection();
    std::vector<const google::protobuf::FieldDescriptor*> fields;
    r->ListFields(m, &fields);
    for (const google::protobuf::FieldDescriptor* f : fields) {
      out->insert(absl::StrCat(m.GetDescriptor()->name(), ".", f->name()));
      if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) CollectSetFields(r->GetRepeatedMessage(m, f, i), out);
      } else {
        CollectSetFields(r->GetMessage(m, f), out);
      }
    }
  }

 private:
  Differ() = default;

  // Writes a failing body to the test's temporary folder, to feed it to a debugger.
  std::string Save(absl::string_view body) {
    const std::string path =
        absl::StrCat(::testing::TempDir(), "x_encoder_differential_", reported_.size(), ".body");
    std::ofstream out(path, std::ios::binary);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    return out ? absl::StrCat(" (saved to ", path, ")") : "";
  }

  // The reference model's result, as a ParsedResponse (its envelopes parsed from its bytes).
  static absl::StatusOr<ParsedResponse> Reference(absl::string_view body, const MappingContext& context) {
    absl::StatusOr<testing::ReferenceResponse> reference = testing::ReferenceMap(body, context);
    if (!reference.ok()) return reference.status();
    ParsedResponse parsed;
    parsed.skipped = reference->skipped;
    for (const EncodedTweet& tweet : reference->tweets) {
      pb::TweetEnvelope& envelope = parsed.envelopes.emplace_back();
      if (!envelope.ParseFromString(tweet.value) || envelope.SerializeAsString() != tweet.value) {
        return absl::InternalError("the reference's bytes do not round-trip");
      }
    }
    return parsed;
  }
  static void Canonical(std::vector<SkippedRecord>* skipped) {
    std::stable_sort(skipped->begin(), skipped->end(), [](const SkippedRecord& a, const SkippedRecord& b) {
      return std::tie(a.where, a.reason) < std::tie(b.where, b.reason);
    });
  }

  XResponseEncoder encoder_;
  EncodedResponse encoded_;
  Counts counts_;
  size_t last_tweets_ = 0;
  std::set<std::string> set_fields_;
  std::unordered_set<std::string> reported_;
};

// The counts of one test: what Differ counted since `before`.
Differ::Counts Since(const Differ::Counts& before) {
  const Differ::Counts& now = Differ::Shared().counts();
  Differ::Counts d;
  d.bodies = now.bodies - before.bodies;
  d.ok = now.ok - before.ok;
  d.invalid = now.invalid - before.invalid;
  d.with_tweets = now.with_tweets - before.with_tweets;
  d.with_skipped = now.with_skipped - before.with_skipped;
  d.tweets = now.tweets - before.tweets;
  d.mismatches = now.mismatches - before.mismatches;
  return d;
}

std::string Summary(const Differ::Counts& c) {
  return absl::StrCat(c.bodies, " bodies (", c.ok, " mapped: ", c.with_tweets, " with tweets, ", c.with_skipped,
                      " with skipped records; ", c.invalid, " refused by both), ", c.tweets,
                      " records compared byte for byte, ", c.mismatches,
                      " disagreements");
}

// ----------------------------------------------------------------------------------------------------
// Writing JSON back (RapidJSON keeps duplicate keys and member order as they are in the DOM).
// ----------------------------------------------------------------------------------------------------

using Json = rapidjson::Value;
using Doc = rapidjson::Document;

enum class Style { kCompact, kAscii, kPretty };

template <typename Writer>
bool WriteWith(const Json& value, rapidjson::StringBuffer* buffer) {
  Writer writer(*buffer);
  return value.Accept(writer);
}

// Compact UTF-8; every non-ASCII character as a \u escape (surrogate pairs for non-BMP, like the twarc
// recordings); or pretty-printed. A string that is not valid UTF-8 cannot be ASCII-escaped: compact then.
std::string Serialize(const Json& value, Style style) {
  rapidjson::StringBuffer buffer;
  bool ok = false;
  switch (style) {
    case Style::kAscii:
      ok = WriteWith<rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>>>(value,
                                                                                                         &buffer);
      break;
    case Style::kPretty:
      ok = WriteWith<rapidjson::PrettyWriter<rapidjson::StringBuffer>>(value, &buffer);
      break;
    case Style::kCompact:
      break;
  }
  if (!ok) {
    buffer.Clear();
    WriteWith<rapidjson::Writer<rapidjson::StringBuffer>>(value, &buffer);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

Json* MemberOf(Json& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}
const Json* MemberOf(const Json& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringOf(const Json& value) {
  return value.IsString() ? std::string(value.GetString(), value.GetStringLength()) : "";
}

// ----------------------------------------------------------------------------------------------------
// Seeds: the bodies the mutations start from. A big search page is cut into windows of a few tweets with
// the includes they join (plus a few they do not), so that thousands of mutated bodies stay fast.
// ----------------------------------------------------------------------------------------------------

struct Seed {
  std::string label;
  std::unique_ptr<Doc> doc;
  bool has_tweets = false;
};

void CollectStrings(const Json& value, std::unordered_set<std::string>* out) {
  if (value.IsString()) {
    out->insert(absl::AsciiStrToLower(StringOf(value)));
  } else if (value.IsObject()) {
    for (const auto& member : value.GetObject()) CollectStrings(member.value, out);
  } else if (value.IsArray()) {
    for (const Json& item : value.GetArray()) CollectStrings(item, out);
  }
}

// `source` with data[begin, begin + count), the includes those tweets refer to (matched by any string of
// theirs, lower-cased: ids, media keys, mentioned usernames) plus every 16th other one, the first three
// errors, and everything else as it is.
std::unique_ptr<Doc> Window(const Doc& source, size_t begin, size_t count) {
  auto window = std::make_unique<Doc>();
  auto& alloc = window->GetAllocator();
  window->SetObject();
  const Json& data = source["data"];
  std::unordered_set<std::string> referenced;
  for (size_t i = begin; i < std::min<size_t>(begin + count, data.Size()); ++i) {
    CollectStrings(data[static_cast<rapidjson::SizeType>(i)], &referenced);
  }
  for (const auto& member : source.GetObject()) {
    Json name(member.name, alloc);
    const absl::string_view key(member.name.GetString(), member.name.GetStringLength());
    Json value;
    if (key == "data") {
      value.SetArray();
      for (size_t i = begin; i < std::min<size_t>(begin + count, data.Size()); ++i) {
        value.PushBack(Json(data[static_cast<rapidjson::SizeType>(i)], alloc), alloc);
      }
    } else if (key == "errors" && member.value.IsArray()) {
      value.SetArray();
      for (rapidjson::SizeType i = 0; i < std::min<rapidjson::SizeType>(3, member.value.Size()); ++i) {
        value.PushBack(Json(member.value[i], alloc), alloc);
      }
    } else if (key == "includes" && member.value.IsObject()) {
      value.SetObject();
      for (const auto& list : member.value.GetObject()) {
        Json kept(rapidjson::kArrayType);
        if (list.value.IsArray()) {
          rapidjson::SizeType index = 0;
          for (const Json& item : list.value.GetArray()) {
            bool keep = index++ % 16 == 0;
            for (const char* id_key : {"id", "media_key", "username"}) {
              const Json* id = MemberOf(item, id_key);
              if (id != nullptr && id->IsString() && referenced.count(absl::AsciiStrToLower(StringOf(*id))) > 0) {
                keep = true;
              }
            }
            if (keep) kept.PushBack(Json(item, alloc), alloc);
          }
        }
        value.AddMember(Json(list.name, alloc), kept, alloc);
      }
    } else {
      value.CopyFrom(member.value, alloc);
    }
    window->AddMember(name, value, alloc);
  }
  return window;
}

// ----------------------------------------------------------------------------------------------------
// The mutator.
// ----------------------------------------------------------------------------------------------------

// The mutation operators. Generic ones act on a value picked at random anywhere in the body (half of the
// time under `data`); targeted ones act on the fields they name, adding them when the body has none.
enum class Op {
  kNull,               // a value -> null
  kDelete,             // a key (or array element) removed
  kOtherType,          // a value -> another JSON type (string<->number, object<->array, bool...)
  kIntOutOfRange,      // 3000000000, -1, 2^63, 2^64 and more, where a number (or anything) was
  kFloatForInt,        // 1.5, 1.0, 1e3, -0.0 where an integer was
  kIntForString,       // an integer where a string was
  kEmptyString,        // "" (ids, text, author_id, usernames... half of the time)
  kExoticString,       // escapes (\u00e9 \n \" \/), raw UTF-8, surrogate pairs, NUL, long strings
  kDuplicateKey,       // an object member written twice (same value, null or another value; before or after)
  kDuplicateItem,      // an array element written twice
  kUnknownField,       // a member the mapper does not know, with odd values (nested, big ints, 1.0, -0.0...)
  kLoneSurrogate,      // \ud83d without its pair (or a low half alone) inside a string
  kTime,               // created_at & co in other RFC 3339 forms, or not times at all
  kTweetIdText,        // a tweet without id/text, or with an empty one, or of another type
  kDataShape,          // data as one object, [], {}, null, a string; non-objects in data[]
  kErrors,             // errors[] beside data (or a whole-body problem)
  kEditsRemaining,     // "4", 5, "x", 3000000000, 4.0, ...
  kCoordinates,        // geo.coordinates with 1 or 3 numbers, none, strings, -0.0
  kDisplayTextRange,   // negative, one number, empty, out of int32 range
  kBbox,               // a place's geo.bbox empty, short, long, of strings; geo of another type
  kRepeatedStrings,    // "" and duplicates in lists of ids/keys/country codes
  kDuplicateUser,      // includes.users with the same id twice
  kMentionCase,        // a mention joined by its username only, in another case than the user's
  kMatchingRules,      // rule ids as strings, bare big integers, negative, floats; tags of other types
  kMeta,               // meta of other types and with odd result_count/next_token
  kIncludesShape,      // includes (or one of its lists) of another type, items without ids
  kBytes,              // truncated, garbage appended, BOM, a byte replaced/removed (mostly invalid JSON)
  kReformat,           // nothing changed but the writing: \u escapes everywhere, or pretty-printed
  kCount,
};

const char* OpName(Op op) {
  static const char* const kNames[] = {
      "null",          "delete",           "other-type",    "int-out-of-range", "float-for-int",
      "int-for-string", "empty-string",    "exotic-string", "duplicate-key",    "duplicate-item",
      "unknown-field", "lone-surrogate",   "time",          "tweet-id-text",    "data-shape",
      "errors",        "edits-remaining",  "coordinates",   "display-text-range", "bbox",
      "repeated-strings", "duplicate-user", "mention-case", "matching-rules",   "meta",
      "includes-shape", "bytes",           "reformat"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == static_cast<size_t>(Op::kCount));
  return kNames[static_cast<size_t>(op)];
}

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  // A mutated copy of `seed`, serialized. `*description` says what was changed where; the operators
  // applied are appended to `*applied`.
  std::string Mutate(const Doc& seed, std::string* description, std::vector<Op>* applied) {
    Doc doc;
    doc.CopyFrom(seed, doc.GetAllocator());
    doc_ = &doc;
    raws_.clear();
    notes_.clear();
    bytes_ = false;
    style_ = Style::kCompact;
    const int steps = Chance(0.7) ? 1 : (Chance(0.67) ? 2 : 3);
    for (int step = 0; step < steps; ++step) {
      Op op = Op::kReformat;
      for (int attempt = 0; attempt < 6; ++attempt) {
        const Op candidate = static_cast<Op>(Below(static_cast<size_t>(Op::kCount)));
        Collect();
        if (Apply(candidate)) {
          op = candidate;
          break;
        }
      }
      if (op == Op::kReformat) Apply(Op::kReformat);
      applied->push_back(op);
    }
    if (style_ == Style::kCompact && Chance(0.2)) style_ = Chance(0.5) ? Style::kAscii : Style::kPretty;
    std::string text = Serialize(doc, style_);
    // Raw JSON snippets replace their placeholders, newest first: a snippet may hold older placeholders.
    for (size_t i = raws_.size(); i-- > 0;) {
      text = absl::StrReplaceAll(text, {{absl::StrCat("\"", Placeholder(i), "\""), raws_[i]}});
    }
    if (bytes_) ApplyBytes(&text);
    doc_ = nullptr;
    *description = absl::StrCat(notes_, "written ",
                                style_ == Style::kCompact ? "compact" : (style_ == Style::kAscii ? "ASCII" : "pretty"));
    return text;
  }

 private:
  // A value in the DOM: member `index` of an object or element `index` of an array.
  struct Slot {
    Json* container;
    rapidjson::SizeType index;
    int parent;  // the container's own slot; -1 for members of the root
  };

  using Alloc = Doc::AllocatorType;
  Alloc& alloc() { return doc_->GetAllocator(); }

  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T, size_t N>
  const T& OneOf(const T (&items)[N]) {
    return items[Below(N)];
  }

  static std::string Placeholder(size_t i) { return absl::StrCat("@@raw", i, "@@"); }

  // A string value standing for `json`, written verbatim in its place (numbers and escapes RapidJSON would
  // not write, keys equal after unescaping, duplicate keys inside a snippet...).
  Json Raw(absl::string_view json) {
    raws_.emplace_back(json);
    const std::string placeholder = Placeholder(raws_.size() - 1);
    return Json(placeholder.c_str(), static_cast<rapidjson::SizeType>(placeholder.size()), alloc());
  }
  Json Str(absl::string_view text) {
    return Json(text.data(), static_cast<rapidjson::SizeType>(text.size()), alloc());
  }
  Json Copy(const Json& value) { return Json(value, alloc()); }

  void Collect() {
    slots_.clear();
    CollectFrom(doc_, -1);
  }
  void CollectFrom(Json* container, int parent) {
    if (container->IsObject()) {
      for (rapidjson::SizeType i = 0; i < container->MemberCount(); ++i) {
        slots_.push_back({container, i, parent});
        CollectFrom(&(container->MemberBegin() + i)->value, static_cast<int>(slots_.size()) - 1);
      }
    } else if (container->IsArray()) {
      for (rapidjson::SizeType i = 0; i < container->Size(); ++i) {
        slots_.push_back({container, i, parent});
        CollectFrom(&(*container)[i], static_cast<int>(slots_.size()) - 1);
      }
    }
  }

  Json& ValueAt(int slot) {
    const Slot& s = slots_[static_cast<size_t>(slot)];
    return s.container->IsObject() ? (s.container->MemberBegin() + s.index)->value : (*s.container)[s.index];
  }
  std::string KeyAt(int slot) const {
    const Slot& s = slots_[static_cast<size_t>(slot)];
    return s.container->IsObject() ? StringOf((s.container->MemberBegin() + s.index)->name) : "";
  }
  std::string PathOf(int slot) const {
    std::vector<std::string> parts;
    for (int i = slot; i >= 0; i = slots_[static_cast<size_t>(i)].parent) {
      const Slot& s = slots_[static_cast<size_t>(i)];
      parts.push_back(s.container->IsObject() ? absl::StrCat(".", KeyAt(i)) : absl::StrCat("[", s.index, "]"));
    }
    std::reverse(parts.begin(), parts.end());
    std::string path = absl::StrJoin(parts, "");
    return absl::StartsWith(path, ".") ? path.substr(1) : path;
  }
  bool UnderData(int slot) const {
    while (slots_[static_cast<size_t>(slot)].parent >= 0) slot = slots_[static_cast<size_t>(slot)].parent;
    return KeyAt(slot) == "data";
  }

  // A random slot satisfying `accept` (half of the time one under `data` when there is one); -1 if none.
  template <typename Accept>
  int PickSlot(Accept accept) {
    std::vector<int> all, data;
    for (int i = 0; i < static_cast<int>(slots_.size()); ++i) {
      if (!accept(i)) continue;
      all.push_back(i);
      if (UnderData(i)) data.push_back(i);
    }
    if (all.empty()) return -1;
    const std::vector<int>& from = !data.empty() && Chance(0.5) ? data : all;
    return from[Below(from.size())];
  }
  int PickAny() {
    return PickSlot([](int) { return true; });
  }
  int PickKey(std::initializer_list<absl::string_view> keys) {
    return PickSlot([&](int i) { return std::find(keys.begin(), keys.end(), KeyAt(i)) != keys.end(); });
  }

  void Note(int slot, absl::string_view what) { absl::StrAppend(&notes_, PathOf(slot), ": ", what, "; "); }
  void Note(absl::string_view what) { absl::StrAppend(&notes_, what, "; "); }

  void Erase(int slot) {
    const Slot& s = slots_[static_cast<size_t>(slot)];
    if (s.container->IsObject()) {
      s.container->EraseMember(s.container->MemberBegin() + s.index);
    } else {
      s.container->Erase(s.container->Begin() + s.index);
    }
  }

  // Inserts `name: value` as member `at` of `object` (duplicates allowed). The object is rebuilt: pointers
  // into it (its members and their values) are invalid afterwards, as with Set() and ObjectAt().
  void InsertMember(Json* object, size_t at, Json name, Json value) {
    Json rebuilt(rapidjson::kObjectType);
    size_t i = 0;
    for (auto& member : object->GetObject()) {
      if (i++ == at) rebuilt.AddMember(name, value, alloc());
      rebuilt.AddMember(member.name, member.value, alloc());
    }
    if (at >= i) rebuilt.AddMember(name, value, alloc());
    *object = rebuilt;
  }
  void InsertItem(Json* array, size_t at, Json value) {
    Json rebuilt(rapidjson::kArrayType);
    size_t i = 0;
    for (Json& item : array->GetArray()) {
      if (i++ == at) rebuilt.PushBack(value, alloc());
      rebuilt.PushBack(item, alloc());
    }
    if (at >= i) rebuilt.PushBack(value, alloc());
    *array = rebuilt;
  }
  // Sets `key` of `object` (replacing the first one, or adding it at a random place).
  void Set(Json* object, const char* key, Json value) {
    auto it = object->FindMember(key);
    if (it != object->MemberEnd()) {
      it->value = value;
    } else {
      InsertMember(object, Below(object->MemberCount() + 1), Str(key), std::move(value));
    }
  }
  // Removes every `key` member of `object` (none when it has none).
  static void Remove(Json* object, const char* key) {
    for (auto it = object->FindMember(key); it != object->MemberEnd(); it = object->FindMember(key)) {
      object->EraseMember(it);
    }
  }
  // `key` of `object` as an object (made one when it is absent or of another type).
  Json* ObjectAt(Json* object, const char* key) {
    Json* value = MemberOf(*object, key);
    if (value == nullptr || !value->IsObject()) {
      Set(object, key, Json(rapidjson::kObjectType));
      value = MemberOf(*object, key);
    }
    return value;
  }

  std::vector<Json*> DataTweets() {
    std::vector<Json*> tweets;
    Json* data = MemberOf(*doc_, "data");
    if (data != nullptr && data->IsArray()) {
      for (Json& item : data->GetArray()) {
        if (item.IsObject()) tweets.push_back(&item);
      }
    } else if (data != nullptr && data->IsObject()) {
      tweets.push_back(data);
    }
    return tweets;
  }
  Json* PickTweet() {
    std::vector<Json*> tweets = DataTweets();
    return tweets.empty() ? nullptr : tweets[Below(tweets.size())];
  }
  std::vector<Json*> Included(const char* list) {
    std::vector<Json*> items;
    Json* includes = MemberOf(*doc_, "includes");
    Json* array = includes != nullptr ? MemberOf(*includes, list) : nullptr;
    if (array != nullptr && array->IsArray()) {
      for (Json& item : array->GetArray()) {
        if (item.IsObject()) items.push_back(&item);
      }
    }
    return items;
  }

  bool Apply(Op op) {
    if (!doc_->IsObject()) return op == Op::kBytes || op == Op::kReformat;
    switch (op) {
      case Op::kNull: {
        const int slot = PickAny();
        if (slot < 0) return false;
        Note(slot, "null");
        ValueAt(slot).SetNull();
        return true;
      }
      case Op::kDelete: {
        const int slot = PickAny();
        if (slot < 0) return false;
        Note(slot, "deleted");
        Erase(slot);
        return true;
      }
      case Op::kOtherType:
        return ApplyOtherType();
      case Op::kIntOutOfRange: {
        static const char* const kInts[] = {"3000000000",           "-1",
                                            "-2147483649",          "2147483648",
                                            "9223372036854775807",  "9223372036854775808",
                                            "18446744073709551615", "18446744073709551616",
                                            "-9223372036854775808", "-9223372036854775809",
                                            "-0",                   "100000000000000000000000000000"};
        const int slot = Chance(0.7) ? PickSlot([this](int i) { return ValueAt(i).IsNumber(); }) : PickAny();
        if (slot < 0) return false;
        const char* value = OneOf(kInts);
        Note(slot, value);
        ValueAt(slot) = Raw(value);
        return true;
      }
      case Op::kFloatForInt: {
        static const char* const kFloats[] = {"1.5", "1.0", "1e3", "1E+2", "-0.0", "0.0", "-1.5", "2.5e-3", "4.000",
                                              "1e-400"};
        const int slot = PickSlot([this](int i) { return ValueAt(i).IsInt64() || ValueAt(i).IsUint64(); });
        if (slot < 0) return false;
        const char* value = OneOf(kFloats);
        Note(slot, value);
        ValueAt(slot) = Raw(value);
        return true;
      }
      case Op::kIntForString: {
        static const char* const kInts[] = {"123", "0", "-1", "1365348467069751297", "18446744073709551616", "1.5"};
        const int slot = PickSlot([this](int i) { return ValueAt(i).IsString(); });
        if (slot < 0) return false;
        const char* value = OneOf(kInts);
        Note(slot, value);
        ValueAt(slot) = Raw(value);
        return true;
      }
      case Op::kEmptyString: {
        int slot = -1;
        if (Chance(0.5)) {
          slot = PickKey({"id", "text", "author_id", "username", "media_key", "place_id", "tag", "in_reply_to_user_id",
                          "newest_id", "next_token", "lang"});
        }
        if (slot < 0) slot = PickSlot([this](int i) { return ValueAt(i).IsString(); });
        if (slot < 0) return false;
        Note(slot, "\"\"");
        ValueAt(slot) = Str("");
        return true;
      }
      case Op::kExoticString: {
        static const char* const kStrings[] = {
            R"("caf\u00e9 \n \" \\ \/ \t \b \f \r end")",
            R"("\u00E9\u4e2d\uD83D\uDE80 mixed \u2028\u2029")",
            "\"raw \xC3\xA9 \xE6\xBC\xA2 \xF0\x9F\x9A\x80 \xE2\x80\xA8\"",
            R"("nul \u0000 inside")",
            R"("   ")",
            R"("&amp;&lt;&gt; #tag @user $CASH https://t.co/x")",
            R"("\ud83d\ude80\ud83d\ude80\ud83d\ude80")",
        };
        const int slot = PickSlot([this](int i) { return ValueAt(i).IsString(); });
        if (slot < 0) return false;
        if (Chance(0.15)) {  // long: the length prefix takes two or three bytes
          const size_t length = Chance(0.5) ? 100 + Below(60) : 16300 + Below(150);
          Note(slot, absl::StrCat("string of ", length, " bytes"));
          ValueAt(slot) = Str(std::string(length, 'x'));
        } else {
          const char* value = OneOf(kStrings);
          Note(slot, value);
          ValueAt(slot) = Raw(value);
        }
        return true;
      }
      case Op::kDuplicateKey: {
        const int slot = PickSlot([this](int i) { return slots_[static_cast<size_t>(i)].container->IsObject(); });
        if (slot < 0) return false;
        const Slot s = slots_[static_cast<size_t>(slot)];
        Json name = Copy((s.container->MemberBegin() + s.index)->name);
        Json value = Copy(ValueAt(slot));
        const size_t kind = Below(4);
        if (kind == 1) value.SetNull();
        if (kind == 2) value = value.IsString() ? Str("dup") : Raw(value.IsNumber() ? "42" : "\"dup\"");
        const bool before = Chance(0.5);
        Note(slot, absl::StrCat("duplicated ", before ? "before" : "after", " (",
                                kind == 1 ? "null" : (kind == 2 ? "other value" : "same value"), ")"));
        InsertMember(s.container, before ? s.index : s.index + 1, std::move(name), std::move(value));
        return true;
      }
      case Op::kDuplicateItem: {
        const int slot = PickSlot([this](int i) { return slots_[static_cast<size_t>(i)].container->IsArray(); });
        if (slot < 0) return false;
        const Slot s = slots_[static_cast<size_t>(slot)];
        Note(slot, "element duplicated");
        InsertItem(s.container, Chance(0.5) ? s.index + 1 : s.container->Size(), Copy(ValueAt(slot)));
        return true;
      }
      case Op::kUnknownField:
        return ApplyUnknownField();
      case Op::kLoneSurrogate: {
        int slot = Chance(0.6) ? PickSlot([this](int i) { return KeyAt(i) == "text" && ValueAt(i).IsString(); }) : -1;
        if (slot < 0) slot = PickSlot([this](int i) { return ValueAt(i).IsString(); });
        if (slot < 0) return false;
        static const char* const kLone[] = {R"(\ud83d)", R"(\ude00)", R"(\ud83d\u0041)", R"(\ude00\ud83d)",
                                            R"(\ud83d\ud83d)", R"(\uD83Dx)", R"(\udbff)"};
        const char* lone = OneOf(kLone);
        std::string quoted = Serialize(ValueAt(slot), Style::kCompact);  // "..." with its escapes
        const std::string inner = quoted.substr(1, quoted.size() - 2);
        const size_t where = Below(3);
        const std::string raw = where == 0   ? absl::StrCat("\"", lone, inner, "\"")
                                : where == 1 ? absl::StrCat("\"", inner, lone, "\"")
                                             : absl::StrCat("\"", inner, " ", lone, " ", inner, "\"");
        Note(slot, absl::StrCat("lone surrogate ", lone));
        ValueAt(slot) = Raw(raw);
        return true;
      }
      case Op::kTime:
        return ApplyTime();
      case Op::kTweetIdText:
        return ApplyTweetIdText();
      case Op::kDataShape:
        return ApplyDataShape();
      case Op::kErrors: {
        static const char* const kErrors[] = {
            R"([{"value":"1","detail":"Could not find tweet with ids: [1].","title":"Not Found Error",
            "resource_type":"tweet","parameter":"ids","resource_id":"1",
            "type":"https://api.twitter.com/2/problems/resource-not-found"}])",
            R"([{"message":"The `ids` query parameter value [x] is not valid"}])",
            R"([1,"x",null,[]])",
            R"({})",
            R"("oops")",
            R"([])",
            R"([{"title":5,"detail":null,"resource_id":1234567890123456789,"type":""},{"message":"m","title":"T"}])",
        };
        const char* errors = OneOf(kErrors);
        Note(absl::StrCat("errors = ", errors));
        Set(doc_, "errors", Raw(errors));
        if (Chance(0.25)) {
          Note("whole-body problem");
          Set(doc_, "title", Str("Invalid Request"));
          Set(doc_, "type", Str("https://api.twitter.com/2/problems/invalid-request"));
        }
        return true;
      }
      case Op::kEditsRemaining: {
        static const char* const kValues[] = {R"("4")", "5", R"("x")", R"("")", R"("-1")", R"(" 4")", R"("+4")",
                                              R"("3000000000")", "3000000000", "4.0", "null", "true", "0", R"("04")",
                                              R"("0")"};
        Json* controls = nullptr;
        const int slot = PickSlot([this](int i) { return KeyAt(i) == "edit_controls" && ValueAt(i).IsObject(); });
        if (slot >= 0) {
          controls = &ValueAt(slot);
        } else if (Json* tweet = PickTweet(); tweet != nullptr) {
          controls = ObjectAt(tweet, "edit_controls");
        } else {
          return false;
        }
        const char* value = OneOf(kValues);
        Note(absl::StrCat("edit_controls.edits_remaining = ", value));
        Set(controls, "edits_remaining", Raw(value));
        return true;
      }
      case Op::kCoordinates: {
        static const char* const kPoints[] = {
            R"({"type":"Point","coordinates":[1]})",       R"({"type":"Point","coordinates":[1,2,3]})",
            R"({"type":"Point","coordinates":[]})",        R"({"type":"Point","coordinates":[1,"2"]})",
            R"({"type":"Point","coordinates":[-0.0,0.0]})", R"({"type":"Point","coordinates":[1e3,-1.5]})",
            R"({"type":"Point"})",                         R"({"coordinates":null})",
            R"([13.4,52.5])",                              R"({"type":"Point","coordinates":[180,-90]})"};
        Json* tweet = PickTweet();
        if (tweet == nullptr) return false;
        const char* value = OneOf(kPoints);
        Note(absl::StrCat("geo.coordinates = ", value));
        Set(ObjectAt(tweet, "geo"), "coordinates", Raw(value));
        return true;
      }
      case Op::kDisplayTextRange: {
        static const char* const kRanges[] = {"[-1,5]",     "[0]",        "[]",     "[0,3000000000]",
                                              "[1.5,2]",    R"(["0","1"])", "[-2147483648,2147483647]",
                                              "[0,0]",      "{}",         "[0,140,1,2,3]"};
        Json* tweet = PickTweet();
        if (tweet == nullptr) return false;
        const char* value = OneOf(kRanges);
        Note(absl::StrCat("display_text_range = ", value));
        Set(tweet, "display_text_range", Raw(value));
        return true;
      }
      case Op::kBbox:
        return ApplyBbox();
      case Op::kRepeatedStrings:
        return ApplyRepeatedStrings();
      case Op::kDuplicateUser:
        return ApplyDuplicateUser();
      case Op::kMentionCase:
        return ApplyMentionCase();
      case Op::kMatchingRules: {
        static const char* const kRules[] = {
            R"([{"id":"1365348467069751297","tag":"t"}])",
            R"([{"id":1365348467069751297,"tag":"t"}])",
            R"([{"id":18446744073709551615}])",
            R"([{"id":-5,"tag":null}])",
            R"([{"id":1.5}])",
            R"([{"id":"1","tag":5}])",
            R"([])",
            R"({})",
            R"([null])",
            R"([{"tag":"no id"}])",
            R"([{"id":"1","tag":""},{"id":2,"tag":"two \u00e9"}])",
            R"([{"id":9007199254740993,"tag":"2^53+1"}])",
            R"([{"id":"1","id":"2","tag":"dup"}])",
        };
        const char* value = OneOf(kRules);
        Note(absl::StrCat("matching_rules = ", value));
        Set(doc_, "matching_rules", Raw(value));
        return true;
      }
      case Op::kMeta: {
        static const char* const kMetas[] = {
            R"({"result_count":"5"})",
            R"({"result_count":-1})",
            R"({"result_count":18446744073709551615})",
            R"({"result_count":1.5})",
            R"({"newest_id":5,"oldest_id":null,"next_token":""})",
            R"([])",
            R"("x")",
            R"({"result_count":0})",
            R"({"next_token":{"a":1},"result_count":2})",
            R"({"newest_id":"1","newest_id":"2","result_count":1,"result_count":3})",
            R"({"newest_id":"9","oldest_id":"1","next_token":"b26v89c19zqg8o3f","result_count":10})",
        };
        const char* value = OneOf(kMetas);
        Note(absl::StrCat("meta = ", value));
        Set(doc_, "meta", Raw(value));
        return true;
      }
      case Op::kIncludesShape: {
        if (Chance(0.3)) {
          static const char* const kShapes[] = {"[]", "null", R"("x")", "{}"};
          const char* value = OneOf(kShapes);
          Note(absl::StrCat("includes = ", value));
          Set(doc_, "includes", Raw(value));
        } else {
          static const char* const kLists[] = {"users", "tweets", "media", "places", "polls"};
          static const char* const kValues[] = {"{}",      "[null,1]",        "[{}]", R"([{"id":""}])",
                                                R"([{"id":5}])", R"([{"media_key":7}])", "[]"};
          const char* list = OneOf(kLists);
          const char* value = OneOf(kValues);
          Json* includes = ObjectAt(doc_, "includes");
          Json* existing = MemberOf(*includes, list);
          if (existing != nullptr && existing->IsArray() && Chance(0.5)) {
            Note(absl::StrCat("includes.", list, " += ", value));
            InsertItem(existing, Below(existing->Size() + 1), Raw(value));  // an array inside the list
          } else {
            Note(absl::StrCat("includes.", list, " = ", value));
            Set(includes, list, Raw(value));
          }
        }
        return true;
      }
      case Op::kBytes:
        bytes_ = true;
        return true;
      case Op::kReformat:
        style_ = Chance(0.5) ? Style::kAscii : Style::kPretty;
        return true;
      case Op::kCount:
        break;
    }
    return false;
  }

  bool ApplyOtherType() {
    const int slot = PickAny();
    if (slot < 0) return false;
    Json& value = ValueAt(slot);
    std::string raw;
    if (value.IsString()) {
      const std::string text = StringOf(value);
      const bool digits =
          !text.empty() && text.size() < 19 && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
      const std::string options[] = {digits ? text : "7", "true", "{}", "[]",
                                     absl::StrCat("[", Serialize(value, Style::kCompact), "]")};
      raw = OneOf(options);
    } else if (value.IsNumber()) {
      const std::string options[] = {absl::StrCat("\"", Serialize(value, Style::kCompact), "\""), "true", "[]", "{}"};
      raw = OneOf(options);
    } else if (value.IsBool()) {
      const std::string options[] = {"\"true\"", "1", "0", "\"false\""};
      raw = OneOf(options);
    } else if (value.IsObject()) {
      const std::string options[] = {"[]", absl::StrCat("[", Serialize(value, Style::kCompact), "]"), "\"{}\"", "1"};
      raw = OneOf(options);
    } else if (value.IsArray()) {
      const std::string first = value.Empty() ? "{}" : Serialize(value[0], Style::kCompact);
      const std::string options[] = {"{}", first, "\"[]\"", "0"};
      raw = OneOf(options);
    } else {
      const std::string options[] = {"0", "\"\"", "{}", "[]", "false"};
      raw = OneOf(options);
    }
    Note(slot, absl::StrCat("-> ", raw.size() > 60 ? raw.substr(0, 60) + "..." : raw));
    value = Raw(raw);
    return true;
  }

  bool ApplyUnknownField() {
    static const char* const kNames[] = {R"("zz_new_field")", R"("caf\u00e9")",        R"("")",
                                         R"("\u0074ext")",     R"("id_str")",           R"("public_metrics")",
                                         R"("a\"b\\c\n")",     "\"\xE6\xBC\xA2\xF0\x9F\x9A\x80\""};
    static const char* const kValues[] = {
        R"({"nested":{"a":[1,2.5,-0.0,1e3,true,null,"\u00e9\n\""]},"b":[],"c":{}})",
        "123456789012345678901234567890",
        "18446744073709551615",
        "-9223372036854775808",
        "1.0",
        "1e3",
        "-0.0",
        "1E+2",
        "0.1e-5",
        R"("caf\u00e9")",
        R"("line\nbreak \"q\" \/ \ud83d\ude80 \u2028")",
        "null",
        "true",
        "[]",
        "{}",
        R"([[[[{"deep":[[]]}]]]])",
        "\"raw \xC3\xA9\"",
        R"({"id":"1","text":"looks like a tweet"})",
    };
    Json* target = nullptr;
    const size_t where = Below(10);
    if (where < 5) {
      target = PickTweet();
    } else if (where < 7) {
      std::vector<Json*> users = Included("users");
      if (!users.empty()) target = users[Below(users.size())];
    }
    if (target == nullptr) {
      const int slot = PickSlot([this](int i) { return ValueAt(i).IsObject(); });
      target = slot >= 0 ? &ValueAt(slot) : doc_;
    }
    const char* name = OneOf(kNames);
    const char* value = OneOf(kValues);
    Note(absl::StrCat("unknown member ", name, ": ", value));
    InsertMember(target, Below(target->MemberCount() + 1), Raw(name), Raw(value));
    return true;
  }

  bool ApplyTime() {
    static const char* const kTimes[] = {
        "2021-04-01T15:52:31+02:00",     "2021-04-01T15:52:31.1Z",         "2016-12-31T23:59:60Z",
        "2021-04-01T15:52:31.000Z",      "2021-04-01T15:52:31Z",           "2021-04-01T15:52:31.123456789Z",
        "2021-04-01T15:52:31.000z",      "2021-04-01t15:52:31.000Z",       "2021-04-01 15:52:31",
        "2021-02-29T00:00:00.000Z",      "2024-02-29T23:59:59.999Z",       "0000-01-01T00:00:00.000Z",
        "0001-01-01T00:00:00.000Z",      "9999-12-31T23:59:59.999Z",       "10000-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",      "1970-01-01T00:00:00.000Z",       "2021-04-01T15:52:31.000+00:00",
        "2021-04-01T15:52:31.000-23:59", "garbage",                        "",
        "2021-13-01T00:00:00.000Z",      "2021-04-01T24:00:00.000Z",       "2021-04-01T15:52:31.0000Z",
        "2021-04-01T15:52:31,000Z",      " 2021-04-01T15:52:31.000Z",      "2021-04-01T15:52:31.000Z ",
        "2021-4-1T15:52:31.000Z",        "+2021-04-01T15:52:31.000Z",      "2021-04-01T15:52:31.-01Z"};
    int slot = PickKey({"created_at", "editable_until", "end_datetime"});
    if (slot < 0 || Chance(0.2)) {
      Json* tweet = PickTweet();
      if (tweet == nullptr) return slot >= 0 && ApplyTimeAt(slot, kTimes);
      Set(tweet, "created_at", Str("2021-04-01T15:52:31.000Z"));
      Collect();
      slot = PickKey({"created_at"});
    }
    return ApplyTimeAt(slot, kTimes);
  }
  template <size_t N>
  bool ApplyTimeAt(int slot, const char* const (&times)[N]) {
    if (Chance(0.1)) {
      Note(slot, "time 1617292351");
      ValueAt(slot) = Raw("1617292351");
    } else {
      const char* time = OneOf(times);
      Note(slot, absl::StrCat("time \"", time, "\""));
      ValueAt(slot) = Str(time);
    }
    return true;
  }

  bool ApplyTweetIdText() {
    Json* tweet = PickTweet();
    if (tweet == nullptr) return false;
    const size_t what = Below(11);
    static const char* const kWhat[] = {"no id",         "no text",         "id \"\"",     "text \"\"",
                                        "author_id \"\"", "id 123",          "text null",   "id null",
                                        "text 5",        "id 2^60 (bare)",  "text {}"};
    Note(absl::StrCat("a data tweet: ", kWhat[what]));
    switch (what) {
      case 0:
        Remove(tweet, "id");
        break;
      case 1:
        Remove(tweet, "text");
        break;
      case 2:
        Set(tweet, "id", Str(""));
        break;
      case 3:
        Set(tweet, "text", Str(""));
        break;
      case 4:
        Set(tweet, "author_id", Str(""));
        break;
      case 5:
        Set(tweet, "id", Raw("123"));
        break;
      case 6:
        Set(tweet, "text", Json());
        break;
      case 7:
        Set(tweet, "id", Json());
        break;
      case 8:
        Set(tweet, "text", Raw("5"));
        break;
      case 9:
        Set(tweet, "id", Raw("1152921504606846976"));
        break;
      default:
        Set(tweet, "text", Json(rapidjson::kObjectType));
        break;
    }
    return true;
  }

  bool ApplyDataShape() {
    Json* data = MemberOf(*doc_, "data");
    if (data == nullptr) {
      Note("data added");
      Set(doc_, "data", Raw(R"([{"id":"77","text":"added","author_id":"10"}])"));
      return true;
    }
    const size_t what = Below(9);
    switch (what) {
      case 0:
        if (data->IsArray() && !data->Empty() && (*data)[0].IsObject()) {
          Note("data = its first tweet (an object)");
          *data = Copy((*data)[0]);
          return true;
        }
        Note("data = []");
        data->SetArray();
        return true;
      case 1:
        Note("data = []");
        data->SetArray();
        return true;
      case 2:
        Note("data = {}");
        data->SetObject();
        return true;
      case 3:
        Note("data = null");
        data->SetNull();
        return true;
      case 4:
        Note("data = \"x\"");
        *data = Raw(Chance(0.5) ? R"("x")" : "5");
        return true;
      case 5:
        Note("data = [[]]");
        *data = Raw("[[]]");
        return true;
      case 6:
      case 7:
        if (data->IsArray()) {
          static const char* const kItems[] = {"null", "1", R"("x")", "[]", "{}", "true"};
          const char* item = OneOf(kItems);
          Note(absl::StrCat("data[] += ", item));
          InsertItem(data, Below(data->Size() + 1), Raw(item));
          return true;
        }
        Note("data = [data, data]");
        *data = Raw(absl::StrCat("[", Serialize(*data, Style::kCompact), ",", Serialize(*data, Style::kCompact), "]"));
        return true;
      default:
        Note("data removed");
        doc_->EraseMember(doc_->FindMember("data"));
        return true;
    }
  }

  bool ApplyBbox() {
    static const char* const kBoxes[] = {"[]", "[1]", R"(["x"])", "[-0.0,0,1e3,1.5]", "null", "{}", "[1,2,3,4,5]",
                                         "[-180,-90,180,90]", "[1.7976931348623157e308,4.9e-324,-1,0.1]"};
    static const char* const kGeos[] = {"null", "[]", "{}", R"({"type":"Feature"})", R"("geo")",
                                        R"({"type":"Feature","bbox":[1,2,3,4],"bbox":[]})"};
    std::vector<Json*> places = Included("places");
    if (places.empty()) {
      if (DataTweets().empty()) return false;
      Json* includes = ObjectAt(doc_, "includes");  // may rebuild the root: tweets are picked after
      Set(includes, "places",
          Raw(R"([{"id":"plz","full_name":"Z","geo":{"type":"Feature","bbox":[1.5,2,3,4.25],"properties":{}}}])"));
      Set(ObjectAt(PickTweet(), "geo"), "place_id", Str("plz"));
      Note("a place added");
      return true;
    }
    Json* place = places[Below(places.size())];
    if (Chance(0.7)) {
      const char* value = OneOf(kBoxes);
      const Json* id = MemberOf(*place, "id");
      Note(absl::StrCat("includes.places[id ", id != nullptr ? StringOf(*id) : "", "].geo.bbox = ", value));
      Set(ObjectAt(place, "geo"), "bbox", Raw(value));
    } else {
      const char* value = OneOf(kGeos);
      Note(absl::StrCat("a place's geo = ", value));
      Set(place, "geo", Raw(value));
    }
    return true;
  }

  bool ApplyRepeatedStrings() {
    auto lists = {"edit_history_tweet_ids", "media_keys", "poll_ids", "country_codes", "contained_within",
                  "media_source_tweet_id"};
    int slot = PickSlot([&](int i) {
      return ValueAt(i).IsArray() && std::find(lists.begin(), lists.end(), KeyAt(i)) != lists.end();
    });
    if (slot < 0) {
      Json* tweet = PickTweet();
      if (tweet == nullptr) return false;
      Set(tweet, "edit_history_tweet_ids", Raw(R"(["1","2"])"));
      Note("edit_history_tweet_ids added");
      return true;
    }
    Json& list = ValueAt(slot);
    switch (Below(5)) {
      case 0:
        Note(slot, "\"\" inserted");
        InsertItem(&list, Below(list.Size() + 1), Str(""));
        break;
      case 1:
        Note(slot, "an element duplicated");
        InsertItem(&list, Below(list.Size() + 1), list.Empty() ? Str("1") : Copy(list[0]));
        break;
      case 2:
        Note(slot, "5 inserted");
        InsertItem(&list, Below(list.Size() + 1), Raw("5"));
        break;
      case 3:
        Note(slot, "[]");
        list.SetArray();
        break;
      default:
        Note(slot, "[\"\",\"\"]");
        list = Raw(R"(["",""])");
        break;
    }
    return true;
  }

  // Swaps the ASCII case of every letter (X's handles are case-insensitive).
  static std::string OtherCase(const std::string& text) {
    std::string out = text;
    for (char& c : out) {
      c = absl::ascii_isupper(static_cast<unsigned char>(c)) ? absl::ascii_tolower(static_cast<unsigned char>(c))
                                                              : absl::ascii_toupper(static_cast<unsigned char>(c));
    }
    return out;
  }

  bool ApplyDuplicateUser() {
    Json* includes = MemberOf(*doc_, "includes");
    Json* users = includes != nullptr ? MemberOf(*includes, "users") : nullptr;
    if (users == nullptr || !users->IsArray() || users->Empty() || !(*users)[0].IsObject()) {
      Json* tweet = PickTweet();
      Json* author = tweet != nullptr ? MemberOf(*tweet, "author_id") : nullptr;
      if (author == nullptr || !author->IsString()) return false;
      const std::string id = StringOf(*author);
      Note(absl::StrCat("includes.users = two users with id ", id));
      Set(ObjectAt(doc_, "includes"), "users",
          Raw(absl::StrCat(R"([{"id":")", id, R"(","username":"first","name":"F"},{"id":")", id,
                           R"(","username":"second","name":"S"}])")));
      return true;
    }
    const rapidjson::SizeType index = static_cast<rapidjson::SizeType>(Below(users->Size()));
    if (!(*users)[index].IsObject()) return false;
    Json copy = Copy((*users)[index]);
    const size_t variant = Below(3);
    if (variant == 1) Set(&copy, "username", Str("dup_user"));
    if (variant == 2) {
      if (Json* username = MemberOf(copy, "username"); username != nullptr && username->IsString()) {
        *username = Str(OtherCase(StringOf(*username)));
      }
    }
    Set(&copy, "name", Str("Duplicate"));
    const bool before = Chance(0.5);
    Note(absl::StrCat("includes.users[", index, "] duplicated ", before ? "before" : "after"));
    InsertItem(users, before ? index : index + 1, std::move(copy));
    return true;
  }

  bool ApplyMentionCase() {
    std::vector<Json*> mentions;
    for (Json* tweet : DataTweets()) {
      Json* entities = MemberOf(*tweet, "entities");
      Json* list = entities != nullptr ? MemberOf(*entities, "mentions") : nullptr;
      if (list == nullptr || !list->IsArray()) continue;
      for (Json& mention : list->GetArray()) {
        if (mention.IsObject()) mentions.push_back(&mention);
      }
    }
    if (!mentions.empty() && Chance(0.7)) {
      Json* mention = mentions[Below(mentions.size())];
      Json* username = MemberOf(*mention, "username");
      if (username == nullptr || !username->IsString()) return false;
      const std::string changed = Chance(0.5) ? OtherCase(StringOf(*username))
                                              : absl::AsciiStrToUpper(StringOf(*username));
      Note(absl::StrCat("mention @", StringOf(*username), " -> @", changed));
      *username = Str(changed);
      if (Chance(0.5)) {
        Remove(mention, "id");
      } else if (Chance(0.3)) {
        Set(mention, "id", Str(""));
      }
      return true;
    }
    std::vector<Json*> users = Included("users");
    Json* tweet = PickTweet();
    if (users.empty() || tweet == nullptr) return false;
    Json* user = users[Below(users.size())];
    Json* username = MemberOf(*user, "username");
    if (username == nullptr || !username->IsString()) return false;
    const std::string handle = OtherCase(StringOf(*username));
    Note(absl::StrCat("a mention of @", handle, " by username only"));
    Json* entities = ObjectAt(tweet, "entities");
    Json* list = MemberOf(*entities, "mentions");
    if (list == nullptr || !list->IsArray()) {
      Set(entities, "mentions", Json(rapidjson::kArrayType));
      list = MemberOf(*entities, "mentions");
    }
    Json mention(rapidjson::kObjectType);
    mention.AddMember("start", 0, alloc());
    mention.AddMember("end", static_cast<int>(handle.size() + 1), alloc());
    mention.AddMember("username", Str(handle), alloc());
    InsertItem(list, Below(list->Size() + 1), std::move(mention));
    return true;
  }

  void ApplyBytes(std::string* text) {
    if (text->empty()) return;
    const size_t at = Below(text->size());
    switch (Below(7)) {
      case 0:
        absl::StrAppend(&notes_, "truncated to ", at, " bytes; ");
        text->resize(at);
        break;
      case 1:
        absl::StrAppend(&notes_, "\"x\" appended; ");
        text->append("x");
        break;
      case 2:
        absl::StrAppend(&notes_, "whitespace around; ");
        *text = absl::StrCat(" \t\r\n", *text, " \r\n");
        break;
      case 3:
        absl::StrAppend(&notes_, "BOM prepended; ");
        text->insert(0, "\xEF\xBB\xBF");
        break;
      case 4:
        absl::StrAppend(&notes_, "byte ", at, " -> 0xFF; ");
        (*text)[at] = '\xFF';
        break;
      case 5:
        absl::StrAppend(&notes_, "byte ", at, " removed; ");
        text->erase(at, 1);
        break;
      default:
        absl::StrAppend(&notes_, "',' inserted at ", at, "; ");
        text->insert(at, ",");
        break;
    }
  }

  std::mt19937 rng_;
  Doc* doc_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<std::string> raws_;
  std::string notes_;
  bool bytes_ = false;
  Style style_ = Style::kCompact;
};

// ----------------------------------------------------------------------------------------------------
// Hand-written bodies: every proto field kind at its edges.
// ----------------------------------------------------------------------------------------------------

std::vector<Body> HandWrittenBodies() {
  std::vector<Body> bodies = {
      {"issue 12: extras at every level, partial errors, includes.topics, GeoJSON of a place",
       R"({"data":[{"id":"1","text":"#a @b @gone","author_id":"9","in_reply_to_user_id":"8","geo":{"place_id":"p1",
          "coordinates":{"type":"Point","coordinates":[13.4,52.5],"crs":null},"x":1},"conversation_id":"1","lang":"de",
          "source":"web","reply_settings":"everyone","card_uri":"card://1","community_id":"5",
          "attachments":{"media_keys":["3_1"],"poll_ids":["55"],"media_source_tweet_id":["7"],"future_ids":["x"]},
          "public_metrics":{"like_count":"12","view_count":42},"withheld":{"copyright":1,"country_codes":["DE"],"scope":"tweet","y":2},
          "referenced_tweets":[{"type":"quoted","id":"404","z":1},{"type":"replied_to","id":"5"}],
          "entities":{"hashtags":[{"start":0,"end":2,"tag":"a","score":0.5}],"cashtags":[{"start":0,"end":1,"tag":"T","q":1}],
            "mentions":[{"start":3,"end":5,"username":"b","id":"8","verified":true},{"start":6,"end":11,"username":"gone"}],
            "urls":[{"start":0,"end":1,"url":"u","images":[{"url":"i","width":"w"}],"w":1,"status":"200"}],
            "annotations":[{"start":0,"end":1,"probability":"high","type":"Person"}],"emoji":[]},
          "context_annotations":[{"domain":{"id":"1","name":"D","kind":"k"},"entity":{"id":"2","name":"E"},"rank":3}],
          "edit_controls":{"edits_remaining":5,"edit_window":30,"editable_until":"soon"},
          "note_tweet":{"text":"long","entities":{"hashtags":[]},"lang":"de"},"display_text_range":[0,"9"],
          "edit_history_tweet_ids":["1"],"created_at":"2021-04-01T15:52:31+02:00"}],
        "includes":{"users":[{"id":"9","username":"nine","public_metrics":{"followers_count":1,"subscribers_count":2},
            "entities":{"url":{"urls":[]},"description":{},"note":1},"verified":"yes"},{"id":"8","username":"b","most_recent_tweet_id":"1","profile_banner_url":"https://b"},{"name":"no id"},"x"],
          "places":[{"id":"p1","contained_within":["p0"],"geo":{"type":"Feature","bbox":[13.0,52.3,13.7,52.6],"properties":{}}}],
          "media":[{"media_key":"3_1","type":"video","public_metrics":{"view_count":7,"play_count":8},
            "variants":[{"bit_rate":1,"url":"u","codec":"h264"}],"media_source":"x"}],
          "polls":[{"id":"55","options":[{"position":1,"label":"yes","votes":3,"emoji":"y"}],"poll_kind":"k"}],
          "tweets":[{"id":"5","text":"parent","future":true}],"topics":[{"id":"t1","name":"Topic"}],"users":[]},
        "matching_rules":[{"id":"1","tag":"t","embedding_similarity":0.93,"embedding_threshold":0.8}],
        "errors":[{"value":"gone","detail":"User has been suspended: [gone].","title":"Forbidden","resource_type":"user",
            "parameter":"entities.mentions.username","resource_id":"gone","type":"https://api.twitter.com/2/problems/resource-not-found"},
          {"value":"404","title":"Not Found Error","resource_type":"tweet","parameter":"referenced_tweets.id",
            "resource_id":"404","type":"https://api.twitter.com/2/problems/resource-not-found","status":404},
          {"value":"p9","resource_type":"new-kind","resource_id":"p1"},"not a problem"],
        "stream_meta":{"shard":2},"data":[]})"},
      {"issue 12: matching_rules of the wrong shape, includes not an object",
       R"({"data":{"id":"1","text":"a"},"matching_rules":[{"id":"1"},"x"],"includes":[1]})"},
      {"issue 12: a rule id that lost its digits, a null list, an unknown null list, a place geo not an object",
       R"({"data":{"id":"1","text":"a","geo":{"place_id":"p"}},"matching_rules":[{"id":1.5e18,"tag":"t"}],
          "includes":{"users":null,"topics":null,"places":[{"id":"p","geo":[1,2]}]}})"},
      {"optional fields present with zero/false values, implicit fields zero",
       R"({"data":[{"id":"1","text":"zeros","author_id":"10","possibly_sensitive":false,
          "public_metrics":{"retweet_count":0,"reply_count":0,"like_count":0,"quote_count":0,"bookmark_count":0,
          "impression_count":0},
          "edit_controls":{"edits_remaining":0,"is_edit_eligible":false,"editable_until":"1970-01-01T00:00:00.000Z"},
          "withheld":{"copyright":false,"country_codes":[],"scope":""},
          "entities":{"urls":[{"start":0,"end":0,"url":"","status":0,"images":[{"url":"","width":0,"height":0}]}],
            "annotations":[{"start":0,"end":0,"probability":0.0,"type":"","normalized_text":""},{"start":0,"end":1,
            "probability":-0.0},
                           {"probability":0},{"probability":1},{"probability":4.9e-324},
                           {"probability":1.7976931348623157e308}],
            "hashtags":[{"start":0,"end":0,"tag":""}],"cashtags":[{}],"mentions":[{"start":0,"end":0,"username":"",
            "id":""}]},
          "display_text_range":[0,0],"created_at":"1970-01-01T00:00:00.000Z","conversation_id":"",
          "in_reply_to_user_id":"",
          "lang":"","source":"","reply_settings":"","community_id":"","card_uri":"","geo":{"place_id":"",
          "coordinates":{"type":"Point","coordinates":[0,0]}}}],
        "includes":{"users":[{"id":"10","name":"","username":"","protected":false,"verified":false,"verified_type":"",
            "public_metrics":{"followers_count":0,"following_count":0,"tweet_count":0,"listed_count":0,"like_count":0,
            "media_count":0},
            "withheld":{"copyright":false},"entities":{"url":{"urls":[]},"description":{}},
            "created_at":"1970-01-01T00:00:00Z",
            "pinned_tweet_id":"","most_recent_tweet_id":"","profile_banner_url":"","description":"","location":"",
            "url":"","profile_image_url":""}]},
        "meta":{"result_count":0,"newest_id":"","oldest_id":"","next_token":""}})"},
      {"negative, extreme and true values",
       R"({"data":[{"id":"2","text":"extremes","author_id":"11","possibly_sensitive":true,
          "public_metrics":{"retweet_count":-1,"reply_count":9223372036854775807,"like_count":-9223372036854775808,
          "quote_count":1,"impression_count":2147483648},
          "edit_controls":{"edits_remaining":-1,"is_edit_eligible":true,"editable_until":"1969-12-31T23:59:59.999Z"},
          "withheld":{"copyright":true,"country_codes":["DE","FR"],"scope":"tweet"},
          "entities":{"hashtags":[{"start":-1,"end":2147483647,"tag":"t"}],"mentions":[{"start":-2147483648,"end":-1,
          "username":"u"}],
                      "urls":[{"start":1,"end":2,"status":-1,"images":[{"width":-5,"height":2147483647}]}],
                      "annotations":[{"start":3,"end":4,"probability":-1e-300}]},
          "display_text_range":[-1,-2147483648],"created_at":"0001-01-01T00:00:00.000Z"},
         {"id":"3","text":"far future","created_at":"9999-12-31T23:59:59.999Z","geo":{"coordinates":{"type":"Point",
         "coordinates":[-180,-90]}}}],
        "includes":{"users":[{"id":"11","protected":true,"verified":true,"public_metrics":{"followers_count":-1,
        "media_count":9223372036854775807}}],
                    "media":[],"places":[]}})"},
      {"empty sub-objects",
       R"({"data":[{"id":"4","text":"empty objects","author_id":"12","entities":{},"geo":{},"attachments":{},
         "public_metrics":{},
          "edit_controls":{},"note_tweet":{},"withheld":{},"context_annotations":[{},{"domain":{},"entity":{}}],
          "referenced_tweets":[{}]},
         {"id":"5","text":"geo coordinates empty","geo":{"coordinates":{}}},
         {"id":"6","text":"geo point without coordinates","geo":{"coordinates":{"type":"Point"}},
         "note_tweet":{"text":"","entities":{}}},
         {"id":"7","text":"attachments joins","attachments":{"media_keys":["3_1"],"poll_ids":["p1"]},
         "geo":{"place_id":"pl1"}}],
        "includes":{"users":[{"id":"12","entities":{},"public_metrics":{},"withheld":{}}],
                    "media":[{"media_key":"3_1","public_metrics":{},"variants":[{},{"bit_rate":0},
                    {"content_type":"video/mp4"}]}],
                    "places":[{"id":"pl1","geo":{}}],"polls":[{"id":"p1","options":[{}]}]}})"},
      {"empty arrays",
       R"({"data":[{"id":"8","text":"empty arrays","edit_history_tweet_ids":[],"referenced_tweets":[],
         "context_annotations":[],
          "display_text_range":[],"attachments":{"media_keys":[],"poll_ids":[],"media_source_tweet_id":[]},
          "entities":{"hashtags":[],"cashtags":[],"mentions":[],"urls":[{"images":[]}],"annotations":[]},
          "withheld":{"country_codes":[]}}],
        "includes":{"users":[],"tweets":[],"media":[],"places":[{"id":"x","contained_within":[],"geo":{"bbox":[]}}],
        "polls":[]},
        "matching_rules":[],"errors":[]})"},
      {"stream event, rule ids as strings",
       R"({"data":{"id":"1365348467069751297","text":"stream","author_id":"10",
         "edit_history_tweet_ids":["1365348467069751297"]},
        "includes":{"users":[{"id":"10","username":"a","name":"A"}]},
        "matching_rules":[{"id":"1365348467069751296","tag":"kafka"},{"id":"2","tag":""},{"id":"3"}]})"},
      {"stream event, rule ids as bare integers beyond 2^53 and 2^63",
       R"({"data":{"id":"20","text":"old stream","author_id":"10"},"includes":{"users":[{"id":"10","username":"a"}]},
        "matching_rules":[{"id":1365348467069751297,"tag":"kafka"},{"id":9007199254740993},{"id":18446744073709551615,
        "tag":null},
                          {"id":0},{"id":-1,"tag":"neg"},{"tag":"no id"}]})"},
      {"stream event whose rule cannot be read",
       R"({"data":[{"id":"21","text":"a"},{"id":"22","text":"b"}],"matching_rules":[{"id":1.5,"tag":"t"}]})"},
      {"lookup: data is one object, with every join",
       R"({"data":{"id":"30","text":"@Bob @carol hi","author_id":"10","in_reply_to_user_id":"11","conversation_id":"29",
          "entities":{"mentions":[{"start":0,"end":4,"username":"BOB"},{"start":5,"end":11,"username":"carol",
          "id":"12"},
                                  {"start":12,"end":14,"username":"alice","id":"10"}]},
          "referenced_tweets":[{"type":"replied_to","id":"29"},{"type":"quoted","id":"28"},{"type":"quoted","id":"29"},
          {"type":"retweeted","id":"404"}],
          "attachments":{"media_keys":["3_1","3_2","3_1","3_404"],"poll_ids":["p1","p404"]},"geo":{"place_id":"pl1"}},
        "includes":{"users":[{"id":"10","username":"alice"},{"id":"11","username":"bob"},{"id":"12",
        "username":"carol"}],
          "tweets":[{"id":"29","text":"parent","author_id":"11"},{"id":"28","text":"quoted",
          "edit_controls":{"edits_remaining":"4"}}],
          "media":[{"media_key":"3_1","type":"photo","width":1200,"height":800},{"media_key":"3_2","type":"video",
          "duration_ms":0,
                    "variants":[{"bit_rate":2176000,"content_type":"video/mp4","url":"https://video.example/1.mp4"}]}],
          "places":[{"id":"pl1","full_name":"Berlin, Deutschland","country_code":"DE","place_type":"city",
          "geo":{"type":"Feature","bbox":[13.08,52.33,13.76,52.67],"properties":{}}}],
          "polls":[{"id":"p1","options":[{"position":1,"label":"yes","votes":0},{"position":2,"label":"no","votes":3}],
                    "duration_minutes":1440,"end_datetime":"2021-04-02T15:52:31.000Z","voting_status":"closed"}]}})"},
      {"lookup: data object without text", R"({"data":{"id":"31","author_id":"10"}})"},
      {"lookup: data object with an empty id", R"({"data":{"id":"","text":"x"}})"},
      {"escaped keys equal to known keys",
       R"({"data":[{"\u0069d":"40","t\u0065xt":"escaped keys","author_\u0069d":"10","caf\u00e9":1,
         "\u00e9\ud83d\ude80":"x",
          "\u0065ntities":{"hashtags":[{"t\u0061g":"t","start":0,"end":1}]}}],
        "\u0069ncludes":{"us\u0065rs":[{"id":"10","username":"a","n\u0061me":"N"}]},"m\u0065ta":{"result_count":1}})"},
      {"duplicate keys at every level",
       R"({"data":[{"id":"41","text":"first","text":"second","entities":{"hashtags":[{"tag":"a"}]},
         "entities":{"hashtags":[{"tag":"b"}]},
          "edit_history_tweet_ids":["1"],"edit_history_tweet_ids":["2"],"author_id":"10","author_id":"11",
          "created_at":"2021-04-01T15:52:31.000Z",
          "created_at":"2022-04-01T15:52:31.000Z","public_metrics":{"like_count":1,"like_count":2},"unknown":1,
          "unknown":2}],
        "includes":{"users":[{"id":"10","name":"x","name":"y"},{"id":"11","id":"12"}],"users":[{"id":"11",
        "username":"later"}]},
        "data":[{"id":"42","text":"second data"}],"meta":{"result_count":1,"result_count":2}})"},
      {"unknown fields of every kind (extra_fields_json)",
       R"({"data":[{"id":"50","text":"extras","zz":null,"nested":{"a":[1,2.5,-0.0,1e3,1E+2,0.1,true,false,null,
         "\u00e9\n\"\/\u2028"],"b":{},"c":[]},
          "big":123456789012345678901234567890,"u64":18446744073709551615,"i64":-9223372036854775808,"one":1.0,
          "exp":1e3,"negzero":-0.0,
          "esc":"caf\u00e9 \ud83d\ude80 \n \t \" \\ \/ \u0000","raw":"caf)" "\xC3\xA9" R"( \u00e9","withheld":null,
          "author_id":null,
          "deep":[[[[{"k":[[]]}]]]],"empty_key":{"":""}}],
        "includes":{"users":[{"id":"10","username":"u","zz":{"x":1.5e-10},"entities":{"zz":1}}],"tweets":[{"id":"51",
        "text":"t","new_field":[1,"2"]}]}})"},
      {"whitespace everywhere",
       "\r\n\t {\r\n\t \"data\" \t:\r\n [ { \"id\" : \"60\" , \"text\" : \"spaces\" ,\n"
       "\"author_id\"\t:\t\"10\" , \"public_metrics\" : { \"like_count\" : 1 } , "
       "\"display_text_range\" : [ 0 , 6 ] } ] ,\n \"includes\" : { \"users\" : [ { \"id\" : \"10\" } ] "
       "} , \"extra\" : { \"a\" : [ 1 , { } , [ ] ] } } \r\n"},
      {"users with duplicate ids, mentions by username in another case",
       R"({"data":[{"id":"70","text":"@ALICE @Bob @bob","author_id":"12","in_reply_to_user_id":"12",
          "entities":{"mentions":[{"start":0,"end":6,"username":"ALICE"},{"start":7,"end":11,"username":"Bob",
          "id":"404"},
                                  {"start":12,"end":16,"username":"bob","id":""},{"username":"carol"},
                                  {"username":""}]}},
         {"id":"71","text":"author mentions self","author_id":"10","entities":{"mentions":[{"username":"alice"},
         {"username":"Alice2"}]}}],
        "includes":{"users":[{"id":"10","username":"alice","name":"first"},{"id":"10","username":"alice2",
        "name":"second"},
                             {"id":"11","username":"BOB"},{"id":"11","username":"bob","name":"dup"},{"id":"12",
                             "username":"carol"}]}})"},
      {"included users without a usable id",
       R"({"data":[{"id":"72","text":"@noid @emptyid","author_id":"10","entities":{"mentions":[{"username":"noid"},
         {"username":"emptyid"}]}}],
        "includes":{"users":[{"id":"10","username":"alice"},{"username":"noid"},{"id":"","username":"emptyid"},{"id":5},
                             "not an object"]}})"},
      {"includes with problems",
       R"({"data":[{"id":"80","text":"refs","author_id":"10","referenced_tweets":[{"type":"quoted","id":"81"},
         {"type":"quoted","id":"82"}],
          "attachments":{"media_keys":["m1","m2"],"poll_ids":["p1"]},"geo":{"place_id":"pl1"}}],
        "includes":{"tweets":[{"id":"81","text":"first"},{"id":"81","text":"second"},{"id":"82","text":5},
        {"text":"no id"}],
          "media":[{"media_key":"m1","width":1.5},{"type":"photo"},{"media_key":"m2","width":3000000000},
          {"media_key":"m2","width":1}],
          "polls":[{"id":"p1","options":[{"position":"1"}]},{"id":"p1","options":[{"position":1,"votes":-1}]}],
          "places":[{"id":null},{"id":"pl1","geo":{"bbox":[1,"2"]}},{"id":"pl1","geo":{"bbox":[-0.0,0,-0.0,0]}}]}})"},
      {"times in other RFC 3339 forms",
       R"({"data":[{"id":"90","text":"a","created_at":"2021-04-01T15:52:31+02:00"},{"id":"91","text":"b",
         "created_at":"2021-04-01T15:52:31.1Z"},
         {"id":"92","text":"c","created_at":"2016-12-31T23:59:60Z"},{"id":"93","text":"d",
         "created_at":"2021-04-01T15:52:31Z"},
         {"id":"94","text":"e","created_at":"2021-04-01T15:52:31.123456789Z"},{"id":"98","text":"i",
         "created_at":"2021-04-01T15:52:31.000-23:59"},
         {"id":"99","text":"j","created_at":"1969-12-31T23:59:59.999Z"},{"id":"100","text":"k",
         "created_at":"2024-02-29T23:59:59.999Z"},
         {"id":"102","text":"m","edit_controls":{"editable_until":"2022-10-03T16:00:00+00:00"}},{"id":"103","text":"n",
         "created_at":"1970-01-01T00:00:00Z"},
         {"id":"104","text":"o","created_at":"0001-01-01T00:00:00.000Z"},{"id":"105","text":"p",
         "created_at":"9999-12-31T23:59:59.999Z"},
         {"id":"106","text":"q","poll":1,"attachments":{"poll_ids":["p"]}}],
        "includes":{"polls":[{"id":"p","end_datetime":"2021-04-01T15:52:31.1Z"}],"users":[{"id":"1",
        "created_at":"2007-01-01T00:00:00+01:00"}]}})"},
      {"times that are not times",
       R"({"data":[{"id":"95","text":"f","created_at":"garbage"},{"id":"96","text":"g",
         "created_at":"2021-02-29T00:00:00.000Z"},
         {"id":"97","text":"h","created_at":"0000-01-01T00:00:00.000Z"},{"id":"101","text":"l","created_at":5},
         {"id":"107","text":"r","created_at":"10000-01-01T00:00:00Z"},{"id":"108","text":"s","created_at":""},
         {"id":"109","text":"t","created_at":"2021-04-01T15:52:31.000Z"}]})"},
      {"strings: escapes, raw UTF-8, surrogate pairs, lone surrogates",
       R"({"data":[{"id":"110",
         "text":"caf\u00e9 caf)" "\xC3\xA9" R"( \ud83d\ude80 \uD83E\uDD41 \n\t\"\\\/ &amp; \u0000 end",
         "author_id":"10"},
         {"id":"111","text":"lone high \ud83d end"},{"id":"112","text":"\ude00 lone low first"},{"id":"113",
         "text":"high high \ud83d\ud83d"},
         {"id":"114","text":"high then letter \ud83d\u0041"},{"id":"115","text":"at end \ud83d"}],
        "includes":{"users":[{"id":"10","name":"\ud83d","description":"\u2028\u2029"}]}})"},
      {"edits_remaining in every accepted form",
       R"({"data":[{"id":"120","text":"a","edit_controls":{"edits_remaining":"4"}},{"id":"121","text":"b",
         "edit_controls":{"edits_remaining":5}},
         {"id":"124","text":"e","edit_controls":{"edits_remaining":"-1"}},{"id":"125","text":"f",
         "edit_controls":{"edits_remaining":" 4"}},
         {"id":"126","text":"g","edit_controls":{"edits_remaining":"+4"}},{"id":"130","text":"k",
         "edit_controls":{"edits_remaining":null}},
         {"id":"132","text":"m","edit_controls":{"edits_remaining":"0"}},{"id":"133","text":"n",
         "edit_controls":{"edits_remaining":"04"}},
         {"id":"134","text":"o","edit_controls":{"edits_remaining":0}},{"id":"135","text":"p",
         "edit_controls":{"edits_remaining":-1}},
         {"id":"136","text":"q","edit_controls":{"edits_remaining":"2147483647"}}]})"},
      {"edits_remaining refused",
       R"({"data":[{"id":"122","text":"c","edit_controls":{"edits_remaining":"x"}},{"id":"123","text":"d",
         "edit_controls":{"edits_remaining":""}},
         {"id":"127","text":"h","edit_controls":{"edits_remaining":3000000000}},{"id":"128","text":"i",
         "edit_controls":{"edits_remaining":"3000000000"}},
         {"id":"129","text":"j","edit_controls":{"edits_remaining":4.0}},{"id":"131","text":"l",
         "edit_controls":{"edits_remaining":true}},
         {"id":"137","text":"r","edit_controls":{"edits_remaining":"4"}}]})"},
      {"coordinates and bbox accepted",
       R"({"data":[{"id":"141","text":"b","geo":{"coordinates":{"type":"Point","coordinates":[1,2,3]}}},
         {"id":"143","text":"d","geo":{"coordinates":{"type":"Point","coordinates":[-0.0,0.0]}}},
         {"id":"144","text":"e","geo":{"coordinates":{"type":"Point","coordinates":[1e3,1.5]},"place_id":"pa"}},
         {"id":"145","text":"f","geo":{"place_id":"pb"}},{"id":"146","text":"g","geo":{"place_id":"pc"}},
         {"id":"147","text":"h","geo":{"coordinates":null,"place_id":"pe"}}],
        "includes":{"places":[{"id":"pa","geo":{"bbox":[]}},{"id":"pb","geo":{"bbox":[1]}},{"id":"pc",
        "geo":{"bbox":[-0.0,0,1e3,1.5]}},
                              {"id":"pd","geo":{"bbox":null}},{"id":"pe","geo":{"type":"Feature","bbox":[1,2,3,4,5],
                              "properties":{}}}]}})"},
      {"coordinates and bbox refused",
       R"({"data":[{"id":"140","text":"a","geo":{"coordinates":{"type":"Point","coordinates":[1]}}},
         {"id":"142","text":"c","geo":{"coordinates":{"type":"Point","coordinates":[]}}},
         {"id":"148","text":"i","geo":{"coordinates":{"type":"Point","coordinates":["1","2"]}}},
         {"id":"149","text":"j","geo":{"place_id":"pd"}}],
        "includes":{"places":[{"id":"pd","geo":{"bbox":["x"]}}]}})"},
      {"errors beside data", R"({"data":[{"id":"150","text":"ok"}],"errors":[{"resource_id":"151",
        "title":"Not Found Error",
        "detail":"Could not find tweet with ids: [151].",
        "type":"https://api.twitter.com/2/problems/resource-not-found"},
        {"message":"folded? no"},5]})"},
      {"whole-body problem with folded errors",
       R"({"errors":[{"parameters":{"ids":["x"]},"message":"The `ids` query parameter value [x] is not valid"},
         {"message":"second"}],
        "title":"Invalid Request","detail":"One or more parameters to your request was invalid.",
        "type":"https://api.twitter.com/2/problems/invalid-request"})"},
      {"errors of other types", R"({"data":[{"id":"160","text":"a"}],"errors":{"title":"x"},"meta":"x",
        "includes":[]})"},
      {"a tweet with a field of the wrong type between good ones",
       R"({"data":[{"id":"170","text":"good"},{"id":"171","text":"bad","public_metrics":{"like_count":"5"}},
         {"id":"172","text":"good too","lang":"en"},{"id":"173","text":"bad","display_text_range":[1.5]},
         {"text":"no id"},null,
         {"id":"174","text":"good again"}]})"},
      {"many tweets joining the same includes",
       R"({"data":[{"id":"180","text":"a","author_id":"10","attachments":{"media_keys":["m"],"poll_ids":["p"]},
         "geo":{"place_id":"pl"}},
         {"id":"181","text":"b","author_id":"10","attachments":{"media_keys":["m","m"]},"geo":{"place_id":"pl"},
         "in_reply_to_user_id":"11"},
         {"id":"182","text":"c","author_id":"11","in_reply_to_user_id":"10","referenced_tweets":[{"type":"quoted",
         "id":"180"}]},
         {"id":"183","text":"d","author_id":"11","attachments":{"poll_ids":["p","p"]}}],
        "includes":{"users":[{"id":"10","username":"a","description":"a user"},{"id":"11","username":"b"}],
          "tweets":[{"id":"180","text":"a"}],"media":[{"media_key":"m","type":"photo"}],"places":[{"id":"pl",
          "name":"P"}],
          "polls":[{"id":"p","options":[{"position":1,"label":"x","votes":1}]}]},"meta":{"result_count":4,
          "newest_id":"183","oldest_id":"180"}})"},
      {"empty strings in lists of strings",
       R"({"data":[{"id":"191","text":"a","edit_history_tweet_ids":["","191",""],"attachments":{"media_keys":[""],
         "poll_ids":["",""]},
          "withheld":{"country_codes":[""]}}],"includes":{"places":[{"id":"p","contained_within":[""]}]}})"},
      // Bodies in a row (the test maps them in this order): what a body joins must come from its own
      // includes only, never from the previous body's.
      {"scratch 1/4: users, media and a place to join",
       R"({"data":[{"id":"300","text":"@bob","author_id":"10","entities":{"mentions":[{"username":"bob"}]},
          "attachments":{"media_keys":["m"]},"geo":{"place_id":"pl"}}],
        "includes":{"users":[{"id":"10","username":"alice"},{"id":"11","username":"bob"}],"media":[{"media_key":"m"}],
          "places":[{"id":"pl"}]}})"},
      {"scratch 2/4: the same ids, no includes",
       R"({"data":[{"id":"301","text":"@bob","author_id":"10","in_reply_to_user_id":"11",
         "entities":{"mentions":[{"username":"bob"}]},
          "attachments":{"media_keys":["m"]},"geo":{"place_id":"pl"}}]})"},
      {"scratch 3/4: users, media and a place to join (again)",
       R"({"data":[{"id":"302","text":"@bob","author_id":"10","entities":{"mentions":[{"username":"bob"}]}}],
        "includes":{"users":[{"id":"10","username":"alice"},{"id":"11","username":"bob"}]}})"},
      {"scratch 4/4: the same username, another user list",
       R"({"data":[{"id":"303","text":"@bob","entities":{"mentions":[{"username":"BOB"}]}}],
        "includes":{"users":[{"id":"12","username":"carol"}]}})"},
      {"one small body after the big ones", R"({"data":{"id":"190","text":"solo","author_id":"10"}})"},
      {"data null", R"({"data":null,"meta":{"result_count":0}})"},
      {"data empty array", R"({"data":[]})"},
      {"data empty object", R"({"data":{}})"},
      {"data of non-objects", R"({"data":[null,1,"x",[],{},true]})"},
      {"data a string", R"({"data":"x"})"},
      {"empty object", "{}"},
      {"an array", "[]"},
      {"an array of a body", R"([{"data":[{"id":"1","text":"x"}]}])"},
      {"a string", R"("str")"},
      {"a number", "42"},
      {"null", "null"},
      {"true", "true"},
      {"empty", ""},
      {"spaces", "  \r\n "},
      {"an unterminated object", "{"},
      {"trailing content", R"({"data":[]} x)"},
      {"two objects", "{}{}"},
      {"a byte-order mark", "\xEF\xBB\xBF{\"data\":[]}"},
      {"a trailing newline", "{\"data\":[{\"id\":\"200\",\"text\":\"a\"}]}\n"},
      {"invalid UTF-8 in a string", "{\"data\":[{\"id\":\"201\",\"text\":\"bad \xFF byte\"}]}"},
      {"a number out of double range", R"({"data":[{"id":"202","text":"a","extra":1e400}]})"},
  };
  return bodies;
}

// Bodies whose sizes cross the varint boundaries of length prefixes: texts and descriptions of every
// length around 128 and 16384 bytes (the tweet, the user and the whole envelope each cross them at a
// different length), and one text above 2 MiB (a four-byte length).
std::vector<Body> FieldSizeBodies() {
  std::vector<Body> bodies;
  std::string small = R"({"data":[)";
  std::string users;
  for (int length = 60; length <= 140; ++length) {
    if (length > 60) absl::StrAppend(&small, ",");
    absl::StrAppend(&small, R"({"id":")", length, R"(","text":")", std::string(static_cast<size_t>(length), 'a'),
                    R"(","author_id":"u)", length, R"("})");
    if (length > 60) absl::StrAppend(&users, ",");
    absl::StrAppend(&users, R"({"id":"u)", length, R"(","description":")",
                    std::string(static_cast<size_t>(length), 'd'), R"("})");
  }
  absl::StrAppend(&small, R"(],"includes":{"users":[)", users, "]}}");
  bodies.push_back({"text and author lengths 60..140", small});

  std::string large = R"({"data":[)";
  for (int length = 16280; length <= 16400; length += 2) {
    if (length > 16280) absl::StrAppend(&large, ",");
    absl::StrAppend(&large, R"({"id":")", length, R"(","text":")", std::string(static_cast<size_t>(length), 'b'),
                    R"(","author_id":"big"})");
  }
  absl::StrAppend(&large, R"(],"includes":{"users":[{"id":"big","description":")", std::string(16370, 'c'),
                  R"("}]}})");
  bodies.push_back({"text lengths 16280..16400", large});

  bodies.push_back({"a text above 2 MiB",
                    absl::StrCat(R"({"data":[{"id":"1","text":")", std::string((1u << 21) + 10, 'x'), R"("}]})")});
  return bodies;
}

// ----------------------------------------------------------------------------------------------------
// The tests. They share one encoder (Differ::Shared) and run in this order.
// ----------------------------------------------------------------------------------------------------

// Every recorded body, and every sample, as it is: in file order and again in reverse (big pages then
// small events, and the other way round), each time under another context.
TEST(XEncoderDifferentialTest, RecordedBodies) {
  const std::vector<MappingContext> contexts = Contexts();
  const std::vector<Body> fixtures = RecordedFixtureBodies();
  const std::vector<Body> samples = SampleBodies();
  ASSERT_FALSE(fixtures.empty());
  ASSERT_FALSE(samples.empty());
  Differ& differ = Differ::Shared();

  const Differ::Counts start = differ.counts();
  for (size_t i = 0; i < fixtures.size(); ++i) {
    differ.Check(fixtures[i].label, fixtures[i].text, contexts[i % contexts.size()]);
  }
  const Differ::Counts fixture_counts = Since(start);

  for (size_t i = 0; i < samples.size(); ++i) {
    differ.Check(samples[i].label, samples[i].text, contexts[i % contexts.size()]);
  }
  std::vector<Body> all = fixtures;
  all.insert(all.end(), samples.begin(), samples.end());
  for (size_t i = all.size(); i-- > 0;) {
    differ.Check(absl::StrCat(all[i].label, " (second pass)"), all[i].text, contexts[(i + 3) % contexts.size()]);
  }
  const Differ::Counts counts = Since(start);

  RecordProperty("fixture_bodies", fixture_counts.bodies);
  RecordProperty("fixture_bodies_with_tweets", fixture_counts.with_tweets);
  std::cout << "[ recorded  ] " << Summary(counts) << "\n";

  EXPECT_EQ(counts.mismatches, 0) << Summary(counts);
  // Not vacuous: the recordings hold 841 tweets (see x_json_mapper_test.cc), the samples 70.
  EXPECT_GE(fixture_counts.tweets, 841);
  EXPECT_GE(counts.tweets, 2 * (841 + 70));
}

// The hand-written edge cases in order, once under each context; then the field-size boundaries.
TEST(XEncoderDifferentialTest, HandWrittenEdges) {
  const std::vector<MappingContext> contexts = Contexts();
  const std::vector<Body> bodies = HandWrittenBodies();
  Differ& differ = Differ::Shared();
  const Differ::Counts start = differ.counts();
  for (const MappingContext& context : contexts) {
    for (const Body& body : bodies) differ.Check(body.label, body.text, context);
  }
  const std::vector<Body> sized = FieldSizeBodies();
  for (size_t i = 0; i < sized.size(); ++i) {
    differ.Check(sized[i].label, sized[i].text, contexts[i % contexts.size()]);
    differ.Check(sized[i].label, sized[i].text, contexts[(i + 2) % contexts.size()]);
  }
  const Differ::Counts counts = Since(start);
  std::cout << "[ edges     ] " << Summary(counts) << "\n";
  EXPECT_EQ(counts.mismatches, 0) << Summary(counts);
  EXPECT_GT(counts.with_tweets, 0);
  EXPECT_GT(counts.with_skipped, 0);
  EXPECT_GT(counts.invalid, 0);
}

// Thousands of deterministic mutations of the recorded bodies, the samples and the hand-written ones.
TEST(XEncoderDifferentialTest, MutatedBodies) {
  const std::vector<MappingContext> contexts = Contexts();
  std::vector<Body> sources = RecordedFixtureBodies();
  ASSERT_FALSE(sources.empty());
  for (Body& body : SampleBodies()) sources.push_back(std::move(body));
  for (Body& body : HandWrittenBodies()) sources.push_back(std::move(body));

  // The seeds: every source RapidJSON reads as an object; big pages as windows of a few tweets.
  std::mt19937 window_rng(kMutationSeed);
  std::vector<Seed> seeds;
  int unparsed = 0;
  for (const Body& body : sources) {
    auto doc = std::make_unique<Doc>();
    doc->Parse<rapidjson::kParseFullPrecisionFlag>(body.text.data(), body.text.size());
    if (doc->HasParseError() || !doc->IsObject()) {
      ++unparsed;
      continue;
    }
    const Json* data = MemberOf(*doc, "data");
    const bool has_tweets = data != nullptr && (data->IsObject() || (data->IsArray() && !data->Empty()));
    if (body.text.size() > 48 * 1024 && data != nullptr && data->IsArray() && data->Size() > 6) {
      for (int w = 0; w < 8; ++w) {
        const size_t count = 1 + std::uniform_int_distribution<size_t>(0, 4)(window_rng);
        const size_t begin = std::uniform_int_distribution<size_t>(0, data->Size() - count)(window_rng);
        seeds.push_back(
            {absl::StrCat(body.label, " data[", begin, "..", begin + count, ")"), Window(*doc, begin, count), true});
      }
    } else {
      seeds.push_back({body.label, std::move(doc), has_tweets});
    }
  }
  std::vector<size_t> with_tweets;
  for (size_t i = 0; i < seeds.size(); ++i) {
    if (seeds[i].has_tweets) with_tweets.push_back(i);
  }
  ASSERT_FALSE(with_tweets.empty());

  Differ& differ = Differ::Shared();
  const Differ::Counts start = differ.counts();
  // The windows as they are first (they are bodies of their own).
  for (size_t i = 0; i < seeds.size(); ++i) {
    differ.Check(absl::StrCat(seeds[i].label, " (seed)"), Serialize(*seeds[i].doc, Style::kCompact),
                 contexts[i % contexts.size()]);
  }

  Mutator mutator(kMutationSeed);
  std::mt19937 pick_rng(kMutationSeed + 1);
  std::vector<int> applied_count(static_cast<size_t>(Op::kCount), 0);
  for (int i = 0; i < kMutatedBodies; ++i) {
    const size_t seed = std::bernoulli_distribution(0.8)(pick_rng)
                            ? with_tweets[std::uniform_int_distribution<size_t>(0, with_tweets.size() - 1)(pick_rng)]
                            : std::uniform_int_distribution<size_t>(0, seeds.size() - 1)(pick_rng);
    std::string description;
    std::vector<Op> applied;
    const std::string body = mutator.Mutate(*seeds[seed].doc, &description, &applied);
    for (Op op : applied) ++applied_count[static_cast<size_t>(op)];
    std::vector<std::string> names;
    for (Op op : applied) names.push_back(OpName(op));
    differ.Check(absl::StrCat("mutation #", i, " [", absl::StrJoin(names, "+"), "] of ", seeds[seed].label, ": ",
                              description),
                 body, contexts[static_cast<size_t>(i) % contexts.size()]);
  }
  const Differ::Counts counts = Since(start);

  std::vector<std::string> histogram;
  for (size_t op = 0; op < applied_count.size(); ++op) {
    histogram.push_back(absl::StrCat(OpName(static_cast<Op>(op)), " ", applied_count[op]));
  }
  std::cout << "[ mutated   ] " << seeds.size() << " seeds (" << unparsed << " sources not JSON objects), "
            << kMutatedBodies << " mutated bodies: " << Summary(counts) << "\n"
            << "[ operators ] " << absl::StrJoin(histogram, ", ") << "\n";
  RecordProperty("mutated_bodies", kMutatedBodies);

  EXPECT_EQ(counts.mismatches, 0) << Summary(counts);
  // Not vacuous: every operator was applied, and the bodies span every outcome.
  for (size_t op = 0; op < applied_count.size(); ++op) {
    EXPECT_GT(applied_count[op], 0) << OpName(static_cast<Op>(op));
  }
  EXPECT_GT(counts.with_tweets, kMutatedBodies / 2);
  EXPECT_GT(counts.with_skipped, kMutatedBodies / 10);
  EXPECT_GT(counts.invalid, kMutatedBodies / 50);
}

// Every field of tweet.proto reachable from TweetEnvelope (walking the descriptor) was set in some
// envelope of the bodies above (recorded, hand-written, mutated): no field goes unexercised by the
// differential comparison. Runs after the tests above (gtest keeps the order of a file).
TEST(XEncoderDifferentialTest, EveryFieldOfTheSchemaIsExercised) {
  std::set<std::string> all;
  std::set<const google::protobuf::Descriptor*> visited;
  auto walk = [&](auto& self, const google::protobuf::Descriptor* d) -> void {
    if (!visited.insert(d).second || d->full_name() == "google.protobuf.Timestamp") return;
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      all.insert(absl::StrCat(d->name(), ".", f->name()));
      if (f->message_type() != nullptr) self(self, f->message_type());
    }
  };
  walk(walk, pb::TweetEnvelope::descriptor());
  const std::set<std::string>& seen = Differ::Shared().set_fields();
  std::vector<std::string> missing;
  for (const std::string& field : all) {
    if (seen.count(field) == 0) missing.push_back(field);
  }
  EXPECT_GT(all.size(), 150u);
  EXPECT_THAT(missing, ::testing::IsEmpty()) << "fields no body set: add them to a hand-written body";
}

}  // namespace
}  // namespace tweetstream::source
