// --mode=synthetic: the generator is deterministic per seed, its ids increase, every entity offset is
// exact in code points of the escaped text, all strings are valid UTF-8, the mix covers what a demo
// needs (languages, scripts, emoji, replies/quotes/retweets, media, places), every envelope renders as
// an Elasticsearch document. How fast it is: bench/synthetic_bench.cc (a benchmark, not a test).

#include "source-connector/synthetic.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "sink-connector/es_document.h"

namespace tweetstream::testing {
namespace {

namespace pb = tweetstream::tweet::v1;
using source::SyntheticTweets;

constexpr int kSample = 10000;

std::vector<pb::TweetEnvelope> Generate(uint64_t seed, int n) {
  SyntheticTweets gen(seed);
  std::vector<pb::TweetEnvelope> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(gen.Next());
  return out;
}

// Strict UTF-8 decoding (no overlongs, no surrogates, nothing above U+10FFFF). Returns false on any
// ill-formed sequence; otherwise the code points.
bool DecodeUtf8(const std::string& s, std::vector<char32_t>* cps, std::vector<size_t>* offsets) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (c < 0x80) {
      len = 1, cp = c, min = 0;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(len) > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cps != nullptr) cps->push_back(cp);
    if (offsets != nullptr) offsets->push_back(i);
    i += static_cast<size_t>(len);
  }
  if (offsets != nullptr) offsets->push_back(s.size());
  return true;
}

// Every string field of `message`, recursively, must be valid UTF-8.
void ExpectAllStringsValid(const google::protobuf::Message& message, const std::string& where) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          EXPECT_TRUE(DecodeUtf8(reflection->GetRepeatedString(message, field, i), nullptr, nullptr))
              << where << " " << field->full_name();
        }
      } else {
        EXPECT_TRUE(DecodeUtf8(reflection->GetString(message, field), nullptr, nullptr))
            << where << " " << field->full_name();
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          ExpectAllStringsValid(reflection->GetRepeatedMessage(message, field, i), where);
        }
      } else {
        ExpectAllStringsValid(reflection->GetMessage(message, field), where);
      }
    }
  }
}

// The [start, end) code-point slice of `text`, or "<out of range>".
std::string Slice(const std::vector<size_t>& offsets, const std::string& text, int start, int end) {
  const int n = static_cast<int>(offsets.size()) - 1;
  if (start < 0 || end < start || end > n) return "<out of range>";
  return text.substr(offsets[static_cast<size_t>(start)],
                     offsets[static_cast<size_t>(end)] - offsets[static_cast<size_t>(start)]);
}

// Entities of `tweet` match its text exactly; returns the number of code points of the text.
int ExpectEntitiesExact(const pb::Tweet& tweet) {
  std::vector<char32_t> cps;
  std::vector<size_t> offsets;
  EXPECT_TRUE(DecodeUtf8(tweet.text(), &cps, &offsets)) << tweet.id();
  const std::string& text = tweet.text();
  for (const pb::Hashtag& h : tweet.entities().hashtags()) {
    EXPECT_EQ(Slice(offsets, text, h.start(), h.end()), "#" + h.tag()) << tweet.id() << " " << text;
  }
  for (const pb::Mention& m : tweet.entities().mentions()) {
    EXPECT_EQ(Slice(offsets, text, m.start(), m.end()), "@" + m.username()) << tweet.id() << " " << text;
    EXPECT_FALSE(m.id().empty());
  }
  for (const pb::Url& u : tweet.entities().urls()) {
    EXPECT_EQ(Slice(offsets, text, u.start(), u.end()), u.url()) << tweet.id() << " " << text;
    EXPECT_TRUE(absl::StartsWith(u.url(), "https://t.co/")) << u.url();
    EXPECT_TRUE(absl::StartsWith(u.expanded_url(), "https://")) << u.expanded_url();
    EXPECT_FALSE(u.display_url().empty());
  }
  // HTML-escaped: no raw '<' or '>', and every '&' starts an escape.
  EXPECT_EQ(text.find_first_of("<>"), std::string::npos) << text;
  for (size_t at = text.find('&'); at != std::string::npos; at = text.find('&', at + 1)) {
    const absl::string_view rest = absl::string_view(text).substr(at);
    EXPECT_TRUE(absl::StartsWith(rest, "&amp;") || absl::StartsWith(rest, "&lt;") || absl::StartsWith(rest, "&gt;"))
        << text;
  }
  return static_cast<int>(cps.size());
}

