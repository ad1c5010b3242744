// tweetctl's formatting helpers (tools/tweetctl/format.h): what a user reads in the tables.
#include "tools/tweetctl/format.h"

#include "gtest/gtest.h"

namespace tweetstream::tweetctl {
namespace {

namespace v1 = tweetstream::connector::v1;

TEST(FormatTest, StateCellIsTheControlLibrarysNameAndSaysDegraded) {
  v1::ConnectorStatus s;
  s.set_state(v1::CONNECTOR_STATE_RUNNING);
  EXPECT_EQ(StateCell(s), "RUNNING");
  s.set_degraded(true);
  EXPECT_EQ(StateCell(s), "RUNNING DEGRADED");
  s.set_degraded(false);
  s.set_state(v1::CONNECTOR_STATE_UNSPECIFIED);
  EXPECT_EQ(StateCell(s), "UNSPECIFIED");
  // A state a newer connector knows and this build does not: its number, not a wrong name.
  s.set_state(static_cast<v1::ConnectorState>(42));
  EXPECT_EQ(StateCell(s), "42");
}

TEST(FormatTest, SecondsAsDaysHoursMinutes) {
  EXPECT_EQ(FormatSeconds(-1), "-");
  EXPECT_EQ(FormatSeconds(0), "0s");
  EXPECT_EQ(FormatSeconds(45), "45s");
  EXPECT_EQ(FormatSeconds(125), "2m5s");
  EXPECT_EQ(FormatSeconds(2 * 3600 + 12), "2h0m12s");
  EXPECT_EQ(FormatSeconds(3 * 86400 + 4 * 3600 + 5 * 60 + 6), "3d4h5m");
}

TEST(FormatTest, TimesInRfc3339SecondsAndUnsetAsDash) {
  google::protobuf::Timestamp t;
  EXPECT_FALSE(IsSet(t));
  EXPECT_EQ(FormatTime(t), "-");
  t.set_seconds(1'767'366'245);  // 2026-01-02T15:04:05Z
  t.set_nanos(999'000'000);
  EXPECT_TRUE(IsSet(t));
  EXPECT_EQ(FormatTime(t), "2026-01-02T15:04:05Z");
}

TEST(FormatTest, CountsAndNumbers) {
  EXPECT_EQ(Known(-1), "unknown");
  EXPECT_EQ(Known(0), "0");
  EXPECT_EQ(Known(1234), "1234");
  EXPECT_EQ(FormatDouble(12), "12");
  EXPECT_EQ(FormatDouble(-3), "-3");
  EXPECT_EQ(FormatDouble(0.125), "0.125");
  EXPECT_EQ(FormatDouble(1.0 / 3), "0.333333");
  EXPECT_EQ(FormatDouble(1e20), "1e+20");
}

TEST(FormatTest, SecretsAreNeverShownInCellsOrJson) {
  v1::Config config;
  v1::ConfigSetting* secret = config.add_settings();
  secret->set_name("ES_PASSWORD");
  secret->set_secret(true);
  secret->set_value("s3cret");
  secret->set_default_value("default-s3cret");
  v1::ConfigSetting* unset = config.add_settings();
  unset->set_name("ES_API_KEY");
  unset->set_secret(true);
  v1::ConfigSetting* plain = config.add_settings();
  plain->set_name("batch_max_records");
  plain->set_value("500");
  plain->set_default_value("2000");

  EXPECT_EQ(ValueCell(*secret), "<redacted>");
  EXPECT_EQ(DefaultCell(*secret), "<redacted>");
  EXPECT_EQ(ValueCell(*unset), "(not set)");
  EXPECT_EQ(DefaultCell(*unset), "");
  EXPECT_EQ(ValueCell(*plain), "500");
  EXPECT_EQ(DefaultCell(*plain), "2000");

  RedactSecrets(&config);
  EXPECT_EQ(config.settings(0).value(), "<redacted>");
  EXPECT_EQ(config.settings(0).default_value(), "<redacted>");
  EXPECT_EQ(config.settings(1).value(), "");
  EXPECT_EQ(config.settings(2).value(), "500");
  const std::string json = ToJson(config);
  EXPECT_EQ(json.find("s3cret"), std::string::npos) << json;
  EXPECT_NE(json.find("\"value\":\"500\""), std::string::npos) << json;
}

TEST(FormatTest, SettingNamesCompareWithDashesAndUnderscoresAlike) {
  EXPECT_EQ(NormalizeName("batch-max-records"), "batch_max_records");
  EXPECT_EQ(NormalizeName("batch_max_records"), "batch_max_records");
}

}  // namespace
}  // namespace tweetstream::tweetctl
