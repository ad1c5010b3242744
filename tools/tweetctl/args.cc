#include "tools/tweetctl/args.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tweetstream::tweetctl {

namespace v1 = tweetstream::connector::v1;

namespace {

// Abseil's built-in flags (--flagfile, --fromenv, --undefok, the usage flags) are not tweetctl's.
bool IsOurs(const absl::CommandLineFlag& flag) {
  return !absl::StrContains(flag.Filename(), "absl/flags") && !flag.IsRetired();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseFlags(const std::vector<std::string>& args, bool* help) {
  std::vector<std::string> positional;
  *help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    absl::string_view body = arg;
    body.remove_prefix(arg[1] == '-' ? 2 : 1);
    std::string name(body.substr(0, body.find('=')));
    const bool has_value = body.find('=') != absl::string_view::npos;
    std::string value = has_value ? std::string(body.substr(body.find('=') + 1)) : std::string();
    if (name == "help" || name == "h" || name == "helpfull") {
      *help = true;
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if ((flag == nullptr || !IsOurs(*flag)) && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* positive = absl::FindCommandLineFlag(name.substr(2));
      if (positive != nullptr && IsOurs(*positive) && positive->IsOfType<bool>() && !has_value) {
        flag = positive;
        negated = true;
      }
    }
    if (flag == nullptr || !IsOurs(*flag)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
    if (negated) {
      value = "false";
    } else if (!has_value) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag '", arg, "' needs a value"));
      }
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", flag->Name(), ": ", error));
    }
  }
  return positional;
}

absl::StatusOr<OffsetsTarget> ParseOffsetsTarget(const std::string& text) {
  OffsetsTarget target;
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "earliest") {
    target.kind = v1::ResetOffsetsRequest::TARGET_EARLIEST;
    return target;
  }
  if (lower == "latest") {
    target.kind = v1::ResetOffsetsRequest::TARGET_LATEST;
    return target;
  }
  const std::string accepted =
      "expected earliest, latest, an RFC 3339 time (2026-01-02T15:04:05Z) or PARTITION:OFFSET[,PARTITION:OFFSET...]";
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("--to is empty: ", accepted));
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &target.timestamp, &error)) {
    target.kind = v1::ResetOffsetsRequest::TARGET_TIMESTAMP;
    return target;
  }
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, absl::MaxSplits(':', 1));
    int32_t partition = 0;
    int64_t offset = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &partition) || !absl::SimpleAtoi(parts[1], &offset) ||
        partition < 0 || offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--to '", text, "': ", accepted));
    }
    if (!target.offsets.emplace(partition, offset).second) {
      return absl::InvalidArgumentError(absl::StrCat("--to '", text, "': partition ", partition, " given twice"));
    }
  }
  target.kind = v1::ResetOffsetsRequest::TARGET_OFFSETS;
  return target;
}

void ToRequest(const OffsetsTarget& target, v1::ResetOffsetsRequest* request) {
  request->set_target(target.kind);
  if (target.kind == v1::ResetOffsetsRequest::TARGET_TIMESTAMP) {
    const int64_t seconds = absl::ToUnixSeconds(target.timestamp);  // rounds toward the past
    request->mutable_timestamp()->set_seconds(seconds);
    request->mutable_timestamp()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(target.timestamp - absl::FromUnixSeconds(seconds))));
  }
  for (const auto& [partition, offset] : target.offsets) (*request->mutable_offsets())[partition] = offset;
}

absl::StatusOr<std::map<std::string, std::string>> ParseSettings(const std::vector<std::string>& items) {
  if (items.empty()) return absl::InvalidArgumentError("no settings given: expected NAME=VALUE ...");
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat("'", item, "' is not NAME=VALUE"));
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

bool IsNumericId(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  // std::ifstream opens a directory on Linux and its read fails without marking the stream bad.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": a directory, not a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return content.str();
}

absl::StatusOr<std::string> CleanToken(const std::string& raw, const std::string& origin) {
  std::string token(absl::StripAsciiWhitespace(raw));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat("the token from ", origin, " is empty"));
  for (char c : token) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("the token from ", origin, " holds a character gRPC metadata cannot carry"));
    }
  }
  return token;
}

}  // namespace tweetstream::tweetctl
