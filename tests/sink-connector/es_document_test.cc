#include "sink-connector/es_document.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/pointer.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::sink {
namespace {

namespace pb = ::tweetstream::tweet::v1;
using rapidjson::Value;

// ---------------------------------------------------------------------------------------------
// Fixtures: a fully-populated envelope (every field of every message set, checked by reflection in
// FullEnvelopeSetsEveryProtoField so that a field added to tweet.proto fails here until it is
// populated, rendered and mapped).

constexpr char kTweetId[] = "1445880548472328192";
constexpr char kAuthorId[] = "2244994945";
constexpr char kQuotedId[] = "1445078208190291968";
constexpr char kMentionedUserId[] = "6253282";

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

// `p` tells the four Entities of the envelope apart (tweet, note tweet, user url, user description).
void FillEntities(pb::Entities* e, const std::string& p) {
  pb::Hashtag* h = e->add_hashtags();
  h->set_start(6);
  h->set_end(18);
  h->set_tag(p + "TweetStream");
  pb::Hashtag* c = e->add_cashtags();
  c->set_start(19);
  c->set_end(24);
  c->set_tag(p + "TWTR");
  pb::Mention* m = e->add_mentions();
  m->set_start(25);
  m->set_end(37);
  m->set_username(p + "XDevelopers");
  m->set_id(kAuthorId);
  pb::Url* u = e->add_urls();
  u->set_start(38);
  u->set_end(61);
  u->set_url("https://t.co/" + p + "abc");
  u->set_expanded_url("https://example.com/" + p + "/page");
  u->set_display_url("example.com/" + p + "/page");
  u->set_media_key("3_1445880544584904704");
  u->set_status(200);
  u->set_title(p + " page title");
  u->set_description(p + " page description");
  u->set_unwound_url("https://www.example.com/" + p + "/page");
  pb::Image* img = u->add_images();
  img->set_url("https://pbs.twimg.com/news_img/" + p + ".jpg");
  img->set_width(1200);
  img->set_height(630);
  pb::Annotation* a = e->add_annotations();
  a->set_start(62);
  a->set_end(70);
  a->set_probability(0.875);
  a->set_type("Person");
  a->set_normalized_text(p + " Ada Lovelace");
}

pb::User FullUser(const std::string& id) {
  pb::User u;
  u.set_id(id);
  u.set_name("X Developers");
  u.set_username("XDevelopers");
  *u.mutable_created_at() = Ts(1235155329);  // 2009-02-20T18:42:09Z
  u.set_description("The voice of the X Dev team");
  u.set_location("127.0.0.1");
  u.set_url("https://t.co/3ZX3TNiZCY");
  u.set_profile_image_url("https://pbs.twimg.com/profile_images/xdev_normal.jpg");
  u.set_protected_(true);
  u.set_verified(true);
  u.set_verified_type("business");
  u.set_pinned_tweet_id("1293593516040269825");
  pb::UserPublicMetrics* m = u.mutable_public_metrics();
  m->set_followers_count(570000);
  m->set_following_count(2048);
  m->set_tweet_count(3800);
  m->set_listed_count(1700);
  m->set_like_count(2100);
  m->set_media_count(120);
  u.mutable_withheld()->set_copyright(true);
  u.mutable_withheld()->add_country_codes("XY");
  u.mutable_withheld()->set_scope("user");
  FillEntities(u.mutable_entities()->mutable_url(), "uu");
  FillEntities(u.mutable_entities()->mutable_description(), "ud");
  u.set_most_recent_tweet_id("1445880548472328192");
  u.set_profile_banner_url("https://pbs.twimg.com/profile_banners/2244994945/1");
  u.set_extra_fields_json(R"({"subscription_type":"None"})");
  return u;
}

pb::Tweet FullTweet(const std::string& id) {
  pb::Tweet t;
  t.set_id(id);
  t.set_text("Hello #TweetStream $TWTR @XDevelopers https://t.co/abc &amp; more");
  t.set_author_id(kAuthorId);
  *t.mutable_created_at() = Ts(1617292351, 123456789);  // 2021-04-01T15:52:31.123456789Z
  t.set_conversation_id("1445880548472328190");
  t.set_in_reply_to_user_id("783214");
  t.set_lang("en");
  t.set_source("Twitter Web App");
  t.set_reply_settings("everyone");
  t.set_possibly_sensitive(true);
  pb::ReferencedTweet* r = t.add_referenced_tweets();
  r->set_type("quoted");
  r->set_id(kQuotedId);
  t.mutable_attachments()->add_media_keys("3_1445880544584904704");
  t.mutable_attachments()->add_poll_ids("1199786642468413448");
  t.mutable_attachments()->add_media_source_tweet_id("1445880500000000000");
  FillEntities(t.mutable_entities(), "t");
  pb::ContextAnnotation* ca = t.add_context_annotations();
  ca->mutable_domain()->set_id("46");
  ca->mutable_domain()->set_name("Business Taxonomy");
  ca->mutable_domain()->set_description("Categories within Brand Verticals");
  ca->mutable_entity()->set_id("1557696940178935808");
  ca->mutable_entity()->set_name("Gaming Business");
  ca->mutable_entity()->set_description("Brands and companies in gaming");
  t.mutable_geo()->set_place_id("01a9a39529b27f36");
  t.mutable_geo()->mutable_coordinates()->set_longitude(-73.99);
  t.mutable_geo()->mutable_coordinates()->set_latitude(40.73);
  pb::PublicMetrics* pm = t.mutable_public_metrics();
  pm->set_retweet_count(11);
  pm->set_reply_count(12);
  pm->set_like_count(13);
  pm->set_quote_count(14);
  pm->set_bookmark_count(15);
  pm->set_impression_count(16);
  t.mutable_withheld()->set_copyright(true);
  t.mutable_withheld()->add_country_codes("DE");
  t.mutable_withheld()->add_country_codes("FR");
  t.mutable_withheld()->set_scope("tweet");
  t.add_edit_history_tweet_ids("1445880548472328100");
  t.add_edit_history_tweet_ids(id);
  t.mutable_edit_controls()->set_is_edit_eligible(true);
  *t.mutable_edit_controls()->mutable_editable_until() = Ts(1617294151, 999999999);
  t.mutable_edit_controls()->set_edits_remaining(5);
  t.mutable_note_tweet()->set_text("A long post, longer than 280 characters #TweetStream");
  FillEntities(t.mutable_note_tweet()->mutable_entities(), "n");
  t.add_display_text_range(0);
  t.add_display_text_range(57);
  t.set_community_id("1471580197908586507");
  t.set_card_uri("card://1445880548472328192");
  t.set_extra_fields_json(R"({"scopes":{"followers":false}})");
  return t;
}

// Sets `extra_fields_json` (what X sent that the schema does not model) in every message reachable from
// `m` that has one and has it empty, with a value naming the message.
void SetEveryExtra(google::protobuf::Message* m) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  const google::protobuf::Reflection* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->name() == "extra_fields_json" && r->GetString(*m, f).empty()) {
      r->SetString(m, f, "{\"new_in_" + d->name() + "\":[1,\"x\"]}");
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int j = 0; j < r->FieldSize(*m, f); ++j) SetEveryExtra(r->MutableRepeatedMessage(m, f, j));
      } else if (r->HasField(*m, f)) {
        SetEveryExtra(r->MutableMessage(m, f));
      }
    }
  }
}

