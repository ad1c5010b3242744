#include "source-connector/x_json_mapper.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>
#include <set>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "source-connector/x_field_tables.h"
#include "tests/common/test_util.h"

// The fixture sweep parses every recorded body a second time with RapidJSON, a different parser, and
// compares the mapper's envelopes with it field by field: a bug in the mapper (or in simdjson's use)
// cannot hide behind the same bug in the expectation.

namespace tweetstream::source {
namespace {

namespace pb = tweetstream::tweet::v1;
using ::tweetstream::testing::FixtureFiles;
using ::tweetstream::testing::FixturePath;
using ::tweetstream::testing::ReadFile;

// ----------------------------------------------------------------------------------------------------
// Reading the fixtures.
// ----------------------------------------------------------------------------------------------------

// One response body as the connector would receive it: a whole .json file, one line of a .jsonl file,
// or one `\r\n`-terminated message of a raw stream capture.
struct RecordedBody {
  std::string label;  // "file.jsonl line 3"
  std::string text;
};

std::vector<RecordedBody> BodiesOf(const std::string& name) {
  std::vector<RecordedBody> bodies;
  absl::StatusOr<std::string> content = ReadFile(FixturePath(name));
  EXPECT_TRUE(content.ok()) << content.status();
  if (!content.ok()) return bodies;
  if (absl::EndsWith(name, ".json")) {
    bodies.push_back({name, *content});
    return bodies;
  }
  // JSONL: one body per LF line. A raw stream capture: one per CRLF, empty lines being keep-alives.
  const char* separator = absl::EndsWith(name, ".txt") ? "\r\n" : "\n";
  int line = 0;
  for (absl::string_view part : absl::StrSplit(*content, separator)) {
    ++line;
    if (part.empty()) continue;
    bodies.push_back({absl::StrCat(name, " line ", line), std::string(part)});
  }
  return bodies;
}

// Every recorded body file: *.json (except the headers/requests side files), *.jsonl and the *.txt
// captures. Bodies that are not JSON objects (the text/plain 429, a truncated stream line) are part of
// the sweep too: the mapper must refuse them with INVALID_ARGUMENT.
std::vector<std::string> SweepFiles() {
  std::vector<std::string> files;
  for (const std::string& name : FixtureFiles(".json")) {
    if (name != "headers.json" && name != "requests.json") files.push_back(name);
  }
  for (const std::string& name : FixtureFiles(".jsonl")) files.push_back(name);
  for (const std::string& name : FixtureFiles(".txt")) files.push_back(name);
  return files;
}

MappingContext SweepContext(const std::string& origin) {
  MappingContext context;
  context.mode = "replay";
  context.origin = origin;
  context.ingested_at = absl::FromUnixSeconds(1700000000);
  return context;
}

// ----------------------------------------------------------------------------------------------------
// RapidJSON accessors (absent and null read the same, as in the API).
// ----------------------------------------------------------------------------------------------------

using Json = rapidjson::Value;

const Json* Get(const Json& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string Str(const Json& object, const char* key) {
  const Json* value = Get(object, key);
  return value != nullptr && value->IsString() ? std::string(value->GetString(), value->GetStringLength()) : "";
}

std::string JsonString(const Json& value) { return std::string(value.GetString(), value.GetStringLength()); }

// The array at `key`, or an empty one.
const Json& Arr(const Json& object, const char* key) {
  static const Json kEmpty(rapidjson::kArrayType);
  const Json* value = Get(object, key);
  return value != nullptr && value->IsArray() ? *value : kEmpty;
}

// An id that may be a string or an integer (the 2021 stream rule ids), printed exactly.
std::string IdOf(const Json& value) {
  if (value.IsString()) return JsonString(value);
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  ADD_FAILURE() << "id is neither a string nor an integer";
  return "";
}

// "2021-04-01T15:52:31.000Z" -> seconds since the epoch, by hand (not absl::ParseTime, which the
// mapper uses). All recordings use UTC with a `Z`.
int64_t EpochSeconds(const std::string& rfc3339) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  EXPECT_EQ(std::sscanf(rfc3339.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second), 6)
      << rfc3339;
  EXPECT_TRUE(absl::EndsWith(rfc3339, "Z")) << rfc3339;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm));
}

// A data element the mapper must turn into an envelope: an object with non-empty string id and text.
bool IsTweet(const Json& item) {
  const Json* id = Get(item, "id");
  const Json* text = Get(item, "text");
  return id != nullptr && id->IsString() && id->GetStringLength() > 0 && text != nullptr && text->IsString();
}

const Json* FindById(const Json& list, const char* key, const std::string& id) {
  for (const Json& item : list.GetArray()) {
    if (Str(item, key) == id) return &item;
  }
  return nullptr;
}

// ----------------------------------------------------------------------------------------------------
// Field-by-field comparison of one tweet.
// ----------------------------------------------------------------------------------------------------

void ExpectEntitiesMatch(const Json* json, const pb::Entities& entities) {
  static const Json kNone(rapidjson::kObjectType);
  const Json& e = json != nullptr ? *json : kNone;

  const Json& hashtags = Arr(e, "hashtags");
  ASSERT_EQ(entities.hashtags_size(), static_cast<int>(hashtags.Size()));
  for (int i = 0; i < entities.hashtags_size(); ++i) {
    EXPECT_EQ(entities.hashtags(i).start(), hashtags[i]["start"].GetInt());
    EXPECT_EQ(entities.hashtags(i).end(), hashtags[i]["end"].GetInt());
    EXPECT_EQ(entities.hashtags(i).tag(), Str(hashtags[i], "tag"));
  }
  const Json& cashtags = Arr(e, "cashtags");
  ASSERT_EQ(entities.cashtags_size(), static_cast<int>(cashtags.Size()));
  for (int i = 0; i < entities.cashtags_size(); ++i) {
    EXPECT_EQ(entities.cashtags(i).start(), cashtags[i]["start"].GetInt());
    EXPECT_EQ(entities.cashtags(i).end(), cashtags[i]["end"].GetInt());
    EXPECT_EQ(entities.cashtags(i).tag(), Str(cashtags[i], "tag"));
  }
  const Json& mentions = Arr(e, "mentions");
  ASSERT_EQ(entities.mentions_size(), static_cast<int>(mentions.Size()));
  for (int i = 0; i < entities.mentions_size(); ++i) {
    EXPECT_EQ(entities.mentions(i).start(), mentions[i]["start"].GetInt());
    EXPECT_EQ(entities.mentions(i).end(), mentions[i]["end"].GetInt());
    EXPECT_EQ(entities.mentions(i).username(), Str(mentions[i], "username"));
    EXPECT_EQ(entities.mentions(i).id(), Str(mentions[i], "id"));
  }
  const Json& urls = Arr(e, "urls");
  ASSERT_EQ(entities.urls_size(), static_cast<int>(urls.Size()));
  for (int i = 0; i < entities.urls_size(); ++i) {
    const pb::Url& url = entities.urls(i);
    EXPECT_EQ(url.start(), urls[i]["start"].GetInt());
    EXPECT_EQ(url.end(), urls[i]["end"].GetInt());
    EXPECT_EQ(url.url(), Str(urls[i], "url"));
    EXPECT_EQ(url.expanded_url(), Str(urls[i], "expanded_url"));
    EXPECT_EQ(url.display_url(), Str(urls[i], "display_url"));
    EXPECT_EQ(url.unwound_url(), Str(urls[i], "unwound_url"));
    EXPECT_EQ(url.title(), Str(urls[i], "title"));
    EXPECT_EQ(url.media_key(), Str(urls[i], "media_key"));
    const Json* status = Get(urls[i], "status");
    EXPECT_EQ(url.has_status(), status != nullptr);
    if (status != nullptr) {
      EXPECT_EQ(url.status(), status->GetInt());
    }
    const Json& images = Arr(urls[i], "images");
    ASSERT_EQ(url.images_size(), static_cast<int>(images.Size()));
    for (int k = 0; k < url.images_size(); ++k) {
      EXPECT_EQ(url.images(k).url(), Str(images[k], "url"));
      EXPECT_EQ(url.images(k).width(), images[k]["width"].GetInt());
      EXPECT_EQ(url.images(k).height(), images[k]["height"].GetInt());
    }
  }
  const Json& annotations = Arr(e, "annotations");
  ASSERT_EQ(entities.annotations_size(), static_cast<int>(annotations.Size()));
  for (int i = 0; i < entities.annotations_size(); ++i) {
    const pb::Annotation& a = entities.annotations(i);
    EXPECT_EQ(a.start(), annotations[i]["start"].GetInt());
    EXPECT_EQ(a.end(), annotations[i]["end"].GetInt());
    EXPECT_EQ(a.probability(), annotations[i]["probability"].GetDouble());
    EXPECT_EQ(a.type(), Str(annotations[i], "type"));
    EXPECT_EQ(a.normalized_text(), Str(annotations[i], "normalized_text"));
  }
}

void ExpectPublicMetricsMatch(const Json* json, const pb::Tweet& tweet) {
  EXPECT_EQ(tweet.has_public_metrics(), json != nullptr);
  if (json == nullptr) return;
  const pb::PublicMetrics& m = tweet.public_metrics();
  struct Metric {
    const char* name;
    bool has;
    int64_t value;
  };
  const Metric metrics[] = {
      {"retweet_count", m.has_retweet_count(), m.retweet_count()},
      {"reply_count", m.has_reply_count(), m.reply_count()},
      {"like_count", m.has_like_count(), m.like_count()},
      {"quote_count", m.has_quote_count(), m.quote_count()},
      {"bookmark_count", m.has_bookmark_count(), m.bookmark_count()},
      {"impression_count", m.has_impression_count(), m.impression_count()},
  };
  for (const Metric& metric : metrics) {
    const Json* value = Get(*json, metric.name);
    EXPECT_EQ(metric.has, value != nullptr) << metric.name;  // absent in the JSON = unset in the proto
    if (value != nullptr) {
      EXPECT_EQ(metric.value, value->GetInt64()) << metric.name;
    }
  }
}

