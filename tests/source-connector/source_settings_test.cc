// tweet-source's settings table (source-connector/source_settings.cc), as the binary links it:
//  - every row is a flag, every flag of the binary is a row (nothing defined beside the table);
//  - the flags' defaults give SourceConfig's own defaults (the two declarations cannot drift);
//  - a value reaches SourceConfig from the flag and from its environment twin;
//  - --help is the table: dashed names grouped by mode, the twins, the secret, no source paths;
//  - GetConfig is the table (group, start-up only, twin) and UpdateConfig refuses start-up settings;
//  - a misspelt flag is answered with the one meant.

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
#include "source-connector/source_settings.h"

namespace tweetstream::source {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const control::SettingsTable& Table() { return SourceSettings(); }

TEST(SourceSettingsTest, EveryRowIsAFlagAndEveryFlagOfTheBinaryIsARow) {
  std::set<std::string> rows;
  const std::set<std::string> groups = {"", "replay", "search", "stream", "synthetic"};
  for (const control::Setting& row : Table().settings) {
    EXPECT_TRUE(rows.insert(row.name).second) << row.name << " is declared twice";
    EXPECT_NE(control::SettingsTable::FlagOf(row), nullptr) << row.name << " has no flag";
    EXPECT_EQ(groups.count(row.group), 1u) << row.name << ": unknown group " << row.group;
  }
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::StrContains(flag->Filename(), "absl/")) continue;  // Abseil's own: --flagfile, ...
    EXPECT_EQ(rows.count(std::string(name)), 1u)
        << "--" << name << " (" << flag->Filename() << ") is a flag outside the settings table";
  }
  EXPECT_GT(rows.size(), 50u);
  ASSERT_EQ(Table().secrets.size(), 1u);
  EXPECT_EQ(Table().secrets[0].name, "X_BEARER_TOKEN");
}

TEST(SourceSettingsTest, TheFlagDefaultsAreSourceConfigsDefaults) {
  absl::FlagSaver saver;
  std::string error;
  ASSERT_TRUE(absl::FindCommandLineFlag("replay_file")->ParseFrom("some.json", &error)) << error;  // replay needs a file
  auto got = SourceConfigFromFlags();
  ASSERT_TRUE(got.ok()) << got.status();
  SourceConfig want;
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->mode, want.mode);
  EXPECT_EQ(got->max_results, want.max_results);
  EXPECT_EQ(got->max_pages, want.max_pages);
  EXPECT_EQ(got->initial_lookback, want.initial_lookback);
  EXPECT_EQ(got->poll_interval, want.poll_interval);
  EXPECT_EQ(got->cursor_topic, want.cursor_topic);
  EXPECT_EQ(got->x_api.base_url, want.x_api.base_url);
  EXPECT_EQ(got->x_api.timeout, want.x_api.timeout);
  EXPECT_EQ(got->x_api.fields.tweet_fields, want.x_api.fields.tweet_fields);
  EXPECT_EQ(got->x_api.fields.expansions, want.x_api.fields.expansions);
  EXPECT_EQ(got->stream.idle_timeout, want.stream.idle_timeout);
  EXPECT_EQ(got->stream.backfill_minutes, want.stream.backfill_minutes);
  EXPECT_EQ(got->stream_recovery.delay, want.stream_recovery.delay);
  EXPECT_EQ(got->stream_recovery.max_pages, want.stream_recovery.max_pages);
  EXPECT_EQ(got->stream_queue_bytes, want.stream_queue_bytes);
  EXPECT_EQ(got->sync_rules, want.sync_rules);
  EXPECT_EQ(got->bootstrap_servers, want.bootstrap_servers);
  EXPECT_EQ(got->topic, want.topic);
  EXPECT_EQ(got->partitions, want.partitions);
  EXPECT_EQ(got->replication_factor, want.replication_factor);
  EXPECT_EQ(got->kafka_timeout, want.kafka_timeout);
  EXPECT_EQ(got->producer.compression, want.producer.compression);
  EXPECT_EQ(got->producer.linger_ms, want.producer.linger_ms);
  EXPECT_EQ(got->producer.batch_size_bytes, want.producer.batch_size_bytes);
  EXPECT_EQ(got->producer.queue_max_messages, want.producer.queue_max_messages);
  EXPECT_EQ(got->value_format, want.value_format);
  EXPECT_EQ(got->seed, want.seed);
  EXPECT_EQ(got->count, want.count);
  EXPECT_EQ(got->rate, want.rate);
  EXPECT_EQ(got->loop, want.loop);
}