pb::TweetEnvelope FullEnvelope() {
  pb::TweetEnvelope env;
  *env.mutable_tweet() = FullTweet(kTweetId);
  *env.mutable_author() = FullUser(kAuthorId);
  pb::MatchingRule* rule = env.add_matching_rules();
  rule->set_id("1166916266197536768");
  rule->set_tag("news");
  env.set_query("from:XDevelopers -is:retweet");
  pb::Ingestion* in = env.mutable_ingestion();
  in->set_connector("tweet-source-1");
  in->set_mode("stream");
  *in->mutable_ingested_at() = Ts(1714979289, 5000000);  // 2024-05-06T07:08:09.005Z
  in->set_origin("https://api.x.com/2/tweets/search/stream");
  in->set_connector_version("0.1.0");

  pb::Media* media = env.add_media();
  media->set_media_key("3_1445880544584904704");
  media->set_type("video");
  media->set_url("https://pbs.twimg.com/media/cat.jpg");
  media->set_preview_image_url("https://pbs.twimg.com/media/cat_preview.jpg");
  media->set_width(1920);
  media->set_height(1080);
  media->set_duration_ms(30033);
  media->set_alt_text("A cat looking at a keyboard");
  media->mutable_public_metrics()->set_view_count(4321);
  pb::MediaVariant* variant = media->add_variants();
  variant->set_bit_rate(2176000);
  variant->set_content_type("video/mp4");
  variant->set_url("https://video.twimg.com/cat.mp4");

  pb::Place* place = env.mutable_place();
  place->set_id("01a9a39529b27f36");
  place->set_full_name("Manhattan, NY");
  place->set_name("Manhattan");
  place->set_country("United States");
  place->set_country_code("US");
  place->set_place_type("city");
  for (double v : {-74.026675, 40.683935, -73.910408, 40.877483}) place->add_bbox(v);
  place->add_contained_within("96683cc9126741d1");

  pb::Poll* poll = env.add_polls();
  poll->set_id("1199786642468413448");
  pb::PollOption* o1 = poll->add_options();
  o1->set_position(1);
  o1->set_label("C++");
  o1->set_votes(795);
  pb::PollOption* o2 = poll->add_options();
  o2->set_position(2);
  o2->set_label("Rust");
  o2->set_votes(800);
  poll->set_duration_minutes(1440);
  *poll->mutable_end_datetime() = Ts(1617378751);  // 2021-04-02T15:52:31Z
  poll->set_voting_status("closed");

  *env.add_referenced_tweets() = FullTweet(kQuotedId);
  *env.add_referenced_users() = FullUser(kMentionedUserId);
  env.mutable_referenced_users(0)->set_name("Mentioned User");
  *env.mutable_referenced_users(0)->mutable_created_at() = Ts(1666868744);  // 2022-10-27T11:05:44Z

  pb::ApiError* error = env.add_errors();
  error->set_type("https://api.twitter.com/2/problems/resource-not-found");
  error->set_title("Forbidden");
  error->set_detail("User has been suspended: [gone].");
  error->set_resource_type("user");
  error->set_resource_id("gone");
  error->set_parameter("entities.mentions.username");
  error->set_value("gone");
  env.set_response_extra_fields_json(R"({"includes":{"topics":[{"id":"t1"}]}})");
  SetEveryExtra(&env);
  return env;
}

// ---------------------------------------------------------------------------------------------
// JSON helpers: parse back strictly (encoding validated, full-precision doubles) and look values up
// by JSON Pointer.

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(json.data(),
                                                                                         json.size());
  EXPECT_FALSE(doc.HasParseError()) << rapidjson::GetParseError_En(doc.GetParseError()) << " at offset "
                                    << doc.GetErrorOffset() << " of: " << json;
  return doc;
}