// Compares a tweet's own fields (used for `data` tweets and for joined referenced tweets).
void ExpectTweetFieldsMatch(const Json& t, const pb::Tweet& tweet) {
  EXPECT_EQ(tweet.id(), Str(t, "id"));
  EXPECT_EQ(tweet.text(), Str(t, "text"));  // exact bytes: surrogate pairs joined, `&amp;` kept
  EXPECT_EQ(tweet.author_id(), Str(t, "author_id"));
  EXPECT_EQ(tweet.lang(), Str(t, "lang"));
  EXPECT_EQ(tweet.conversation_id(), Str(t, "conversation_id"));
  EXPECT_EQ(tweet.in_reply_to_user_id(), Str(t, "in_reply_to_user_id"));
  EXPECT_EQ(tweet.source(), Str(t, "source"));
  EXPECT_EQ(tweet.reply_settings(), Str(t, "reply_settings"));

  const Json* created_at = Get(t, "created_at");
  EXPECT_EQ(tweet.has_created_at(), created_at != nullptr);
  if (created_at != nullptr) {
    EXPECT_EQ(tweet.created_at().seconds(), EpochSeconds(JsonString(*created_at)));
    EXPECT_EQ(tweet.created_at().nanos(), 0);  // the API sends `.000`
  }
  const Json* sensitive = Get(t, "possibly_sensitive");
  EXPECT_EQ(tweet.has_possibly_sensitive(), sensitive != nullptr);
  if (sensitive != nullptr) {
    EXPECT_EQ(tweet.possibly_sensitive(), sensitive->GetBool());
  }

  ExpectEntitiesMatch(Get(t, "entities"), tweet.entities());
  ExpectPublicMetricsMatch(Get(t, "public_metrics"), tweet);

  const Json& context_annotations = Arr(t, "context_annotations");
  EXPECT_EQ(tweet.context_annotations_size(), static_cast<int>(context_annotations.Size()));
  for (int i = 0; i < tweet.context_annotations_size() && i < static_cast<int>(context_annotations.Size()); ++i) {
    EXPECT_EQ(tweet.context_annotations(i).domain().id(), Str(context_annotations[i]["domain"], "id"));
    EXPECT_EQ(tweet.context_annotations(i).entity().id(), Str(context_annotations[i]["entity"], "id"));
    EXPECT_EQ(tweet.context_annotations(i).entity().name(), Str(context_annotations[i]["entity"], "name"));
  }

  const Json& references = Arr(t, "referenced_tweets");
  ASSERT_EQ(tweet.referenced_tweets_size(), static_cast<int>(references.Size()));
  for (int i = 0; i < tweet.referenced_tweets_size(); ++i) {
    EXPECT_EQ(tweet.referenced_tweets(i).type(), Str(references[i], "type"));
    EXPECT_EQ(tweet.referenced_tweets(i).id(), Str(references[i], "id"));
  }

  const Json& history = Arr(t, "edit_history_tweet_ids");
  ASSERT_EQ(tweet.edit_history_tweet_ids_size(), static_cast<int>(history.Size()));
  for (int i = 0; i < tweet.edit_history_tweet_ids_size(); ++i) {
    EXPECT_EQ(tweet.edit_history_tweet_ids(i), JsonString(history[i]));
  }

  const Json* attachments = Get(t, "attachments");
  if (attachments != nullptr) {
    const Json& keys = Arr(*attachments, "media_keys");
    ASSERT_EQ(tweet.attachments().media_keys_size(), static_cast<int>(keys.Size()));
    for (int i = 0; i < tweet.attachments().media_keys_size(); ++i) {
      EXPECT_EQ(tweet.attachments().media_keys(i), JsonString(keys[i]));
    }
    EXPECT_EQ(tweet.attachments().poll_ids_size(), static_cast<int>(Arr(*attachments, "poll_ids").Size()));
  }

  const Json* geo = Get(t, "geo");
  EXPECT_EQ(tweet.has_geo(), geo != nullptr);
  if (geo != nullptr) {
    EXPECT_EQ(tweet.geo().place_id(), Str(*geo, "place_id"));
    const Json* point = Get(*geo, "coordinates");
    EXPECT_EQ(tweet.geo().has_coordinates(), point != nullptr);
    if (point != nullptr) {
      const Json& lon_lat = (*point)["coordinates"];
      EXPECT_EQ(tweet.geo().coordinates().longitude(), lon_lat[0].GetDouble());
      EXPECT_EQ(tweet.geo().coordinates().latitude(), lon_lat[1].GetDouble());
    }
  }

  const Json* withheld = Get(t, "withheld");
  EXPECT_EQ(tweet.has_withheld(), withheld != nullptr);
  if (withheld != nullptr) {
    const Json& codes = Arr(*withheld, "country_codes");
    ASSERT_EQ(tweet.withheld().country_codes_size(), static_cast<int>(codes.Size()));
    for (int i = 0; i < tweet.withheld().country_codes_size(); ++i) {
      EXPECT_EQ(tweet.withheld().country_codes(i), JsonString(codes[i]));
    }
    const Json* copyright = Get(*withheld, "copyright");
    EXPECT_EQ(tweet.withheld().has_copyright(), copyright != nullptr);
    if (copyright != nullptr) {
      EXPECT_EQ(tweet.withheld().copyright(), copyright->GetBool());
    }
  }

  const Json* edit_controls = Get(t, "edit_controls");
  EXPECT_EQ(tweet.has_edit_controls(), edit_controls != nullptr);
  if (edit_controls != nullptr) {
    const Json& remaining = (*edit_controls)["edits_remaining"];
    const int expected = remaining.IsString() ? std::stoi(JsonString(remaining)) : remaining.GetInt();
    EXPECT_EQ(tweet.edit_controls().edits_remaining(), expected);
    EXPECT_EQ(tweet.edit_controls().is_edit_eligible(), (*edit_controls)["is_edit_eligible"].GetBool());
    EXPECT_EQ(tweet.edit_controls().editable_until().seconds(),
              EpochSeconds(Str(*edit_controls, "editable_until")));
  }

  // The recordings hold no field outside the schema: nothing should land in the extra blob.
  EXPECT_EQ(tweet.extra_fields_json(), "");
}

// Users of in_reply_to_user_id then of the mentions (by id when given, else by username, ignoring case),
// once each, never the author, only when included.
std::vector<std::string> ExpectedReferencedUsers(const Json& t, const Json& users) {
  std::vector<std::string> ids;
  std::set<std::string> seen = {Str(t, "author_id")};
  auto add = [&](const Json* user) {
    if (user != nullptr && seen.insert(Str(*user, "id")).second) ids.push_back(Str(*user, "id"));
  };
  if (!Str(t, "in_reply_to_user_id").empty()) add(FindById(users, "id", Str(t, "in_reply_to_user_id")));
  const Json* entities = Get(t, "entities");
  if (entities != nullptr) {
    for (const Json& mention : Arr(*entities, "mentions").GetArray()) {
      const Json* user = Str(mention, "id").empty() ? nullptr : FindById(users, "id", Str(mention, "id"));
      if (user == nullptr) {
        for (const Json& candidate : users.GetArray()) {
          if (absl::EqualsIgnoreCase(Str(candidate, "username"), Str(mention, "username"))) {
            user = &candidate;
            break;
          }
        }
      }
      add(user);
    }
  }
  return ids;
}

void ExpectEnvelopeMatches(const Json& body, const Json& t, const pb::TweetEnvelope& envelope,
                           const std::string& origin) {
  SCOPED_TRACE(absl::StrCat("tweet ", Str(t, "id")));
  ExpectTweetFieldsMatch(t, envelope.tweet());

  static const Json kNone(rapidjson::kObjectType);
  const Json* includes_ptr = Get(body, "includes");
  const Json& includes = includes_ptr != nullptr ? *includes_ptr : kNone;
  const Json& users = Arr(includes, "users");

  // Author joined from includes.users.
  const Json* author = Str(t, "author_id").empty() ? nullptr : FindById(users, "id", Str(t, "author_id"));
  EXPECT_EQ(envelope.has_author(), author != nullptr);
  if (author != nullptr) {
    EXPECT_EQ(envelope.author().id(), Str(t, "author_id"));
    EXPECT_EQ(envelope.author().username(), Str(*author, "username"));
    EXPECT_EQ(envelope.author().name(), Str(*author, "name"));
    EXPECT_EQ(envelope.author().description(), Str(*author, "description"));
    const Json* author_withheld = Get(*author, "withheld");
    EXPECT_EQ(envelope.author().has_withheld(), author_withheld != nullptr);
    if (const Json* created = Get(*author, "created_at"); created != nullptr) {
      EXPECT_EQ(envelope.author().created_at().seconds(), EpochSeconds(JsonString(*created)));
    }
    if (const Json* metrics = Get(*author, "public_metrics"); metrics != nullptr) {
      EXPECT_EQ(envelope.author().public_metrics().followers_count(), (*metrics)["followers_count"].GetInt64());
    }
  }

  // Mentioned and replied-to users.
  std::vector<std::string> expected_users = ExpectedReferencedUsers(t, users);
  ASSERT_EQ(envelope.referenced_users_size(), static_cast<int>(expected_users.size()));
  for (int i = 0; i < envelope.referenced_users_size(); ++i) {
    EXPECT_EQ(envelope.referenced_users(i).id(), expected_users[i]);
  }

  // Referenced tweets that the API included, each mapped as a Tweet.
  std::vector<const Json*> expected_tweets;
  std::set<std::string> seen;
  for (const Json& reference : Arr(t, "referenced_tweets").GetArray()) {
    const Json* included = FindById(Arr(includes, "tweets"), "id", Str(reference, "id"));
    if (included != nullptr && seen.insert(Str(reference, "id")).second) expected_tweets.push_back(included);
  }
  ASSERT_EQ(envelope.referenced_tweets_size(), static_cast<int>(expected_tweets.size()));
  for (int i = 0; i < envelope.referenced_tweets_size(); ++i) {
    ExpectTweetFieldsMatch(*expected_tweets[i], envelope.referenced_tweets(i));
  }

  // Media in key order, polls, place.
  const Json* attachments = Get(t, "attachments");
  std::vector<std::string> expected_media;
  std::vector<std::string> expected_polls;
  if (attachments != nullptr) {
    for (const Json& key : Arr(*attachments, "media_keys").GetArray()) {
      if (FindById(Arr(includes, "media"), "media_key", JsonString(key)) != nullptr) {
        expected_media.push_back(JsonString(key));
      }
    }
    for (const Json& id : Arr(*attachments, "poll_ids").GetArray()) {
      if (FindById(Arr(includes, "polls"), "id", JsonString(id)) != nullptr) expected_polls.push_back(JsonString(id));
    }
  }
  ASSERT_EQ(envelope.media_size(), static_cast<int>(expected_media.size()));
  for (int i = 0; i < envelope.media_size(); ++i) {
    EXPECT_EQ(envelope.media(i).media_key(), expected_media[i]);
    const Json& media = *FindById(Arr(includes, "media"), "media_key", expected_media[i]);
    EXPECT_EQ(envelope.media(i).type(), Str(media, "type"));
    EXPECT_EQ(envelope.media(i).url(), Str(media, "url"));
    EXPECT_EQ(envelope.media(i).variants_size(), static_cast<int>(Arr(media, "variants").Size()));
  }
  ASSERT_EQ(envelope.polls_size(), static_cast<int>(expected_polls.size()));
  for (int i = 0; i < envelope.polls_size(); ++i) {
    EXPECT_EQ(envelope.polls(i).id(), expected_polls[i]);
    const Json& poll = *FindById(Arr(includes, "polls"), "id", expected_polls[i]);
    EXPECT_EQ(envelope.polls(i).options_size(), static_cast<int>(Arr(poll, "options").Size()));
  }
  const Json* geo = Get(t, "geo");
  const Json* place = geo == nullptr || Str(*geo, "place_id").empty()
                          ? nullptr
                          : FindById(Arr(includes, "places"), "id", Str(*geo, "place_id"));
  EXPECT_EQ(envelope.has_place(), place != nullptr);
  if (place != nullptr) {
    EXPECT_EQ(envelope.place().id(), Str(*place, "id"));
    EXPECT_EQ(envelope.place().full_name(), Str(*place, "full_name"));
    EXPECT_EQ(envelope.place().country_code(), Str(*place, "country_code"));
    const Json& bbox = (*place)["geo"]["bbox"];
    ASSERT_EQ(envelope.place().bbox_size(), static_cast<int>(bbox.Size()));
    for (int i = 0; i < envelope.place().bbox_size(); ++i) EXPECT_EQ(envelope.place().bbox(i), bbox[i].GetDouble());
  }

  // Stream rules: ids as exact decimal strings, a null tag as "".
  const Json& rules = Arr(body, "matching_rules");
  ASSERT_EQ(envelope.matching_rules_size(), static_cast<int>(rules.Size()));
  for (int i = 0; i < envelope.matching_rules_size(); ++i) {
    EXPECT_EQ(envelope.matching_rules(i).id(), IdOf(rules[i]["id"]));
    EXPECT_EQ(envelope.matching_rules(i).tag(), Str(rules[i], "tag"));
  }

  EXPECT_EQ(envelope.ingestion().mode(), "replay");
  EXPECT_EQ(envelope.ingestion().origin(), origin);
  EXPECT_EQ(envelope.ingestion().connector_version(), TWEETSTREAM_VERSION);
  EXPECT_EQ(envelope.ingestion().ingested_at().seconds(), 1700000000);

  // What goes to Kafka: the envelope serializes and parses back (proto3 strings must be valid UTF-8).
  pb::TweetEnvelope round_trip;
  EXPECT_TRUE(round_trip.ParseFromString(envelope.SerializeAsString()));
  EXPECT_EQ(round_trip.tweet().text(), envelope.tweet().text());
}

