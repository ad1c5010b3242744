// _bulk response parsing (EsClient::Bulk, sink-connector/es_client.h) behind a fake HttpClient that
// answers 200 with the body the input makes. Two halves, chosen by byte 0:
//  * even: the rest is the body itself (any bytes), and byte 1 the number of actions sent (0..255);
//  * odd:  a structurally valid response built from the input with RapidJSON's Writer, with odd items:
//    any action name, a status that is an in-range or out-of-range integer, a double, a string, null
//    or missing, an error object with members of any type, items that are not objects, a count that
//    may not match. The oracle knows what each item says, so it knows the answer: OK exactly when
//    every item is a non-empty object with an integer status in 100..599 and the count matches, and
//    then the results carry those statuses and the error's type and reason (when strings) in order.
// For the arbitrary bytes: never a crash; an OK answer has exactly the number of actions sent, each with
// a status in 100..599 (a bad answer must never pass for items indexed).

#include <fuzzer/FuzzedDataProvider.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/http_client.h"
#include "sink-connector/es_client.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tweetstream::fuzz::Check;

class FixedAnswer : public tweetstream::common::HttpClient {
 public:
  std::string body;
  absl::StatusOr<tweetstream::common::HttpResponse> Send(const tweetstream::common::HttpRequest&) override {
    tweetstream::common::HttpResponse r;
    r.status = 200;
    r.body = body;
    return r;
  }
};

struct Expected {
  bool ok = true;
  std::vector<tweetstream::sink::BulkItemResult> results;
};

// Printable ASCII only: the body must stay valid JSON (invalid UTF-8 is the other half's business).
std::string Text(FuzzedDataProvider& in, size_t max) {
  std::string s = in.ConsumeRandomLengthString(max);
  for (char& c : s) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 95);
  return s;
}

// Writes a value of a type the input picks (for error members and other odd places); never a string
// when `strings` is false, and objects' keys start with "x" (never "type" or "reason").
void OddValue(FuzzedDataProvider& in, rapidjson::Writer<rapidjson::StringBuffer>& w, int depth, bool strings = true) {
  int kind = in.ConsumeIntegralInRange<int>(0, depth > 2 ? 5 : 7);
  if (kind == 5 && !strings) kind = 0;
  switch (kind) {
    case 0: w.Null(); break;
    case 1: w.Bool(in.ConsumeBool()); break;
    case 2: w.Int64(in.ConsumeIntegral<int64_t>()); break;
    case 3: w.Uint64(in.ConsumeIntegral<uint64_t>()); break;
    case 4: w.Double(in.ConsumeFloatingPoint<double>()); break;
    case 5: {
      const std::string s = Text(in, 64);
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case 6:
      w.StartArray();
      for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) OddValue(in, w, depth + 1);
      w.EndArray();
      break;
    default:
      w.StartObject();
      for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
        const std::string k = "x" + Text(in, 16);
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        OddValue(in, w, depth + 1);
      }
      w.EndObject();
  }
}

