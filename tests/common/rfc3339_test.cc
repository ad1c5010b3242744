// common/rfc3339.h: the one RFC 3339 writer, read back by absl's RFC3339_full parser.
#include "common/rfc3339.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tweetstream::common {
namespace {

TEST(Rfc3339Test, SecondsAndMillisecondsInUtc) {
  const absl::Time t = absl::FromUnixMillis(1717243200123);  // 2024-06-01T12:00:00.123Z
  EXPECT_EQ(Rfc3339Seconds(t), "2024-06-01T12:00:00Z");
  EXPECT_EQ(Rfc3339Millis(t), "2024-06-01T12:00:00.123Z");
  // Always three digits, also on a whole second.
  EXPECT_EQ(Rfc3339Millis(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339Millis(absl::FromUnixMillis(1717243200007)), "2024-06-01T12:00:00.007Z");
}

TEST(Rfc3339Test, ReadsBackToTheSameInstant) {
  const absl::Time t = absl::FromUnixMillis(1717243200123);
  absl::Time back;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, Rfc3339Millis(t), &back, &error)) << error;
  EXPECT_EQ(back, t);
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, Rfc3339Seconds(t), &back, &error)) << error;
  EXPECT_EQ(back, absl::FromUnixSeconds(1717243200));
}

TEST(Rfc3339Test, NowIsTheWallClock) {
  absl::Time parsed;
  std::string error;
  const absl::Time before = absl::FromUnixMillis(absl::ToUnixMillis(absl::Now()));
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, NowRfc3339Millis(), &parsed, &error)) << error;
  EXPECT_GE(parsed, before);
  EXPECT_LE(parsed, absl::Now());
}

}  // namespace
}  // namespace tweetstream::common