// Compares one recorded body with the mapper's result. Returns the number of envelopes.
int ExpectBodyMatches(const RecordedBody& body) {
  SCOPED_TRACE(body.label);
  const MappingContext context = SweepContext(body.label);
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(body.text, context);

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(body.text.data(), body.text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    // Not a JSON object (the text/plain 429, a stream line cut by a disconnect): refused as bad input.
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
    EXPECT_FALSE(parsed.status().message().empty());
    return 0;
  }
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return 0;

  // `data`: an object (lookup, stream event), an array (search, multi-lookup) or absent.
  std::vector<const Json*> tweets;
  size_t not_tweets = 0;
  if (const Json* data = Get(doc, "data"); data != nullptr) {
    if (data->IsArray()) {
      for (const Json& item : data->GetArray()) {
        if (IsTweet(item)) {
          tweets.push_back(&item);
        } else {
          ++not_tweets;
        }
      }
    } else if (IsTweet(*data)) {
      tweets.push_back(data);
    } else {
      ++not_tweets;
    }
  }
  EXPECT_EQ(parsed->envelopes.size(), tweets.size());
  // Real recordings map cleanly: the only skipped records are `data` items that are not tweets
  // (users or rules answered by other endpoints).
  EXPECT_EQ(parsed->skipped.size(), not_tweets);
  for (const SkippedRecord& skipped : parsed->skipped) {
    EXPECT_TRUE(absl::StartsWith(skipped.where, "data")) << skipped.where << ": " << skipped.reason;
  }
  for (size_t i = 0; i < tweets.size() && i < parsed->envelopes.size(); ++i) {
    ExpectEnvelopeMatches(doc, *tweets[i], parsed->envelopes[i], body.label);
  }

  // Problems: one per `errors[]` entry; a whole-body problem (top-level type/title) is one problem,
  // its `{message, parameters}` details folded into it.
  const Json& errors = Arr(doc, "errors");
  size_t expected_problems = errors.Size();
  if (Get(doc, "type") != nullptr || Get(doc, "title") != nullptr) {
    expected_problems = 1;
    for (const Json& error : errors.GetArray()) {
      if (Get(error, "type") != nullptr || Get(error, "title") != nullptr) ++expected_problems;
    }
  }
  EXPECT_EQ(parsed->problems.size(), expected_problems);
  if (Get(doc, "type") == nullptr && Get(doc, "title") == nullptr) {
    for (size_t i = 0; i < errors.Size() && i < parsed->problems.size(); ++i) {
      EXPECT_EQ(parsed->problems[i].type, Str(errors[i], "type"));
      EXPECT_EQ(parsed->problems[i].title, Str(errors[i], "title"));
      EXPECT_EQ(parsed->problems[i].detail, Str(errors[i], "detail"));
      EXPECT_EQ(parsed->problems[i].resource_id, Str(errors[i], "resource_id"));
    }
  }

  static const Json kNone(rapidjson::kObjectType);
  const Json* meta_ptr = Get(doc, "meta");
  const Json& meta = meta_ptr != nullptr ? *meta_ptr : kNone;
  EXPECT_EQ(parsed->meta.next_token, Str(meta, "next_token"));
  EXPECT_EQ(parsed->meta.newest_id, Str(meta, "newest_id"));
  EXPECT_EQ(parsed->meta.oldest_id, Str(meta, "oldest_id"));
  const Json* result_count = Get(meta, "result_count");
  EXPECT_EQ(parsed->meta.result_count.has_value(), result_count != nullptr);
  if (result_count != nullptr && parsed->meta.result_count.has_value()) {
    EXPECT_EQ(*parsed->meta.result_count, result_count->GetInt64());
  }
  return static_cast<int>(parsed->envelopes.size());
}

class RecordedFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedFixtureTest, EveryTweetMatchesAnIndependentParse) {
  std::vector<RecordedBody> bodies = BodiesOf(GetParam());
  ASSERT_FALSE(bodies.empty()) << GetParam();
  for (const RecordedBody& body : bodies) ExpectBodyMatches(body);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RecordedFixtureTest, ::testing::ValuesIn(SweepFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// The sweep is not vacuous: it covers the recorded search pages, lookups and stream events.
TEST(RecordedFixtureSweep, CoversTheRecordedTweets) {
  int files_with_tweets = 0;
  int envelopes = 0;
  for (const std::string& file : SweepFiles()) {
    int in_file = 0;
    for (const RecordedBody& body : BodiesOf(file)) {
      absl::StatusOr<ParsedResponse> parsed = ParseXResponse(body.text, SweepContext(body.label));
      if (parsed.ok()) in_file += static_cast<int>(parsed->envelopes.size());
    }
    if (in_file > 0) ++files_with_tweets;
    envelopes += in_file;
  }
  // The recordings as of writing hold 841 tweets in 28 files (counted with a separate script); more
  // recordings may be added, fewer means the sweep silently lost some.
  EXPECT_GE(files_with_tweets, 28);
  EXPECT_GE(envelopes, 841);
}

// The field tables (x_field_tables.h) against tweet.proto's descriptor: each key names the field whose
// generated number it carries, and every field of a table's message is in its table (so a field added to
// tweet.proto and forgotten by the encoder fails here), except the few the JSON names otherwise.
TEST(XFieldTablesTest, KeysNameTheirFieldsAndCoverTheirMessages) {
  const std::set<std::string> renamed = {"Point.coordinates", "Point.type", "Place.geo"};
  std::map<std::string, std::set<std::string>> covered;
  const std::vector<xjson::FieldTable> tables = xjson::AllFieldTables();
  EXPECT_GE(tables.size(), 28u);
  for (const xjson::FieldTable& table : tables) {
    for (size_t i = 0; i < table.size; ++i) {
      const xjson::Field& field = table.fields[i];
      const std::string name = absl::StrCat(table.message->name(), ".", std::string(field.key));
      const google::protobuf::FieldDescriptor* f =
          field.number == 0 ? nullptr : table.message->FindFieldByNumber(static_cast<int>(field.number));
      if (renamed.count(name) == 0) {
        ASSERT_NE(f, nullptr) << name;
        EXPECT_EQ(f->name(), std::string(field.key)) << name;
      }
      if (i > 0 && table.fields[i - 1].number != 0 && field.number != 0) {
        EXPECT_LE(table.fields[i - 1].number, field.number) << name << ": not in field-number order";
      }
      if (f != nullptr) covered[table.message->name()].insert(f->name());
    }
  }
  for (const auto& [message, fields] : covered) {
    const google::protobuf::Descriptor* d = pb::Tweet::descriptor()->file()->FindMessageTypeByName(message);
    ASSERT_NE(d, nullptr) << message;
    for (int i = 0; i < d->field_count(); ++i) {
      const std::string& name = d->field(i)->name();
      if (name == "extra_fields_json" || (message == "Point" && name == "latitude")) continue;
      EXPECT_EQ(fields.count(name), 1u) << message << "." << name << " is in no table";
    }
  }
}

// Joins that the recorded pages do not exercise much: stream rules, a query, media, a poll and a place
// joined by several tweets, a mention found by username only, a skipped tweet between good ones.
TEST(XJsonMapperTest, EncoderBytesEqualSerializedEnvelopesForEveryJoin) {
  const std::string body = R"({"data":[
      {"id":"1","text":"@Bob @bob hi","author_id":"10","in_reply_to_user_id":"11",
       "entities":{"mentions":[{"start":0,"end":4,"username":"Bob"},{"start":5,"end":9,"username":"bob","id":"11"}]},
       "attachments":{"media_keys":["3_1","3_1","3_9"],"poll_ids":["p1"]},"geo":{"place_id":"pl1"},
       "referenced_tweets":[{"type":"quoted","id":"5"},{"type":"replied_to","id":"5"}],"lang":"en"},
      {"text":"no id"},
      {"id":"3","text":"again","author_id":"11","attachments":{"media_keys":["3_1"]},"geo":{"place_id":"pl1"},
       "entities":{"mentions":[{"start":0,"end":3,"username":"ALICE"}]}}],
    "includes":{"users":[{"id":"10","username":"alice","name":"A"},{"id":"11","username":"bob","name":"B"},
                         {"id":"10","username":"dup","name":"D"}],
                "tweets":[{"id":"5","text":"quoted","author_id":"11"}],
                "media":[{"media_key":"3_1","type":"photo","width":10}],
                "places":[{"id":"pl1","full_name":"Somewhere","geo":{"bbox":[1,2,3,4]}}],
                "polls":[{"id":"p1","options":[{"position":1,"label":"yes","votes":3}]}]},
    "matching_rules":[{"id":"7","tag":"t"},{"id":8}],
    "meta":{"result_count":3}})";
  MappingContext context;
  context.mode = "stream";
  context.origin = "test";
  context.query = "q";
  context.ingested_at = absl::FromUnixSeconds(1700000000) + absl::Nanoseconds(5);
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(body, context);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 2u);
  EXPECT_EQ(parsed->envelopes[0].media_size(), 2);
  EXPECT_EQ(parsed->envelopes[0].referenced_users_size(), 1);
  EXPECT_EQ(parsed->envelopes[1].referenced_users_size(), 1);
  XResponseEncoder encoder;
  EncodedResponse encoded;
  for (int round = 0; round < 2; ++round) {  // the second round reuses the scratch state and `encoded`
    ASSERT_TRUE(encoder.Encode(body, context, &encoded).ok());
    ASSERT_EQ(encoded.tweets.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(encoded.tweets[i].id, parsed->envelopes[i].tweet().id());
      EXPECT_TRUE(encoded.tweets[i].value == parsed->envelopes[i].SerializeAsString()) << "tweet " << i;
    }
    ASSERT_EQ(encoded.skipped.size(), 1u);
    EXPECT_EQ(encoded.skipped[0].where, parsed->skipped[0].where);
  }
  // Without the tweet to skip: the same bytes.
  std::string clean = body;
  const std::string skipped_tweet = R"({"text":"no id"},)";
  ASSERT_NE(clean.find(skipped_tweet), std::string::npos);
  clean.erase(clean.find(skipped_tweet), skipped_tweet.size());
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(encoder.Encode(clean, context, &encoded).ok());
    EXPECT_TRUE(encoded.skipped.empty());
    ASSERT_EQ(encoded.tweets.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(encoded.tweets[i].id, parsed->envelopes[i].tweet().id());
      EXPECT_TRUE(encoded.tweets[i].value == parsed->envelopes[i].SerializeAsString()) << "tweet " << i;
    }
  }
  // A smaller body after a bigger one: nothing of the previous body leaks into it.
  ASSERT_TRUE(encoder.Encode(R"({"data":{"id":"9","text":"solo","author_id":"10"}})", context, &encoded).ok());
  ASSERT_EQ(encoded.tweets.size(), 1u);
  absl::StatusOr<ParsedResponse> solo = ParseXResponse(R"({"data":{"id":"9","text":"solo","author_id":"10"}})", context);
  ASSERT_TRUE(solo.ok());
  EXPECT_TRUE(encoded.tweets[0].value == solo->envelopes[0].SerializeAsString());
  EXPECT_FALSE(solo->envelopes[0].has_author());
  // Not JSON: the same status, no tweets left over from the previous body.
  EXPECT_EQ(encoder.Encode("nope", context, &encoded).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(encoded.tweets.empty());
}