uint64_t IdValue(const std::string& id) {
  uint64_t value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(id, &value)) << id;
  return value;
}

TEST(SyntheticTweetsTest, SameSeedGivesTheSameBytes) {
  SyntheticTweets a(42);
  SyntheticTweets b(42);
  SyntheticTweets c(42);
  SyntheticTweets d(42);
  pb::TweetEnvelope reused;  // NextInto reuses one message: must not leak state between tweets
  for (int i = 0; i < kSample; ++i) {
    const std::string first = a.Next().SerializeAsString();
    const std::string second = b.Next().SerializeAsString();
    c.NextInto(&reused);
    ASSERT_EQ(first, second) << "envelope " << i;
    ASSERT_EQ(first, reused.SerializeAsString()) << "envelope " << i << " through NextInto";
    ASSERT_EQ(first, d.NextView().SerializeAsString()) << "envelope " << i << " through NextView";
  }
  EXPECT_EQ(a.count(), kSample);
  EXPECT_EQ(a.seed(), 42u);
}

TEST(SyntheticTweetsTest, DifferentSeedsDiffer) {
  SyntheticTweets a(1);
  SyntheticTweets b(2);
  int different = 0;
  for (int i = 0; i < 100; ++i) {
    if (a.Next().SerializeAsString() != b.Next().SerializeAsString()) ++different;
  }
  EXPECT_EQ(different, 100);
}

TEST(SyntheticTweetsTest, StartTimeIsHonouredAndIdsAreSnowflakesOfCreatedAt) {
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  SyntheticTweets gen(5, start);
  const pb::TweetEnvelope first = gen.Next();
  const int64_t created_ms = first.tweet().created_at().seconds() * 1000 + first.tweet().created_at().nanos() / 1000000;
  EXPECT_GT(created_ms, absl::ToUnixMillis(start));
  EXPECT_LE(created_ms, absl::ToUnixMillis(start) + 3000);
  EXPECT_EQ(static_cast<int64_t>(IdValue(first.tweet().id()) >> 22) + 1288834974657, created_ms);
  EXPECT_EQ(gen.last_created_at(), absl::FromUnixMillis(created_ms));
}

// Live mode: created_at is the clock's time (strictly increasing even when the clock stands still),
// ids stay snowflakes of created_at, and the content is still the seed's.
TEST(SyntheticTweetsTest, LiveClockDrivesCreatedAtOnly) {
  int64_t clock_ms = 1790000000000;  // a clock the test moves by hand
  SyntheticTweets live(9);
  live.SetLiveClock([&clock_ms] { return absl::FromUnixMillis(clock_ms); });
  SyntheticTweets fixed(9);
  int64_t previous_ms = 0;
  for (int i = 0; i < 200; ++i) {
    if (i % 10 == 0) clock_ms += 1000;  // ten tweets per clock second: the clock stands still in between
    const pb::TweetEnvelope a = live.Next();
    const pb::TweetEnvelope b = fixed.Next();
    const int64_t created_ms = a.tweet().created_at().seconds() * 1000 + a.tweet().created_at().nanos() / 1000000;
    ASSERT_GE(created_ms, clock_ms) << i;
    ASSERT_LT(created_ms, clock_ms + 10) << i;
    ASSERT_GT(created_ms, previous_ms) << i;
    previous_ms = created_ms;
    ASSERT_EQ(static_cast<int64_t>(IdValue(a.tweet().id()) >> 22) + 1288834974657, created_ms) << i;
    ASSERT_EQ(a.tweet().text(), b.tweet().text()) << i;
    ASSERT_EQ(a.author().username(), b.author().username()) << i;
  }
}

