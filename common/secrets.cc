#include "common/secrets.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tweetstream::common {

absl::StatusOr<std::string> ReadSecret(const std::string& env_name) {
  if (const char* value = std::getenv(env_name.c_str()); value != nullptr && *value != '\0') {
    return std::string(absl::StripTrailingAsciiWhitespace(value));
  }
  const std::string file_var = env_name + "_FILE";
  const char* path = std::getenv(file_var.c_str());
  if (path == nullptr || *path == '\0') {
    return absl::NotFoundError(absl::StrCat("neither ", env_name, " nor ", file_var, " is set"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the file named by ", file_var, ": ", path));
  std::ostringstream content;
  content << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(content.str()));
  if (secret.empty()) return absl::NotFoundError(absl::StrCat("the file named by ", file_var, " is empty"));
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