// Times in X's own form take a fast path; every one must read exactly as absl::ParseTime reads it, and
// the forms the fast path leaves alone (offsets, other precisions, impossible dates) still work.
TEST(XJsonMapperTest, CreatedAtReadsAsRfc3339) {
  const char* const kTimes[] = {
      "2021-04-01T15:52:31.000Z", "2024-02-29T23:59:59.999Z", "1970-01-01T00:00:00Z",  "1969-12-31T23:59:59.001Z",
      "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "2000-02-29T12:00:00Z",  "2100-03-01T00:00:00.500Z",
      "2021-04-01T15:52:31+02:00", "2021-04-01T15:52:31.123456Z", "2021-04-01T15:52:31.1Z", "2016-12-31T23:59:60Z"};
  for (const char* time : kTimes) {
    SCOPED_TRACE(time);
    absl::StatusOr<ParsedResponse> parsed =
        ParseXResponse(absl::StrCat(R"({"data":{"id":"1","text":"a","created_at":")", time, R"("}})"), {});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->envelopes.size(), 1u);
    absl::Time expected;
    std::string error;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, time, &expected, &error)) << error;
    const int64_t seconds = absl::ToUnixSeconds(expected);
    EXPECT_EQ(parsed->envelopes[0].tweet().created_at().seconds(), seconds);
    EXPECT_EQ(parsed->envelopes[0].tweet().created_at().nanos(),
              (expected - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1));
  }
  for (const char* bad : {"2023-02-29T00:00:00.000Z", "2021-13-01T00:00:00.000Z", "2021-04-01T24:00:00.000Z",
                          "2021-04-01 15:52:31.000Z", "0000-01-01T00:00:00.000Z", "2021-04-01T15:52:3x.000Z"}) {
    SCOPED_TRACE(bad);
    absl::Time unused;
    std::string error;
    const bool absl_reads_it = absl::ParseTime(absl::RFC3339_full, bad, &unused, &error);
    absl::StatusOr<ParsedResponse> parsed =
        ParseXResponse(absl::StrCat(R"({"data":{"id":"1","text":"a","created_at":")", bad, R"("}})"), {});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    if (absl_reads_it) continue;  // not ours to decide: the general parser's verdict stands either way
    // Not a time: the tweet is kept, the value kept as it came in its extras.
    ASSERT_EQ(parsed->envelopes.size(), 1u);
    EXPECT_TRUE(parsed->skipped.empty());
    EXPECT_FALSE(parsed->envelopes[0].tweet().has_created_at());
    EXPECT_EQ(parsed->envelopes[0].tweet().extra_fields_json(), absl::StrCat(R"({"created_at":")", bad, R"("})"));
  }
}

// ----------------------------------------------------------------------------------------------------
// Specific recorded cases.
// ----------------------------------------------------------------------------------------------------

absl::StatusOr<ParsedResponse> ParseFixture(const std::string& name, const MappingContext& context = {}) {
  absl::StatusOr<std::string> body = ReadFile(FixturePath(name));
  if (!body.ok()) return body.status();
  return ParseXResponse(*body, context);
}

TEST(XJsonMapperTest, SurrogatePairBecomesUtf8Drum) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-tweepy-single-2022-10-07.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const std::string& text = parsed->envelopes[0].tweet().text();
  EXPECT_EQ(parsed->envelopes[0].tweet().id(), "1293593516040269825");
  EXPECT_TRUE(absl::StartsWith(text, "It\xE2\x80\x99s finally here! \xF0\x9F\xA5\x81 Say hello")) << text;
  EXPECT_FALSE(absl::StrContains(text, "\\u")) << text;
  ASSERT_EQ(parsed->envelopes[0].tweet().edit_history_tweet_ids_size(), 1);
}

TEST(XJsonMapperTest, StreamRuleIdAboveTwoToThe53IsExact) {
  std::vector<RecordedBody> lines = BodiesOf("stream-filtered-twarc-2021-04-01.jsonl");
  ASSERT_EQ(lines.size(), 7u);
  for (const RecordedBody& line : lines) {
    absl::StatusOr<ParsedResponse> parsed = ParseXResponse(line.text, MappingContext{});
    ASSERT_TRUE(parsed.ok()) << line.label << ": " << parsed.status();
    ASSERT_EQ(parsed->envelopes.size(), 1u) << line.label;
    ASSERT_EQ(parsed->envelopes[0].matching_rules_size(), 1) << line.label;
    // 1377649934414049282 is not representable as a double (it would print ...049280).
    EXPECT_EQ(parsed->envelopes[0].matching_rules(0).id(), "1377649934414049282");
    EXPECT_EQ(parsed->envelopes[0].matching_rules(0).tag(), "");  // "tag": null
  }
}

TEST(XJsonMapperTest, RawStreamCaptureSplitOnCrlf) {
  std::vector<RecordedBody> events = BodiesOf("stream-filtered-raw-crlf-2021-02-10.txt");
  ASSERT_EQ(events.size(), 3u);  // the keep-alive line is not an event
  const char* ids[] = {"1359610003892670465", "1359610108666388490", "1359610122113343489"};
  for (size_t i = 0; i < events.size(); ++i) {
    absl::StatusOr<ParsedResponse> parsed = ParseXResponse(events[i].text, MappingContext{});
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_EQ(parsed->envelopes.size(), 1u);
    EXPECT_EQ(parsed->envelopes[0].tweet().id(), ids[i]);
    EXPECT_EQ(parsed->envelopes[0].tweet().lang(), "fr");
    ASSERT_EQ(parsed->envelopes[0].matching_rules_size(), 1);
    EXPECT_EQ(parsed->envelopes[0].matching_rules(0).id(), "1359605299078914049");
    EXPECT_EQ(parsed->envelopes[0].matching_rules(0).tag(), "test");
  }
}

TEST(XJsonMapperTest, EditsRemainingStringAndInteger) {
  absl::StatusOr<ParsedResponse> edited = ParseFixture("tweet-lookup-twarc-edited-2022-10-03.json");
  ASSERT_TRUE(edited.ok()) << edited.status();
  ASSERT_EQ(edited->envelopes.size(), 1u);
  const pb::EditControls& controls = edited->envelopes[0].tweet().edit_controls();
  ASSERT_TRUE(controls.has_edits_remaining());
  EXPECT_EQ(controls.edits_remaining(), 4);  // "edits_remaining": "4"
  EXPECT_TRUE(controls.is_edit_eligible());
  EXPECT_EQ(controls.editable_until().seconds(), 1664821621);  // 2022-10-03T18:27:01Z
  const pb::Tweet& tweet = edited->envelopes[0].tweet();
  ASSERT_EQ(tweet.edit_history_tweet_ids_size(), 2);
  EXPECT_EQ(tweet.edit_history_tweet_ids(0), "1576994746135764992");
  EXPECT_EQ(tweet.edit_history_tweet_ids(1), "1576994789110992896");
  EXPECT_EQ(tweet.lang(), "qst");

  absl::StatusOr<ParsedResponse> media = ParseFixture("tweet-lookup-twarc-media-2023-01.json");
  ASSERT_TRUE(media.ok()) << media.status();
  ASSERT_EQ(media->envelopes.size(), 1u);
  ASSERT_TRUE(media->envelopes[0].tweet().edit_controls().has_edits_remaining());
  EXPECT_EQ(media->envelopes[0].tweet().edit_controls().edits_remaining(), 5);  // "edits_remaining": 5
  EXPECT_FALSE(media->envelopes[0].tweet().edit_controls().is_edit_eligible());
}

