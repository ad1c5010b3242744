#pragma once
// Includes and joins of the X JSON -> TweetEnvelope mapping: the objects of a response's `includes`,
// each encoded once per body (x_wire_encoder.h) and found by the id or key tweets refer to it by; the
// joins of one tweet of `data` (author, replied-to and mentioned users, referenced tweets, media,
// polls, place); and the partial errors (`errors[]`) about the objects one tweet refers to.
// Internal to source-connector/. Thread-safety: one per encoder (per thread); kept from body to body
// so that its buffers and tables keep their capacity.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "source-connector/x_wire_encoder.h"

namespace tweetstream::source::xjson {

// One `includes.<name>` list, encoded: each item's payload in `bytes`, found by key (first one wins).
struct EncodedList {
  Wire bytes;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // (offset, length) in `bytes`
  std::vector<std::string_view> keys;
  absl::flat_hash_map<std::string_view, uint32_t> by_key;

  void Clear();
  int64_t Find(std::string_view key) const;
  absl::string_view Payload(size_t index) const { return bytes.View(spans[index].first, spans[index].second); }
};

// What one tweet joins, as positions in the lists, in the order the envelope holds them.
struct Joins {
  int64_t author = -1;
  std::vector<uint32_t> users;   // referenced_users: the replied-to user, then mentions in text order
  std::vector<uint32_t> tweets;  // referenced_tweets, once each
  std::vector<uint32_t> media;
  std::vector<uint32_t> polls;
  int64_t place = -1;
  std::vector<uint32_t> errors;  // positions in Includes::errors
};

// A report of an included item that cannot be joined to anything (not an object, or no id/key).
struct UnjoinableItem {
  std::string where;   // "includes.users[3]"
  std::string reason;  // "expected an object, got a string" / "no id to join it by"
};

class Includes {
 public:
  // Forgets the previous body's objects (the buffers are kept).
  void Clear();

  // Encodes `includes.<name>` for the five lists the schema models ("users", "tweets", "media",
  // "places", "polls"); false for another name. A list that is not an array: false in `*mapped` (the
  // caller keeps it verbatim). Items that cannot be joined are reported in `unjoinable`.
  bool Add(std::string_view name, const dom::element& list, bool* mapped, std::vector<UnjoinableItem>* unjoinable);

  // Whether `name` is one of the five lists Add() encodes.
  static bool Models(std::string_view name) {
    return name == "users" || name == "tweets" || name == "media" || name == "places" || name == "polls";
  }

  // Encodes the `errors[]` items that are objects, for ErrorsAbout().
  void AddErrors(const dom::element& errors);

  // The joins of one tweet of `data` (from what EncodeTweet collected).
  void Join(const TweetRefs& refs, Joins* joins);

  const EncodedList& users() const { return users_; }
  const EncodedList& tweets() const { return tweets_; }
  const EncodedList& media() const { return media_; }
  const EncodedList& places() const { return places_; }
  const EncodedList& polls() const { return polls_; }
  absl::string_view Error(size_t i) const { return errors_.Payload(i); }

 private:
  int64_t FindUserByUsername(std::string_view username);
  void ErrorsAbout(const TweetRefs& refs, std::vector<uint32_t>* out) const;

  EncodedList users_, tweets_, media_, places_, polls_;
  std::vector<std::string_view> usernames_;  // per included user, "" when it has none
  absl::flat_hash_map<std::string, uint32_t> user_by_username_;  // ASCII-lowercased, built on first use
  bool user_by_username_built_ = false;
  EncodedList errors_;  // keys unused
  std::vector<ErrorRefs> error_refs_;
};

}  // namespace tweetstream::source::xjson
