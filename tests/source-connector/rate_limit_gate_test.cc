// The rate-limit gate on the injectable clock: x-rate-limit-reset is an epoch second on X's clock, so
// when the local clock is off the wait is computed against the response's `Date` header (X's clock at
// the answer), not against the local time. Plus the `Date` parser on the recorded headers, and the
// real client reading `Date` from the fake X API.

#include "source-connector/rate_limit_gate.h"

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "source-connector/x_api_client.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

using source::RateLimit;
using source::RateLimitGate;

constexpr int64_t kXNow = 1700000000;  // X's clock at the answer, in every test below

std::string HttpDate(int64_t epoch_seconds) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S UTC", absl::FromUnixSeconds(epoch_seconds), absl::UTCTimeZone());
}

RateLimit Headers(int64_t remaining, int64_t reset, std::optional<int64_t> date) {
  RateLimit limit;
  limit.limit = 450;
  limit.remaining = remaining;
  limit.reset_epoch_seconds = reset;
  if (date) limit.server_date = absl::FromUnixSeconds(*date);
  return limit;
}

TEST(RateLimitGateTest, A429WaitsTheResetOnXsClockWhenTheLocalClockIsAhead) {
  // The local clock runs 5 minutes ahead of X's. The window resets 10 minutes after X's "now": the
  // right wait is 10 minutes (+1 s margin), not the 5 the local clock would make of it.
  common::FakeClock clock(absl::FromUnixSeconds(kXNow + 300));
  RateLimitGate gate(&clock);
  gate.Update(Headers(0, kXNow + 600, kXNow), 429);
  EXPECT_EQ(gate.NextAllowed(), clock.Now() + absl::Seconds(601));
  ASSERT_TRUE(gate.Wait(nullptr));
  EXPECT_THAT(clock.Sleeps(), ::testing::ElementsAre(absl::Seconds(601)));
}

TEST(RateLimitGateTest, A429WhoseResetLooksPastOnAFastLocalClockStillWaitsForIt) {
  // Local clock 5 minutes ahead, reset 2 minutes ahead on X's clock: locally the reset "has passed",
  // and the gate used to fall back to a blind 60 s backoff, sending the next request a minute early.
  common::FakeClock clock(absl::FromUnixSeconds(kXNow + 300));
  RateLimitGate gate(&clock);
  gate.Update(Headers(0, kXNow + 120, kXNow), 429);
  EXPECT_EQ(gate.NextAllowed(), clock.Now() + absl::Seconds(121));
}

TEST(RateLimitGateTest, AUsedUpWindowWaitsTheResetOnXsClockWhenTheLocalClockIsBehind) {
  // The local clock is 10 minutes behind X's; the window resets 30 s from X's now. Waiting until the
  // reset read on the local clock would idle 10 minutes for nothing.
  common::FakeClock clock(absl::FromUnixSeconds(kXNow - 600));
  RateLimitGate gate(&clock);
  gate.Update(Headers(0, kXNow + 30, kXNow), 200);
  EXPECT_EQ(gate.NextAllowed(), clock.Now() + absl::Seconds(31));
}

TEST(RateLimitGateTest, WithoutADateHeaderTheResetIsReadOnTheLocalClock) {
  common::FakeClock clock(absl::FromUnixSeconds(kXNow));
  RateLimitGate gate(&clock);
  gate.Update(Headers(0, kXNow + 600, std::nullopt), 429);
  EXPECT_EQ(gate.NextAllowed(), absl::FromUnixSeconds(kXNow + 601));
  gate.Update(Headers(449, kXNow + 900, std::nullopt), 200);
  EXPECT_EQ(gate.NextAllowed(), absl::InfinitePast());  // the window allows requests again
}

TEST(RateLimitGateTest, TheSkewLearnedFromOneAnswerAppliesToALaterAnswerWithoutDate) {
  common::FakeClock clock(absl::FromUnixSeconds(kXNow + 300));  // 5 min ahead
  RateLimitGate gate(&clock);
  gate.Update(Headers(10, kXNow + 900, kXNow), 200);
  EXPECT_EQ(gate.skew(), absl::Seconds(300));
  clock.Advance(absl::Seconds(10));
  gate.Update(Headers(0, kXNow + 60, std::nullopt), 200);  // X's now is kXNow + 10
  EXPECT_EQ(gate.NextAllowed(), clock.Now() + absl::Seconds(51));
}

TEST(RateLimitGateTest, ASmallSkewChangesNothing) {
  // Clocks within a second of each other: the second of margin already covers it.
  common::FakeClock clock(absl::FromUnixSeconds(kXNow));
  RateLimitGate gate(&clock);
  gate.Update(Headers(0, kXNow + 60, kXNow), 429);
  EXPECT_EQ(gate.NextAllowed(), absl::FromUnixSeconds(kXNow + 61));
}

TEST(HttpDateTest, ParsesEveryRecordedDateHeader) {
  // headers.json: the recorded response headers; X writes "UTC" where RFC 9110 says "GMT".
  auto text = ReadFile(FixturePath("headers.json"));
  ASSERT_TRUE(text.ok()) << text.status();
  rapidjson::Document doc;
  doc.Parse(text->data(), text->size());
  ASSERT_FALSE(doc.HasParseError());
  int dates = 0;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    if (!it->value.IsObject() || !it->value.HasMember("headers")) continue;
    for (const auto& header : it->value["headers"].GetArray()) {
      std::string name = header[0].GetString();
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != "date") continue;
      ++dates;
      EXPECT_TRUE(source::ParseHttpDate(header[1].GetString()).has_value()) << header[1].GetString();
    }
  }
  EXPECT_GE(dates, 5);
  EXPECT_EQ(source::ParseHttpDate("Fri, 07 Oct 2022 22:43:19 UTC"), absl::FromUnixSeconds(1665182599));
  EXPECT_EQ(source::ParseHttpDate("Fri, 07 Oct 2022 22:43:19 GMT"), absl::FromUnixSeconds(1665182599));
  EXPECT_EQ(source::ParseHttpDate("Friday, 07-Oct-22 22:43:19 GMT"), absl::FromUnixSeconds(1665182599));
  EXPECT_EQ(source::ParseHttpDate("Fri Oct  7 22:43:19 2022"), absl::FromUnixSeconds(1665182599));
  EXPECT_EQ(source::ParseHttpDate(""), std::nullopt);
  EXPECT_EQ(source::ParseHttpDate("yesterday"), std::nullopt);
  EXPECT_EQ(source::ParseHttpDate("Fri, 07 Oct 2022 22:43:19"), std::nullopt);  // no zone
}

TEST(HttpDateTest, TheClientReadsTheDateHeaderOfAnAnswer) {
  auto server = FakeXApiServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto headers = RateLimitHeaders(450, 0, kXNow + 600);
  headers.emplace_back("date", HttpDate(kXNow));
  (*server)->RouteSequence("GET", "/2/tweets/search/recent",
                           {ScriptedResponse{.status = 429, .headers = headers, .body = R"({"title":"Too Many Requests"})"}});
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  source::XApiOptions options;
  options.base_url = (*server)->base_url();
  options.bearer_token = "t";
  source::XApiClient client(http->get(), options);
  source::SearchRequest request;
  request.query = "cats";
  auto response = client.SearchRecent(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->http_status, 429);
  EXPECT_EQ(response->rate_limit.reset_epoch_seconds, kXNow + 600);
  EXPECT_EQ(response->rate_limit.server_date, absl::FromUnixSeconds(kXNow));
}

}  // namespace
}  // namespace tweetstream::testing
