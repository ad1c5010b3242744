#pragma once
// The field tables of the X JSON -> TweetEnvelope mapping: for each message, the JSON keys it maps, in
// field-number order, each with its field number taken from the generated code (never written by
// hand). The encoder (x_wire_encoder.cc) reads an object's members against its table and writes the
// fields in this order; members not in the table go to the message's `extra_fields_json`.
// x_field_tables_test (in x_json_mapper_test.cc) checks every table against tweet.proto's descriptor:
// each key names the field whose number it carries (except the few entries listed there: a Point's
// `coordinates` pair and `type`, a Place's GeoJSON `geo`).
// Internal to source-connector/.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "tweetstream/tweet/v1/tweet.pb.h"

namespace tweetstream::source::xjson {

// One JSON key and the field it maps to (0: read but stored nowhere, e.g. GeoJSON's "type":"Point").
struct Field {
  std::string_view key;
  uint32_t number;
};

namespace tables {
namespace pb = ::tweetstream::tweet::v1;
inline constexpr Field kHashtagFields[] = {
    {"start", pb::Hashtag::kStartFieldNumber},
    {"end", pb::Hashtag::kEndFieldNumber},
    {"tag", pb::Hashtag::kTagFieldNumber},
};
inline constexpr Field kMentionFields[] = {
    {"start", pb::Mention::kStartFieldNumber},
    {"end", pb::Mention::kEndFieldNumber},
    {"username", pb::Mention::kUsernameFieldNumber},
    {"id", pb::Mention::kIdFieldNumber},
};
inline constexpr Field kImageFields[] = {
    {"url", pb::Image::kUrlFieldNumber},
    {"width", pb::Image::kWidthFieldNumber},
    {"height", pb::Image::kHeightFieldNumber},
};
inline constexpr Field kUrlFields[] = {
    {"start", pb::Url::kStartFieldNumber},
    {"end", pb::Url::kEndFieldNumber},
    {"url", pb::Url::kUrlFieldNumber},
    {"expanded_url", pb::Url::kExpandedUrlFieldNumber},
    {"display_url", pb::Url::kDisplayUrlFieldNumber},
    {"media_key", pb::Url::kMediaKeyFieldNumber},
    {"status", pb::Url::kStatusFieldNumber},
    {"title", pb::Url::kTitleFieldNumber},
    {"description", pb::Url::kDescriptionFieldNumber},
    {"unwound_url", pb::Url::kUnwoundUrlFieldNumber},
    {"images", pb::Url::kImagesFieldNumber},
};
inline constexpr Field kAnnotationFields[] = {
    {"start", pb::Annotation::kStartFieldNumber},
    {"end", pb::Annotation::kEndFieldNumber},
    {"probability", pb::Annotation::kProbabilityFieldNumber},
    {"type", pb::Annotation::kTypeFieldNumber},
    {"normalized_text", pb::Annotation::kNormalizedTextFieldNumber},
};
inline constexpr Field kEntitiesFields[] = {
    {"hashtags", pb::Entities::kHashtagsFieldNumber},
    {"cashtags", pb::Entities::kCashtagsFieldNumber},
    {"mentions", pb::Entities::kMentionsFieldNumber},
    {"urls", pb::Entities::kUrlsFieldNumber},
    {"annotations", pb::Entities::kAnnotationsFieldNumber},
};
inline constexpr Field kContextEntityFields[] = {
    {"id", pb::ContextEntity::kIdFieldNumber},
    {"name", pb::ContextEntity::kNameFieldNumber},
    {"description", pb::ContextEntity::kDescriptionFieldNumber},
};
inline constexpr Field kContextAnnotationFields[] = {
    {"domain", pb::ContextAnnotation::kDomainFieldNumber},
    {"entity", pb::ContextAnnotation::kEntityFieldNumber},
};
inline constexpr Field kReferencedTweetFields[] = {
    {"type", pb::ReferencedTweet::kTypeFieldNumber},
    {"id", pb::ReferencedTweet::kIdFieldNumber},
};
inline constexpr Field kAttachmentsFields[] = {
    {"media_keys", pb::Attachments::kMediaKeysFieldNumber},
    {"poll_ids", pb::Attachments::kPollIdsFieldNumber},
    {"media_source_tweet_id", pb::Attachments::kMediaSourceTweetIdFieldNumber},
};
inline constexpr Field kGeoFields[] = {
    {"place_id", pb::Geo::kPlaceIdFieldNumber},
    {"coordinates", pb::Geo::kCoordinatesFieldNumber},
};
inline constexpr Field kPublicMetricsFields[] = {
    {"retweet_count", pb::PublicMetrics::kRetweetCountFieldNumber},
    {"reply_count", pb::PublicMetrics::kReplyCountFieldNumber},
    {"like_count", pb::PublicMetrics::kLikeCountFieldNumber},
    {"quote_count", pb::PublicMetrics::kQuoteCountFieldNumber},
    {"bookmark_count", pb::PublicMetrics::kBookmarkCountFieldNumber},
    {"impression_count", pb::PublicMetrics::kImpressionCountFieldNumber},
};
inline constexpr Field kWithheldFields[] = {
    {"copyright", pb::Withheld::kCopyrightFieldNumber},
    {"country_codes", pb::Withheld::kCountryCodesFieldNumber},
    {"scope", pb::Withheld::kScopeFieldNumber},
};
inline constexpr Field kEditControlsFields[] = {
    {"is_edit_eligible", pb::EditControls::kIsEditEligibleFieldNumber},
    {"editable_until", pb::EditControls::kEditableUntilFieldNumber},
    {"edits_remaining", pb::EditControls::kEditsRemainingFieldNumber},
};
inline constexpr Field kNoteTweetFields[] = {
    {"text", pb::NoteTweet::kTextFieldNumber},
    {"entities", pb::NoteTweet::kEntitiesFieldNumber},
};
inline constexpr Field kUserPublicMetricsFields[] = {
    {"followers_count", pb::UserPublicMetrics::kFollowersCountFieldNumber},
    {"following_count", pb::UserPublicMetrics::kFollowingCountFieldNumber},
    {"tweet_count", pb::UserPublicMetrics::kTweetCountFieldNumber},
    {"listed_count", pb::UserPublicMetrics::kListedCountFieldNumber},
    {"like_count", pb::UserPublicMetrics::kLikeCountFieldNumber},
    {"media_count", pb::UserPublicMetrics::kMediaCountFieldNumber},
};
inline constexpr Field kUserEntitiesFields[] = {
    {"url", pb::UserEntities::kUrlFieldNumber},
    {"description", pb::UserEntities::kDescriptionFieldNumber},
};
inline constexpr Field kMediaPublicMetricsFields[] = {
    {"view_count", pb::MediaPublicMetrics::kViewCountFieldNumber},
};
inline constexpr Field kMediaVariantFields[] = {
    {"bit_rate", pb::MediaVariant::kBitRateFieldNumber},
    {"content_type", pb::MediaVariant::kContentTypeFieldNumber},
    {"url", pb::MediaVariant::kUrlFieldNumber},
};
inline constexpr Field kMediaFields[] = {
    {"media_key", pb::Media::kMediaKeyFieldNumber},
    {"type", pb::Media::kTypeFieldNumber},
    {"url", pb::Media::kUrlFieldNumber},
    {"preview_image_url", pb::Media::kPreviewImageUrlFieldNumber},
    {"width", pb::Media::kWidthFieldNumber},
    {"height", pb::Media::kHeightFieldNumber},
    {"duration_ms", pb::Media::kDurationMsFieldNumber},
    {"alt_text", pb::Media::kAltTextFieldNumber},
    {"public_metrics", pb::Media::kPublicMetricsFieldNumber},
    {"variants", pb::Media::kVariantsFieldNumber},
};
inline constexpr Field kPollOptionFields[] = {
    {"position", pb::PollOption::kPositionFieldNumber},
    {"label", pb::PollOption::kLabelFieldNumber},
    {"votes", pb::PollOption::kVotesFieldNumber},
};
inline constexpr Field kPollFields[] = {
    {"id", pb::Poll::kIdFieldNumber},
    {"options", pb::Poll::kOptionsFieldNumber},
    {"duration_minutes", pb::Poll::kDurationMinutesFieldNumber},
    {"end_datetime", pb::Poll::kEndDatetimeFieldNumber},
    {"voting_status", pb::Poll::kVotingStatusFieldNumber},
};
inline constexpr Field kMatchingRuleFields[] = {
    {"id", pb::MatchingRule::kIdFieldNumber},
    {"tag", pb::MatchingRule::kTagFieldNumber},
};
inline constexpr Field kApiErrorFields[] = {
    {"type", pb::ApiError::kTypeFieldNumber},
    {"title", pb::ApiError::kTitleFieldNumber},
    {"detail", pb::ApiError::kDetailFieldNumber},
    {"resource_type", pb::ApiError::kResourceTypeFieldNumber},
    {"resource_id", pb::ApiError::kResourceIdFieldNumber},
    {"parameter", pb::ApiError::kParameterFieldNumber},
    {"value", pb::ApiError::kValueFieldNumber},
};
inline constexpr Field kTweetFields[] = {
    {"id", pb::Tweet::kIdFieldNumber},
    {"text", pb::Tweet::kTextFieldNumber},
    {"author_id", pb::Tweet::kAuthorIdFieldNumber},
    {"created_at", pb::Tweet::kCreatedAtFieldNumber},
    {"conversation_id", pb::Tweet::kConversationIdFieldNumber},
    {"in_reply_to_user_id", pb::Tweet::kInReplyToUserIdFieldNumber},
    {"lang", pb::Tweet::kLangFieldNumber},
    {"source", pb::Tweet::kSourceFieldNumber},
    {"reply_settings", pb::Tweet::kReplySettingsFieldNumber},
    {"possibly_sensitive", pb::Tweet::kPossiblySensitiveFieldNumber},
    {"referenced_tweets", pb::Tweet::kReferencedTweetsFieldNumber},
    {"attachments", pb::Tweet::kAttachmentsFieldNumber},
    {"entities", pb::Tweet::kEntitiesFieldNumber},
    {"context_annotations", pb::Tweet::kContextAnnotationsFieldNumber},
    {"geo", pb::Tweet::kGeoFieldNumber},
    {"public_metrics", pb::Tweet::kPublicMetricsFieldNumber},
    {"withheld", pb::Tweet::kWithheldFieldNumber},
    {"edit_history_tweet_ids", pb::Tweet::kEditHistoryTweetIdsFieldNumber},
    {"edit_controls", pb::Tweet::kEditControlsFieldNumber},
    {"note_tweet", pb::Tweet::kNoteTweetFieldNumber},
    {"display_text_range", pb::Tweet::kDisplayTextRangeFieldNumber},
    {"community_id", pb::Tweet::kCommunityIdFieldNumber},
    {"card_uri", pb::Tweet::kCardUriFieldNumber},
};
inline constexpr Field kUserFields[] = {
    {"id", pb::User::kIdFieldNumber},
    {"name", pb::User::kNameFieldNumber},
    {"username", pb::User::kUsernameFieldNumber},
    {"created_at", pb::User::kCreatedAtFieldNumber},
    {"description", pb::User::kDescriptionFieldNumber},
    {"location", pb::User::kLocationFieldNumber},
    {"url", pb::User::kUrlFieldNumber},
    {"profile_image_url", pb::User::kProfileImageUrlFieldNumber},
    {"protected", pb::User::kProtectedFieldNumber},
    {"verified", pb::User::kVerifiedFieldNumber},
    {"verified_type", pb::User::kVerifiedTypeFieldNumber},
    {"pinned_tweet_id", pb::User::kPinnedTweetIdFieldNumber},
    {"public_metrics", pb::User::kPublicMetricsFieldNumber},
    {"withheld", pb::User::kWithheldFieldNumber},
    {"entities", pb::User::kEntitiesFieldNumber},
    {"most_recent_tweet_id", pb::User::kMostRecentTweetIdFieldNumber},
    {"profile_banner_url", pb::User::kProfileBannerUrlFieldNumber},
};
// GeoJSON point `{"type":"Point","coordinates":[lon, lat]}`: the pair fills longitude and latitude.
inline constexpr Field kPointFields[] = {
    {"coordinates", pb::Point::kLongitudeFieldNumber},
    {"type", 0},
};
// A place: its `geo` is a GeoJSON Feature whose `bbox` fills `bbox` (the rest of it is kept in extras).
inline constexpr Field kPlaceFields[] = {
    {"id", pb::Place::kIdFieldNumber},
    {"full_name", pb::Place::kFullNameFieldNumber},
    {"name", pb::Place::kNameFieldNumber},
    {"country", pb::Place::kCountryFieldNumber},
    {"country_code", pb::Place::kCountryCodeFieldNumber},
    {"place_type", pb::Place::kPlaceTypeFieldNumber},
    {"geo", pb::Place::kBboxFieldNumber},
    {"contained_within", pb::Place::kContainedWithinFieldNumber},
};
inline constexpr Field kPlaceGeoFields[] = {
    {"bbox", pb::Place::kBboxFieldNumber},
};
}  // namespace tables

// Every table with the message it is for (for the descriptor check).
struct FieldTable {
  const google::protobuf::Descriptor* message;
  const Field* fields;
  size_t size;
};
std::vector<FieldTable> AllFieldTables();

}  // namespace tweetstream::source::xjson
