#pragma once
// Reads recorded X API v2 responses from files, for --mode=replay.
//
// A file is either one response body (a search page or a lookup result, compact or pretty-printed
// JSON) or a stream capture: one JSON object per line, lines ended by "\r\n" (the stream's framing) or
// "\n" (JSONL recordings), empty keep-alive lines skipped. Each body comes back with where it came
// from ("file" or "file:line") so that every report can name it.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tweetstream::source {

struct ReplayBody {
  std::string where;        // "path" or "path:line"
  absl::string_view body;   // points into its ReplayFile's `content`: valid while that ReplayFile lives
};

struct ReplayFile {
  // Bodies in file order.
  std::vector<ReplayBody> bodies;
  // Number of empty keep-alive lines skipped in a stream capture.
  int keep_alive_lines = 0;
  // The file's bytes, read once (replay files are tens of MB: the bodies are views, not copies).
  // Stable across moves of the ReplayFile.
  std::unique_ptr<char[]> content;
  size_t content_size = 0;
};

// Splits one file into response bodies. NOT_FOUND when the file cannot be read. Whether each body is
// valid JSON is decided later by the mapper (so a bad line is reported with its line number and the
// others still flow).
absl::StatusOr<ReplayFile> ReadReplayFile(const std::string& path);

// Expands the --replay-file list: files are kept, directories are replaced by the *.json, *.jsonl and
// *.txt files in them (sorted by name). NOT_FOUND naming the path that does not exist.
absl::StatusOr<std::vector<std::string>> ExpandReplayPaths(const std::vector<std::string>& paths);

}  // namespace tweetstream::source
