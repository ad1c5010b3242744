// An arbitrary Kafka record value -> TweetEnvelope -> Elasticsearch document, the way tweet-sink reads
// a record (sink-connector/sink_app.cc): the Confluent wire-format frame when the value starts with its
// magic byte, the Protobuf decode, the document id check, RenderDocument. Any producer can write to the
// topic, so for any bytes:
//  * a rendered document is one line of valid JSON, an object, and valid UTF-8 (RapidJSON, an
//    independent parser, iterative so that depth is no limit, with UTF-8 validation);
//  * rendering the same envelope twice gives the same bytes;
//  * every time the sink takes from the envelope (DocumentTimeMillis) is a value the document holds.
// Crashes and sanitizer reports are findings too.
//
// Seeds: with TWEETSTREAM_FUZZ_WRITE_SEEDS=OUT and TWEETSTREAM_FUZZ_SEED_BODIES=DIR (scripts/fuzz.sh), the
// binary maps every X API body of DIR with the production mapper, writes each envelope's bytes (and a
// Confluent-framed copy of every third) into OUT, and exits.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/confluent_wire.h"
#include "sink-connector/bulk_request.h"
#include "sink-connector/es_document.h"
#include "source-connector/x_json_mapper.h"
#include "tests/fuzz/fuzz_util.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace {

using tweetstream::fuzz::Check;

void CheckTime(const google::protobuf::Timestamp& ts) {
  const std::optional<int64_t> ms = tweetstream::sink::DocumentTimeMillis(ts);
  if (!ms) return;
  // 0001-01-01 .. 9999-12-31T23:59:59.999 in milliseconds.
  Check(*ms >= -62135596800000 && *ms <= 253402300799999, absl::StrCat("DocumentTimeMillis out of range: ", *ms));
}

void WriteSeeds(const char* bodies, const char* out) {
  namespace fs = std::filesystem;
  fs::create_directories(out);
  int written = 0;
  for (const auto& entry : fs::directory_iterator(bodies)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    tweetstream::source::MappingContext context;
    context.mode = "replay";
    context.origin = entry.path().filename().string();
    auto parsed = tweetstream::source::ParseXResponse(text.str(), context);
    if (!parsed.ok()) continue;
    for (const auto& envelope : parsed->envelopes) {
      std::string value = envelope.SerializeAsString();
      if (written % 3 == 2) value = tweetstream::common::ConfluentProtobufPrefix(7) + value;  // framed, index [0]
      ++written;  // named by content, as make_corpus.py names its seeds: a second run adds nothing
      std::ofstream(absl::StrCat(out, "/seed-", absl::Hex(std::hash<std::string>()(value), absl::kZeroPad16)),
                    std::ios::binary)
          << value;
    }
  }
  std::fprintf(stderr, "envelope_document_fuzzer: %d seeds written to %s\n", written, out);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tweetstream::fuzz::QuietLogs();
  const char* out = std::getenv("TWEETSTREAM_FUZZ_WRITE_SEEDS");
  const char* bodies = std::getenv("TWEETSTREAM_FUZZ_SEED_BODIES");
  if (out != nullptr && bodies != nullptr) {
    WriteSeeds(bodies, out);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* envelope = new tweetstream::tweet::v1::TweetEnvelope();
  static auto* out = new std::string();
  absl::string_view payload = tweetstream::fuzz::AsView(data, size);
  if (tweetstream::common::LooksConfluentFramed(payload)) {
    absl::StatusOr<tweetstream::common::ConfluentFrame> frame = tweetstream::common::UnframeConfluentProtobuf(payload);
    if (!frame.ok()) return 0;  // dead-lettered as a DecodeError
    Check(frame->payload.data() >= payload.data() &&
              frame->payload.data() + frame->payload.size() <= payload.data() + payload.size(),
          "the frame's payload is not inside the value");
    payload = frame->payload;
  }
  if (!envelope->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return 0;  // DecodeError
  if (!tweetstream::sink::ValidateDocumentId(envelope->tweet().id()).ok()) return 0;         // InvalidKey
  if (envelope->tweet().has_created_at()) CheckTime(envelope->tweet().created_at());
  if (envelope->ingestion().has_ingested_at()) CheckTime(envelope->ingestion().ingested_at());

  out->clear();
  tweetstream::sink::RenderStats stats;
  if (!tweetstream::sink::RenderDocument(*envelope, out, &stats).ok()) return 0;  // RenderError, dead-lettered
  Check(out->find('\n') == std::string::npos, "the document holds a raw line break (it is one NDJSON line)");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(out->data(), out->size());
  Check(!doc.HasParseError(), absl::StrCat("the document is not valid JSON / UTF-8: ",
                                           rapidjson::GetParseError_En(doc.GetParseError()), " at ",
                                           doc.GetErrorOffset(), " of ", out->size(), " bytes"));
  Check(doc.IsObject(), "the document is not a JSON object");
  Check(doc.HasMember("id") && doc["id"].IsString() &&
            envelope->tweet().id() == std::string(doc["id"].GetString(), doc["id"].GetStringLength()),
        "the document's id is not the tweet's");
  std::string again;
  Check(tweetstream::sink::RenderDocument(*envelope, &again).ok() && again == *out, "rendering is not deterministic");
  return 0;
}