std::string Render(const pb::TweetEnvelope& env, RenderStats* stats = nullptr) {
  std::string out;
  absl::Status status = RenderDocument(env, &out, stats);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

const Value* Get(const Value& root, const std::string& pointer) {
  rapidjson::Pointer p(pointer.c_str());
  EXPECT_TRUE(p.IsValid()) << "bad JSON pointer " << pointer;
  return p.IsValid() ? p.Get(root) : nullptr;
}

std::string Str(const Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

void ExpectStr(const Value& root, const std::string& ptr, const std::string& want) {
  const Value* v = Get(root, ptr);
  ASSERT_NE(v, nullptr) << ptr << " is missing";
  ASSERT_TRUE(v->IsString()) << ptr << " is not a string";
  EXPECT_EQ(Str(*v), want) << ptr;
}

void ExpectInt(const Value& root, const std::string& ptr, int64_t want) {
  const Value* v = Get(root, ptr);
  ASSERT_NE(v, nullptr) << ptr << " is missing";
  ASSERT_TRUE(v->IsInt64()) << ptr << " is not an integer";
  EXPECT_EQ(v->GetInt64(), want) << ptr;
}

void ExpectBool(const Value& root, const std::string& ptr, bool want) {
  const Value* v = Get(root, ptr);
  ASSERT_NE(v, nullptr) << ptr << " is missing";
  ASSERT_TRUE(v->IsBool()) << ptr << " is not a bool";
  EXPECT_EQ(v->GetBool(), want) << ptr;
}

void ExpectDouble(const Value& root, const std::string& ptr, double want) {
  const Value* v = Get(root, ptr);
  ASSERT_NE(v, nullptr) << ptr << " is missing";
  ASSERT_TRUE(v->IsNumber()) << ptr << " is not a number";
  EXPECT_EQ(v->GetDouble(), want) << ptr;  // exact: the writer's shortest form round-trips
}

void ExpectSize(const Value& root, const std::string& ptr, rapidjson::SizeType want) {
  const Value* v = Get(root, ptr);
  ASSERT_NE(v, nullptr) << ptr << " is missing";
  if (v->IsArray()) {
    EXPECT_EQ(v->Size(), want) << ptr;
  } else {
    ASSERT_TRUE(v->IsObject()) << ptr << " is neither an array nor an object";
    // Counts the modelled members: every object of FullEnvelope() also carries its `extra_fields_json`
    // (checked on its own in EveryProtoFieldIsRenderedUnderItsOwnName).
    const bool has_extras = v->HasMember("extra_fields_json");
    EXPECT_EQ(v->MemberCount() - (has_extras ? 1 : 0), want) << ptr;
  }
}

void ExpectAbsent(const Value& root, const std::string& ptr) {
  EXPECT_EQ(Get(root, ptr), nullptr) << ptr << " should have been omitted";
}

// Every field of an Entities filled by FillEntities(p), at `at`.
void ExpectEntities(const Value& d, const std::string& at, const std::string& p) {
  ExpectSize(d, at, 5);
  ExpectSize(d, at + "/hashtags", 1);
  ExpectInt(d, at + "/hashtags/0/start", 6);
  ExpectInt(d, at + "/hashtags/0/end", 18);
  ExpectStr(d, at + "/hashtags/0/tag", p + "TweetStream");
  ExpectSize(d, at + "/cashtags", 1);
  ExpectInt(d, at + "/cashtags/0/start", 19);
  ExpectInt(d, at + "/cashtags/0/end", 24);
  ExpectStr(d, at + "/cashtags/0/tag", p + "TWTR");
  ExpectSize(d, at + "/mentions", 1);
  ExpectInt(d, at + "/mentions/0/start", 25);
  ExpectInt(d, at + "/mentions/0/end", 37);
  ExpectStr(d, at + "/mentions/0/username", p + "XDevelopers");
  ExpectStr(d, at + "/mentions/0/id", kAuthorId);
  ExpectSize(d, at + "/urls", 1);
  ExpectSize(d, at + "/urls/0", 11);
  ExpectInt(d, at + "/urls/0/start", 38);
  ExpectInt(d, at + "/urls/0/end", 61);
  ExpectStr(d, at + "/urls/0/url", "https://t.co/" + p + "abc");
  ExpectStr(d, at + "/urls/0/expanded_url", "https://example.com/" + p + "/page");
  ExpectStr(d, at + "/urls/0/display_url", "example.com/" + p + "/page");
  ExpectStr(d, at + "/urls/0/media_key", "3_1445880544584904704");
  ExpectInt(d, at + "/urls/0/status", 200);
  ExpectStr(d, at + "/urls/0/title", p + " page title");
  ExpectStr(d, at + "/urls/0/description", p + " page description");
  ExpectStr(d, at + "/urls/0/unwound_url", "https://www.example.com/" + p + "/page");
  ExpectSize(d, at + "/urls/0/images", 1);
  ExpectStr(d, at + "/urls/0/images/0/url", "https://pbs.twimg.com/news_img/" + p + ".jpg");
  ExpectInt(d, at + "/urls/0/images/0/width", 1200);
  ExpectInt(d, at + "/urls/0/images/0/height", 630);
  ExpectSize(d, at + "/annotations", 1);
  ExpectInt(d, at + "/annotations/0/start", 62);
  ExpectInt(d, at + "/annotations/0/end", 70);
  ExpectDouble(d, at + "/annotations/0/probability", 0.875);
  ExpectStr(d, at + "/annotations/0/type", "Person");
  ExpectStr(d, at + "/annotations/0/normalized_text", p + " Ada Lovelace");
}

// Every field of a User built by FullUser, at `at`.
void ExpectUser(const Value& d, const std::string& at, const std::string& id, const std::string& name,
                const std::string& created_at) {
  ASSERT_EQ(pb::User::descriptor()->field_count(), 18);
  ExpectSize(d, at, 17);  // + extra_fields_json
  ExpectStr(d, at + "/id", id);
  ExpectStr(d, at + "/name", name);
  ExpectStr(d, at + "/username", "XDevelopers");
  ExpectStr(d, at + "/created_at", created_at);
  ExpectStr(d, at + "/description", "The voice of the X Dev team");
  ExpectStr(d, at + "/location", "127.0.0.1");
  ExpectStr(d, at + "/url", "https://t.co/3ZX3TNiZCY");
  ExpectStr(d, at + "/profile_image_url", "https://pbs.twimg.com/profile_images/xdev_normal.jpg");
  ExpectBool(d, at + "/protected", true);
  ExpectBool(d, at + "/verified", true);
  ExpectStr(d, at + "/verified_type", "business");
  ExpectStr(d, at + "/pinned_tweet_id", "1293593516040269825");
  ExpectSize(d, at + "/public_metrics", 6);
  ExpectInt(d, at + "/public_metrics/followers_count", 570000);
  ExpectInt(d, at + "/public_metrics/following_count", 2048);
  ExpectInt(d, at + "/public_metrics/tweet_count", 3800);
  ExpectInt(d, at + "/public_metrics/listed_count", 1700);
  ExpectInt(d, at + "/public_metrics/like_count", 2100);
  ExpectInt(d, at + "/public_metrics/media_count", 120);
  ExpectSize(d, at + "/withheld", 3);
  ExpectBool(d, at + "/withheld/copyright", true);
  ExpectSize(d, at + "/withheld/country_codes", 1);
  ExpectStr(d, at + "/withheld/country_codes/0", "XY");
  ExpectStr(d, at + "/withheld/scope", "user");
  ExpectSize(d, at + "/entities", 2);
  ExpectEntities(d, at + "/entities/url", "uu");
  ExpectEntities(d, at + "/entities/description", "ud");
  ExpectStr(d, at + "/most_recent_tweet_id", "1445880548472328192");
  ExpectStr(d, at + "/profile_banner_url", "https://pbs.twimg.com/profile_banners/2244994945/1");
  ExpectStr(d, at + "/extra_fields_json", R"({"subscription_type":"None"})");
}

// Every field of a Tweet built by FullTweet, at `at` ("" for the document's top level).
void ExpectTweet(const Value& d, const std::string& at, const std::string& id) {
  ExpectStr(d, at + "/id", id);
  ExpectStr(d, at + "/text", "Hello #TweetStream $TWTR @XDevelopers https://t.co/abc &amp; more");
  ExpectStr(d, at + "/author_id", kAuthorId);
  ExpectStr(d, at + "/created_at", "2021-04-01T15:52:31.123Z");
  ExpectStr(d, at + "/conversation_id", "1445880548472328190");
  ExpectStr(d, at + "/in_reply_to_user_id", "783214");
  ExpectStr(d, at + "/lang", "en");
  ExpectStr(d, at + "/source", "Twitter Web App");
  ExpectStr(d, at + "/reply_settings", "everyone");
  ExpectBool(d, at + "/possibly_sensitive", true);
  ExpectSize(d, at + "/referenced_tweets", 1);
  ExpectStr(d, at + "/referenced_tweets/0/type", "quoted");
  ExpectStr(d, at + "/referenced_tweets/0/id", kQuotedId);
  ExpectSize(d, at + "/attachments", 3);
  ExpectStr(d, at + "/attachments/media_keys/0", "3_1445880544584904704");
  ExpectStr(d, at + "/attachments/poll_ids/0", "1199786642468413448");
  ExpectStr(d, at + "/attachments/media_source_tweet_id/0", "1445880500000000000");
  ExpectEntities(d, at + "/entities", "t");
  ExpectSize(d, at + "/context_annotations", 1);
  ExpectStr(d, at + "/context_annotations/0/domain/id", "46");
  ExpectStr(d, at + "/context_annotations/0/domain/name", "Business Taxonomy");
  ExpectStr(d, at + "/context_annotations/0/domain/description", "Categories within Brand Verticals");
  ExpectStr(d, at + "/context_annotations/0/entity/id", "1557696940178935808");
  ExpectStr(d, at + "/context_annotations/0/entity/name", "Gaming Business");
  ExpectStr(d, at + "/context_annotations/0/entity/description", "Brands and companies in gaming");
  ExpectStr(d, at + "/geo/place_id", "01a9a39529b27f36");
  ExpectSize(d, at + "/geo/coordinates", 2);
  ExpectStr(d, at + "/geo/coordinates/type", "Point");
  ExpectSize(d, at + "/geo/coordinates/coordinates", 2);
  ExpectDouble(d, at + "/geo/coordinates/coordinates/0", -73.99);  // GeoJSON order: lon, lat
  ExpectDouble(d, at + "/geo/coordinates/coordinates/1", 40.73);
  ExpectSize(d, at + "/public_metrics", 6);
  ExpectInt(d, at + "/public_metrics/retweet_count", 11);
  ExpectInt(d, at + "/public_metrics/reply_count", 12);
  ExpectInt(d, at + "/public_metrics/like_count", 13);
  ExpectInt(d, at + "/public_metrics/quote_count", 14);
  ExpectInt(d, at + "/public_metrics/bookmark_count", 15);
  ExpectInt(d, at + "/public_metrics/impression_count", 16);
  ExpectBool(d, at + "/withheld/copyright", true);
  ExpectSize(d, at + "/withheld/country_codes", 2);
  ExpectStr(d, at + "/withheld/country_codes/0", "DE");
  ExpectStr(d, at + "/withheld/country_codes/1", "FR");
  ExpectStr(d, at + "/withheld/scope", "tweet");
  ExpectSize(d, at + "/edit_history_tweet_ids", 2);
  ExpectStr(d, at + "/edit_history_tweet_ids/0", "1445880548472328100");
  ExpectStr(d, at + "/edit_history_tweet_ids/1", id);
  ExpectBool(d, at + "/edit_controls/is_edit_eligible", true);
  ExpectStr(d, at + "/edit_controls/editable_until", "2021-04-01T16:22:31.999Z");
  ExpectInt(d, at + "/edit_controls/edits_remaining", 5);
  ExpectStr(d, at + "/note_tweet/text", "A long post, longer than 280 characters #TweetStream");
  ExpectEntities(d, at + "/note_tweet/entities", "n");
  ExpectSize(d, at + "/display_text_range", 2);
  ExpectInt(d, at + "/display_text_range/0", 0);
  ExpectInt(d, at + "/display_text_range/1", 57);
  ExpectStr(d, at + "/community_id", "1471580197908586507");
  ExpectStr(d, at + "/card_uri", "card://1445880548472328192");
  ExpectStr(d, at + "/extra_fields_json", R"({"scopes":{"followers":false}})");
}

// ---------------------------------------------------------------------------------------------
// Rendering: values.

TEST(RenderDocumentTest, FullEnvelopeSetsEveryProtoField) {
  // Guards the fixture: every field of every message reachable from the envelope is set (non-empty,
  // non-zero, or present), so the tests below see everything the renderer can emit.
  std::vector<std::string> unset;
  auto walk = [&](auto& self, const google::protobuf::Message& m, const std::string& path) -> void {
    const google::protobuf::Descriptor* d = m.GetDescriptor();
    if (d->full_name() == "google.protobuf.Timestamp") return;  // a leaf: any value will do
    const google::protobuf::Reflection* r = m.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* f = d->field(i);
      const std::string fpath = path + "." + f->name();
      if (f->is_repeated()) {
        if (r->FieldSize(m, f) == 0) unset.push_back(fpath);
        if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
          for (int j = 0; j < r->FieldSize(m, f); ++j) self(self, r->GetRepeatedMessage(m, f, j), fpath);
        }
      } else if (!r->HasField(m, f)) {
        unset.push_back(fpath);
      } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        self(self, r->GetMessage(m, f), fpath);
      }
    }
  };
  pb::TweetEnvelope env = FullEnvelope();
  walk(walk, env, "envelope");
  EXPECT_TRUE(unset.empty()) << "fields left unset in FullEnvelope(): " << ::testing::PrintToString(unset);
}