TEST(SyntheticTweetsTest, EveryEnvelopeIsConsistent) {
  const std::vector<pb::TweetEnvelope> envelopes = Generate(7, kSample);
  uint64_t previous_id = 0;
  int64_t previous_ms = 0;
  for (const pb::TweetEnvelope& e : envelopes) {
    const pb::Tweet& t = e.tweet();
    SCOPED_TRACE(t.id());
    // Ids: 19 digits, strictly increasing, with created_at.
    EXPECT_EQ(t.id().size(), 19u);
    const uint64_t id = IdValue(t.id());
    EXPECT_GT(id, previous_id);
    previous_id = id;
    const int64_t ms = t.created_at().seconds() * 1000 + t.created_at().nanos() / 1000000;
    EXPECT_GT(ms, previous_ms);
    EXPECT_LE(ms - previous_ms, previous_ms == 0 ? ms : 3000);
    previous_ms = ms;

    const int length = ExpectEntitiesExact(t);
    EXPECT_GE(length, 1);
    EXPECT_LE(length, SyntheticTweets::kMaxTextCodePoints) << t.text();
    ExpectAllStringsValid(e, t.id());

    EXPECT_EQ(e.author().id(), t.author_id());
    EXPECT_FALSE(e.author().username().empty());
    EXPECT_LE(e.author().username().size(), 15u);
    EXPECT_EQ(t.source(), "tweetstream-synthetic");
    ASSERT_EQ(t.edit_history_tweet_ids_size(), 1);
    EXPECT_EQ(t.edit_history_tweet_ids(0), t.id());
    EXPECT_EQ(e.ingestion().mode(), "synthetic");
    EXPECT_FALSE(t.lang().empty());
    EXPECT_FALSE(t.conversation_id().empty());
    EXPECT_TRUE(t.has_public_metrics());

    // Everyone mentioned or replied to is expanded in referenced_users.
    std::set<std::string> referenced_users;
    for (const pb::User& u : e.referenced_users()) referenced_users.insert(u.id());
    EXPECT_EQ(referenced_users.size(), static_cast<size_t>(e.referenced_users_size())) << "duplicates";
    for (const pb::Mention& m : t.entities().mentions()) EXPECT_TRUE(referenced_users.count(m.id())) << m.username();
    if (!t.in_reply_to_user_id().empty()) {
      EXPECT_TRUE(referenced_users.count(t.in_reply_to_user_id()));
    }

    // Referenced tweets: consistent with the included ones, which are older and exact too.
    std::map<std::string, const pb::Tweet*> included;
    for (const pb::Tweet& r : e.referenced_tweets()) {
      included[r.id()] = &r;
      EXPECT_LT(IdValue(r.id()), id);
      EXPECT_NE(r.id(), t.id());
      const int ref_length = ExpectEntitiesExact(r);
      EXPECT_GE(ref_length, 1);
      EXPECT_LE(ref_length, SyntheticTweets::kMaxTextCodePoints);
    }
    EXPECT_LE(t.referenced_tweets_size(), 1);
    for (const pb::ReferencedTweet& ref : t.referenced_tweets()) {
      if (ref.type() == "retweeted") {
        ASSERT_TRUE(included.count(ref.id())) << "retweet without its original";
        const pb::Tweet& original = *included[ref.id()];
        ASSERT_EQ(t.entities().mentions_size() > 0, true);
        const std::string prefix = "RT @" + t.entities().mentions(0).username() + ": ";
        EXPECT_TRUE(absl::StartsWith(t.text(), prefix)) << t.text();
        EXPECT_EQ(t.entities().mentions(0).id(), original.author_id());
        // The text after the prefix is the original's, or its beginning followed by an ellipsis.
        const std::string rest = t.text().substr(prefix.size());
        if (rest != original.text()) {
          ASSERT_TRUE(absl::EndsWith(rest, "\u2026")) << rest;
          EXPECT_TRUE(absl::StartsWith(original.text(), rest.substr(0, rest.size() - 3))) << rest;
        }
        EXPECT_EQ(t.lang(), original.lang());
      } else if (ref.type() == "quoted") {
        ASSERT_TRUE(included.count(ref.id())) << "quote without the quoted tweet";
        ASSERT_GT(t.entities().urls_size(), 0);
        bool links_quoted = false;
        for (const pb::Url& u : t.entities().urls()) links_quoted |= absl::EndsWith(u.expanded_url(), "/status/" + ref.id());
        EXPECT_TRUE(links_quoted) << t.text();
      } else {
        ASSERT_EQ(ref.type(), "replied_to");
        EXPECT_FALSE(t.in_reply_to_user_id().empty());
        ASSERT_GT(t.entities().mentions_size(), 0);
        EXPECT_EQ(t.entities().mentions(0).start(), 0);
        EXPECT_EQ(t.entities().mentions(0).id(), t.in_reply_to_user_id());
        EXPECT_LE(IdValue(t.conversation_id()), IdValue(ref.id()));
        if (included.count(ref.id())) {
          EXPECT_EQ(included[ref.id()]->conversation_id(), t.conversation_id());
        }
      }
    }
    if (t.referenced_tweets_size() == 0) {
      EXPECT_EQ(t.conversation_id(), t.id());
    }

    // Media and place expansions line up with the tweet.
    ASSERT_EQ(e.media_size(), t.attachments().media_keys_size());
    for (int i = 0; i < e.media_size(); ++i) {
      EXPECT_EQ(e.media(i).media_key(), t.attachments().media_keys(i));
      EXPECT_TRUE(e.media(i).type() == "photo" || e.media(i).type() == "video" || e.media(i).type() == "animated_gif");
    }
    if (e.media_size() > 0) {
      bool linked = false;
      for (const pb::Url& u : t.entities().urls()) linked |= u.media_key() == e.media(0).media_key();
      EXPECT_TRUE(linked);
    }
    EXPECT_EQ(e.has_place(), t.has_geo());
    if (e.has_place()) {
      EXPECT_EQ(e.place().id(), t.geo().place_id());
      ASSERT_EQ(e.place().bbox_size(), 4);
      if (t.geo().has_coordinates()) {
        EXPECT_GE(t.geo().coordinates().longitude(), e.place().bbox(0));
        EXPECT_LE(t.geo().coordinates().longitude(), e.place().bbox(2));
        EXPECT_GE(t.geo().coordinates().latitude(), e.place().bbox(1));
        EXPECT_LE(t.geo().coordinates().latitude(), e.place().bbox(3));
      }
    }
  }
}

