#include "tests/common/test_util.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tweetstream::testing {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string FixturesDir() {
  const std::string dir = EnvOr("TWEETSTREAM_FIXTURES", TWEETSTREAM_DEFAULT_FIXTURES);
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "The recorded X API fixtures are not at '" << dir
                  << "'. They live in ../shared/fixtures/x-api-v2 beside the repository and are never "
                     "copied into it; set TWEETSTREAM_FIXTURES to their folder.";
    return "";
  }
  return dir;
}

std::string FixturePath(const std::string& name) { return absl::StrCat(FixturesDir(), "/", name); }

std::vector<std::string> FixtureFiles(const std::string& suffix) {
  std::vector<std::string> names;
  const std::string dir = FixturesDir();
  if (dir.empty()) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, suffix)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string SourceDir() { return TWEETSTREAM_SOURCE_DIR; }
std::string BinaryDir() { return TWEETSTREAM_BINARY_DIR; }

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) close(fd);
  EXPECT_TRUE(ok) << "no free loopback port";
  return ok ? ntohs(addr.sin_port) : 0;
}

}  // namespace tweetstream::testing
