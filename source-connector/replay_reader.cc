#include "source-connector/replay_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tweetstream::source {
namespace {

// True when the text looks like one JSON document spread over lines (pretty-printed), rather than
// one document per line: its first non-empty line does not end a complete object.
bool LooksLikeSingleDocument(absl::string_view content) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(content);
  if (trimmed.empty()) return true;
  const size_t newline = trimmed.find('\n');
  if (newline == absl::string_view::npos) return true;  // one line: one document
  absl::string_view first_line = absl::StripAsciiWhitespace(trimmed.substr(0, newline));
  // A JSONL/stream line is a whole object: "{...}". A pretty-printed document starts with "{" alone
  // or "{"key": [" and does not close on its first line.
  return !(absl::StartsWith(first_line, "{") && absl::EndsWith(first_line, "}"));
}

}  // namespace

absl::StatusOr<ReplayFile> ReadReplayFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read replay file ", path));
  ReplayFile file;
  // One read into an uninitialised buffer of the file's size: replay files are big (tens of MB), and
  // growing a stream buffer, zero-filling a string or copying each body out cost more than mapping
  // their tweets.
  const std::streamoff size = in.tellg();
  if (size > 0) {
    file.content = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(size));
    in.seekg(0);
    in.read(file.content.get(), size);
    file.content_size = static_cast<size_t>(in.gcount());
  } else {  // not seekable (a pipe, /proc): read it as a stream
    in.clear();
    in.seekg(0);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    file.content = std::make_unique_for_overwrite<char[]>(text.size());
    std::copy(text.begin(), text.end(), file.content.get());
    file.content_size = text.size();
  }
  const absl::string_view content(file.content.get(), file.content_size);

  if (LooksLikeSingleDocument(content)) {
    if (!absl::StripAsciiWhitespace(content).empty()) file.bodies.push_back({path, content});
    return file;
  }
  size_t line_start = 0;
  int line_number = 0;
  while (line_start < content.size()) {
    size_t end = content.find('\n', line_start);
    if (end == absl::string_view::npos) end = content.size();
    ++line_number;
    absl::string_view line = content.substr(line_start, end - line_start);
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(line).empty()) {
      ++file.keep_alive_lines;
    } else {
      file.bodies.push_back({absl::StrCat(path, ":", line_number), line});
    }
    line_start = end + 1;
  }
  return file;
}

absl::StatusOr<std::vector<std::string>> ExpandReplayPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        const std::string name = entry.path().string();
        if (entry.is_regular_file() &&
            (absl::EndsWith(name, ".json") || absl::EndsWith(name, ".jsonl") || absl::EndsWith(name, ".txt"))) {
          in_dir.push_back(name);
        }
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (std::filesystem::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      return absl::NotFoundError(absl::StrCat("replay path does not exist: ", path));
    }
  }
  return files;
}

}  // namespace tweetstream::source
