#include "tests/source-connector/x_reference_mapper.h"

#include <simdjson.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "source-connector/x_json_reading.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

#ifndef TWEETSTREAM_VERSION
#define TWEETSTREAM_VERSION "unknown"
#endif

namespace tweetstream::source::testing {
namespace {

namespace dom = simdjson::dom;
namespace pb = tweetstream::tweet::v1;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string TypeOf(const dom::element& v) {
  switch (v.type()) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64: return "an integer";
    case dom::element_type::DOUBLE: return "a non-integer number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "?";
}

// `{"k":v,...}` of the kept members, "" when none.
std::string Extras(const std::vector<std::string>& members) {
  return members.empty() ? "" : absl::StrCat("{", absl::StrJoin(members, ","), "}");
}

bool ReadTime(const dom::element& v, google::protobuf::Timestamp* out) {
  std::string_view text;
  if (v.get_string().get(text) != simdjson::SUCCESS) return false;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) return false;
  const int64_t seconds = absl::ToUnixSeconds(time);
  if (seconds < -62135596800 || seconds > 253402300799) return false;
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return true;
}

void MapObject(dom::object object, Message* msg);

// One value into a singular field, or one element appended to a repeated one. False: does not fit.
bool Convert(const dom::element& v, Message* msg, const FieldDescriptor* f) {
  const Reflection* r = msg->GetReflection();
  const bool rep = f->is_repeated();
  const std::string& owner = f->containing_type()->name();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string text;
      std::string_view view;
      if (owner == "MatchingRule" && f->name() == "id") {
        int64_t s = 0;
        uint64_t u = 0;
        if (v.get_string().get(view) == simdjson::SUCCESS) {
          text = std::string(view);
        } else if (v.get_int64().get(s) == simdjson::SUCCESS) {
          text = absl::StrCat(s);
        } else if (v.get_uint64().get(u) == simdjson::SUCCESS) {
          text = absl::StrCat(u);
        } else {
          return false;
        }
      } else {
        if (v.get_string().get(view) != simdjson::SUCCESS) return false;
        text = std::string(view);
      }
      rep ? r->AddString(msg, f, text) : r->SetString(msg, f, text);
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int64_t n = 0;
      std::string_view digits;
      if (owner == "EditControls" && v.get_string().get(digits) == simdjson::SUCCESS) {
        int32_t parsed = 0;
        if (!absl::SimpleAtoi(std::string(digits), &parsed)) return false;
        n = parsed;
      } else if (v.get_int64().get(n) != simdjson::SUCCESS || n < std::numeric_limits<int32_t>::min() ||
                 n > std::numeric_limits<int32_t>::max()) {
        return false;
      }
      rep ? r->AddInt32(msg, f, static_cast<int32_t>(n)) : r->SetInt32(msg, f, static_cast<int32_t>(n));
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t n = 0;
      if (v.get_int64().get(n) != simdjson::SUCCESS) return false;
      rep ? r->AddInt64(msg, f, n) : r->SetInt64(msg, f, n);
      return true;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b = false;
      if (v.get_bool().get(b) != simdjson::SUCCESS) return false;
      rep ? r->AddBool(msg, f, b) : r->SetBool(msg, f, b);
      return true;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double d = 0;
      if (v.get_double().get(d) != simdjson::SUCCESS) return false;
      rep ? r->AddDouble(msg, f, d) : r->SetDouble(msg, f, d);
      return true;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
        google::protobuf::Timestamp ts;
        if (!ReadTime(v, &ts)) return false;
        (rep ? r->AddMessage(msg, f) : r->MutableMessage(msg, f))->CopyFrom(ts);
        return true;
      }
      dom::object sub;
      if (v.get_object().get(sub) != simdjson::SUCCESS) return false;
      std::unique_ptr<Message> built(r->GetMessageFactory()->GetPrototype(f->message_type())->New());
      MapObject(sub, built.get());
      (rep ? r->AddMessage(msg, f) : r->MutableMessage(msg, f))->CopyFrom(*built);
      return true;
    }
    default:
      return false;
  }
}

// A whole member into its field: into a scratch copy first, so a list with one bad item sets nothing.
bool SetMember(const dom::element& v, Message* msg, const FieldDescriptor* f) {
  std::unique_ptr<Message> scratch(msg->New());
  scratch->CopyFrom(*msg);
  scratch->GetReflection()->ClearField(scratch.get(), f);
  if (f->is_repeated()) {
    dom::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) return false;
    for (dom::element item : array) {
      if (!Convert(item, scratch.get(), f)) return false;
    }
  } else if (!Convert(v, scratch.get(), f)) {
    return false;
  }
  msg->CopyFrom(*scratch);
  return true;
}

