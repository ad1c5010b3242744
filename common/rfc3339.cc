#include "common/rfc3339.h"

#include "absl/time/clock.h"

namespace tweetstream::common {

std::string Rfc3339Seconds(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

std::string Rfc3339Millis(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone()); }

std::string NowRfc3339Millis() { return Rfc3339Millis(absl::Now()); }

}  // namespace tweetstream::common