TEST(SyntheticTweetsTest, TheMixCoversWhatADemoNeeds) {
  const std::vector<pb::TweetEnvelope> envelopes = Generate(11, kSample);
  std::map<std::string, int> langs;
  int replies = 0, quotes = 0, retweets = 0, non_bmp = 0, zwj = 0, flags = 0, mentions = 0,
      hashtags = 0, urls = 0, escapes = 0, photos = 0, videos = 0, places = 0, coordinates = 0,
      sensitive = 0, verified = 0, very_short = 0, long_texts = 0, non_ascii_tags = 0;
  std::set<std::string> authors;
  std::map<std::string, int> tag_counts;
  int64_t max_followers = 0;
  std::set<std::string> scripts_in_names;  // by the first non-ASCII code point's block
  for (const pb::TweetEnvelope& e : envelopes) {
    const pb::Tweet& t = e.tweet();
    ++langs[t.lang()];
    for (const pb::ReferencedTweet& ref : t.referenced_tweets()) {
      replies += ref.type() == "replied_to";
      quotes += ref.type() == "quoted";
      retweets += ref.type() == "retweeted";
    }
    std::vector<char32_t> cps;
    ASSERT_TRUE(DecodeUtf8(t.text(), &cps, nullptr));
    bool has_non_bmp = false, has_zwj = false, has_flag = false;
    for (char32_t c : cps) {
      has_non_bmp |= c > 0xFFFF;
      has_zwj |= c == 0x200D;
      has_flag |= c >= 0x1F1E6 && c <= 0x1F1FF;
    }
    non_bmp += has_non_bmp;
    zwj += has_zwj;
    flags += has_flag;
    very_short += cps.size() <= 10;
    long_texts += cps.size() >= 250;
    escapes += absl::StrContains(t.text(), "&amp;") || absl::StrContains(t.text(), "&lt;") ||
               absl::StrContains(t.text(), "&gt;");
    mentions += t.entities().mentions_size() > 0 && e.referenced_users_size() > 0;
    hashtags += t.entities().hashtags_size() > 0;
    for (const pb::Hashtag& h : t.entities().hashtags()) {
      ++tag_counts[h.tag()];
      bool ascii = true;
      for (char c : h.tag()) ascii &= static_cast<unsigned char>(c) < 0x80;
      non_ascii_tags += !ascii;
    }
    for (const pb::Url& u : t.entities().urls()) urls += u.media_key().empty() ? 1 : 0;
    for (const pb::Media& m : e.media()) {
      photos += m.type() == "photo";
      videos += m.type() == "video";
    }
    places += e.has_place();
    coordinates += t.geo().has_coordinates();
    sensitive += t.has_possibly_sensitive() && t.possibly_sensitive();
    verified += e.author().verified();
    authors.insert(e.author().id());
    max_followers = std::max(max_followers, e.author().public_metrics().followers_count());
    std::vector<char32_t> name;
    if (DecodeUtf8(e.author().name(), &name, nullptr)) {
      for (char32_t c : name) {
        if (c >= 0x3040 && c <= 0x9FFF) scripts_in_names.insert("cjk");
        if (c >= 0x0600 && c <= 0x06FF) scripts_in_names.insert("arabic");
        if (c >= 0x0900 && c <= 0x097F) scripts_in_names.insert("devanagari");
        if (c >= 0xAC00 && c <= 0xD7AF) scripts_in_names.insert("hangul");
        if (c >= 0x0400 && c <= 0x04FF) scripts_in_names.insert("cyrillic");
        if (c >= 0xC0 && c <= 0x24F) scripts_in_names.insert("latin-accented");
      }
    }
  }
  std::string lang_summary;
  for (const auto& [lang, n] : langs) absl::StrAppend(&lang_summary, lang, "=", n, " ");
  std::printf("langs: %s\n", lang_summary.c_str());
  std::printf("replies=%d quotes=%d retweets=%d non_bmp=%d zwj=%d flags=%d mentions=%d hashtags=%d urls=%d "
              "escapes=%d photos=%d videos=%d places=%d coordinates=%d sensitive=%d verified=%d very_short=%d "
              "long=%d authors=%zu max_followers=%lld non_ascii_tags=%d\n",
              replies, quotes, retweets, non_bmp, zwj, flags, mentions, hashtags, urls, escapes, photos, videos,
              places, coordinates, sensitive, verified, very_short, long_texts, authors.size(),
              static_cast<long long>(max_followers), non_ascii_tags);

  for (const char* lang : {"en", "de", "fr", "es", "pt", "ja", "ar", "hi", "ko", "ru", "und"}) {
    EXPECT_GT(langs[lang], 50) << lang;
  }
  EXPECT_EQ(langs.size(), 11u);
  EXPECT_NEAR(replies, kSample * 20 / 100, kSample * 3 / 100);
  EXPECT_NEAR(quotes, kSample * 10 / 100, kSample * 3 / 100);
  EXPECT_NEAR(retweets, kSample * 15 / 100, kSample * 3 / 100);
  EXPECT_GT(non_bmp, 1000);
  EXPECT_GT(zwj, 50);
  EXPECT_GT(flags, 50);
  EXPECT_GT(mentions, 1000);
  EXPECT_GT(hashtags, 1000);
  EXPECT_GT(non_ascii_tags, 100);
  EXPECT_GT(urls, 500);
  EXPECT_GT(escapes, 100);
  EXPECT_GT(photos, 200);
  EXPECT_GT(videos, 50);
  EXPECT_GT(places, 100);
  EXPECT_GT(coordinates, 10);
  EXPECT_GT(sensitive, 10);
  EXPECT_GT(verified, 10);
  EXPECT_GT(very_short, 200);
  EXPECT_GT(long_texts, 200);
  EXPECT_GT(authors.size(), 1000u);
  EXPECT_GT(max_followers, 1000000);
  EXPECT_EQ(scripts_in_names.size(), 6u);
  // Zipf-like hashtags: the most used tag is far more common than the median one.
  std::vector<int> counts;
  for (const auto& [tag, n] : tag_counts) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  ASSERT_GT(counts.size(), 20u);
  EXPECT_GT(counts.front(), 5 * counts[counts.size() / 2]);
}

TEST(SyntheticTweetsTest, EveryEnvelopeRendersWithoutRepairs) {
  SyntheticTweets gen(3);
  std::string doc;
  sink::RenderStats stats;
  for (int i = 0; i < kSample; ++i) {
    const pb::TweetEnvelope e = gen.Next();
    doc.clear();
    const absl::Status status = sink::RenderDocument(e, &doc, &stats);
    ASSERT_TRUE(status.ok()) << status << " " << e.tweet().id();
    ASSERT_FALSE(doc.empty());
  }
  EXPECT_EQ(stats.repaired_strings, 0);
}

}  // namespace
}  // namespace tweetstream::testing