// GeoJSON point: {"type":"Point","coordinates":[lon, lat]}; false when it is no point.
bool MapPoint(const dom::element& v, pb::Point* point) {
  dom::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) return false;
  std::vector<std::string> extras;
  std::set<std::string> seen;
  for (dom::key_value_pair m : object) {
    const std::string key(m.key);
    const bool first = seen.insert(key).second;
    if (first && key == "coordinates") {
      if (m.value.is_null()) continue;
      dom::array array;
      if (m.value.get_array().get(array) != simdjson::SUCCESS || array.size() != 2) return false;
      double lon = 0, lat = 0;
      if (array.at(0).get_double().get(lon) != simdjson::SUCCESS) return false;
      if (array.at(1).get_double().get(lat) != simdjson::SUCCESS) return false;
      point->set_longitude(lon);
      point->set_latitude(lat);
      continue;
    }
    std::string_view type;
    if (first && key == "type" && (m.value.is_null() || (m.value.get_string().get(type) == simdjson::SUCCESS && type == "Point"))) {
      continue;
    }
    extras.push_back(simdjson::minify(m));
  }
  point->set_extra_fields_json(Extras(extras));
  return true;
}

// A place's `geo` (a GeoJSON Feature): its bbox into `bbox`; the rest, if any, returned as `{...}`.
std::optional<std::string> MapPlaceGeo(const dom::element& v, pb::Place* place) {
  dom::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::vector<std::string> rest;
  bool seen_bbox = false;
  for (dom::key_value_pair m : object) {
    if (m.key == "bbox" && !seen_bbox) {
      seen_bbox = true;
      if (m.value.is_null()) continue;
      const FieldDescriptor* bbox = pb::Place::descriptor()->FindFieldByName("bbox");
      if (SetMember(m.value, place, bbox)) continue;
    }
    rest.push_back(simdjson::minify(m));
  }
  return Extras(rest);
}

void MapObject(dom::object object, Message* msg) {
  const google::protobuf::Descriptor* d = msg->GetDescriptor();
  std::vector<std::string> extras;
  std::set<std::string> seen;
  for (dom::key_value_pair m : object) {
    const std::string key(m.key);
    const bool first = seen.insert(key).second;
    const FieldDescriptor* f = d->FindFieldByName(key);
    // Fields no JSON key of their own name fills.
    if (f != nullptr && (f->name() == "extra_fields_json" || (d->name() == "Place" && f->name() == "bbox"))) f = nullptr;
    if (!first) {
      extras.push_back(simdjson::minify(m));
      continue;
    }
    if (d->name() == "Place" && key == "geo") {
      if (m.value.is_null()) continue;
      std::optional<std::string> rest = MapPlaceGeo(m.value, static_cast<pb::Place*>(msg));
      if (!rest.has_value()) {
        extras.push_back(simdjson::minify(m));
      } else if (!rest->empty()) {
        extras.push_back(absl::StrCat("\"geo\":", *rest));
      }
      continue;
    }
    if (f == nullptr) {
      extras.push_back(simdjson::minify(m));
      continue;
    }
    if (m.value.is_null()) continue;
    bool ok = false;
    if (d->name() == "Geo" && key == "coordinates") {
      pb::Point point;
      ok = MapPoint(m.value, &point);
      if (ok) *static_cast<pb::Geo*>(msg)->mutable_coordinates() = point;
    } else {
      ok = SetMember(m.value, msg, f);
    }
    if (!ok) extras.push_back(simdjson::minify(m));
  }
  const FieldDescriptor* extra = d->FindFieldByName("extra_fields_json");
  if (extra != nullptr && !extras.empty()) msg->GetReflection()->SetString(msg, extra, Extras(extras));
}

template <typename Msg>
struct Pool {
  std::vector<Msg> items;
  std::map<std::string, size_t> by_key;
  const Msg* Find(const std::string& key) const {
    auto it = by_key.find(key);
    return key.empty() || it == by_key.end() ? nullptr : &items[it->second];
  }
};

}  // namespace

