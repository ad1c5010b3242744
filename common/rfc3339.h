#pragma once
// RFC 3339 timestamps in UTC, the one way the project writes them (logs, status files, cursors,
// dead-letter headers, the X API's start_time/end_time, tweetctl): "2024-06-01T12:00:00Z" to the
// second, or "2024-06-01T12:00:00.123Z" to the millisecond. Reading them is absl::ParseTime with
// absl::RFC3339_full.

#include <string>

#include "absl/time/time.h"

namespace tweetstream::common {

// "2024-06-01T12:00:00Z": whole seconds (what the X API accepts as start_time/end_time).
std::string Rfc3339Seconds(absl::Time t);
// "2024-06-01T12:00:00.123Z": milliseconds, always three digits.
std::string Rfc3339Millis(absl::Time t);
// Rfc3339Millis(absl::Now()).
std::string NowRfc3339Millis();

}  // namespace tweetstream::common