TEST(XJsonMapperTest, TruncatedStreamTailIsInvalidArgumentAndEarlierLinesParse) {
  std::vector<RecordedBody> lines = BodiesOf("stream-filtered-twarc-2021-04-01-truncated-tail.jsonl");
  ASSERT_EQ(lines.size(), 8u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    absl::StatusOr<ParsedResponse> parsed = ParseXResponse(lines[i].text, MappingContext{});
    ASSERT_TRUE(parsed.ok()) << lines[i].label << ": " << parsed.status();
    EXPECT_EQ(parsed->envelopes.size(), 1u) << lines[i].label;
    EXPECT_TRUE(parsed->skipped.empty());
  }
  absl::StatusOr<ParsedResponse> tail = ParseXResponse(lines.back().text, MappingContext{});
  EXPECT_EQ(tail.status().code(), absl::StatusCode::kInvalidArgument) << tail.status();
  EXPECT_TRUE(absl::StrContains(tail.status().message(), "not valid JSON")) << tail.status();
}

TEST(XJsonMapperTest, AllNotFoundIsProblemsOnly) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-all-not-found-2022-01.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->envelopes.empty());
  EXPECT_TRUE(parsed->skipped.empty());
  ASSERT_EQ(parsed->problems.size(), 15u);
  EXPECT_EQ(parsed->problems[0].type, "https://api.twitter.com/2/problems/resource-not-found");
  EXPECT_EQ(parsed->problems[0].title, "Not Found Error");
  EXPECT_EQ(parsed->problems[0].detail, "Could not find tweet with ids: [1].");
  EXPECT_EQ(parsed->problems[0].resource_id, "1");
}

TEST(XJsonMapperTest, PartialErrorsBesideData) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-partial-errors-2022-01.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  EXPECT_EQ(parsed->envelopes[0].tweet().id(), "20");
  EXPECT_EQ(parsed->problems.size(), 19u);
  // jack's location is a non-BMP escape (\uD83C\uDF0A, a water wave).
  EXPECT_EQ(parsed->envelopes[0].author().username(), "jack");
  EXPECT_TRUE(absl::StrContains(parsed->envelopes[0].author().location(), "\xF0\x9F\x8C\x8A"))
      << parsed->envelopes[0].author().location();
}

TEST(XJsonMapperTest, EmptySearchResult) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("search-all-empty-result-2021.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->envelopes.empty());
  EXPECT_TRUE(parsed->skipped.empty());
  EXPECT_TRUE(parsed->problems.empty());
  ASSERT_TRUE(parsed->meta.result_count.has_value());
  EXPECT_EQ(*parsed->meta.result_count, 0);
  EXPECT_EQ(parsed->meta.next_token, "");
}

TEST(XJsonMapperTest, HtmlEscapesStayInText) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-twarc-geo-place-2022-03-16.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const std::string& text = parsed->envelopes[0].tweet().text();
  EXPECT_TRUE(absl::StrContains(text, "Fields &amp; Expansions")) << text;
  EXPECT_FALSE(absl::StrContains(text, "Fields & Expansions")) << text;
  // The entity offsets count code points of the escaped text: the url after `&amp;` ends at 299.
  ASSERT_EQ(parsed->envelopes[0].tweet().entities().urls_size(), 1);
  EXPECT_EQ(parsed->envelopes[0].tweet().entities().urls(0).end(), 299);
  EXPECT_EQ(parsed->envelopes[0].tweet().entities().urls(0).status(), 200);
}

TEST(XJsonMapperTest, IncludedPlaceJoinsWithBbox) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-twarc-geo-place-2022-03-16.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::TweetEnvelope& envelope = parsed->envelopes[0];
  EXPECT_EQ(envelope.tweet().geo().place_id(), "3078869807f9dd36");
  ASSERT_TRUE(envelope.has_place());
  EXPECT_EQ(envelope.place().id(), "3078869807f9dd36");
  EXPECT_EQ(envelope.place().full_name(), "Berlin, Germany");
  EXPECT_EQ(envelope.place().name(), "Berlin");
  EXPECT_EQ(envelope.place().country(), "Germany");
  EXPECT_EQ(envelope.place().country_code(), "DE");
  EXPECT_EQ(envelope.place().place_type(), "city");
  ASSERT_EQ(envelope.place().bbox_size(), 4);
  EXPECT_EQ(envelope.place().bbox(0), 13.088304);
  EXPECT_EQ(envelope.place().bbox(1), 52.338079);
  EXPECT_EQ(envelope.place().bbox(2), 13.760909);
  EXPECT_EQ(envelope.place().bbox(3), 52.675323);
  // A reply to @j2bryson that also mentions @Twitter: both users joined, the author is not.
  EXPECT_EQ(envelope.author().username(), "IgorBrigadir");
  ASSERT_EQ(envelope.referenced_users_size(), 2);
  EXPECT_EQ(envelope.referenced_users(0).username(), "j2bryson");
  EXPECT_EQ(envelope.referenced_users(1).username(), "Twitter");
  ASSERT_EQ(envelope.tweet().entities().annotations_size(), 1);
  EXPECT_EQ(envelope.tweet().entities().annotations(0).normalized_text(), "Berlin");
  EXPECT_EQ(envelope.tweet().entities().annotations(0).probability(), 0.9646);
}

TEST(XJsonMapperTest, GeoPointIsLongitudeThenLatitude) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-twarc-geo-point-2022-03-16.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::Geo& geo = parsed->envelopes[0].tweet().geo();
  EXPECT_EQ(geo.place_id(), "");
  ASSERT_TRUE(geo.has_coordinates());
  EXPECT_EQ(geo.coordinates().longitude(), 42.77810097);
  EXPECT_EQ(geo.coordinates().latitude(), 88.01785747);
  EXPECT_FALSE(parsed->envelopes[0].has_place());
  EXPECT_EQ(parsed->envelopes[0].tweet().source(), "Instagram");
}

TEST(XJsonMapperTest, VideoMediaVariants) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-twarc-media-2023-01.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::TweetEnvelope& envelope = parsed->envelopes[0];
  ASSERT_EQ(envelope.media_size(), 1);
  const pb::Media& media = envelope.media(0);
  EXPECT_EQ(media.media_key(), "7_1558552952549277696");
  EXPECT_EQ(media.type(), "video");
  EXPECT_EQ(media.duration_ms(), 71292);
  EXPECT_EQ(media.width(), 1280);
  EXPECT_EQ(media.height(), 720);
  EXPECT_EQ(media.preview_image_url(),
            "https://pbs.twimg.com/ext_tw_video_thumb/1558552952549277696/pu/img/7VaQu-AvReI8RHkv.jpg");
  ASSERT_TRUE(media.public_metrics().has_view_count());
  EXPECT_EQ(media.public_metrics().view_count(), 19059);
  ASSERT_EQ(media.variants_size(), 4);
  EXPECT_TRUE(media.variants(0).has_bit_rate());
  EXPECT_EQ(media.variants(0).bit_rate(), 256000);
  EXPECT_EQ(media.variants(0).content_type(), "video/mp4");
  EXPECT_EQ(media.variants(0).url(),
            "https://video.twimg.com/ext_tw_video/1558552952549277696/pu/vid/480x270/BWnQG9k42jhjykdl.mp4?tag=12");
  // The HLS playlist has no bit rate: unset, not 0.
  EXPECT_FALSE(media.variants(1).has_bit_rate());
  EXPECT_EQ(media.variants(1).content_type(), "application/x-mpegURL");
  EXPECT_EQ(media.variants(2).bit_rate(), 2176000);
  EXPECT_EQ(media.variants(3).bit_rate(), 832000);
  // The URL entity points at the media.
  ASSERT_EQ(envelope.tweet().entities().urls_size(), 1);
  EXPECT_EQ(envelope.tweet().entities().urls(0).media_key(), "7_1558552952549277696");
}

TEST(XJsonMapperTest, PollJoins) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("recent-search-twarc-brexit-2021-09-22.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->envelopes.size(), 100u);
  EXPECT_EQ(parsed->meta.next_token, "b26v89c19zqg8o3fpds60ssjif02fq74br3502of8hmrh");
  const pb::TweetEnvelope* with_poll = nullptr;
  for (const pb::TweetEnvelope& envelope : parsed->envelopes) {
    if (envelope.tweet().id() == "1440715451575668748") with_poll = &envelope;
  }
  ASSERT_NE(with_poll, nullptr);
  ASSERT_EQ(with_poll->polls_size(), 1);
  const pb::Poll& poll = with_poll->polls(0);
  EXPECT_EQ(poll.id(), "1440382209790132235");
  EXPECT_EQ(poll.voting_status(), "open");
  EXPECT_EQ(poll.duration_minutes(), 1440);
  EXPECT_EQ(poll.end_datetime().seconds(), 1632335254);  // 2021-09-22T18:27:34Z
  ASSERT_EQ(poll.options_size(), 3);
  EXPECT_EQ(poll.options(1).position(), 2);
  EXPECT_EQ(poll.options(1).label(), "No I don\xE2\x80\x99t");
  EXPECT_EQ(poll.options(1).votes(), 185);
}

TEST(XJsonMapperTest, WithheldAndUrlPreview) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("tweet-lookup-twarc-withheld-in-2021-05-01.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::Tweet& tweet = parsed->envelopes[0].tweet();
  ASSERT_TRUE(tweet.withheld().has_copyright());
  EXPECT_FALSE(tweet.withheld().copyright());
  ASSERT_EQ(tweet.withheld().country_codes_size(), 1);
  EXPECT_EQ(tweet.withheld().country_codes(0), "IN");
  bool found_preview = false;
  for (const pb::Url& url : tweet.entities().urls()) {
    if (url.images_size() > 0) {
      found_preview = true;
      EXPECT_FALSE(url.unwound_url().empty());
      EXPECT_FALSE(url.title().empty());
      EXPECT_GT(url.images(0).width(), 0);
    }
  }
  EXPECT_TRUE(found_preview);
}

TEST(XJsonMapperTest, WholeBodyProblems) {
  absl::StatusOr<ParsedResponse> unauthorized = ParseFixture("error-401-unauthorized-2021-06.json");
  ASSERT_TRUE(unauthorized.ok()) << unauthorized.status();
  ASSERT_EQ(unauthorized->problems.size(), 1u);
  EXPECT_EQ(unauthorized->problems[0].title, "Unauthorized");
  EXPECT_EQ(unauthorized->problems[0].type, "about:blank");
  EXPECT_EQ(unauthorized->problems[0].detail, "Unauthorized");
  EXPECT_TRUE(unauthorized->envelopes.empty());

  absl::StatusOr<ParsedResponse> invalid = ParseFixture("error-400-invalid-request-bad-ids-2021-07.json");
  ASSERT_TRUE(invalid.ok()) << invalid.status();
  ASSERT_EQ(invalid->problems.size(), 1u);
  EXPECT_EQ(invalid->problems[0].type, "https://api.twitter.com/2/problems/invalid-request");
  EXPECT_EQ(invalid->problems[0].title, "Invalid Request");
  EXPECT_TRUE(absl::StartsWith(invalid->problems[0].detail, "One or more parameters to your request was invalid."));
  EXPECT_TRUE(absl::StrContains(invalid->problems[0].detail, "does not match ^[0-9]{1,19}$"))
      << invalid->problems[0].detail;
}

