#pragma once
// One logging approach for the whole project (Abseil 20220623 has no absl/log):
//   TS_LOG(INFO) << "partition " << p << " assigned";
// Lines go to stderr as `2026-11-25T20:00:00.123Z INFO  file.cc:42] message`. Thread-safe: each
// line is formatted in full and written with one call. Log state changes, never every message, and
// never a secret (tokens, passwords): nothing here redacts for you.

#include <sstream>
#include <string_view>

namespace tweetstream::common {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo; TWEETSTREAM_LOG_LEVEL=debug|info|warning|error.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Parses "debug", "info", "warning", "error" (case-insensitive); false when unknown.
bool ParseLogLevel(std::string_view text, LogLevel* level);

// Accumulates one line and writes it when destroyed.
class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// Turns the stream expression into void so both branches of TS_LOG's ?: have one type.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace tweetstream::common

#define TS_LOG_LEVEL_DEBUG ::tweetstream::common::LogLevel::kDebug
#define TS_LOG_LEVEL_INFO ::tweetstream::common::LogLevel::kInfo
#define TS_LOG_LEVEL_WARNING ::tweetstream::common::LogLevel::kWarning
#define TS_LOG_LEVEL_ERROR ::tweetstream::common::LogLevel::kError

// An expression (not an if/else), so it is safe in an unbraced if. `&` binds looser than `<<`.
#define TS_LOG(level)                                                              \
  (TS_LOG_LEVEL_##level < ::tweetstream::common::MinLogLevel())                    \
      ? (void)0                                                                    \
      : ::tweetstream::common::LogVoidify() &                                      \
            ::tweetstream::common::LogLine(TS_LOG_LEVEL_##level, __FILE__, __LINE__).stream()
