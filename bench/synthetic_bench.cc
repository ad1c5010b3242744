// synthetic_bench: how fast --mode=synthetic's generator (source-connector/synthetic.h) makes tweets,
// on ONE thread, no Kafka.
//
//   synthetic_bench [--count=N] [--passes=N] [--seed=N]
//
// Four timed loops per pass, each over N envelopes (300,000 by default) from a fresh generator:
//   NextInto                      into one reused TweetEnvelope (the generator alone)
//   Next                          a new TweetEnvelope each (+ ByteSizeLong), and the average serialized size
//   NextView                      the arena-backed view tweet-source's synthetic mode produces from
//   NextView + SerializeToString  the view serialized into one reused string: what a record costs
// and prints envelopes per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID, the fairer figure
// on a shared machine) and of wall time. Prints figures, asserts nothing (exit 2 on a bad argument).
// (This was SyntheticTweetsTest.GenerationRate, a timing loop inside the unit tests.)
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "source-connector/synthetic.h"

namespace {

namespace pb = tweetstream::tweet::v1;
using tweetstream::source::SyntheticTweets;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall time and this thread's CPU time since construction.
class Stopwatch {
 public:
  void Print(int pass, const char* what, int64_t count) const {
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_).count();
    const double cpu_s = ThreadCpuSeconds() - cpu_;
    std::printf("pass %d  %-30s %lld envelopes: %9.0f envelopes/s CPU, %9.0f envelopes/s wall (%.2f us CPU each)\n",
                pass, what, static_cast<long long>(count), static_cast<double>(count) / cpu_s,
                static_cast<double>(count) / wall_s, cpu_s * 1e6 / static_cast<double>(count));
  }

 private:
  std::chrono::steady_clock::time_point wall_ = std::chrono::steady_clock::now();
  double cpu_ = ThreadCpuSeconds();
};

bool ParseInt(const char* arg, const char* prefix, int64_t* value) {
  const size_t n = std::strlen(prefix);
  if (std::strncmp(arg, prefix, n) != 0) return false;
  char* end = nullptr;
  *value = std::strtoll(arg + n, &end, 10);
  return end != arg + n && *end == '\0';
}

constexpr char kUsage[] = "usage: synthetic_bench [--count=N] [--passes=N] [--seed=N]\n";

}  // namespace

int main(int argc, char** argv) {
  int64_t count = 300000, passes = 1, seed = 99;
  for (int i = 1; i < argc; ++i) {
    if (!ParseInt(argv[i], "--count=", &count) && !ParseInt(argv[i], "--passes=", &passes) &&
        !ParseInt(argv[i], "--seed=", &seed)) {
      std::fprintf(stderr, "synthetic_bench: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (count <= 0 || passes <= 0 || seed < 0) {
    std::fprintf(stderr, "synthetic_bench: --count and --passes must be positive, --seed not negative\n%s", kUsage);
    return 2;
  }
  const auto seed_u = static_cast<uint64_t>(seed);
  for (int pass = 1; pass <= passes; ++pass) {
    {
      SyntheticTweets gen(seed_u);
      pb::TweetEnvelope envelope;
      const Stopwatch watch;
      for (int64_t i = 0; i < count; ++i) gen.NextInto(&envelope);
      watch.Print(pass, "NextInto", count);
    }
    size_t bytes = 0;
    {
      SyntheticTweets gen(seed_u);
      const Stopwatch watch;
      for (int64_t i = 0; i < count; ++i) bytes += gen.Next().ByteSizeLong();
      watch.Print(pass, "Next", count);
    }
    size_t text_bytes = 0;
    {
      SyntheticTweets gen(seed_u);
      const Stopwatch watch;
      for (int64_t i = 0; i < count; ++i) text_bytes += gen.NextView().tweet().text().size();
      watch.Print(pass, "NextView", count);
    }
    {
      SyntheticTweets gen(seed_u);
      std::string wire;
      const Stopwatch watch;
      for (int64_t i = 0; i < count; ++i) gen.NextView().SerializeToString(&wire);
      watch.Print(pass, "NextView + SerializeToString", count);
    }
    std::printf("pass %d  average serialized envelope %.0f bytes, average text %.0f bytes\n", pass,
                static_cast<double>(bytes) / static_cast<double>(count),
                static_cast<double>(text_bytes) / static_cast<double>(count));
  }
  return 0;
}