TEST(XJsonMapperTest, NonJsonBodiesAreInvalidArgument) {
  for (const char* name :
       {"error-404-html-unknown-endpoint-2021-06-24.html", "error-429-rate-limit-text-plain-2021-06-25.txt"}) {
    absl::StatusOr<ParsedResponse> parsed = ParseFixture(name);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  for (absl::string_view body : {"", "   ", "[]", "[{\"id\":\"1\",\"text\":\"a\"}]", "\"text\"", "42", "null",
                                 "{\"data\":", "{\"data\":[{\"id\":\"1\",\"text\":\"a\"}]} trailing"}) {
    absl::StatusOr<ParsedResponse> parsed = ParseXResponse(body, MappingContext{});
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << "body: " << body;
    EXPECT_FALSE(parsed.status().message().empty());
  }
}

// ----------------------------------------------------------------------------------------------------
// Inline bodies: bad input, joins and stamping.
// ----------------------------------------------------------------------------------------------------

// `id` and `text` are what makes an object of `data` a tweet (a rules listing or a user lookup has
// other objects there): without them it is skipped, the other tweets kept.
TEST(XJsonMapperTest, TweetWithoutTextIsSkippedOthersKept) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(
      R"({"data":[{"id":"1","text":"one"},{"id":"2","lang":"en"},{"id":"3","text":"three"}]})", MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 2u);
  EXPECT_EQ(parsed->envelopes[0].tweet().id(), "1");
  EXPECT_EQ(parsed->envelopes[1].tweet().id(), "3");
  ASSERT_EQ(parsed->skipped.size(), 1u);
  EXPECT_EQ(parsed->skipped[0].where, "data[1] (id 2)");
  EXPECT_EQ(parsed->skipped[0].reason, "tweet has no 'text'");
}

// Issue 12, point 8: a member of the wrong type anywhere is kept verbatim in the `extra_fields_json` of
// the object it came in (its field left unset), and the tweet is kept. Before, one such member dropped
// the whole tweet (12 of these 15 tweets were skipped). Only what does not make a tweet is skipped.
TEST(XJsonMapperTest, WrongTypesAreKeptInExtrasAndTheTweetKept) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({"data":[
      {"id":"1","text":"a","public_metrics":{"like_count":"many","reply_count":2}},
      {"id":2,"text":"b"},
      {"text":"c"},
      "not a tweet",
      {"id":"5","text":"e","entities":{"urls":[{"start":0,"end":1.5}]}},
      {"id":"6","text":"f","created_at":"yesterday","lang":"de"},
      {"id":"7","text":"g","public_metrics":{"like_count":18446744073709551615}},
      {"id":"8","text":"h","entities":{"hashtags":[{"start":3000000000,"end":1,"tag":"x"}]}},
      {"id":"9","text":"i","geo":{"coordinates":{"type":"Point","coordinates":[1.5]}}},
      {"id":"10","text":"j","edit_controls":{"edits_remaining":"four","is_edit_eligible":true}},
      {"id":"11","text":"k","referenced_tweets":{"type":"quoted"}},
      {"id":"12","text":"l","lang":null,"public_metrics":{"like_count":7,"quote_count":null}},
      {"id":"13","text":"m","edit_history_tweet_ids":["13",14],"display_text_range":[0,"x"]},
      {"id":"14","text":"n","possibly_sensitive":"no","withheld":{"copyright":1,"country_codes":"DE"}},
      {"id":"15","text":5}
    ]})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  struct Expected {
    const char* where;
    const char* reason;
  };
  const Expected expected[] = {
      {"data[1]", "tweet 'id' is an integer, expected a string"},
      {"data[2]", "tweet has no 'id'"},
      {"data[3]", "expected an object, got a string"},
      {"data[14] (id 15)", "tweet 'text' is an integer, expected a string"},
  };
  ASSERT_EQ(parsed->skipped.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(parsed->skipped[i].where, expected[i].where);
    EXPECT_EQ(parsed->skipped[i].reason, expected[i].reason);
  }
  ASSERT_EQ(parsed->envelopes.size(), 11u);
  std::map<std::string, pb::Tweet> by_id;
  for (const pb::TweetEnvelope& e : parsed->envelopes) by_id[e.tweet().id()] = e.tweet();

  EXPECT_FALSE(by_id["1"].public_metrics().has_like_count());
  EXPECT_EQ(by_id["1"].public_metrics().reply_count(), 2);
  EXPECT_EQ(by_id["1"].public_metrics().extra_fields_json(), R"({"like_count":"many"})");
  EXPECT_EQ(by_id["1"].extra_fields_json(), "");
  EXPECT_EQ(by_id["5"].entities().urls(0).extra_fields_json(), R"({"end":1.5})");
  EXPECT_EQ(by_id["5"].entities().urls(0).end(), 0);
  EXPECT_FALSE(by_id["6"].has_created_at());
  EXPECT_EQ(by_id["6"].lang(), "de");
  EXPECT_EQ(by_id["6"].extra_fields_json(), R"({"created_at":"yesterday"})");
  EXPECT_EQ(by_id["7"].public_metrics().extra_fields_json(), R"({"like_count":18446744073709551615})");
  EXPECT_EQ(by_id["8"].entities().hashtags(0).extra_fields_json(), R"({"start":3000000000})");
  EXPECT_EQ(by_id["8"].entities().hashtags(0).tag(), "x");
  EXPECT_EQ(by_id["8"].entities().hashtags(0).end(), 1);
  // A point is [longitude, latitude] or nothing: one number is no place, the whole member is kept.
  EXPECT_FALSE(by_id["9"].geo().has_coordinates());
  EXPECT_EQ(by_id["9"].geo().extra_fields_json(), R"({"coordinates":{"type":"Point","coordinates":[1.5]}})");
  EXPECT_EQ(by_id["10"].edit_controls().extra_fields_json(), R"({"edits_remaining":"four"})");
  EXPECT_TRUE(by_id["10"].edit_controls().is_edit_eligible());
  EXPECT_FALSE(by_id["10"].edit_controls().has_edits_remaining());
  EXPECT_EQ(by_id["11"].referenced_tweets_size(), 0);
  EXPECT_EQ(by_id["11"].extra_fields_json(), R"({"referenced_tweets":{"type":"quoted"}})");
  EXPECT_EQ(by_id["12"].lang(), "");  // null = absent
  EXPECT_TRUE(by_id["12"].public_metrics().has_like_count());
  EXPECT_FALSE(by_id["12"].public_metrics().has_quote_count());
  EXPECT_EQ(by_id["12"].public_metrics().extra_fields_json(), "");
  // A list with one item of the wrong type is kept whole, as it came.
  EXPECT_EQ(by_id["13"].text(), "m");
  EXPECT_EQ(by_id["13"].edit_history_tweet_ids_size(), 0);
  EXPECT_EQ(by_id["13"].display_text_range_size(), 0);
  EXPECT_EQ(by_id["13"].extra_fields_json(),
            R"({"edit_history_tweet_ids":["13",14],"display_text_range":[0,"x"]})");
  EXPECT_FALSE(by_id["14"].has_possibly_sensitive());
  EXPECT_EQ(by_id["14"].extra_fields_json(), R"({"possibly_sensitive":"no"})");
  EXPECT_EQ(by_id["14"].withheld().extra_fields_json(), R"({"copyright":1,"country_codes":"DE"})");
}

// Issue 12, point 8: members X adds that the schema does not model are kept at every level, not only in
// the tweet and the user: new counts, matching_rules[].embedding_*, unknown `includes` lists
// (`includes.topics`), the GeoJSON of a place beyond its bbox, unknown members of media, polls, entities.
TEST(XJsonMapperTest, UnknownNestedMembersAreKeptAtEveryLevel) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({
      "data": {"id": "1", "text": "#a @b", "author_id": "9", "geo": {"place_id": "p1"},
               "attachments": {"media_keys": ["3_1"], "poll_ids": ["55"], "future_ids": ["x"]},
               "public_metrics": {"like_count": 1, "view_count": 42},
               "entities": {"hashtags": [{"start": 0, "end": 2, "tag": "a", "score": 0.5}],
                            "mentions": [{"start": 3, "end": 5, "username": "b", "id": "8", "verified": true}],
                            "emoji": [{"start": 0, "end": 1}]},
               "context_annotations": [{"domain": {"id": "1", "name": "D", "kind": "k"},
                                        "entity": {"id": "2", "name": "E"}, "rank": 3}],
               "edit_controls": {"edits_remaining": 5, "edit_window": 30}},
      "includes": {"users": [{"id": "9", "username": "nine", "public_metrics": {"followers_count": 1, "subscribers_count": 2}},
                             {"id": "8", "username": "b"}],
                   "places": [{"id": "p1", "full_name": "Berlin", "geo": {"type": "Feature", "bbox": [13.0, 52.3, 13.7, 52.6],
                                                                        "properties": {}}}],
                   "media": [{"media_key": "3_1", "type": "video", "public_metrics": {"view_count": 7, "play_count": 8},
                              "variants": [{"bit_rate": 1, "url": "u", "codec": "h264"}], "media_source": "x"}],
                   "polls": [{"id": "55", "options": [{"position": 1, "label": "yes", "votes": 3, "emoji": "y"}],
                              "poll_kind": "k"}],
                   "topics": [{"id": "t1", "name": "Topic"}]},
      "matching_rules": [{"id": "1", "tag": "t", "embedding_similarity": 0.93, "embedding_threshold": 0.8}],
      "stream_meta": {"shard": 2}})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_TRUE(parsed->skipped.empty()) << parsed->skipped[0].where << ": " << parsed->skipped[0].reason;
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::TweetEnvelope& e = parsed->envelopes[0];
  const pb::Tweet& t = e.tweet();
  EXPECT_EQ(t.public_metrics().like_count(), 1);
  EXPECT_EQ(t.public_metrics().extra_fields_json(), R"({"view_count":42})");
  EXPECT_EQ(t.attachments().extra_fields_json(), R"({"future_ids":["x"]})");
  EXPECT_EQ(t.entities().extra_fields_json(), R"({"emoji":[{"start":0,"end":1}]})");
  EXPECT_EQ(t.entities().hashtags(0).extra_fields_json(), R"({"score":0.5})");
  EXPECT_EQ(t.entities().mentions(0).extra_fields_json(), R"({"verified":true})");
  EXPECT_EQ(t.context_annotations(0).extra_fields_json(), R"({"rank":3})");
  EXPECT_EQ(t.context_annotations(0).domain().extra_fields_json(), R"({"kind":"k"})");
  EXPECT_EQ(t.edit_controls().edits_remaining(), 5);
  EXPECT_EQ(t.edit_controls().extra_fields_json(), R"({"edit_window":30})");
  EXPECT_EQ(t.extra_fields_json(), "");
  EXPECT_EQ(e.author().public_metrics().extra_fields_json(), R"({"subscribers_count":2})");
  ASSERT_EQ(e.referenced_users_size(), 1);
  ASSERT_TRUE(e.has_place());
  EXPECT_EQ(e.place().bbox_size(), 4);
  EXPECT_EQ(e.place().extra_fields_json(), R"({"geo":{"type":"Feature","properties":{}}})");
  ASSERT_EQ(e.media_size(), 1);
  EXPECT_EQ(e.media(0).extra_fields_json(), R"({"media_source":"x"})");
  EXPECT_EQ(e.media(0).public_metrics().extra_fields_json(), R"({"play_count":8})");
  EXPECT_EQ(e.media(0).variants(0).extra_fields_json(), R"({"codec":"h264"})");
  ASSERT_EQ(e.polls_size(), 1);
  EXPECT_EQ(e.polls(0).extra_fields_json(), R"({"poll_kind":"k"})");
  EXPECT_EQ(e.polls(0).options(0).extra_fields_json(), R"({"emoji":"y"})");
  ASSERT_EQ(e.matching_rules_size(), 1);
  EXPECT_EQ(e.matching_rules(0).extra_fields_json(), R"({"embedding_similarity":0.93,"embedding_threshold":0.8})");
  EXPECT_EQ(e.response_extra_fields_json(), R"({"includes":{"topics":[{"id":"t1","name":"Topic"}]},"stream_meta":{"shard":2}})");
}