TEST(RenderDocumentTest, RendersEveryFieldOfAFullyPopulatedEnvelope) {
  RenderStats stats;
  const std::string out = Render(FullEnvelope(), &stats);
  EXPECT_EQ(stats.repaired_strings, 0);
  EXPECT_EQ(out.find('\n'), std::string::npos) << "one line per document (bulk NDJSON)";
  rapidjson::Document d = Parse(out);
  ASSERT_TRUE(d.IsObject());

  // The tweet at the top level, then the envelope's fields; nothing else.
  ExpectTweet(d, "", kTweetId);
  // Each Tweet field once, plus author, matching_rules, query, ingestion, includes, errors,
  // response_extra_fields_json; nothing else.
  ASSERT_EQ(pb::Tweet::descriptor()->field_count(), 24);
  EXPECT_EQ(d.MemberCount(), 24u + 7u);
  ExpectSize(d, "/errors", 1);
  ExpectStr(d, "/errors/0/resource_type", "user");
  ExpectStr(d, "/errors/0/resource_id", "gone");
  ExpectStr(d, "/errors/0/parameter", "entities.mentions.username");
  ExpectStr(d, "/response_extra_fields_json", R"({"includes":{"topics":[{"id":"t1"}]}})");
  // What X sent that the schema does not model reaches _source at every level (issue 12, point 8).
  ExpectStr(d, "/public_metrics/extra_fields_json", R"({"new_in_PublicMetrics":[1,"x"]})");
  ExpectStr(d, "/entities/urls/0/images/0/extra_fields_json", R"({"new_in_Image":[1,"x"]})");
  ExpectStr(d, "/geo/coordinates/extra_fields_json", R"({"new_in_Point":[1,"x"]})");
  ExpectStr(d, "/matching_rules/0/extra_fields_json", R"({"new_in_MatchingRule":[1,"x"]})");
  ExpectStr(d, "/includes/places/0/extra_fields_json", R"({"new_in_Place":[1,"x"]})");
  ExpectStr(d, "/includes/media/0/variants/0/extra_fields_json", R"({"new_in_MediaVariant":[1,"x"]})");
  ExpectStr(d, "/author/public_metrics/extra_fields_json", R"({"new_in_UserPublicMetrics":[1,"x"]})");
  ExpectStr(d, "/errors/0/extra_fields_json", R"({"new_in_ApiError":[1,"x"]})");

  ExpectUser(d, "/author", kAuthorId, "X Developers", "2009-02-20T18:42:09.000Z");

  ExpectSize(d, "/matching_rules", 1);
  ExpectStr(d, "/matching_rules/0/id", "1166916266197536768");
  ExpectStr(d, "/matching_rules/0/tag", "news");
  ExpectStr(d, "/query", "from:XDevelopers -is:retweet");

  ExpectSize(d, "/ingestion", 5);
  ExpectStr(d, "/ingestion/connector", "tweet-source-1");
  ExpectStr(d, "/ingestion/mode", "stream");
  ExpectStr(d, "/ingestion/ingested_at", "2024-05-06T07:08:09.005Z");
  ExpectStr(d, "/ingestion/origin", "https://api.x.com/2/tweets/search/stream");
  ExpectStr(d, "/ingestion/connector_version", "0.1.0");

  ExpectSize(d, "/includes", 5);
  ExpectSize(d, "/includes/media", 1);
  ExpectSize(d, "/includes/media/0", 10);
  ExpectStr(d, "/includes/media/0/media_key", "3_1445880544584904704");
  ExpectStr(d, "/includes/media/0/type", "video");
  ExpectStr(d, "/includes/media/0/url", "https://pbs.twimg.com/media/cat.jpg");
  ExpectStr(d, "/includes/media/0/preview_image_url", "https://pbs.twimg.com/media/cat_preview.jpg");
  ExpectInt(d, "/includes/media/0/width", 1920);
  ExpectInt(d, "/includes/media/0/height", 1080);
  ExpectInt(d, "/includes/media/0/duration_ms", 30033);
  ExpectStr(d, "/includes/media/0/alt_text", "A cat looking at a keyboard");
  ExpectInt(d, "/includes/media/0/public_metrics/view_count", 4321);
  ExpectSize(d, "/includes/media/0/variants", 1);
  ExpectInt(d, "/includes/media/0/variants/0/bit_rate", 2176000);
  ExpectStr(d, "/includes/media/0/variants/0/content_type", "video/mp4");
  ExpectStr(d, "/includes/media/0/variants/0/url", "https://video.twimg.com/cat.mp4");

  ExpectSize(d, "/includes/places", 1);
  ExpectSize(d, "/includes/places/0", 8);
  ExpectStr(d, "/includes/places/0/id", "01a9a39529b27f36");
  ExpectStr(d, "/includes/places/0/full_name", "Manhattan, NY");
  ExpectStr(d, "/includes/places/0/name", "Manhattan");
  ExpectStr(d, "/includes/places/0/country", "United States");
  ExpectStr(d, "/includes/places/0/country_code", "US");
  ExpectStr(d, "/includes/places/0/place_type", "city");
  ExpectSize(d, "/includes/places/0/bbox", 4);
  ExpectDouble(d, "/includes/places/0/bbox/0", -74.026675);
  ExpectDouble(d, "/includes/places/0/bbox/1", 40.683935);
  ExpectDouble(d, "/includes/places/0/bbox/2", -73.910408);
  ExpectDouble(d, "/includes/places/0/bbox/3", 40.877483);
  ExpectSize(d, "/includes/places/0/contained_within", 1);
  ExpectStr(d, "/includes/places/0/contained_within/0", "96683cc9126741d1");

  ExpectSize(d, "/includes/polls", 1);
  ExpectSize(d, "/includes/polls/0", 5);
  ExpectStr(d, "/includes/polls/0/id", "1199786642468413448");
  ExpectSize(d, "/includes/polls/0/options", 2);
  ExpectInt(d, "/includes/polls/0/options/0/position", 1);
  ExpectStr(d, "/includes/polls/0/options/0/label", "C++");
  ExpectInt(d, "/includes/polls/0/options/0/votes", 795);
  ExpectInt(d, "/includes/polls/0/options/1/position", 2);
  ExpectStr(d, "/includes/polls/0/options/1/label", "Rust");
  ExpectInt(d, "/includes/polls/0/options/1/votes", 800);
  ExpectInt(d, "/includes/polls/0/duration_minutes", 1440);
  ExpectStr(d, "/includes/polls/0/end_datetime", "2021-04-02T15:52:31.000Z");
  ExpectStr(d, "/includes/polls/0/voting_status", "closed");

  // Referenced tweets go through the same tweet renderer as the tweet itself.
  ExpectSize(d, "/includes/tweets", 1);
  ExpectSize(d, "/includes/tweets/0", 23);  // + extra_fields_json
  ExpectTweet(d, "/includes/tweets/0", kQuotedId);

  ExpectSize(d, "/includes/users", 1);
  ExpectUser(d, "/includes/users/0", kMentionedUserId, "Mentioned User", "2022-10-27T11:05:44.000Z");
}

// Compares one proto field with its rendered JSON value (recursing into messages).
void ExpectMessageRendered(const google::protobuf::Message& m, const Value& json, const std::string& path);

void ExpectElementRendered(const google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f,
                           int index, const Value& v, const std::string& path) {
  using FD = google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FD::CPPTYPE_STRING: {
      ASSERT_TRUE(v.IsString()) << path;
      EXPECT_EQ(Str(v), rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f)) << path;
      break;
    }
    case FD::CPPTYPE_INT32:
      ASSERT_TRUE(v.IsInt64()) << path;
      EXPECT_EQ(v.GetInt64(), rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f)) << path;
      break;
    case FD::CPPTYPE_INT64:
      ASSERT_TRUE(v.IsInt64()) << path;
      EXPECT_EQ(v.GetInt64(), rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f)) << path;
      break;
    case FD::CPPTYPE_BOOL:
      ASSERT_TRUE(v.IsBool()) << path;
      EXPECT_EQ(v.GetBool(), rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) << path;
      break;
    case FD::CPPTYPE_DOUBLE:
      ASSERT_TRUE(v.IsNumber()) << path;
      EXPECT_EQ(v.GetDouble(), rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f)) << path;
      break;
    case FD::CPPTYPE_MESSAGE: {
      const google::protobuf::Message& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      const std::string& type = sub.GetDescriptor()->full_name();
      if (type == "google.protobuf.Timestamp") {
        ASSERT_TRUE(v.IsString()) << path;  // the values are checked one by one above
        EXPECT_EQ(v.GetStringLength(), 24u) << path << ": " << Str(v);
      } else if (type == "tweetstream.tweet.v1.Point") {
        const auto& point = static_cast<const pb::Point&>(sub);
        ASSERT_TRUE(v.IsObject()) << path;
        ExpectStr(v, "/type", "Point");
        ExpectSize(v, "/coordinates", 2);
        ExpectDouble(v, "/coordinates/0", point.longitude());
        ExpectDouble(v, "/coordinates/1", point.latitude());
      } else {
        ExpectMessageRendered(sub, v, path);
      }
      break;
    }
    default:
      ADD_FAILURE() << path << ": field type " << f->cpp_type_name()
                    << " is new to tweet.proto: teach the renderer, the template and this test";
  }
}

