#include "source-connector/x_field_tables.h"

#include <iterator>

namespace tweetstream::source::xjson {

std::vector<FieldTable> AllFieldTables() {
  namespace pb = ::tweetstream::tweet::v1;
  using namespace tables;  // NOLINT: the table names
  return {
      {pb::Hashtag::descriptor(), kHashtagFields, std::size(kHashtagFields)},
      {pb::Mention::descriptor(), kMentionFields, std::size(kMentionFields)},
      {pb::Image::descriptor(), kImageFields, std::size(kImageFields)},
      {pb::Url::descriptor(), kUrlFields, std::size(kUrlFields)},
      {pb::Annotation::descriptor(), kAnnotationFields, std::size(kAnnotationFields)},
      {pb::Entities::descriptor(), kEntitiesFields, std::size(kEntitiesFields)},
      {pb::ContextEntity::descriptor(), kContextEntityFields, std::size(kContextEntityFields)},
      {pb::ContextAnnotation::descriptor(), kContextAnnotationFields, std::size(kContextAnnotationFields)},
      {pb::ReferencedTweet::descriptor(), kReferencedTweetFields, std::size(kReferencedTweetFields)},
      {pb::Attachments::descriptor(), kAttachmentsFields, std::size(kAttachmentsFields)},
      {pb::Geo::descriptor(), kGeoFields, std::size(kGeoFields)},
      {pb::PublicMetrics::descriptor(), kPublicMetricsFields, std::size(kPublicMetricsFields)},
      {pb::Withheld::descriptor(), kWithheldFields, std::size(kWithheldFields)},
      {pb::EditControls::descriptor(), kEditControlsFields, std::size(kEditControlsFields)},
      {pb::NoteTweet::descriptor(), kNoteTweetFields, std::size(kNoteTweetFields)},
      {pb::UserPublicMetrics::descriptor(), kUserPublicMetricsFields, std::size(kUserPublicMetricsFields)},
      {pb::UserEntities::descriptor(), kUserEntitiesFields, std::size(kUserEntitiesFields)},
      {pb::MediaPublicMetrics::descriptor(), kMediaPublicMetricsFields, std::size(kMediaPublicMetricsFields)},
      {pb::MediaVariant::descriptor(), kMediaVariantFields, std::size(kMediaVariantFields)},
      {pb::Media::descriptor(), kMediaFields, std::size(kMediaFields)},
      {pb::PollOption::descriptor(), kPollOptionFields, std::size(kPollOptionFields)},
      {pb::Poll::descriptor(), kPollFields, std::size(kPollFields)},
      {pb::MatchingRule::descriptor(), kMatchingRuleFields, std::size(kMatchingRuleFields)},
      {pb::ApiError::descriptor(), kApiErrorFields, std::size(kApiErrorFields)},
      {pb::Tweet::descriptor(), kTweetFields, std::size(kTweetFields)},
      {pb::User::descriptor(), kUserFields, std::size(kUserFields)},
      {pb::Point::descriptor(), kPointFields, std::size(kPointFields)},
      {pb::Place::descriptor(), kPlaceFields, std::size(kPlaceFields)},
      {pb::Place::descriptor(), kPlaceGeoFields, std::size(kPlaceGeoFields)},
  };
}

}  // namespace tweetstream::source::xjson
