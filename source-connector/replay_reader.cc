#include "source-connector/replay_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tweetstream::source {
namespace {

// The buffer of a streamed file: enough for many bodies per read (JSONL pages are ~200 KB, stream lines
// a few KB) while staying in cache; it grows only for a longer line or a single document.
constexpr size_t kChunkBytes = size_t{1} << 20;

bool IsBlank(absl::string_view text) { return absl::StripAsciiWhitespace(text).empty(); }

}  // namespace

ReplayFileReader::ReplayFileReader(std::string path, int fd, size_t capacity)
    : path_(std::move(path)),
      fd_(fd),
      buffer_(std::make_unique_for_overwrite<char[]>(capacity)),
      capacity_(capacity) {}

ReplayFileReader::~ReplayFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<ReplayFileReader>> ReplayFileReader::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot read replay file ", path));
  // A small file gets a buffer of its size (+1, so that the read finding the end needs no growth); a
  // pipe or /proc file (size 0) starts small and grows.
  struct stat info;
  size_t capacity = size_t{64} << 10;
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    capacity = std::min(static_cast<size_t>(info.st_size) + 1, kChunkBytes);
  }
  return std::unique_ptr<ReplayFileReader>(new ReplayFileReader(path, fd, capacity));
}

absl::Status ReplayFileReader::Fill(bool compact) {
  if (compact && pos_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + pos_, end_ - pos_);
    end_ -= pos_;
    scan_ -= pos_;
    pos_ = 0;
  }
  // Full, or nearly after compacting (a line longer than 3/4 of the buffer): grow, rather than read a few
  // bytes at a time.
  if (end_ == capacity_ || (compact && capacity_ - end_ < capacity_ / 4)) {
    const size_t capacity = capacity_ * 2;
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return absl::OkStatus();
    }
    if (n == 0) {
      eof_ = true;
      return absl::OkStatus();
    }
    if (errno != EINTR) {
      return absl::DataLossError(absl::StrCat("reading replay file ", path_, ": ", std::strerror(errno)));
    }
  }
}

absl::Status ReplayFileReader::DecideLayout() {
  // Nothing is consumed yet (pos_ == 0): the buffer keeps the whole start of the file.
  size_t first = 0;  // the first non-blank byte
  while (true) {
    while (first < end_ && absl::ascii_isspace(static_cast<unsigned char>(buffer_[first]))) ++first;
    if (first < end_ || eof_) break;
    if (absl::Status s = Fill(/*compact=*/false); !s.ok()) return s;
  }
  if (first == end_) {  // blank or empty: one (blank) document, no bodies
    layout_ = Layout::kDocument;
    return absl::OkStatus();
  }
  size_t newline = first;
  while (true) {
    const void* found = std::memchr(buffer_.get() + newline, '\n', end_ - newline);
    if (found != nullptr) {
      newline = static_cast<size_t>(static_cast<const char*>(found) - buffer_.get());
      break;
    }
    newline = end_;
    if (eof_) break;
    if (absl::Status s = Fill(/*compact=*/false); !s.ok()) return s;
  }
  // A JSONL/stream line is a whole object: "{...}". A pretty-printed document starts with "{" alone or
  // "{"key": [" and does not close on its first line.
  const absl::string_view first_line =
      absl::StripAsciiWhitespace(absl::string_view(buffer_.get() + first, newline - first));
  if (newline == end_ || !(absl::StartsWith(first_line, "{") && absl::EndsWith(first_line, "}"))) {
    layout_ = Layout::kDocument;
    return absl::OkStatus();
  }
  // One object on one line followed by blank text only is still one document (ReadReplayFile's rule).
  size_t next = newline;
  while (true) {
    while (next < end_ && absl::ascii_isspace(static_cast<unsigned char>(buffer_[next]))) ++next;
    if (next < end_ || eof_) break;
    if (absl::Status s = Fill(/*compact=*/false); !s.ok()) return s;
  }
  layout_ = next < end_ ? Layout::kLines : Layout::kDocument;
  return absl::OkStatus();
}

absl::StatusOr<bool> ReplayFileReader::Next(ReplayBody* body) {
  if (layout_ == Layout::kUnknown) {
    if (absl::Status s = DecideLayout(); !s.ok()) return s;
  }
  if (layout_ == Layout::kDone) return false;
  if (layout_ == Layout::kDocument) {
    while (!eof_) {
      if (absl::Status s = Fill(/*compact=*/false); !s.ok()) return s;
    }
    layout_ = Layout::kDone;
    const absl::string_view content(buffer_.get(), end_);
    if (IsBlank(content)) return false;
    body->where = path_;
    body->body = content;
    return true;
  }
  while (true) {
    // The end of the line that starts at pos_: search the bytes not searched yet, read more if needed.
    size_t end_of_line;
    while (true) {
      const void* found = scan_ < end_ ? std::memchr(buffer_.get() + scan_, '\n', end_ - scan_) : nullptr;
      if (found != nullptr) {
        end_of_line = static_cast<size_t>(static_cast<const char*>(found) - buffer_.get());
        break;
      }
      scan_ = end_;
      if (eof_) {
        end_of_line = end_;
        break;
      }
      if (absl::Status s = Fill(/*compact=*/true); !s.ok()) return s;
    }
    if (pos_ >= end_of_line && end_of_line == end_) {  // nothing after the last newline
      layout_ = Layout::kDone;
      return false;
    }
    ++line_number_;
    absl::string_view line(buffer_.get() + pos_, end_of_line - pos_);
    pos_ = scan_ = end_of_line + 1;  // may pass end_ by one at the very end: then nothing is left
    if (pos_ > end_) pos_ = scan_ = end_;
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    if (IsBlank(line)) {
      ++keep_alive_lines_;
      continue;
    }
    body->where.assign(path_);
    absl::StrAppend(&body->where, ":", line_number_);
    body->body = line;
    return true;
  }
}

absl::StatusOr<ReplayFile> ReadReplayFile(const std::string& path) {
  auto reader = ReplayFileReader::Open(path);
  if (!reader.ok()) return reader.status();
  ReplayFileReader& r = **reader;
  // The whole file first (the buffer grows and is never compacted afterwards), so that every body's
  // view stays valid in `content`.
  struct stat info;
  if (::fstat(r.fd_, &info) == 0 && S_ISREG(info.st_mode) && static_cast<size_t>(info.st_size) + 1 > r.capacity_) {
    r.capacity_ = static_cast<size_t>(info.st_size) + 1;
    r.buffer_ = std::make_unique_for_overwrite<char[]>(r.capacity_);
  }
  while (!r.eof_) {
    if (absl::Status s = r.Fill(/*compact=*/false); !s.ok()) return s;
  }
  ReplayFile file;
  ReplayBody body;
  while (true) {
    absl::StatusOr<bool> more = r.Next(&body);
    if (!more.ok()) return more.status();
    if (!*more) break;
    file.bodies.push_back(body);
  }
  file.keep_alive_lines = r.keep_alive_lines();
  file.content_size = r.end_;
  file.content = std::move(r.buffer_);
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