void ExpectMessageRendered(const google::protobuf::Message& m, const Value& json, const std::string& path) {
  ASSERT_TRUE(json.IsObject()) << path;
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    const std::string fpath = path + "." + f->name();
    const int n = f->is_repeated() ? r->FieldSize(m, f) : (r->HasField(m, f) ? 1 : 0);
    if (n == 0) continue;
    auto it = json.FindMember(f->name().c_str());
    ASSERT_NE(it, json.MemberEnd()) << fpath << " is set but not rendered";
    if (f->is_repeated()) {
      ASSERT_TRUE(it->value.IsArray()) << fpath;
      ASSERT_EQ(it->value.Size(), static_cast<rapidjson::SizeType>(n)) << fpath;
      for (int j = 0; j < n; ++j) {
        ExpectElementRendered(m, f, j, it->value[static_cast<rapidjson::SizeType>(j)],
                              fpath + "[" + std::to_string(j) + "]");
      }
    } else {
      ExpectElementRendered(m, f, -1, it->value, fpath);
    }
  }
}

TEST(RenderDocumentTest, EveryProtoFieldIsRenderedUnderItsOwnName) {
  // Reflection over the schema: a field added to tweet.proto and set in FullEnvelope() but forgotten
  // by the renderer fails here, with its path.
  const pb::TweetEnvelope env = FullEnvelope();
  rapidjson::Document d = Parse(Render(env));
  ASSERT_TRUE(d.IsObject());

  // Where each envelope field lives in the document.
  struct Placement {
    const char* field;
    const char* pointer;
  };
  const std::vector<Placement> placements = {
      {"tweet", ""},                        {"author", "/author"},
      {"matching_rules", "/matching_rules"}, {"query", "/query"},
      {"ingestion", "/ingestion"},          {"media", "/includes/media"},
      {"place", "/includes/places/0"},      {"polls", "/includes/polls"},
      {"referenced_tweets", "/includes/tweets"}, {"referenced_users", "/includes/users"},
      {"errors", "/errors"},                {"response_extra_fields_json", "/response_extra_fields_json"},
  };
  const google::protobuf::Descriptor* ed = env.GetDescriptor();
  const google::protobuf::Reflection* er = env.GetReflection();
  EXPECT_EQ(static_cast<size_t>(ed->field_count()), placements.size())
      << "TweetEnvelope gained a field: place it in the document";
  for (const Placement& p : placements) {
    const google::protobuf::FieldDescriptor* f = ed->FindFieldByName(p.field);
    ASSERT_NE(f, nullptr) << p.field;
    const Value* v = Get(d, p.pointer);
    ASSERT_NE(v, nullptr) << p.pointer;
    const std::string path = std::string("envelope.") + p.field;
    if (f->is_repeated()) {
      ASSERT_TRUE(v->IsArray()) << path;
      ASSERT_EQ(v->Size(), static_cast<rapidjson::SizeType>(er->FieldSize(env, f))) << path;
      for (int j = 0; j < er->FieldSize(env, f); ++j) {
        ExpectElementRendered(env, f, j, (*v)[static_cast<rapidjson::SizeType>(j)], path);
      }
    } else {
      ExpectElementRendered(env, f, -1, *v, path);
    }
  }
}

TEST(RenderDocumentTest, OptionalsSetToZeroOrFalseArePresent) {
  pb::TweetEnvelope env;
  pb::Tweet* t = env.mutable_tweet();
  t->set_id("1");
  t->set_possibly_sensitive(false);
  pb::PublicMetrics* pm = t->mutable_public_metrics();
  pm->set_retweet_count(0);
  pm->set_reply_count(0);
  pm->set_like_count(0);
  pm->set_quote_count(0);
  pm->set_bookmark_count(0);
  pm->set_impression_count(0);
  t->mutable_withheld()->set_copyright(false);
  t->mutable_edit_controls()->set_is_edit_eligible(false);
  t->mutable_edit_controls()->set_edits_remaining(0);
  *t->mutable_edit_controls()->mutable_editable_until() = Ts(0);
  pb::Url* url = t->mutable_entities()->add_urls();
  url->set_url("https://t.co/x");
  url->set_status(0);
  pb::Hashtag* h = t->mutable_entities()->add_hashtags();
  h->set_tag("first");  // at offset 0: offsets are always written
  t->mutable_geo()->mutable_coordinates();  // (0, 0) is a real place
  pb::User* u = env.mutable_author();
  u->set_id("2");
  u->set_protected_(false);
  u->set_verified(false);
  pb::UserPublicMetrics* um = u->mutable_public_metrics();
  um->set_followers_count(0);
  um->set_following_count(0);
  um->set_tweet_count(0);
  um->set_listed_count(0);
  um->set_like_count(0);
  um->set_media_count(0);
  pb::Media* m = env.add_media();
  m->set_media_key("3_1");
  m->mutable_public_metrics()->set_view_count(0);
  m->add_variants()->set_bit_rate(0);
  pb::PollOption* o = env.add_polls()->add_options();
  o->set_label("zero");

  rapidjson::Document d = Parse(Render(env));
  ExpectBool(d, "/possibly_sensitive", false);
  for (const char* c : {"retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
                        "impression_count"}) {
    ExpectInt(d, std::string("/public_metrics/") + c, 0);
  }
  ExpectBool(d, "/withheld/copyright", false);
  ExpectBool(d, "/edit_controls/is_edit_eligible", false);
  ExpectInt(d, "/edit_controls/edits_remaining", 0);
  ExpectStr(d, "/edit_controls/editable_until", "1970-01-01T00:00:00.000Z");
  ExpectInt(d, "/entities/urls/0/status", 0);
  ExpectInt(d, "/entities/urls/0/start", 0);
  ExpectInt(d, "/entities/hashtags/0/start", 0);
  ExpectInt(d, "/entities/hashtags/0/end", 0);
  ExpectDouble(d, "/geo/coordinates/coordinates/0", 0.0);
  ExpectDouble(d, "/geo/coordinates/coordinates/1", 0.0);
  ExpectBool(d, "/author/protected", false);
  ExpectBool(d, "/author/verified", false);
  for (const char* c : {"followers_count", "following_count", "tweet_count", "listed_count", "like_count",
                        "media_count"}) {
    ExpectInt(d, std::string("/author/public_metrics/") + c, 0);
  }
  ExpectInt(d, "/includes/media/0/public_metrics/view_count", 0);
  ExpectInt(d, "/includes/media/0/variants/0/bit_rate", 0);
  ExpectInt(d, "/includes/polls/0/options/0/position", 0);
  ExpectInt(d, "/includes/polls/0/options/0/votes", 0);
  // Plain proto3 numbers whose zero means "not sent" stay out.
  ExpectAbsent(d, "/includes/media/0/width");
  ExpectAbsent(d, "/includes/media/0/height");
  ExpectAbsent(d, "/includes/media/0/duration_ms");
  ExpectAbsent(d, "/includes/polls/0/duration_minutes");
}

TEST(RenderDocumentTest, UnsetAndEmptyFieldsAreOmitted) {
  pb::TweetEnvelope env;
  env.mutable_tweet()->set_id("1");
  // Set-but-empty messages, empty strings, empty repeated elements: none may leave a trace.
  pb::Tweet* t = env.mutable_tweet();
  t->set_lang("");
  t->set_text("");
  t->mutable_public_metrics();
  t->mutable_attachments()->add_media_keys("");
  t->mutable_geo()->set_place_id("");
  t->mutable_withheld();
  t->mutable_edit_controls();
  t->mutable_note_tweet()->mutable_entities();
  t->add_context_annotations()->mutable_domain();
  t->add_referenced_tweets();
  env.mutable_author();
  env.add_matching_rules();
  env.mutable_ingestion();
  env.mutable_place();
  env.add_media()->mutable_public_metrics();
  env.add_referenced_tweets();
  env.add_referenced_users()->mutable_entities()->mutable_url();

  rapidjson::Document d = Parse(Render(env));
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d.MemberCount(), 1u) << Render(env);
  ExpectStr(d, "/id", "1");

  // Within a set message, only the optionals that are set.
  pb::TweetEnvelope env2;
  env2.mutable_tweet()->set_id("2");
  env2.mutable_tweet()->mutable_public_metrics()->set_like_count(7);
  env2.mutable_tweet()->mutable_edit_controls()->set_edits_remaining(3);
  env2.mutable_author()->set_username("someone");
  rapidjson::Document d2 = Parse(Render(env2));
  ExpectSize(d2, "", 4);
  ExpectSize(d2, "/public_metrics", 1);
  ExpectInt(d2, "/public_metrics/like_count", 7);
  ExpectSize(d2, "/edit_controls", 1);
  ExpectInt(d2, "/edit_controls/edits_remaining", 3);
  ExpectSize(d2, "/author", 1);
  ExpectStr(d2, "/author/username", "someone");
  ExpectAbsent(d2, "/possibly_sensitive");
  ExpectAbsent(d2, "/includes");
  ExpectAbsent(d2, "/extra_fields_json");
}