absl::StatusOr<ReferenceResponse> ReferenceMap(absl::string_view body_text, const MappingContext& context) {
  std::string padded(body_text);
  padded.resize(body_text.size() + simdjson::SIMDJSON_PADDING, '\0');
  dom::parser parser;
  dom::element root;
  simdjson::error_code error = parser.parse(padded.data(), body_text.size(), false).get(root);
  if (error == simdjson::STRING_ERROR && xjson::ReplaceLoneSurrogates(padded.data(), body_text.size())) {
    error = parser.parse(padded.data(), body_text.size(), false).get(root);
  }
  dom::object body;
  if (error != simdjson::SUCCESS || root.get_object().get(body) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  ReferenceResponse out;
  const std::set<std::string> known = {"data", "includes", "meta", "matching_rules", "errors",
                                       "type", "title",    "detail", "status"};
  std::map<std::string, dom::element> first;
  std::vector<std::string> response_extras;
  Pool<pb::User> users;
  Pool<pb::Tweet> tweets;
  Pool<pb::Media> media;
  Pool<pb::Place> places;
  Pool<pb::Poll> polls;
  std::vector<pb::ApiError> errors;
  std::vector<pb::MatchingRule> rules;

  auto add_list = [&](const std::string& name, const dom::element& list) -> bool {  // false: not modelled / not a list
    dom::array array;
    const std::set<std::string> modelled = {"users", "tweets", "media", "places", "polls"};
    if (modelled.count(name) == 0 || list.get_array().get(array) != simdjson::SUCCESS) return false;
    size_t index = 0;
    for (dom::element item : array) {
      const std::string where = absl::StrCat("includes.", name, "[", index++, "]");
      dom::object object;
      if (item.get_object().get(object) != simdjson::SUCCESS) {
        out.skipped.push_back({where, "expected an object, got " + TypeOf(item)});
        continue;
      }
      auto add = [&](auto& pool, auto message, const std::string& key) {
        if (key.empty()) {
          out.skipped.push_back({where, "no id to join it by"});
          return;
        }
        pool.by_key.emplace(key, pool.items.size());
        pool.items.push_back(message);
      };
      if (name == "users") {
        pb::User u;
        MapObject(object, &u);
        add(users, u, u.id());
      } else if (name == "tweets") {
        pb::Tweet t;
        MapObject(object, &t);
        add(tweets, t, t.id());
      } else if (name == "media") {
        pb::Media m;
        MapObject(object, &m);
        add(media, m, m.media_key());
      } else if (name == "places") {
        pb::Place p;
        MapObject(object, &p);
        add(places, p, p.id());
      } else {
        pb::Poll p;
        MapObject(object, &p);
        add(polls, p, p.id());
      }
    }
    return true;
  };

  for (dom::key_value_pair m : body) {
    const std::string key(m.key);
    if (known.count(key) == 0 || first.count(key) != 0) {
      response_extras.push_back(simdjson::minify(m));
      continue;
    }
    first[key] = m.value;
    if (key == "includes" && !m.value.is_null()) {
      dom::object includes;
      if (m.value.get_object().get(includes) != simdjson::SUCCESS) {
        response_extras.push_back(simdjson::minify(m));
        continue;
      }
      std::vector<std::string> rest;
      std::set<std::string> names;
      for (dom::key_value_pair list : includes) {
        const std::string name(list.key);
        const bool first_name = names.insert(name).second;
        const std::set<std::string> modelled = {"users", "tweets", "media", "places", "polls"};
        if (first_name && list.value.is_null() && modelled.count(name) != 0) continue;
        if (!first_name || !add_list(name, list.value)) rest.push_back(simdjson::minify(list));
      }
      if (!rest.empty()) response_extras.push_back(absl::StrCat("\"includes\":", Extras(rest)));
    }
    if (key == "matching_rules" && !m.value.is_null()) {
      dom::array array;
      bool ok = m.value.get_array().get(array) == simdjson::SUCCESS;
      if (ok) {
        for (dom::element item : array) {
          dom::object object;
          if (item.get_object().get(object) != simdjson::SUCCESS) {
            ok = false;
            break;
          }
          pb::MatchingRule rule;
          MapObject(object, &rule);
          rules.push_back(rule);
        }
      }
      if (!ok) {
        rules.clear();
        response_extras.push_back(simdjson::minify(m));
      }
    }
    if (key == "errors" && !m.value.is_null()) {
      dom::array array;
      if (m.value.get_array().get(array) == simdjson::SUCCESS) {
        for (dom::element item : array) {
          dom::object object;
          if (item.get_object().get(object) != simdjson::SUCCESS) continue;
          pb::ApiError e;
          MapObject(object, &e);
          errors.push_back(e);
        }
      }
    }
  }

  auto map_tweet = [&](const dom::element& item, const std::string& where) {
    dom::object object;
    if (item.get_object().get(object) != simdjson::SUCCESS) {
      out.skipped.push_back({where, "expected an object, got " + TypeOf(item)});
      return;
    }
    std::string_view id_text;
    for (const char* key : {"id", "text"}) {
      const std::string at = std::string(key) == "id" ? where : absl::StrCat(where, " (id ", std::string(id_text), ")");
      dom::element v;
      if (object[key].get(v) != simdjson::SUCCESS || v.is_null()) {
        out.skipped.push_back({at, absl::StrCat("tweet has no '", key, "'")});
        return;
      }
      std::string_view text;
      if (v.get_string().get(text) != simdjson::SUCCESS) {
        out.skipped.push_back({at, absl::StrCat("tweet '", key, "' is ", TypeOf(v), ", expected a string")});
        return;
      }
      if (text.empty()) {
        out.skipped.push_back({at, absl::StrCat("tweet has an empty '", key, "'")});
        return;
      }
      if (std::string(key) == "id") id_text = text;
    }
    pb::TweetEnvelope e;
    pb::Tweet& t = *e.mutable_tweet();
    MapObject(object, &t);
    if (const pb::User* author = users.Find(t.author_id())) *e.mutable_author() = *author;
    for (const pb::MatchingRule& rule : rules) *e.add_matching_rules() = rule;
    if (!context.query.empty()) e.set_query(context.query);
    pb::Ingestion* in = e.mutable_ingestion();
    in->set_connector(context.connector);
    in->set_mode(context.mode);
    in->set_origin(context.origin);
    in->set_connector_version(TWEETSTREAM_VERSION);
    if (context.ingested_at != absl::InfinitePast() && context.ingested_at != absl::InfiniteFuture()) {
      const int64_t s = absl::ToUnixSeconds(context.ingested_at);
      in->mutable_ingested_at()->set_seconds(s);
      in->mutable_ingested_at()->set_nanos(
          static_cast<int32_t>((context.ingested_at - absl::FromUnixSeconds(s)) / absl::Nanoseconds(1)));
    }
    for (const std::string& key : t.attachments().media_keys()) {
      if (const pb::Media* found = media.Find(key)) *e.add_media() = *found;
    }
    if (const pb::Place* place = places.Find(t.geo().place_id())) *e.mutable_place() = *place;
    for (const std::string& key : t.attachments().poll_ids()) {
      if (const pb::Poll* found = polls.Find(key)) *e.add_polls() = *found;
    }
    std::set<std::string> tweet_ids;
    for (const pb::ReferencedTweet& ref : t.referenced_tweets()) {
      const pb::Tweet* found = tweets.Find(ref.id());
      if (found != nullptr && tweet_ids.insert(ref.id()).second) *e.add_referenced_tweets() = *found;
    }
    std::set<std::string> user_ids;
    auto add_user = [&](const pb::User* user) {
      if (user == nullptr || user->id() == t.author_id() || !user_ids.insert(user->id()).second) return;
      *e.add_referenced_users() = *user;
    };
    add_user(users.Find(t.in_reply_to_user_id()));
    for (const pb::Mention& mention : t.entities().mentions()) {
      const pb::User* user = users.Find(mention.id());
      if (user == nullptr && !mention.username().empty()) {
        for (const pb::User& candidate : users.items) {  // the first included user with that handle
          if (!candidate.username().empty() && absl::EqualsIgnoreCase(candidate.username(), mention.username())) {
            user = &candidate;
            break;
          }
        }
      }
      add_user(user);
    }
    for (const pb::ApiError& error : errors) {
      const std::string& name = !error.resource_id().empty() ? error.resource_id() : error.value();
      if (name.empty()) continue;
      const std::string& type = error.resource_type();
      const bool any = type != "user" && type != "tweet" && type != "media" && type != "poll" && type != "place";
      bool about = false;
      if (any || type == "user") {
        about = about || name == t.author_id() || name == t.in_reply_to_user_id();
        for (const pb::Mention& mention : t.entities().mentions()) {
          about = about || name == mention.id() ||
                  (!mention.username().empty() && absl::EqualsIgnoreCase(name, mention.username()));
        }
      }
      if (any || type == "tweet") {
        for (const pb::ReferencedTweet& ref : t.referenced_tweets()) about = about || name == ref.id();
      }
      if (any || type == "media") {
        for (const std::string& key : t.attachments().media_keys()) about = about || name == key;
      }
      if (any || type == "poll") {
        for (const std::string& key : t.attachments().poll_ids()) about = about || name == key;
      }
      if (any || type == "place") about = about || name == t.geo().place_id();
      if (about) *e.add_errors() = error;
    }
    e.set_response_extra_fields_json(Extras(response_extras));
    out.tweets.push_back(EncodedTweet{std::string(id_text), e.SerializeAsString()});
  };

  auto data = first.find("data");
  if (data != first.end() && !data->second.is_null()) {
    dom::array array;
    if (data->second.get_array().get(array) == simdjson::SUCCESS) {
      size_t index = 0;
      for (dom::element item : array) map_tweet(item, absl::StrCat("data[", index++, "]"));
    } else if (data->second.is_object()) {
      map_tweet(data->second, "data");
    } else {
      out.skipped.push_back({"data", "expected an object or an array of tweets, got " + TypeOf(data->second)});
    }
  }
  return out;
}

}  // namespace tweetstream::source::testing
