// The one reading of X API error statuses (XHttpError), shared by search, the stream and its rules:
// the code decides what the source does (stop, wait, retry), the hint what the user does.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "source-connector/x_api_client.h"

namespace tweetstream::source {
namespace {

using ::testing::HasSubstr;

TEST(XHttpErrorTest, EachStatusHasItsCodeAndTheHintAUserActsOn) {
  struct Case {
    int status;
    bool capped;
    absl::StatusCode code;
    const char* hint;
  } cases[] = {
      {401, false, absl::StatusCode::kUnauthenticated, "X_BEARER_TOKEN) was rejected"},
      {403, false, absl::StatusCode::kPermissionDenied, "the rules endpoint is not in it"},
      {429, false, absl::StatusCode::kResourceExhausted, "rate limited until the window resets"},
      {429, true, absl::StatusCode::kResourceExhausted, "usage cap is reached"},
      {400, false, absl::StatusCode::kInvalidArgument, "the request is wrong"},
      {404, false, absl::StatusCode::kInvalidArgument, "check the base URL"},
      {500, false, absl::StatusCode::kUnavailable, "answered HTTP"},
      {503, false, absl::StatusCode::kUnavailable, "answered HTTP"},
      {409, false, absl::StatusCode::kInvalidArgument, "answered HTTP"},
  };
  for (const Case& c : cases) {
    const absl::Status s = XHttpError(c.status, "X API GET /x answered HTTP n: why", c.capped, "the rules endpoint is not in it");
    EXPECT_EQ(s.code(), c.code) << c.status;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.hint)) << c.status;
    EXPECT_THAT(std::string(s.message()), HasSubstr("answered HTTP n: why")) << c.status;
  }
}

}  // namespace
}  // namespace tweetstream::source