TEST(RenderDocumentTest, TimestampsAreRfc3339UtcWithMilliseconds) {
  struct Case {
    int64_t seconds;
    int32_t nanos;
    const char* want;  // nullptr: not a valid google.protobuf.Timestamp, omitted
  };
  const Case cases[] = {
      {1617292351, 0, "2021-04-01T15:52:31.000Z"},
      {1617292351, 999999999, "2021-04-01T15:52:31.999Z"},  // truncated, never rounded up
      {1617292351, 1000000, "2021-04-01T15:52:31.001Z"},
      {1617292351, 999999, "2021-04-01T15:52:31.000Z"},
      {0, 0, "1970-01-01T00:00:00.000Z"},
      {-1, 999000000, "1969-12-31T23:59:59.999Z"},
      {951782400, 0, "2000-02-29T00:00:00.000Z"},
      {4107542400, 0, "2100-03-01T00:00:00.000Z"},
      {-62135596800, 0, "0001-01-01T00:00:00.000Z"},
      {253402300799, 999999999, "9999-12-31T23:59:59.999Z"},
      {253402300800, 0, nullptr},
      {-62135596801, 0, nullptr},
      {1617292351, -1, nullptr},
      {1617292351, 1000000000, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.seconds << "s " << c.nanos << "ns");
    pb::TweetEnvelope env;
    env.mutable_tweet()->set_id("1");
    *env.mutable_tweet()->mutable_created_at() = Ts(c.seconds, c.nanos);
    rapidjson::Document d = Parse(Render(env));
    if (c.want == nullptr) {
      ExpectAbsent(d, "/created_at");
    } else {
      ExpectStr(d, "/created_at", c.want);
    }
  }
}

TEST(RenderDocumentTest, NonFiniteDoublesAreOmitted) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  pb::TweetEnvelope env;
  env.mutable_tweet()->set_id("1");
  pb::Annotation* a = env.mutable_tweet()->mutable_entities()->add_annotations();
  a->set_start(1);
  a->set_end(4);
  a->set_probability(nan);
  a->set_type("Place");
  pb::Annotation* b = env.mutable_tweet()->mutable_entities()->add_annotations();
  b->set_probability(-inf);
  env.mutable_tweet()->mutable_geo()->set_place_id("p1");
  env.mutable_tweet()->mutable_geo()->mutable_coordinates()->set_longitude(inf);
  env.mutable_tweet()->mutable_geo()->mutable_coordinates()->set_latitude(40.0);
  env.mutable_place()->set_id("p1");
  for (double v : {-74.0, nan, -73.9, 40.8}) env.mutable_place()->add_bbox(v);

  const std::string out = Render(env);
  rapidjson::Document d = Parse(out);
  ExpectAbsent(d, "/entities/annotations/0/probability");
  ExpectInt(d, "/entities/annotations/0/start", 1);
  ExpectStr(d, "/entities/annotations/0/type", "Place");
  ExpectAbsent(d, "/entities/annotations/1/probability");
  ExpectStr(d, "/geo/place_id", "p1");
  ExpectAbsent(d, "/geo/coordinates");  // a point needs both numbers
  ExpectStr(d, "/includes/places/0/id", "p1");
  ExpectAbsent(d, "/includes/places/0/bbox");  // positional: all four or nothing
}

// ---------------------------------------------------------------------------------------------
// Rendering: text.

TEST(RenderDocumentTest, SpecialCharactersRoundTripByteExact) {
  const std::string text = std::string(
                               "He said \"hi\" \\ back / slash\nnew line\r\ttab \x01 ctl \x1f unit \x7f del "
                               "\xF0\x9F\x98\x80 emoji \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB zwj "
                               "\xE4\xB8\xAD\xE6\x96\x87 CJK "
                               "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 "
                               "\xD7\xA2\xD7\x91\xD7\xA8\xD7\x99\xD7\xAA \xE2\x80\x8F RTL "
                               "&amp; &lt;b&gt; \xE2\x80\xA8 line sep, NUL:") +
                           std::string("\0", 1) + "!";
  pb::TweetEnvelope env;
  env.mutable_tweet()->set_id("1");
  env.mutable_tweet()->set_text(text);
  env.mutable_author()->set_description(text);
  env.add_matching_rules()->set_tag(text);

  RenderStats stats;
  const std::string out = Render(env, &stats);
  EXPECT_EQ(stats.repaired_strings, 0);
  for (char c : out) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in the output: " << out;
  }
  rapidjson::Document d = Parse(out);
  ExpectStr(d, "/text", text);
  ExpectStr(d, "/author/description", text);
  ExpectStr(d, "/matching_rules/0/tag", text);
}

TEST(RenderDocumentTest, LongValidNonAsciiTextTakesTheFastPathUntouched) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "abc \xE4\xB8\xAD \xF0\x9F\x98\x80 ";
  pb::TweetEnvelope env;
  env.mutable_tweet()->set_id("1");
  env.mutable_tweet()->set_text(text);
  RenderStats stats;
  rapidjson::Document d = Parse(Render(env, &stats));
  EXPECT_EQ(stats.repaired_strings, 0);
  ExpectStr(d, "/text", text);
}

