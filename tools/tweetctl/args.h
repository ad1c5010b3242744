#pragma once
// Command-line parsing for tweetctl that never exits the process: flags go into the registered Abseil
// flags (so every flag keeps its TWEETCTL_* environment twin), and each argument problem comes back
// as INVALID_ARGUMENT, which tweetctl turns into exit code 2. (absl::ParseCommandLine would print
// and std::exit(1) on an unknown flag, which scripts would read as "the connector said no".)

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tweetstream/connector/v1/sink.pb.h"

namespace tweetstream::tweetctl {

// Splits `args` (argv without argv[0], flag names already normalized to underscores by
// common::NormalizeFlagNames) into flags and positional arguments. Flags may appear anywhere
// (`tweetctl status --json`); everything after a bare `--` is positional (for rule values that start
// with '-'). Accepted spellings: --name=value, --name value, -name ...; bool flags also --name and
// --noname. Sets the registered Abseil flag of that name (Abseil's own flags such as --flagfile are
// not accepted). `*help` becomes true for --help/-h/--helpfull. INVALID_ARGUMENT naming the
// argument when a flag is unknown, has no value, or the value does not parse.
absl::StatusOr<std::vector<std::string>> ParseFlags(const std::vector<std::string>& args, bool* help);

// The parsed `offsets reset --to` value.
struct OffsetsTarget {
  tweetstream::connector::v1::ResetOffsetsRequest::Target kind =
      tweetstream::connector::v1::ResetOffsetsRequest::TARGET_UNSPECIFIED;
  absl::Time timestamp;                 // kind == TARGET_TIMESTAMP
  std::map<int32_t, int64_t> offsets;   // kind == TARGET_OFFSETS
};

// "earliest", "latest", an RFC 3339 time ("2026-01-02T15:04:05Z", offsets allowed), or
// "P:OFFSET,P:OFFSET..." (partition and offset non-negative, no partition twice).
// INVALID_ARGUMENT saying what is accepted otherwise.
absl::StatusOr<OffsetsTarget> ParseOffsetsTarget(const std::string& text);

// Fills the request from a parsed target.
void ToRequest(const OffsetsTarget& target, tweetstream::connector::v1::ResetOffsetsRequest* request);

// `k=v` arguments of `config validate|set`; INVALID_ARGUMENT naming the item without `=` or with an
// empty key, and when there is none at all.
absl::StatusOr<std::map<std::string, std::string>> ParseSettings(const std::vector<std::string>& items);

// True for a string of decimal digits (an X rule id or tweet id).
bool IsNumericId(const std::string& text);

// Reads a small file (a token, a CA bundle) whole; NOT_FOUND naming the path (never the content).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path);

// The token as sent: surrounding whitespace (a trailing newline of a file) removed.
// INVALID_ARGUMENT (the message never contains the token) when it is empty or holds characters
// that gRPC metadata cannot carry.
absl::StatusOr<std::string> CleanToken(const std::string& raw, const std::string& origin);

}  // namespace tweetstream::tweetctl
