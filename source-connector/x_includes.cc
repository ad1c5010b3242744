#include "source-connector/x_includes.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "source-connector/x_json_reading.h"

namespace tweetstream::source::xjson {

void EncodedList::Clear() {
  bytes.Clear();
  spans.clear();
  keys.clear();
  by_key.clear();
}

int64_t EncodedList::Find(std::string_view key) const {
  if (key.empty()) return -1;
  auto it = by_key.find(key);
  return it == by_key.end() ? -1 : static_cast<int64_t>(it->second);
}

void Includes::Clear() {
  users_.Clear();
  tweets_.Clear();
  media_.Clear();
  places_.Clear();
  polls_.Clear();
  usernames_.clear();
  user_by_username_.clear();
  user_by_username_built_ = false;
  errors_.Clear();
  error_refs_.clear();
}

bool Includes::Add(std::string_view name, const dom::element& list, bool* mapped,
                   std::vector<UnjoinableItem>* unjoinable) {
  EncodedList* target = nullptr;
  bool (*encode)(const dom::element&, Wire&, std::string_view*) = nullptr;
  if (name == "users") {
    target = &users_;
  } else if (name == "tweets") {
    target = &tweets_;
    encode = [](const dom::element& v, Wire& w, std::string_view* id) { return EncodeTweet(v, w, nullptr, id); };
  } else if (name == "media") {
    target = &media_;
    encode = EncodeMedia;
  } else if (name == "places") {
    target = &places_;
    encode = EncodePlace;
  } else if (name == "polls") {
    target = &polls_;
    encode = EncodePoll;
  } else {
    return false;
  }
  dom::array array;
  *mapped = list.get_array().get(array) == simdjson::SUCCESS;
  if (!*mapped) return true;
  size_t index = 0;
  for (dom::element item : array) {
    const size_t start = target->bytes.size();
    std::string_view key, username;
    const bool is_object = target == &users_ ? EncodeUser(item, target->bytes, &key, &username)
                                             : encode(item, target->bytes, &key);
    if (!is_object || key.empty()) {
      target->bytes.Truncate(start);
      unjoinable->push_back(UnjoinableItem{
          absl::StrCat("includes.", Absl(name), "[", index, "]"),
          is_object ? "no id to join it by" : absl::StrCat("expected an object, got ", TypeName(item.type()))});
    } else {
      const auto position = static_cast<uint32_t>(target->spans.size());
      target->spans.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(target->bytes.size() - start));
      target->keys.push_back(key);
      target->by_key.emplace(key, position);  // the first object with a key is the one joined
      if (target == &users_) usernames_.push_back(username);
    }
    ++index;
  }
  return true;
}

void Includes::AddErrors(const dom::element& errors) {
  dom::array array;
  if (errors.get_array().get(array) != simdjson::SUCCESS) return;
  for (dom::element item : array) {
    const size_t start = errors_.bytes.size();
    ErrorRefs refs;
    if (!EncodeApiError(item, errors_.bytes, &refs)) continue;
    errors_.spans.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(errors_.bytes.size() - start));
    error_refs_.push_back(refs);
  }
}

// The author; the replied-to user, then mentions in text order (by id, else by case-insensitive
// handle), each user once and never the author; referenced tweets once each; media and polls as
// listed; the place; the errors about any of them.
void Includes::Join(const TweetRefs& refs, Joins* joins) {
  joins->author = users_.Find(refs.author_id);
  joins->users.clear();
  auto add_user = [&](int64_t user) {
    if (user < 0) return;
    const std::string_view id = users_.keys[static_cast<size_t>(user)];
    if (id == refs.author_id) return;
    for (uint32_t seen : joins->users) {
      if (users_.keys[seen] == id) return;
    }
    joins->users.push_back(static_cast<uint32_t>(user));
  };
  add_user(users_.Find(refs.in_reply_to_user_id));
  for (const auto& [id, username] : refs.mentions) {
    int64_t user = users_.Find(id);
    if (user < 0 && !username.empty()) user = FindUserByUsername(username);
    add_user(user);
  }
  joins->tweets.clear();
  for (std::string_view id : refs.referenced_tweet_ids) {
    const int64_t found = tweets_.Find(id);
    if (found < 0) continue;
    if (std::find(joins->tweets.begin(), joins->tweets.end(), static_cast<uint32_t>(found)) == joins->tweets.end()) {
      joins->tweets.push_back(static_cast<uint32_t>(found));
    }
  }
  joins->media.clear();
  for (std::string_view key : refs.media_keys) {
    const int64_t found = media_.Find(key);
    if (found >= 0) joins->media.push_back(static_cast<uint32_t>(found));
  }
  joins->polls.clear();
  for (std::string_view id : refs.poll_ids) {
    const int64_t found = polls_.Find(id);
    if (found >= 0) joins->polls.push_back(static_cast<uint32_t>(found));
  }
  joins->place = places_.Find(refs.place_id);
  joins->errors.clear();
  if (!error_refs_.empty()) ErrorsAbout(refs, &joins->errors);
}

int64_t Includes::FindUserByUsername(std::string_view username) {
  if (!user_by_username_built_) {
    for (size_t i = 0; i < usernames_.size(); ++i) {
      if (!usernames_[i].empty()) {
        user_by_username_.emplace(absl::AsciiStrToLower(Absl(usernames_[i])), static_cast<uint32_t>(i));
      }
    }
    user_by_username_built_ = true;
  }
  auto it = user_by_username_.find(absl::AsciiStrToLower(Absl(username)));
  return it == user_by_username_.end() ? -1 : static_cast<int64_t>(it->second);
}

// An error is about this tweet when what it names (`resource_id`, else `value`) is an object the tweet
// refers to, of the error's `resource_type` ("user": author, replied-to or mentioned user by id or
// case-insensitive handle; "tweet": a referenced tweet; "media"; "poll"; "place"; any of them when the
// type is missing or new), in `errors[]` order.
void Includes::ErrorsAbout(const TweetRefs& refs, std::vector<uint32_t>* out) const {
  for (size_t i = 0; i < error_refs_.size(); ++i) {
    const ErrorRefs& e = error_refs_[i];
    const std::string_view name = !e.resource_id.empty() ? e.resource_id : e.value;
    if (name.empty()) continue;
    const std::string_view type = e.resource_type;
    const bool any = type != "user" && type != "tweet" && type != "media" && type != "poll" && type != "place";
    bool about = false;
    if (any || type == "user") {
      about = name == refs.author_id || name == refs.in_reply_to_user_id;
      for (const auto& [id, username] : refs.mentions) {
        about = about || name == id || (!username.empty() && absl::EqualsIgnoreCase(Absl(name), Absl(username)));
      }
    }
    if (any || type == "tweet") {
      for (std::string_view id : refs.referenced_tweet_ids) about = about || name == id;
    }
    if (any || type == "media") {
      for (std::string_view key : refs.media_keys) about = about || name == key;
    }
    if (any || type == "poll") {
      for (std::string_view id : refs.poll_ids) about = about || name == id;
    }
    if (any || type == "place") about = about || name == refs.place_id;
    if (about) out->push_back(static_cast<uint32_t>(i));
  }
}

}  // namespace tweetstream::source::xjson