// A key that comes twice: the first is mapped, the second kept in extras (nothing dropped).
TEST(XJsonMapperTest, DuplicateKeyKeptInExtras) {
  absl::StatusOr<ParsedResponse> parsed =
      ParseXResponse(R"({"data":{"id":"1","text":"a","lang":"en","lang":"de","public_metrics":{"like_count":1,"like_count":2}}})", {});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  EXPECT_EQ(parsed->envelopes[0].tweet().lang(), "en");
  EXPECT_EQ(parsed->envelopes[0].tweet().extra_fields_json(), R"({"lang":"de"})");
  EXPECT_EQ(parsed->envelopes[0].tweet().public_metrics().like_count(), 1);
  EXPECT_EQ(parsed->envelopes[0].tweet().public_metrics().extra_fields_json(), R"({"like_count":2})");
}

TEST(XJsonMapperTest, NumberBeyondSixtyFourBitsFailsTheWholeBody) {
  // simdjson refuses an integer that fits neither int64 nor uint64 for the whole document (a known
  // limit: the DOM has no place for it), so the body is bad input, not a crash or a rounded count.
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(
      R"({"data":[{"id":"1","text":"a","public_metrics":{"like_count":99999999999999999999}},{"id":"2","text":"b"}]})",
      MappingContext{});
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
}

TEST(XJsonMapperTest, DataOfTheWrongShape) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({"data":"nope","meta":{"result_count":"x"}})", {});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->envelopes.empty());
  ASSERT_EQ(parsed->skipped.size(), 2u);
  EXPECT_EQ(parsed->skipped[0].where, "meta");
  EXPECT_EQ(parsed->skipped[0].reason, "result_count: expected an integer, got a string");
  EXPECT_FALSE(parsed->meta.result_count.has_value());
  EXPECT_EQ(parsed->skipped[1].where, "data");
  EXPECT_EQ(parsed->skipped[1].reason, "expected an object or an array of tweets, got a string");

  parsed = ParseXResponse(R"({"data":null,"meta":{"result_count":0}})", {});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->envelopes.empty());
  EXPECT_TRUE(parsed->skipped.empty());
}

TEST(XJsonMapperTest, MatchingRuleIds) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(
      R"({"data":{"id":"1","text":"a"},"matching_rules":[{"id":18446744073709551615,"tag":"max"},)"
      R"({"id":9007199254740993,"tag":null},{"id":"1505979150238318592","tag":"string id"},{"id":-3}]})",
      MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  const pb::TweetEnvelope& envelope = parsed->envelopes[0];
  ASSERT_EQ(envelope.matching_rules_size(), 4);
  EXPECT_EQ(envelope.matching_rules(0).id(), "18446744073709551615");
  EXPECT_EQ(envelope.matching_rules(0).tag(), "max");
  EXPECT_EQ(envelope.matching_rules(1).id(), "9007199254740993");  // 2^53 + 1: a double would say ...992
  EXPECT_EQ(envelope.matching_rules(1).tag(), "");
  EXPECT_EQ(envelope.matching_rules(2).id(), "1505979150238318592");
  EXPECT_EQ(envelope.matching_rules(3).id(), "-3");

  // A rule id that arrives as a non-integer number has already lost its digits: it is not turned into a
  // rounded id, but kept as it came in the rule's extras, and the tweet is kept.
  parsed = ParseXResponse(R"({"data":{"id":"1","text":"a"},"matching_rules":[{"id":1.5e18,"tag":"t"}]})", {});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  EXPECT_TRUE(parsed->skipped.empty());
  ASSERT_EQ(parsed->envelopes[0].matching_rules_size(), 1);
  EXPECT_EQ(parsed->envelopes[0].matching_rules(0).id(), "");
  EXPECT_EQ(parsed->envelopes[0].matching_rules(0).tag(), "t");
  rapidjson::Document rule;
  rule.Parse(parsed->envelopes[0].matching_rules(0).extra_fields_json().c_str());
  ASSERT_TRUE(rule.IsObject()) << parsed->envelopes[0].matching_rules(0).extra_fields_json();
  EXPECT_TRUE(rule.HasMember("id"));
}

TEST(XJsonMapperTest, UnknownFieldsKeptAsCompactJson) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({
      "data": {"id": "1", "text": "a", "author_id": "9",
               "non_public_metrics": {"impression_count": 5},
               "article": {"title": "Quote \" and \ud83e\udd41", "n": 1.5},
               "scopes": null},
      "includes": {"users": [{"id": "9", "username": "nine", "name": "Nine",
                              "affiliation": {"description": "X"}, "verified_type": "none"}]}})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  EXPECT_EQ(parsed->envelopes[0].tweet().extra_fields_json(),
            "{\"non_public_metrics\":{\"impression_count\":5},"
            "\"article\":{\"title\":\"Quote \\\" and \xF0\x9F\xA5\x81\",\"n\":1.5},\"scopes\":null}");
  rapidjson::Document extra;
  extra.Parse(parsed->envelopes[0].tweet().extra_fields_json().c_str());
  ASSERT_FALSE(extra.HasParseError());
  ASSERT_TRUE(extra.IsObject());
  EXPECT_EQ(extra.MemberCount(), 3u);

  const pb::User& author = parsed->envelopes[0].author();
  EXPECT_EQ(author.username(), "nine");
  EXPECT_EQ(author.verified_type(), "none");
  EXPECT_EQ(author.extra_fields_json(), R"({"affiliation":{"description":"X"}})");
}

TEST(XJsonMapperTest, AllModelledFieldsMap) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({"data":[{
      "id": "100", "text": "long post", "author_id": "1", "created_at": "2023-01-05T10:11:12.345Z",
      "possibly_sensitive": true, "reply_settings": "following", "community_id": "77", "card_uri": "card://9",
      "display_text_range": [0, 9],
      "attachments": {"media_keys": ["3_1"], "poll_ids": ["55"], "media_source_tweet_id": ["99"]},
      "note_tweet": {"text": "the whole long post #tag",
                     "entities": {"hashtags": [{"start": 20, "end": 24, "tag": "tag"}]}},
      "withheld": {"country_codes": ["XX"], "scope": "tweet"},
      "context_annotations": [{"domain": {"id": "10", "name": "Person", "description": "Named people"},
                               "entity": {"id": "11", "name": "Someone"}}],
      "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 4,
                         "bookmark_count": 5, "impression_count": 6},
      "entities": {"cashtags": [{"start": 0, "end": 5, "tag": "TWTR"}],
                   "annotations": [{"start": 1, "end": 2, "probability": 1, "type": "Other",
                                    "normalized_text": "x"}]}}],
    "includes": {"users": [{"id": "1", "username": "one", "name": "One", "created_at": "2010-01-01T00:00:00.000Z",
                            "protected": true, "verified": false, "most_recent_tweet_id": "100",
                            "profile_banner_url": "https://b", "withheld": {"country_codes": ["RU"]},
                            "public_metrics": {"followers_count": 10, "like_count": 3, "media_count": 2},
                            "entities": {"url": {"urls": [{"start": 0, "end": 23, "url": "https://t.co/x"}]},
                                         "description": {"mentions": [{"start": 0, "end": 4, "username": "two"}]}}}],
                 "media": [{"media_key": "3_1", "type": "photo", "url": "https://p", "alt_text": "a cat",
                            "width": 2, "height": 3}],
                 "polls": [{"id": "55", "options": [{"position": 1, "label": "yes", "votes": 0}],
                            "voting_status": "closed"}],
                 "places": [{"id": "p1", "contained_within": ["p0"]}]}})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u) << (parsed->skipped.empty() ? "" : parsed->skipped[0].reason);
  EXPECT_TRUE(parsed->skipped.empty());
  const pb::TweetEnvelope& e = parsed->envelopes[0];
  const pb::Tweet& t = e.tweet();
  EXPECT_EQ(t.created_at().seconds(), 1672913472);
  EXPECT_EQ(t.created_at().nanos(), 345000000);
  EXPECT_TRUE(t.has_possibly_sensitive());
  EXPECT_TRUE(t.possibly_sensitive());
  EXPECT_EQ(t.reply_settings(), "following");
  EXPECT_EQ(t.community_id(), "77");
  EXPECT_EQ(t.card_uri(), "card://9");
  ASSERT_EQ(t.display_text_range_size(), 2);
  EXPECT_EQ(t.display_text_range(1), 9);
  EXPECT_EQ(t.attachments().media_source_tweet_id(0), "99");
  EXPECT_EQ(t.note_tweet().text(), "the whole long post #tag");
  ASSERT_EQ(t.note_tweet().entities().hashtags_size(), 1);
  EXPECT_EQ(t.note_tweet().entities().hashtags(0).start(), 20);
  EXPECT_FALSE(t.withheld().has_copyright());
  EXPECT_EQ(t.withheld().scope(), "tweet");
  EXPECT_EQ(t.context_annotations(0).domain().description(), "Named people");
  EXPECT_EQ(t.public_metrics().bookmark_count(), 5);
  EXPECT_EQ(t.public_metrics().impression_count(), 6);
  EXPECT_EQ(t.entities().cashtags(0).tag(), "TWTR");
  EXPECT_EQ(t.entities().annotations(0).probability(), 1.0);
  EXPECT_EQ(t.extra_fields_json(), "");

  const pb::User& u = e.author();
  EXPECT_EQ(u.created_at().seconds(), 1262304000);
  EXPECT_TRUE(u.has_protected_());
  EXPECT_TRUE(u.protected_());
  EXPECT_TRUE(u.has_verified());
  EXPECT_FALSE(u.verified());
  EXPECT_EQ(u.most_recent_tweet_id(), "100");
  EXPECT_EQ(u.profile_banner_url(), "https://b");
  EXPECT_EQ(u.withheld().country_codes(0), "RU");
  EXPECT_EQ(u.public_metrics().followers_count(), 10);
  EXPECT_FALSE(u.public_metrics().has_tweet_count());
  EXPECT_EQ(u.public_metrics().media_count(), 2);
  EXPECT_EQ(u.entities().url().urls(0).url(), "https://t.co/x");
  EXPECT_EQ(u.entities().description().mentions(0).username(), "two");

  ASSERT_EQ(e.media_size(), 1);
  EXPECT_EQ(e.media(0).alt_text(), "a cat");
  EXPECT_FALSE(e.media(0).has_public_metrics());
  ASSERT_EQ(e.polls_size(), 1);
  EXPECT_EQ(e.polls(0).voting_status(), "closed");
  EXPECT_FALSE(e.has_place());  // the tweet has no geo: an included place is not joined to it
}

