#pragma once
// --mode=synthetic: a deterministic generator of realistic tweets, for demos and benchmarks without an
// X API token.
//
// Each call to Next() returns one TweetEnvelope shaped like the ones x_json_mapper.h produces from the
// API: an HTML-escaped text (`&amp;`, `&lt;`, `&gt;`) whose entity offsets count Unicode code points of
// that escaped text, the expanded author, referenced tweets and users, media and place.
//
// What the stream looks like:
//  * ids: 19-digit snowflakes built from created_at, unique and strictly increasing; created_at advances
//    1 ms .. 3 s per tweet from `start_time`. Ids of referenced (older) tweets and media use the other
//    half of the worker-id space, so they never equal an envelope's id.
//  * authors: a pool of 2000 invented users made from the seed (names in Latin, Japanese, Arabic,
//    Devanagari, Hangul and Cyrillic scripts, followers with a heavy tail, some verified); a few users
//    write most tweets.
//  * lang: en, ja, es, pt, ar, fr, de, ko, hi, ru, und, text in the matching script; 1 .. 280 code
//    points; emoji (with non-BMP, flags, skin tones and ZWJ sequences); hashtags from a topical pool with
//    Zipf-like popularity; mentions of pool users (mirrored in `referenced_users`); t.co urls.
//  * ~15% retweets ("RT @user: ...", the original in `referenced_tweets`), ~10% quotes (with the quoted
//    tweet's url at the end), ~20% replies ("@user ..." with conversation_id and the replied-to tweet
//    most of the time), the rest originals; some with media (photo / video / GIF) and a place.
//  * tweet.source "tweetstream-synthetic"; ingestion {connector "tweet-source", mode "synthetic",
//    origin "synthetic:seed=<seed>", ingested_at = created_at + 50 ms .. 2 s}. Callers may overwrite
//    ingestion fields (e.g. the connector name) after Next().
//
// Determinism: the same (seed, start_time) gives the same sequence of envelopes byte for byte on every
// platform: a splitmix64 stream mapped to ranges with integer arithmetic only (no <random>
// distributions, no libm), and fixed word lists.
//
// Thread-safety: not thread-safe; one generator per thread. Construction builds the user pool (a few
// ms) and reserves a 2 MiB arena block for NextView(); it cannot fail.

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::source {

class SyntheticTweets {
 public:
  // 2024-06-01T12:00:00Z: the default time of the first tweet.
  static constexpr int64_t kDefaultStartUnixSeconds = 1717243200;
  // Number of invented users authors, mentions and replies are drawn from.
  static constexpr int kUserPoolSize = 2000;
  // Longest text generated, in code points.
  static constexpr int kMaxTextCodePoints = 280;

  explicit SyntheticTweets(uint64_t seed,
                           absl::Time start_time = absl::FromUnixSeconds(kDefaultStartUnixSeconds));
  ~SyntheticTweets();
  SyntheticTweets(const SyntheticTweets&) = delete;
  SyntheticTweets& operator=(const SyntheticTweets&) = delete;

  // The next tweet of the sequence.
  tweet::v1::TweetEnvelope Next();

  // Same as Next(), but into `*envelope` (cleared first), reusing its allocations: the fast path for
  // benchmarks and producers that serialize and discard. `envelope` must not be null.
  void NextInto(tweet::v1::TweetEnvelope* envelope);

  // The fastest path: the next tweet, built on an internal arena (no per-field heap churn). The
  // reference is valid until the next call of any Next*() method or the generator's destruction;
  // serialize or copy it before asking for another.
  const tweet::v1::TweetEnvelope& NextView();

  // Live mode (demos and dashboards): each tweet's created_at is `clock()` (kept strictly increasing,
  // so ids still increase) instead of the seed's own timeline from start_time; everything else stays
  // the seed's. Call before the first Next*().
  void SetLiveClock(std::function<absl::Time()> clock);

  // Envelopes generated so far.
  int64_t count() const;
  // created_at of the last envelope generated (start_time before the first).
  absl::Time last_created_at() const;
  uint64_t seed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tweetstream::source