TEST(RenderDocumentTest, InvalidUtf8IsRepairedWithReplacementCharacters) {
  const std::string kFffd = "\xEF\xBF\xBD";
  struct Case {
    const char* name;
    std::string in;
    std::string want;
  };
  const std::string long_a(100, 'a'), long_b(100, 'b');
  const std::vector<Case> cases = {
      {"lone continuation byte", "a\x80z", "a" + kFffd + "z"},
      {"truncated 4-byte sequence", "x\xF0\x9F\x98y", "x" + kFffd + "y"},
      {"truncated 4-byte sequence at the end", "ok \xF0\x9F\x98", "ok " + kFffd},
      {"overlong 2-byte '/'", "\xC0\xAFz", kFffd + kFffd + "z"},
      {"overlong 3-byte", "\xE0\x80\xAF", kFffd + kFffd + kFffd},
      {"0xFF", "\xFF", kFffd},
      {"UTF-16 surrogate", "\xED\xA0\x80", kFffd + kFffd + kFffd},
      {"above U+10FFFF", "\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},
      {"valid parts intact", "caf\xC3\xA9 \xFF \xF0\x9F\x98\x80 \"q\"\n",
       "caf\xC3\xA9 " + kFffd + " \xF0\x9F\x98\x80 \"q\"\n"},
      {"deep inside a long string", long_a + "\xE4\xB8\xAD\xFE" + long_b, long_a + "\xE4\xB8\xAD" + kFffd + long_b},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    pb::TweetEnvelope env;
    env.mutable_tweet()->set_id("1");
    env.mutable_tweet()->set_lang("en");
    env.mutable_tweet()->set_text(c.in);
    RenderStats stats;
    std::string out;
    ASSERT_TRUE(RenderDocument(env, &out, &stats).ok());
    rapidjson::Document d = Parse(out);  // kParseValidateEncodingFlag: the output is valid UTF-8
    ASSERT_FALSE(d.HasParseError());
    ExpectStr(d, "/text", c.want);
    ExpectStr(d, "/id", "1");
    ExpectStr(d, "/lang", "en");
    EXPECT_EQ(stats.repaired_strings, 1);
  }
}

TEST(RenderDocumentTest, RepairedStringsAreCountedPerStringAndAccumulate) {
  pb::TweetEnvelope env;
  env.mutable_tweet()->set_id("1");
  env.mutable_tweet()->set_text("bad \xFF\xFE twice in one string");
  env.mutable_tweet()->add_edit_history_tweet_ids("12\x80");
  env.mutable_tweet()->add_edit_history_tweet_ids("1");
  env.mutable_author()->set_name("\xC3");
  env.mutable_author()->set_username("fine");
  env.add_matching_rules()->set_tag("tag \xE2\x82");
  env.add_referenced_users()->set_description("\xF8\x88\x80\x80\x80");

  RenderStats stats;
  const std::string out = Render(env, &stats);
  EXPECT_EQ(stats.repaired_strings, 5);
  rapidjson::Document d = Parse(out);
  const std::string kFffd = "\xEF\xBF\xBD";
  ExpectStr(d, "/text", "bad " + kFffd + kFffd + " twice in one string");
  ExpectStr(d, "/edit_history_tweet_ids/0", "12" + kFffd);
  ExpectStr(d, "/edit_history_tweet_ids/1", "1");
  ExpectStr(d, "/author/name", kFffd);
  ExpectStr(d, "/author/username", "fine");
  ExpectStr(d, "/matching_rules/0/tag", "tag " + kFffd);
  ExpectStr(d, "/includes/users/0/description", kFffd + kFffd + kFffd + kFffd + kFffd);

  // The counter adds up over calls (one RenderStats per batch).
  std::string out2;
  ASSERT_TRUE(RenderDocument(env, &out2, &stats).ok());
  EXPECT_EQ(stats.repaired_strings, 10);
}

// ---------------------------------------------------------------------------------------------
// Rendering: errors and output discipline.

TEST(RenderDocumentTest, NoTweetIdIsInvalidArgumentAndAppendsNothing) {
  std::string out = "{\"index\":{}}\n";
  RenderStats stats;

  pb::TweetEnvelope no_tweet;
  absl::Status s1 = RenderDocument(no_tweet, &out, &stats);
  EXPECT_EQ(s1.code(), absl::StatusCode::kInvalidArgument) << s1;

  pb::TweetEnvelope empty_id = FullEnvelope();
  empty_id.mutable_tweet()->clear_id();
  empty_id.mutable_tweet()->set_text("bad \xFF");
  absl::Status s2 = RenderDocument(empty_id, &out, &stats);
  EXPECT_EQ(s2.code(), absl::StatusCode::kInvalidArgument) << s2;

  EXPECT_EQ(out, "{\"index\":{}}\n");
  EXPECT_EQ(stats.repaired_strings, 0);
}

TEST(RenderDocumentTest, AppendsOneLineToExistingContent) {
  const std::string prefix = "{\"index\":{\"_id\":\"1445880548472328192\"}}\n";
  std::string out = prefix;
  ASSERT_TRUE(RenderDocument(FullEnvelope(), &out).ok());
  ASSERT_EQ(out.compare(0, prefix.size(), prefix), 0);
  const std::string doc = out.substr(prefix.size());
  EXPECT_EQ(doc.find('\n'), std::string::npos);
  rapidjson::Document d = Parse(doc);
  ExpectStr(d, "/id", kTweetId);

  // A bulk body: many documents appended to one growing buffer, each on its own line.
  std::string bulk;
  pb::TweetEnvelope small;
  small.mutable_tweet()->set_id("7");
  small.mutable_tweet()->set_text("short");
  for (int i = 0; i < 200; ++i) {
    bulk += "{\"index\":{}}\n";
    ASSERT_TRUE(RenderDocument(i % 2 == 0 ? FullEnvelope() : small, &bulk).ok());
    bulk += "\n";
  }
  int lines = 0;
  for (size_t begin = 0; begin < bulk.size(); ++lines) {
    const size_t end = bulk.find('\n', begin);
    ASSERT_NE(end, std::string::npos);
    rapidjson::Document line = Parse(bulk.substr(begin, end - begin));
    if (lines % 2 == 1) ExpectStr(line, "/id", (lines / 2) % 2 == 0 ? kTweetId : "7");
    begin = end + 1;
  }
  EXPECT_EQ(lines, 400);
}

// ---------------------------------------------------------------------------------------------
// Index template.

const Value& Properties(const rapidjson::Document& tmpl) { return tmpl["template"]["mappings"]["properties"]; }

bool IsLeafMapping(const Value& m) {
  if (m.HasMember("enabled") && m["enabled"].IsFalse()) return true;
  if (!m.HasMember("type")) return false;
  const std::string type = m["type"].GetString();
  return type != "object" && type != "nested";
}

bool IsNotIndexed(const Value& m) {
  return (m.HasMember("enabled") && m["enabled"].IsFalse()) || (m.HasMember("index") && m["index"].IsFalse());
}

// The mapping of a dotted path ("author.name"), or nullptr.
const Value* MappingAt(const rapidjson::Document& tmpl, const std::string& dotted) {
  const Value* props = &Properties(tmpl);
  const Value* field = nullptr;
  size_t begin = 0;
  while (true) {
    const size_t dot = dotted.find('.', begin);
    const std::string name = dotted.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    if (props == nullptr || !props->IsObject()) return nullptr;
    auto it = props->FindMember(name.c_str());
    if (it == props->MemberEnd()) return nullptr;
    field = &it->value;
    if (dot == std::string::npos) return field;
    auto p = field->FindMember("properties");
    props = p == field->MemberEnd() ? nullptr : &p->value;
    begin = dot + 1;
  }
}

std::string TypeAt(const rapidjson::Document& tmpl, const std::string& dotted) {
  const Value* m = MappingAt(tmpl, dotted);
  if (m == nullptr) return "<unmapped>";
  if (!m->HasMember("type")) return "<no type>";
  return (*m)["type"].GetString();
}

void CollectMappingLeaves(const Value& props, const std::string& prefix, std::set<std::string>* leaves) {
  for (auto it = props.MemberBegin(); it != props.MemberEnd(); ++it) {
    const std::string path = prefix.empty() ? Str(it->name) : prefix + "." + Str(it->name);
    if (IsLeafMapping(it->value)) {
      leaves->insert(path);  // multi-fields (`fields`) are not document paths
    } else if (it->value.HasMember("properties")) {
      CollectMappingLeaves(it->value["properties"], path, leaves);
    } else {
      ADD_FAILURE() << path << ": object mapping without properties";
    }
  }
}

bool IsRfc3339Millis(const Value& v) {
  if (!v.IsString() || v.GetStringLength() != 24) return false;
  const std::string s = Str(v);
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i]) return false;
  }
  return true;
}

// Whether a scalar JSON value suits a mapped field type.
bool Suits(const std::string& type, const Value& v) {
  if (type == "keyword" || type == "text") return v.IsString();
  if (type == "date") return IsRfc3339Millis(v);
  if (type == "integer") return v.IsInt();
  if (type == "long") return v.IsInt64();
  if (type == "double" || type == "float") return v.IsNumber();
  if (type == "boolean") return v.IsBool();
  return false;
}

struct DocWalk {
  std::set<std::string> leaves;       // rendered leaf paths, found in the mapping
  std::set<std::string> not_indexed;  // of which: stored but not indexed
  std::vector<std::string> errors;
};

// Walks a rendered value alongside its field mapping.
void WalkDocument(const Value& v, const Value& mapping, const std::string& path, DocWalk* walk) {
  if (IsLeafMapping(mapping)) {
    walk->leaves.insert(path);
    if (IsNotIndexed(mapping)) {
      walk->not_indexed.insert(path);
      return;
    }
    const std::string type = mapping["type"].GetString();
    if (type == "geo_point") {
      if (!(v.IsArray() && v.Size() == 2 && v[0].IsNumber() && v[1].IsNumber())) {
        walk->errors.push_back(path + ": geo_point wants [lon, lat]");
      }
      return;
    }
    if (v.IsArray()) {
      for (const Value& e : v.GetArray()) {
        if (!Suits(type, e)) walk->errors.push_back(path + ": an element does not suit " + type);
      }
    } else if (!Suits(type, v)) {
      walk->errors.push_back(path + ": value does not suit " + type);
    }
    return;
  }
  if (!mapping.HasMember("properties")) {
    walk->errors.push_back(path + ": object mapping without properties");
    return;
  }
  const Value& props = mapping["properties"];
  auto visit = [&](const Value& obj) {
    if (!obj.IsObject()) {
      walk->errors.push_back(path + ": mapped as an object, rendered as something else");
      return;
    }
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      const std::string child = path.empty() ? Str(it->name) : path + "." + Str(it->name);
      auto m = props.FindMember(it->name);
      if (m == props.MemberEnd()) {
        walk->errors.push_back(child + ": rendered but not in the template");
        continue;
      }
      WalkDocument(it->value, m->value, child, walk);
    }
  };
  if (v.IsArray()) {
    for (const Value& e : v.GetArray()) visit(e);
  } else {
    visit(v);
  }
}

