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
  // Points into its ReplayFile's `content` (valid while that ReplayFile lives), or into the buffer of
  // the ReplayFileReader that returned it (valid until that reader's next call).
  absl::string_view body;
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

// Splits one file into response bodies. NOT_FOUND when the file cannot be opened, DATA_LOSS when
// reading it fails. Whether each body is valid JSON is decided later by the mapper (so a bad line is
// reported with its line number and the others still flow). Holds the whole file in memory: for tests
// and benchmarks; the replay itself streams with ReplayFileReader.
absl::StatusOr<ReplayFile> ReadReplayFile(const std::string& path);

// Reads one file body by body, the same bodies (bytes, `where`, order) and keep-alive count as
// ReadReplayFile, through one reused buffer that holds the current body and what follows it up to the
// next read: memory stays bounded (1 MiB, or more for a longer line; the whole file only when it is a
// single pretty-printed document) whatever the file's size, and no memory is allocated, zero-filled or
// faulted in per file or per body. Works on pipes too. One thread at a time.
class ReplayFileReader {
 public:
  // NOT_FOUND when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<ReplayFileReader>> Open(const std::string& path);
  ~ReplayFileReader();
  ReplayFileReader(const ReplayFileReader&) = delete;
  ReplayFileReader& operator=(const ReplayFileReader&) = delete;

  // The next body into `*body` (its `where` string reused; its view valid until the next call): true,
  // or false at the end of the file. DATA_LOSS when reading fails.
  absl::StatusOr<bool> Next(ReplayBody* body);
  // Empty keep-alive lines skipped so far (stream captures).
  int keep_alive_lines() const { return keep_alive_lines_; }

 private:
  friend absl::StatusOr<ReplayFile> ReadReplayFile(const std::string& path);
  enum class Layout { kUnknown, kDocument, kLines, kDone };

  ReplayFileReader(std::string path, int fd, size_t capacity);
  // Reads once more into the buffer: moves the unconsumed bytes [pos_, end_) to the front when
  // `compact` (invalidating earlier views), grows it when full. Sets eof_ at the end of the file.
  absl::Status Fill(bool compact);
  // Decides the layout from the start of the file, as ReadReplayFile always did: one document, unless
  // its first non-blank line is a whole object "{...}" and more than blank text follows it.
  absl::Status DecideLayout();

  std::string path_;
  int fd_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t pos_ = 0;   // the first byte not yet returned
  size_t end_ = 0;   // the end of what was read
  size_t scan_ = 0;  // no '\n' in [pos_, scan_): where the search for the end of the line resumes
  bool eof_ = false;
  Layout layout_ = Layout::kUnknown;
  int line_number_ = 0;
  int keep_alive_lines_ = 0;
};

// Expands the --replay-file list: files are kept, directories are replaced by the *.json, *.jsonl and
// *.txt files in them (sorted by name). NOT_FOUND naming the path that does not exist.
absl::StatusOr<std::vector<std::string>> ExpandReplayPaths(const std::vector<std::string>& paths);

}  // namespace tweetstream::source