std::string BuildResponse(FuzzedDataProvider& in, size_t* actions, Expected* expected) {
  static const char* kActions[] = {"index", "create", "delete", "update", "", "something-new"};
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("took");
  w.Int(in.ConsumeIntegralInRange<int>(0, 1000));
  w.Key("errors");
  w.Bool(in.ConsumeBool());
  w.Key("items");
  w.StartArray();
  const size_t items = in.ConsumeIntegralInRange<size_t>(0, 40);
  for (size_t i = 0; i < items; ++i) {
    const int shape = in.ConsumeIntegralInRange<int>(0, 15);
    if (shape == 0) {  // not an object
      OddValue(in, w, 3);
      expected->ok = false;
      continue;
    }
    w.StartObject();
    if (shape == 1) {  // an empty wrapper
      w.EndObject();
      expected->ok = false;
      continue;
    }
    const char* action = kActions[in.ConsumeIntegralInRange<size_t>(0, 5)];
    w.Key(action);
    w.StartObject();
    w.Key("_index");
    w.String("twitter");
    w.Key("_id");
    w.String(absl::StrCat(i).c_str());
    tweetstream::sink::BulkItemResult result;
    bool item_ok = true;
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0: {  // any int64: valid only when it is an HTTP status
        const int64_t v = in.ConsumeIntegral<int64_t>();
        w.Key("status");
        w.Int64(v);
        item_ok = v >= 100 && v <= 599;
        if (item_ok) result.status = static_cast<int>(v);
        break;
      }
      case 1: w.Key("status"); w.Uint64(in.ConsumeIntegralInRange<uint64_t>(1ull << 63, ~0ull)); item_ok = false; break;
      case 2: w.Key("status"); w.Double(201.0); item_ok = false; break;
      case 3: w.Key("status"); w.String("201"); item_ok = false; break;
      case 4: w.Key("status"); w.Null(); item_ok = false; break;
      case 5: item_ok = false; break;  // no status
      default: {
        result.status = in.ConsumeIntegralInRange<int>(100, 599);
        w.Key("status");
        w.Int(result.status);
      }
    }
    if (in.ConsumeBool()) {
      w.Key("error");
      if (in.ConsumeBool()) {
        w.StartObject();
        w.Key("type");
        if (in.ConsumeBool()) {
          result.error_type = Text(in, 32);
          w.String(result.error_type.data(), static_cast<rapidjson::SizeType>(result.error_type.size()));
        } else {
          OddValue(in, w, 2, /*strings=*/false);
        }
        w.Key("reason");
        if (in.ConsumeBool()) {
          result.error_reason = Text(in, 32);
          w.String(result.error_reason.data(), static_cast<rapidjson::SizeType>(result.error_reason.size()));
        } else {
          OddValue(in, w, 2, /*strings=*/false);
        }
        w.EndObject();
      } else {
        OddValue(in, w, 2);
      }
    }
    w.EndObject();
    w.EndObject();
    if (!item_ok) expected->ok = false;
    expected->results.push_back(std::move(result));
  }
  w.EndArray();
  w.EndObject();
  *actions = in.ConsumeBool() ? items : in.ConsumeIntegralInRange<size_t>(0, 50);
  if (*actions != items) expected->ok = false;
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tweetstream::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  FixedAnswer http;
  tweetstream::sink::EsClient client(&http, tweetstream::sink::EsOptions{});
  size_t actions = data[1];
  Expected expected;
  const bool structured = (data[0] & 1) != 0;
  if (structured) {
    FuzzedDataProvider in(data + 1, size - 1);
    http.body = BuildResponse(in, &actions, &expected);
  } else {
    http.body.assign(reinterpret_cast<const char*>(data) + 2, size - 2);
  }
  absl::StatusOr<std::vector<tweetstream::sink::BulkItemResult>> results = client.Bulk("{}\n", actions);
  if (results.ok()) {
    Check(results->size() == actions, absl::StrCat("OK with ", results->size(), " items for ", actions, " actions"));
    for (const auto& r : *results) {
      Check(r.status >= 100 && r.status <= 599, absl::StrCat("OK with an item status ", r.status));
    }
  } else {
    Check(absl::IsInternal(results.status()), absl::StrCat("an unreadable answer is INTERNAL, got ",
                                                           results.status().ToString()));
  }
  if (!structured) return 0;
  Check(results.ok() == expected.ok,
        absl::StrCat("expected ", expected.ok ? "OK" : "a refusal", ", got ", results.status().ToString(),
                     "; body: ", http.body.substr(0, 300)));
  if (!results.ok()) return 0;
  for (size_t i = 0; i < actions; ++i) {
    const auto& got = (*results)[i];
    const auto& want = expected.results[i];
    Check(got.status == want.status, absl::StrCat("item ", i, " status ", got.status, " vs ", want.status));
    Check(got.error_type == want.error_type, absl::StrCat("item ", i, " error type differs"));
    Check(got.error_reason == want.error_reason,
          absl::StrCat("item ", i, " error reason '", got.error_reason, "' vs '", want.error_reason, "'"));
  }
  return 0;
}
