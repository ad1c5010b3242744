// tweet-sink's settings table (sink-connector/sink_settings.cc), as the binary links it:
//  - every row is a flag, every flag of the binary is a row (nothing defined beside the table);
//  - the flags' defaults give SinkConfig's own defaults (the two declarations cannot drift);
//  - a value reaches SinkConfig from the flag and from its environment twin; secrets from the
//    environment only, reported as set, never by value;
//  - --help is the table (twins, secrets, no source paths); GetConfig carries the table's metadata.

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "common/control/flag_config.h"
#include "common/control/flag_help.h"
#include "common/env_flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sink-connector/sink_settings.h"

namespace tweetstream::sink {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const control::SettingsTable& Table() { return SinkSettings(); }

TEST(SinkSettingsTest, EveryRowIsAFlagAndEveryFlagOfTheBinaryIsARow) {
  std::set<std::string> rows;
  for (const control::Setting& row : Table().settings) {
    EXPECT_TRUE(rows.insert(row.name).second) << row.name << " is declared twice";
    EXPECT_NE(control::SettingsTable::FlagOf(row), nullptr) << row.name << " has no flag";
    EXPECT_EQ(row.group, "") << row.name << ": the sink has no modes";
  }
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "absl/")) continue;
    EXPECT_EQ(rows.count(std::string(name)), 1u)
        << "--" << name << " (" << flag->Filename() << ") is a flag outside the settings table";
  }
  EXPECT_GT(rows.size(), 30u);
  std::vector<std::string> secrets;
  for (const control::Secret& s : Table().secrets) secrets.push_back(s.name);
  EXPECT_EQ(secrets, (std::vector<std::string>{"ES_USERNAME", "ES_PASSWORD", "ES_API_KEY"}));
}

TEST(SinkSettingsTest, TheFlagDefaultsAreSinkConfigsDefaults) {
  absl::FlagSaver saver;
  auto got = SinkConfigFromFlags();
  ASSERT_TRUE(got.ok()) << got.status();
  SinkConfig want;
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->bootstrap_servers, want.bootstrap_servers);
  EXPECT_EQ(got->topic, want.topic);
  EXPECT_EQ(got->group_id, want.group_id);
  EXPECT_EQ(got->start_from, want.start_from);
  EXPECT_EQ(got->dlq_topic, want.dlq_topic);
  EXPECT_EQ(got->es.urls, want.es.urls);
  EXPECT_EQ(got->es.timeout, want.es.timeout);
  EXPECT_EQ(got->es.gzip, want.es.gzip);
  EXPECT_EQ(got->index, want.index);
  EXPECT_EQ(got->template_name, want.template_name);
  EXPECT_EQ(got->batch_max_records, want.batch_max_records);
  EXPECT_EQ(got->batch_max_bytes, want.batch_max_bytes);
  EXPECT_EQ(got->linger, want.linger);
  EXPECT_EQ(got->send_when_idle, want.send_when_idle);
  EXPECT_EQ(got->max_in_flight, want.max_in_flight);
  EXPECT_EQ(got->max_pending_records, want.max_pending_records);
  EXPECT_EQ(got->max_pending_bytes, want.max_pending_bytes);
  EXPECT_EQ(got->max_item_retries, want.max_item_retries);
  EXPECT_EQ(got->dead_letter_unknown_errors, want.dead_letter_unknown_errors);
  EXPECT_EQ(got->retry_backoff_initial, want.retry_backoff_initial);
  EXPECT_EQ(got->retry_backoff_max, want.retry_backoff_max);
  EXPECT_EQ(got->es_wait_timeout, want.es_wait_timeout);
  EXPECT_EQ(got->kafka_timeout, want.kafka_timeout);
  EXPECT_EQ(got->revoke_timeout, want.revoke_timeout);
  EXPECT_EQ(got->shutdown_timeout, want.shutdown_timeout);
  EXPECT_EQ(got->exit_when_idle, want.exit_when_idle);
}

TEST(SinkSettingsTest, AValueReachesTheConfigFromItsFlagItsTwinAndSecretsFromTheEnvironmentOnly) {
  absl::FlagSaver saver;
  std::string error;
  ASSERT_TRUE(absl::FindCommandLineFlag("es_url")->ParseFrom("http://a:9200,http://b:9200", &error)) << error;
  ::setenv("TWEET_SINK_LINGER", "250ms", 1);
  ::setenv("TWEET_SINK_CONSUMER_PROPERTY", "session.timeout.ms=10000", 1);
  ::setenv("ES_API_KEY", "s3cr3t-key", 1);
  absl::Status applied = common::ApplyEnvironmentToFlags(Table().env_prefix);
  ::unsetenv("TWEET_SINK_LINGER");
  ::unsetenv("TWEET_SINK_CONSUMER_PROPERTY");
  ASSERT_TRUE(applied.ok()) << applied;
  auto got = SinkConfigFromFlags();
  control::FlagConfig config({.settings = &Table(), .secrets = nullptr, .check = nullptr});
  const auto listed = config.Get();
  ::unsetenv("ES_API_KEY");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->es.urls, (std::vector<std::string>{"http://a:9200", "http://b:9200"}));
  EXPECT_EQ(got->linger, std::chrono::milliseconds(250));
  EXPECT_EQ(got->consumer_properties.at("session.timeout.ms"), "10000");
  EXPECT_EQ(got->es.api_key, "s3cr3t-key");
  bool api_key_listed = false;
  for (const auto& s : listed.settings()) {
    EXPECT_THAT(s.value(), Not(HasSubstr("s3cr3t")));
    if (s.name() == "ES_API_KEY") {
      api_key_listed = true;
      EXPECT_EQ(s.value(), "<redacted>");
      EXPECT_TRUE(s.secret());
    } else if (!s.secret()) {
      EXPECT_EQ(s.env(), common::EnvNameForFlag("TWEET_SINK", s.name()));
      EXPECT_EQ(s.startup_only(), Table().Find(s.name())->change == control::Change::kStartup);
    }
  }
  EXPECT_TRUE(api_key_listed);

  ASSERT_TRUE(absl::FindCommandLineFlag("consumer_property")->ParseFrom("enable.auto.commit=true", &error)) << error;
  got = SinkConfigFromFlags();
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("consumer-property: enable.auto.commit cannot be set"));
}

TEST(SinkSettingsTest, HelpIsTheTableWithTwinsAndSecretsAndNoSourcePaths) {
  const std::string help = control::FlagHelp("tweet-sink", Table());
  EXPECT_THAT(help, Not(HasSubstr("Flags from")));
  EXPECT_THAT(help, Not(HasSubstr("main.cc")));
  EXPECT_THAT(help, Not(HasSubstr("sink_settings")));
  for (const control::Setting& row : Table().settings) {
    std::string dashed = row.name;
    for (char& ch : dashed) ch = ch == '_' ? '-' : ch;
    EXPECT_THAT(help, HasSubstr("  --" + dashed));
    EXPECT_THAT(help, HasSubstr(common::EnvNameForFlag("TWEET_SINK", row.name)));
  }
  for (const char* secret : {"ES_USERNAME / ES_USERNAME_FILE", "ES_PASSWORD / ES_PASSWORD_FILE", "ES_API_KEY / ES_API_KEY_FILE"}) {
    EXPECT_THAT(help, HasSubstr(secret));
  }
  EXPECT_THAT(help, HasSubstr("--batch-max-records=N   (default 2000; env TWEET_SINK_BATCH_MAX_RECORDS)"));
}

}  // namespace
}  // namespace tweetstream::sink
