// transform_bench: the X JSON -> Protobuf transform of tweet-source alone, on ONE thread, no Kafka.
//
//   transform_bench [--passes=N] [--only=map|map+bytes|encode|parse] PATH...
//                                  (files or directories of recorded pages, as --replay-file)
//
// Reads every body into memory first (bench/source_bench.sh writes JSONL files of search pages), then
// maps each body exactly as tweet-source's replay does (same MappingContext), in four timed loops per pass:
//   map        ParseXResponse (the encoder's bytes read back into TweetEnvelope objects)
//   map+bytes  ParseXResponse + SerializeAsString of every envelope
//   encode     XResponseEncoder::Encode, the one production mapping: JSON straight to the serialized
//              envelopes (one encoder, one EncodedResponse reused for every body, as tweet-source's
//              HandleBody does) -- the figure to compare with the target
//   parse      simdjson's DOM parse of each body alone: the floor under any mapping built on it
// and prints tweets per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and of wall time.
// Prints figures, asserts nothing (exit 1 only when the input cannot be read or holds no tweet).
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <simdjson.h>

#include "absl/time/clock.h"
#include "source-connector/replay_reader.h"
#include "source-connector/x_json_mapper.h"

namespace {

using tweetstream::source::EncodedResponse;
using tweetstream::source::MappingContext;
using tweetstream::source::ParseXResponse;
using tweetstream::source::ReplayBody;
using tweetstream::source::XResponseEncoder;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Result {
  int64_t tweets = 0;
  int64_t skipped = 0;
  int64_t bytes = 0;  // serialized envelope bytes (map+bytes only)
  int64_t bodies = 0;
  double cpu_s = 0;
  double wall_s = 0;
};

Result RunOnce(const std::vector<ReplayBody>& bodies, bool serialize) {
  Result r;
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (const ReplayBody& body : bodies) {
    // As SourceApp::RunReplay builds it, per body.
    MappingContext context{"tweet-source", "replay", body.where, "", absl::Now()};
    auto parsed = ParseXResponse(body.body, context);
    if (!parsed.ok()) {
      ++r.skipped;
      continue;
    }
    r.skipped += static_cast<int64_t>(parsed->skipped.size());
    r.tweets += static_cast<int64_t>(parsed->envelopes.size());
    if (serialize) {
      for (const auto& envelope : parsed->envelopes) r.bytes += static_cast<int64_t>(envelope.SerializeAsString().size());
    }
  }
  r.cpu_s = ThreadCpuSeconds() - cpu0;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

Result RunEncoder(const std::vector<ReplayBody>& bodies) {
  Result r;
  XResponseEncoder encoder;
  EncodedResponse encoded;
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (const ReplayBody& body : bodies) {
    MappingContext context{"tweet-source", "replay", body.where, "", absl::Now()};
    if (!encoder.Encode(body.body, context, &encoded).ok()) {
      ++r.skipped;
      continue;
    }
    ++r.bodies;
    r.skipped += static_cast<int64_t>(encoded.skipped.size());
    r.tweets += static_cast<int64_t>(encoded.tweets.size());
    for (const auto& tweet : encoded.tweets) r.bytes += static_cast<int64_t>(tweet.value.size());
  }
  r.cpu_s = ThreadCpuSeconds() - cpu0;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

// The floor under any mapping: simdjson's DOM parse of each body (copied into a padded buffer first, as
// the encoder does), counting the tweets of `data`.
Result RunParse(const std::vector<ReplayBody>& bodies) {
  Result r;
  simdjson::dom::parser parser;
  std::vector<char> padded;
  const auto wall0 = std::chrono::steady_clock::now();
  const double cpu0 = ThreadCpuSeconds();
  for (const ReplayBody& body : bodies) {
    const size_t needed = body.body.size() + simdjson::SIMDJSON_PADDING;
    if (padded.size() < needed) padded.resize(needed);
    std::memcpy(padded.data(), body.body.data(), body.body.size());
    std::memset(padded.data() + body.body.size(), 0, simdjson::SIMDJSON_PADDING);
    simdjson::dom::element root;
    if (parser.parse(padded.data(), body.body.size(), false).get(root) != simdjson::SUCCESS) {
      ++r.skipped;
      continue;
    }
    ++r.bodies;
    simdjson::dom::array data;
    if (root["data"].get_array().get(data) == simdjson::SUCCESS) {
      r.tweets += static_cast<int64_t>(data.size());
    } else if (root["data"].is_object()) {
      ++r.tweets;
    }
  }
  r.cpu_s = ThreadCpuSeconds() - cpu0;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return r;
}

void Print(const char* name, int pass, const Result& r) {
  std::printf("transform %-9s pass %d: %lld tweets, CPU %.3f s, wall %.3f s -> %.0f tweets/s per core (CPU), %.0f tweets/s (wall), %.2f us CPU/tweet",
              name, pass, static_cast<long long>(r.tweets), r.cpu_s, r.wall_s, static_cast<double>(r.tweets) / r.cpu_s,
              static_cast<double>(r.tweets) / r.wall_s, r.cpu_s * 1e6 / static_cast<double>(r.tweets));
  if (r.bytes > 0) std::printf(", %.0f bytes/envelope", static_cast<double>(r.bytes) / static_cast<double>(r.tweets));
  if (r.skipped > 0) std::printf(", %lld skipped", static_cast<long long>(r.skipped));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int passes = 2;
  std::string only;  // one loop only (for profiling); empty = all three
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--passes=", 9) == 0) {
      passes = std::atoi(argv[i] + 9);
    } else if (std::strncmp(argv[i], "--only=", 7) == 0) {
      only = argv[i] + 7;
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: transform_bench [--passes=N] [--only=map|map+bytes|encode|parse] PATH...\n");
      return 2;
    } else {
      paths.emplace_back(argv[i]);
    }
  }
  if (paths.empty() || passes < 1) {
    std::fprintf(stderr, "usage: transform_bench [--passes=N] [--only=map|map+bytes|encode|parse] PATH...\n");
    return 2;
  }
  auto files = tweetstream::source::ExpandReplayPaths(paths);
  if (!files.ok()) {
    std::fprintf(stderr, "transform_bench: %s\n", std::string(files.status().message()).c_str());
    return 1;
  }
  std::vector<ReplayBody> bodies;
  std::vector<tweetstream::source::ReplayFile> read;  // owns the bytes the bodies point into
  int64_t input_bytes = 0;
  for (const std::string& path : *files) {
    auto file = tweetstream::source::ReadReplayFile(path);
    if (!file.ok()) {
      std::fprintf(stderr, "transform_bench: %s\n", std::string(file.status().message()).c_str());
      return 1;
    }
    for (ReplayBody& body : file->bodies) {
      input_bytes += static_cast<int64_t>(body.body.size());
      bodies.push_back(std::move(body));
    }
    read.push_back(std::move(*file));
  }
  std::printf("transform input: %zu bodies, %.1f MB of JSON from %zu file(s), in memory; one thread\n", bodies.size(),
              static_cast<double>(input_bytes) / 1e6, files->size());
  for (int pass = 1; pass <= passes; ++pass) {
    Result results[4];
    const char* const names[4] = {"map", "map+bytes", "encode", "parse"};
    for (int loop = 0; loop < 4; ++loop) {
      if (!only.empty() && only != names[loop]) continue;
      results[loop] = loop == 3 ? RunParse(bodies) : loop == 2 ? RunEncoder(bodies) : RunOnce(bodies, loop == 1);
      if (results[loop].tweets == 0) {
        std::fprintf(stderr, "transform_bench: no tweet in the input\n");
        return 1;
      }
      Print(names[loop], pass, results[loop]);
    }
  }
  return 0;
}
