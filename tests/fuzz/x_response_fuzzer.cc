// X API v2 response body -> envelopes: the production encoder (XResponseEncoder, what tweet-source
// runs) against the reference model of the tests (tests/source-connector/x_reference_mapper.h, a slow
// reflection-based mapping): for any bytes both refuse the body or both give the same record keys, the
// same serialized TweetEnvelopes byte for byte and the same skipped records. Any difference is a
// finding, not only crashes. One encoder is reused for every input, as tweet-source reuses it.

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "source-connector/x_json_mapper.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/source-connector/x_reference_mapper.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace {

using tweetstream::fuzz::Check;
using tweetstream::source::SkippedRecord;

void Canonical(std::vector<SkippedRecord>* skipped) {
  std::stable_sort(skipped->begin(), skipped->end(), [](const SkippedRecord& a, const SkippedRecord& b) {
    return std::tie(a.where, a.reason) < std::tie(b.where, b.reason);
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tweetstream::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace source = tweetstream::source;
  static auto* encoder = new source::XResponseEncoder();
  static auto* encoded = new source::EncodedResponse();
  const absl::string_view body = tweetstream::fuzz::AsView(data, size);
  source::MappingContext context;
  context.mode = "search";
  context.origin = "GET /2/tweets/search/recent";
  context.query = "fuzz";
  context.ingested_at = absl::FromUnixMillis(1700000000123);

  const absl::Status status = encoder->Encode(body, context, encoded);
  absl::StatusOr<source::testing::ReferenceResponse> reference = source::testing::ReferenceMap(body, context);
  Check(status.code() == reference.status().code(),
        absl::StrCat("status: encoder ", status.ToString(), " vs reference ", reference.status().ToString()));
  if (!status.ok()) {
    Check(encoded->tweets.empty(), "the encoder kept tweets for a refused body");
    return 0;
  }
  Check(encoded->tweets.size() == reference->tweets.size(),
        absl::StrCat("tweets: encoder ", encoded->tweets.size(), " vs reference ", reference->tweets.size()));
  for (size_t i = 0; i < encoded->tweets.size(); ++i) {
    const source::EncodedTweet& got = encoded->tweets[i];
    const source::EncodedTweet& want = reference->tweets[i];
    Check(got.id == want.id, absl::StrCat("tweet ", i, " key: encoder '", got.id, "' vs reference '", want.id, "'"));
    Check(!got.id.empty(), absl::StrCat("tweet ", i, " has an empty record key"));
    if (got.value != want.value) {
      tweetstream::tweet::v1::TweetEnvelope g, w;
      (void)g.ParseFromString(got.value);
      (void)w.ParseFromString(want.value);
      tweetstream::fuzz::Fail(absl::StrCat("tweet ", i, " (id ", got.id, ") bytes differ:\n  encoder:   ",
                                           g.ShortDebugString(), "\n  reference: ", w.ShortDebugString()));
    }
  }
  // The reference does not model the skipped records about `errors[]` and `meta` (as in
  // x_encoder_differential_test): those are taken from the encoder.
  std::vector<SkippedRecord> want = reference->skipped;
  for (const SkippedRecord& s : encoded->skipped) {
    if (absl::StartsWith(s.where, "errors") || s.where == "meta") want.push_back(s);
  }
  std::vector<SkippedRecord> got = encoded->skipped;
  Canonical(&want);
  Canonical(&got);
  Check(got.size() == want.size(),
        absl::StrCat("skipped: encoder ", got.size(), " vs reference ", want.size()));
  for (size_t i = 0; i < got.size(); ++i) {
    Check(got[i].where == want[i].where && got[i].reason == want[i].reason,
          absl::StrCat("skipped[", i, "]: encoder {", got[i].where, ": ", got[i].reason, "} vs reference {",
                       want[i].where, ": ", want[i].reason, "}"));
  }
  return 0;
}