TEST(IndexTemplateTest, ParsesWithPatternPriorityAndDynamicFalse) {
  rapidjson::Document t = Parse(IndexTemplateJson("twitter*", 250));
  ASSERT_TRUE(t.IsObject());
  ExpectSize(t, "/index_patterns", 1);
  ExpectStr(t, "/index_patterns/0", "twitter*");
  ExpectInt(t, "/priority", 250);
  ExpectBool(t, "/template/mappings/dynamic", false);
  ExpectInt(t, "/template/settings/number_of_shards", 1);
  ASSERT_NE(Get(t, "/template/mappings/properties"), nullptr);
  ASSERT_NE(Get(t, "/_meta"), nullptr);
  EXPECT_TRUE(Get(t, "/_meta")->IsObject());

  // Default priority; a pattern with JSON metacharacters stays a string (no injection).
  rapidjson::Document t2 = Parse(IndexTemplateJson("tw\"eets\\*", /*priority=*/100));
  ExpectStr(t2, "/index_patterns/0", "tw\"eets\\*");
  ExpectSize(t2, "/index_patterns", 1);
  rapidjson::Document t3 = Parse(IndexTemplateJson("twitter-*"));
  ExpectInt(t3, "/priority", 100);
}

TEST(IndexTemplateTest, EveryRenderedFieldIsMappedWithASuitableType) {
  rapidjson::Document tmpl = Parse(IndexTemplateJson("twitter*", 100));
  rapidjson::Document doc = Parse(Render(FullEnvelope()));
  ASSERT_TRUE(doc.IsObject());
  DocWalk walk;
  WalkDocument(doc, tmpl["template"]["mappings"], "", &walk);
  EXPECT_TRUE(walk.errors.empty()) << ::testing::PrintToString(walk.errors);

  // Only these are stored without being indexed.
  // Only these are stored without being indexed: the referenced tweets, and what X sent that the schema
  // does not model (`extra_fields_json` at every level, issue 12 point 8), a string kept in _source.
  std::set<std::string> expected_not_indexed = {"includes.tweets", "response_extra_fields_json"};
  for (const std::string& leaf : walk.leaves) {
    if (leaf == "extra_fields_json" || absl::EndsWith(leaf, ".extra_fields_json")) expected_not_indexed.insert(leaf);
  }
  EXPECT_GT(expected_not_indexed.size(), 25u);
  EXPECT_EQ(walk.not_indexed, expected_not_indexed);

  // And the other way round: the template maps nothing the renderer never emits (the fully-populated
  // envelope emits every path), so the two cannot drift apart in either direction.
  std::set<std::string> mapped;
  CollectMappingLeaves(Properties(tmpl), "", &mapped);
  EXPECT_EQ(mapped, walk.leaves);
}

TEST(IndexTemplateTest, FieldTypesFollowTheContract) {
  rapidjson::Document t = Parse(IndexTemplateJson("twitter*", 100));
  for (const char* f : {"created_at", "ingestion.ingested_at", "author.created_at", "edit_controls.editable_until",
                        "includes.users.created_at", "includes.polls.end_datetime"}) {
    EXPECT_EQ(TypeAt(t, f), "date") << f;
    const Value* m = MappingAt(t, f);
    ASSERT_NE(m, nullptr) << f;
    ExpectStr(*m, "/format", "strict_date_optional_time");
  }
  for (const char* f : {"text", "author.description", "author.name", "note_tweet.text",
                        "entities.annotations.normalized_text", "note_tweet.entities.annotations.normalized_text"}) {
    EXPECT_EQ(TypeAt(t, f), "text") << f;
  }
  EXPECT_EQ(TypeAt(t, "author.name.keyword"), "<unmapped>");  // a multi-field, not a property:
  ExpectStr(*MappingAt(t, "author.name"), "/fields/keyword/type", "keyword");
  for (const char* f : {"lang", "source", "reply_settings", "entities.hashtags.tag", "entities.cashtags.tag",
                        "entities.mentions.username", "author.username", "referenced_tweets.type",
                        "includes.media.type", "entities.urls.url", "entities.urls.expanded_url",
                        "withheld.country_codes", "author.withheld.country_codes", "includes.places.country_code",
                        "matching_rules.tag", "author.verified_type", "ingestion.mode"}) {
    EXPECT_EQ(TypeAt(t, f), "keyword") << f;
  }
  EXPECT_EQ(TypeAt(t, "geo.coordinates.coordinates"), "geo_point");
  EXPECT_EQ(TypeAt(t, "public_metrics.like_count"), "long");
  EXPECT_EQ(TypeAt(t, "author.public_metrics.followers_count"), "long");
  EXPECT_EQ(TypeAt(t, "entities.hashtags.start"), "integer");
  ExpectBool(*MappingAt(t, "includes.tweets"), "/enabled", false);
  ExpectBool(*MappingAt(t, "extra_fields_json"), "/index", false);

  // Every id-like leaf is a keyword (ids are decimal strings; numbers would lose 64-bit precision).
  std::set<std::string> leaves;
  CollectMappingLeaves(Properties(t), "", &leaves);
  for (const std::string& path : leaves) {
    const std::string last = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
    const auto ends_with = [&](const std::string& s) {
      return last.size() >= s.size() && last.compare(last.size() - s.size(), s.size(), s) == 0;
    };
    if (last == "id" || ends_with("_id") || ends_with("_ids") || ends_with("_key") || ends_with("_keys") ||
        last == "contained_within") {
      EXPECT_EQ(TypeAt(t, path), "keyword") << path;
    }
  }
}

// Checks a field mapping (and what is below it) against what Elasticsearch 7.17, 8.x, 9.x and
// OpenSearch 2.x all accept, with only the core modules.
void ExpectPortable(const Value& m, const std::string& path) {
  static const std::set<std::string> kTypes = {"keyword", "text",    "date",      "long",  "integer",
                                               "double",  "boolean", "geo_point", "object"};
  static const std::set<std::string> kParams = {"type",  "analyzer",   "fields",           "ignore_above", "format",
                                                "index", "doc_values", "ignore_malformed", "enabled",      "properties"};
  ASSERT_TRUE(m.IsObject()) << path;
  for (auto it = m.MemberBegin(); it != m.MemberEnd(); ++it) {
    EXPECT_TRUE(kParams.count(Str(it->name))) << path << ": parameter " << Str(it->name);
  }
  if (m.HasMember("type")) {
    EXPECT_TRUE(kTypes.count(m["type"].GetString())) << path << ": " << m["type"].GetString();
  }
  if (m.HasMember("analyzer")) {
    EXPECT_STREQ(m["analyzer"].GetString(), "standard") << path;
  }
  if (m.HasMember("type") && std::string(m["type"].GetString()) == "text") {
    ASSERT_TRUE(m.HasMember("analyzer")) << path << ": say which analyzer";
  }
  if (m.HasMember("fields")) {
    for (auto it = m["fields"].MemberBegin(); it != m["fields"].MemberEnd(); ++it) {
      ExpectPortable(it->value, path + "." + Str(it->name));
    }
  }
  if (m.HasMember("properties")) {
    for (auto it = m["properties"].MemberBegin(); it != m["properties"].MemberEnd(); ++it) {
      ExpectPortable(it->value, path.empty() ? Str(it->name) : path + "." + Str(it->name));
    }
  }
}

TEST(IndexTemplateTest, UsesOnlyFeaturesCommonToAllSupportedVersions) {
  rapidjson::Document t = Parse(IndexTemplateJson("twitter*", 100));
  std::set<std::string> top, tmpl, mappings;
  for (auto it = t.MemberBegin(); it != t.MemberEnd(); ++it) top.insert(Str(it->name));
  for (auto it = t["template"].MemberBegin(); it != t["template"].MemberEnd(); ++it) tmpl.insert(Str(it->name));
  const Value& m = t["template"]["mappings"];
  for (auto it = m.MemberBegin(); it != m.MemberEnd(); ++it) mappings.insert(Str(it->name));
  EXPECT_EQ(top, (std::set<std::string>{"index_patterns", "priority", "template", "_meta"}));
  EXPECT_EQ(tmpl, (std::set<std::string>{"settings", "mappings"}));
  // No `_doc` type wrapper, no runtime fields, no `subobjects`.
  EXPECT_EQ(mappings, (std::set<std::string>{"dynamic", "properties"}));
  for (auto it = m["properties"].MemberBegin(); it != m["properties"].MemberEnd(); ++it) {
    ExpectPortable(it->value, Str(it->name));
  }
}

}  // namespace
}  // namespace tweetstream::sink
