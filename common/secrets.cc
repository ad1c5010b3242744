#include "common/secrets.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tweetstream::common {

namespace {

// A secret goes into HTTP headers (Authorization: Bearer ...): a line break or another control
// character inside it would split or corrupt the header. The message names `where`, never the value.
absl::Status CheckPrintable(const std::string& secret, const std::string& where) {
  for (unsigned char c : secret) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " holds a line break or another control character inside the secret (one line expected)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadSecret(const std::string& env_name) {
  if (const char* value = std::getenv(env_name.c_str()); value != nullptr && *value != '\0') {
    std::string secret(absl::StripTrailingAsciiWhitespace(value));
    if (absl::Status s = CheckPrintable(secret, env_name); !s.ok()) return s;
    return secret;
  }
  const std::string file_var = env_name + "_FILE";
  const char* path = std::getenv(file_var.c_str());
  if (path == nullptr || *path == '\0') {
    return absl::NotFoundError(absl::StrCat("neither ", env_name, " nor ", file_var, " is set"));
  }
  std::error_code error;
  std::ifstream in(path, std::ios::binary);
  // A directory (a mounted secret volume instead of the file in it) opens but does not read.
  if (!in || std::filesystem::is_directory(path, error)) {
    return absl::NotFoundError(absl::StrCat("cannot read the file named by ", file_var, ": ", path));
  }
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte order mark (Notepad)
  std::string secret(absl::StripAsciiWhitespace(text));
  if (secret.empty()) return absl::NotFoundError(absl::StrCat("the file named by ", file_var, " is empty"));
  if (absl::Status s = CheckPrintable(secret, file_var); !s.ok()) return s;
  return secret;
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << content;
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return absl::UnavailableError(absl::StrCat("cannot rename to ", path));
  return absl::OkStatus();
}

}  // namespace tweetstream::common