TEST(SourceSettingsTest, AValueReachesTheConfigFromItsFlagAndFromItsEnvironmentTwin) {
  absl::FlagSaver saver;
  std::string error;
  ASSERT_TRUE(absl::FindCommandLineFlag("replay_file")->ParseFrom("a.json,b", &error)) << error;
  ASSERT_TRUE(absl::FindCommandLineFlag("stream_recovery_delay")->ParseFrom("90s", &error)) << error;
  ::setenv("TWEET_SOURCE_MAX_PAGES", "7", 1);
  ::setenv("TWEET_SOURCE_PRODUCER_PROPERTY", "socket.timeout.ms=5000", 1);
  absl::Status applied = common::ApplyEnvironmentToFlags(Table().env_prefix);
  ::unsetenv("TWEET_SOURCE_MAX_PAGES");
  ::unsetenv("TWEET_SOURCE_PRODUCER_PROPERTY");
  ASSERT_TRUE(applied.ok()) << applied;
  auto got = SourceConfigFromFlags();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->replay_files, (std::vector<std::string>{"a.json", "b"}));
  EXPECT_EQ(got->stream_recovery.delay, absl::Seconds(90));
  EXPECT_EQ(got->max_pages, 7);
  EXPECT_EQ(got->producer.extra.at("socket.timeout.ms"), "5000");

  // A row's own check names the setting.
  ASSERT_TRUE(absl::FindCommandLineFlag("producer_property")->ParseFrom("acks=1", &error)) << error;
  got = SourceConfigFromFlags();
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("producer-property: acks cannot be changed"));
  ASSERT_TRUE(absl::FindCommandLineFlag("producer_property")->ParseFrom("", &error)) << error;
  ASSERT_TRUE(absl::FindCommandLineFlag("stream_queue_bytes")->ParseFrom("0", &error)) << error;
  got = SourceConfigFromFlags();
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("stream-queue-bytes: must be positive"));
}

TEST(SourceSettingsTest, HelpIsTheTableGroupedByModeWithTwinsAndNoSourcePaths) {
  const std::string help = control::FlagHelp("tweet-source MODE", Table());
  EXPECT_THAT(help, HasSubstr("Usage: tweet-source MODE\n"));
  EXPECT_THAT(help, Not(HasSubstr("Flags from")));
  EXPECT_THAT(help, Not(HasSubstr("main.cc")));
  EXPECT_THAT(help, Not(HasSubstr("source_settings.cc")));
  EXPECT_THAT(help, Not(HasSubstr("_interval")));  // every name is dashed
  for (const control::Setting& row : Table().settings) {
    std::string dashed = row.name;
    for (char& ch : dashed) ch = ch == '_' ? '-' : ch;
    const size_t at = help.find("  --" + dashed);
    ASSERT_NE(at, std::string::npos) << "--help does not list --" << dashed;
    // Listed under its group's heading: the nearest heading before it.
    const std::string heading = row.group.empty() ? "\nGeneral:\n" : "\n--mode=" + row.group + ":\n";
    const size_t heading_at = help.rfind(heading, at);
    ASSERT_NE(heading_at, std::string::npos) << "--" << dashed << " is not under " << heading;
    EXPECT_EQ(help.find("\n--mode=", heading_at + 1) > at || help.find("\n--mode=", heading_at + 1) == std::string::npos,
              true)
        << "--" << dashed << " is listed under another group than " << row.group;
    EXPECT_THAT(help, HasSubstr(common::EnvNameForFlag("TWEET_SOURCE", row.name)));
  }
  EXPECT_THAT(help, HasSubstr("X_BEARER_TOKEN / X_BEARER_TOKEN_FILE"));
  EXPECT_THAT(help, HasSubstr("--poll-interval=DURATION   (default 0; env TWEET_SOURCE_POLL_INTERVAL)"));
}

TEST(SourceSettingsTest, GetConfigIsTheTableAndStartupSettingsCannotBeChanged) {
  absl::FlagSaver saver;
  control::FlagConfig config({.settings = &Table(), .secrets = nullptr, .check = [] {
                                return SourceConfigFromFlags().status();
                              }});
  const auto got = config.Get();
  ASSERT_EQ(got.settings_size(), static_cast<int>(Table().settings.size() + Table().secrets.size()));
  int startup = 0;
  for (const auto& s : got.settings()) {
    if (s.secret()) {
      EXPECT_EQ(s.name(), "X_BEARER_TOKEN");
      continue;
    }
    const control::Setting* row = Table().Find(s.name());
    ASSERT_NE(row, nullptr) << s.name();
    EXPECT_EQ(s.group(), row->group);
    EXPECT_EQ(s.startup_only(), row->change == control::Change::kStartup);
    EXPECT_EQ(s.env(), common::EnvNameForFlag("TWEET_SOURCE", s.name()));
    if (s.startup_only()) {
      ++startup;
      auto errors = config.Validate({{s.name(), s.default_value()}});
      ASSERT_EQ(errors.size(), 1u) << s.name();
      EXPECT_THAT(errors[0].message(), HasSubstr("only at process start"));
    }
  }
  EXPECT_EQ(startup, 7) << "log level, control address/token/TLS cert/TLS key, metrics address, keep-control-plane";
  auto errors = config.Validate({{"max-pages", "3"}, {"replay-file", "x.json"}});
  EXPECT_TRUE(errors.empty()) << errors[0].message();
}

TEST(SourceSettingsTest, AMisspeltFlagIsAnsweredWithTheOneMeant) {
  std::vector<std::string> args = {"tweet-source", "--poll_intervall=5s", "--topic", "t",
                                   "--nosync_rules", "--es_url=x"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  const std::vector<std::string> errors = control::UnknownFlagErrors(Table(), argv);
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "unknown flag --poll-intervall; did you mean --poll-interval?");
  EXPECT_THAT(errors[1], HasSubstr("unknown flag --es-url"));  // the sink's, not the source's
}

}  // namespace
}  // namespace tweetstream::source