TEST(XJsonMapperTest, ReferencedUsersDedupedWithoutAuthor) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({
      "data": [{"id": "10", "text": "@Two @three @one @ghost @two hi", "author_id": "1", "in_reply_to_user_id": "2",
                "entities": {"mentions": [{"start": 0, "end": 4, "username": "Two"},
                                          {"start": 5, "end": 11, "username": "three", "id": "3"},
                                          {"start": 12, "end": 16, "username": "one"},
                                          {"start": 17, "end": 23, "username": "ghost"},
                                          {"start": 24, "end": 28, "username": "two"}]},
                "referenced_tweets": [{"type": "replied_to", "id": "5"}, {"type": "quoted", "id": "404"}]},
               {"id": "11", "text": "self reply", "author_id": "1", "in_reply_to_user_id": "1"}],
      "includes": {"users": [{"id": "1", "username": "one", "name": "One"},
                             {"id": "2", "username": "two", "name": "Two"},
                             {"id": "3", "username": "three", "name": "Three"}],
                   "tweets": [{"id": "5", "text": "the parent", "author_id": "2"}]}})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 2u);
  const pb::TweetEnvelope& reply = parsed->envelopes[0];
  EXPECT_EQ(reply.author().username(), "one");
  ASSERT_EQ(reply.referenced_users_size(), 2);
  EXPECT_EQ(reply.referenced_users(0).id(), "2");
  EXPECT_EQ(reply.referenced_users(1).id(), "3");
  ASSERT_EQ(reply.referenced_tweets_size(), 1);  // 404 was not included
  EXPECT_EQ(reply.referenced_tweets(0).text(), "the parent");
  EXPECT_EQ(parsed->envelopes[1].referenced_users_size(), 0);
  EXPECT_EQ(parsed->envelopes[1].author().id(), "1");
}

// An included user with a member of the wrong type is still joined, the member kept in its extras.
TEST(XJsonMapperTest, IncludedUserWithWrongTypeIsJoinedAndKept) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(
      R"({"data":{"id":"1","text":"a","author_id":"9"},)"
      R"("includes":{"users":[{"id":"9","username":"n","verified":"yes"},{"username":"no id"}]}})",
      MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 1u);
  ASSERT_TRUE(parsed->envelopes[0].has_author());
  EXPECT_EQ(parsed->envelopes[0].author().username(), "n");
  EXPECT_FALSE(parsed->envelopes[0].author().has_verified());
  EXPECT_EQ(parsed->envelopes[0].author().extra_fields_json(), R"({"verified":"yes"})");
  // An included object without an id cannot be joined to any tweet: reported.
  ASSERT_EQ(parsed->skipped.size(), 1u);
  EXPECT_EQ(parsed->skipped[0].where, "includes.users[1]");
  EXPECT_EQ(parsed->skipped[0].reason, "no id to join it by");
}

// Issue 12, point 8: X's partial errors about the objects a tweet refers to travel in its envelope, so
// a consumer can tell "unavailable" (an entry in `errors`) from "not requested" (absent, no entry).
TEST(XJsonMapperTest, PartialErrorsTravelWithTheTweetsTheyConcern) {
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(R"({
      "data": [{"id": "1", "text": "@gone hi", "author_id": "7",
                "entities": {"mentions": [{"start": 0, "end": 5, "username": "gone"}]},
                "referenced_tweets": [{"type": "quoted", "id": "404"}, {"type": "replied_to", "id": "5"}]},
               {"id": "2", "text": "plain", "author_id": "8", "attachments": {"media_keys": ["3_9"]}},
               {"id": "3", "text": "not expanded", "author_id": "6", "referenced_tweets": [{"type": "quoted", "id": "6000"}]}],
      "includes": {"users": [{"id": "8", "username": "eight"}]},
      "errors": [{"value": "gone", "detail": "User has been suspended: [gone].", "title": "Forbidden",
                  "resource_type": "user", "parameter": "entities.mentions.username", "resource_id": "gone",
                  "type": "https://api.twitter.com/2/problems/resource-not-found"},
                 {"value": "404", "detail": "Could not find tweet with referenced_tweets.id: [404].",
                  "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
                  "resource_id": "404", "type": "https://api.twitter.com/2/problems/resource-not-found", "status": 404},
                 {"value": "7", "detail": "User has been suspended: [7].", "title": "Forbidden", "resource_type": "user",
                  "parameter": "author_id", "resource_id": "7", "type": "https://api.twitter.com/2/problems/resource-not-found"},
                 {"value": "3_9", "title": "Not Found Error", "resource_type": "media", "parameter": "attachments.media_keys",
                  "resource_id": "3_9", "type": "https://api.twitter.com/2/problems/resource-not-found"}]})",
                                                         MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 3u);
  EXPECT_EQ(parsed->problems.size(), 4u);
  const pb::TweetEnvelope& first = parsed->envelopes[0];
  ASSERT_EQ(first.errors_size(), 3);  // the mention, the quoted tweet, the author (in errors[] order)
  EXPECT_EQ(first.errors(0).resource_id(), "gone");
  EXPECT_EQ(first.errors(0).resource_type(), "user");
  EXPECT_EQ(first.errors(0).parameter(), "entities.mentions.username");
  EXPECT_EQ(first.errors(0).value(), "gone");
  EXPECT_EQ(first.errors(0).title(), "Forbidden");
  EXPECT_EQ(first.errors(0).detail(), "User has been suspended: [gone].");
  EXPECT_EQ(first.errors(0).type(), "https://api.twitter.com/2/problems/resource-not-found");
  EXPECT_EQ(first.errors(1).resource_id(), "404");
  EXPECT_EQ(first.errors(1).extra_fields_json(), R"({"status":404})");
  EXPECT_EQ(first.errors(2).parameter(), "author_id");
  EXPECT_FALSE(first.has_author());
  const pb::TweetEnvelope& second = parsed->envelopes[1];
  ASSERT_EQ(second.errors_size(), 1);
  EXPECT_EQ(second.errors(0).resource_type(), "media");
  EXPECT_EQ(second.author().username(), "eight");
  // Tweet 3's quoted tweet is simply not included (not requested): no error entry.
  EXPECT_EQ(parsed->envelopes[2].errors_size(), 0);
}

// The recorded kpop search page: the suspended mentioned user's error reaches the tweets mentioning it.
TEST(XJsonMapperTest, RecordedPartialErrorReachesTheMentioningTweet) {
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("recent-search-twarc-kpop-2021-09-22.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  int with_error = 0;
  for (const pb::TweetEnvelope& e : parsed->envelopes) {
    bool mentions = false;
    for (const pb::Mention& m : e.tweet().entities().mentions()) {
      mentions = mentions || absl::AsciiStrToLower(m.username()) == "leeseunggi";
    }
    EXPECT_EQ(e.errors_size() > 0, mentions) << e.tweet().id();
    if (e.errors_size() > 0) {
      ++with_error;
      EXPECT_EQ(e.errors(0).resource_id(), "leeseunggi");
    }
  }
  EXPECT_GT(with_error, 0);
}

TEST(XJsonMapperTest, LoneSurrogatesBecomeReplacementCharacter) {
  // simdjson refuses lone surrogates; the mapper rewrites them to U+FFFD instead of losing the body.
  absl::StatusOr<ParsedResponse> parsed = ParseXResponse(
      R"({"data":[{"id":"1","text":"a\uD83E b \uDD41 c \uD83E\uDD41 \\uD83E \"\uD83E\""},{"id":"2","text":"ok"}]})",
      MappingContext{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->envelopes.size(), 2u);
  EXPECT_EQ(parsed->envelopes[0].tweet().text(),
            "a\xEF\xBF\xBD b \xEF\xBF\xBD c \xF0\x9F\xA5\x81 \\uD83E \"\xEF\xBF\xBD\"");
  // Other string errors are still refused.
  EXPECT_EQ(ParseXResponse(R"({"data":{"id":"1","text":"bad \x escape"}})", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XJsonMapperTest, IngestionIsStamped) {
  MappingContext context;
  context.connector = "source-a";
  context.mode = "search";
  context.origin = "https://api.x.com/2/tweets/search/recent";
  context.query = "cats has:images";
  context.ingested_at = absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250);
  absl::StatusOr<ParsedResponse> parsed = ParseFixture("recent-search-tweepy-default-fields-2022-10-07.json", context);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_FALSE(parsed->envelopes.empty());
  for (const pb::TweetEnvelope& envelope : parsed->envelopes) {
    EXPECT_EQ(envelope.query(), "cats has:images");
    EXPECT_EQ(envelope.ingestion().connector(), "source-a");
    EXPECT_EQ(envelope.ingestion().mode(), "search");
    EXPECT_EQ(envelope.ingestion().origin(), "https://api.x.com/2/tweets/search/recent");
    EXPECT_EQ(envelope.ingestion().connector_version(), TWEETSTREAM_VERSION);
    EXPECT_EQ(envelope.ingestion().ingested_at().seconds(), 1700000000);
    EXPECT_EQ(envelope.ingestion().ingested_at().nanos(), 250000000);
    EXPECT_FALSE(envelope.has_author());  // default fields only: nothing to join
  }
  EXPECT_FALSE(parsed->meta.next_token.empty());
  EXPECT_FALSE(parsed->meta.newest_id.empty());
}

}  // namespace
}  // namespace tweetstream::source
