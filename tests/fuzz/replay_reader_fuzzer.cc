// The replay reader (source-connector/replay_reader.h): any file's bytes. The streaming reader that
// --mode=replay uses (ReplayFileReader) must give the same bodies (bytes and `where`, in order) and the
// same keep-alive count as the whole-file reader (ReadReplayFile), and each body must be a slice of the
// file that holds no line break in a stream capture.
//
// The input is written to one file per process under $TMPDIR (or /tmp) and read back both ways.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "source-connector/replay_reader.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tweetstream::fuzz::Check;

const std::string& ScratchPath() {
  static const std::string* path = [] {
    const char* dir = std::getenv("TMPDIR");
    return new std::string(absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/replay_reader_fuzzer.",
                                        ::getpid(), ".jsonl"));
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace source = tweetstream::source;
  const std::string& path = ScratchPath();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    Check(f != nullptr, "cannot write the scratch file " + path);
    Check(size == 0 || std::fwrite(data, 1, size, f) == size, "short write");
    std::fclose(f);
  }
  absl::StatusOr<source::ReplayFile> whole = source::ReadReplayFile(path);
  Check(whole.ok(), absl::StrCat("ReadReplayFile: ", whole.status().ToString()));
  auto reader = source::ReplayFileReader::Open(path);
  Check(reader.ok(), absl::StrCat("ReplayFileReader::Open: ", reader.status().ToString()));
  const absl::string_view file = tweetstream::fuzz::AsView(data, size);
  source::ReplayBody body;
  size_t i = 0;
  while (true) {
    absl::StatusOr<bool> more = (*reader)->Next(&body);
    Check(more.ok(), absl::StrCat("Next: ", more.status().ToString()));
    if (!*more) break;
    Check(i < whole->bodies.size(), absl::StrCat("the streaming reader gave more than ", whole->bodies.size(), " bodies"));
    const source::ReplayBody& want = whole->bodies[i];
    Check(body.where == want.where, absl::StrCat("body ", i, " where: '", body.where, "' vs '", want.where, "'"));
    Check(body.body == want.body, absl::StrCat("body ", i, " (", want.where, ") bytes differ: ", body.body.size(),
                                               " vs ", want.body.size(), " bytes"));
    Check(file.find(body.body) != absl::string_view::npos, "a body that is not a slice of the file");
    if (whole->bodies.size() > 1) {
      Check(body.body.find('\n') == absl::string_view::npos, "a line of a stream capture holds a line break");
    }
    ++i;
  }
  Check(i == whole->bodies.size(), absl::StrCat("the streaming reader gave ", i, " bodies of ", whole->bodies.size()));
  Check((*reader)->keep_alive_lines() == whole->keep_alive_lines,
        absl::StrCat("keep-alive lines: ", (*reader)->keep_alive_lines(), " vs ", whole->keep_alive_lines));
  return 0;
}
