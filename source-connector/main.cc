// tweet-source: reads tweets from the X API v2 (or recorded responses) and produces them to Kafka.
// Thin main: the settings table (source_settings.cc: flags, each with a TWEET_SOURCE_* environment
// twin) -> SourceConfig -> SourceApp, under the control plane.
// Exit codes: 0 everything read was delivered; 1 a runtime failure; 2 invalid configuration.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "common/kafka_admin.h"
#include "common/logging.h"
#include "common/control/connector_process.h"
#include "source-connector/source_app.h"
#include "source-connector/source_control.h"
#include "source-connector/source_settings.h"

int main(int argc, char** argv) {
  namespace control = tweetstream::control;
  absl::SetProgramUsageMessage(
      "tweet-source [--topic=twitter-stream] [--bootstrap-servers=HOST:PORT,...] MODE, where MODE is one of\n"
      "  --mode=replay --replay-file=PATH,...   recorded X API v2 responses (no token)\n"
      "  --mode=search --query=Q                recent search, polled (X_BEARER_TOKEN in the environment)\n"
      "  --mode=stream --rule=R                 the filtered stream with its rules (X_BEARER_TOKEN)\n"
      "  --mode=synthetic [--count=N]           generated tweets (no token)\n"
      "Every flag can also be set as TWEET_SOURCE_<FLAG> in the environment, e.g. TWEET_SOURCE_TOPIC.");
  using tweetstream::source::SourceConfigFromFlags;
  if (int code = control::ParseFlagsAndEnvironment(tweetstream::source::SourceSettings(), argc, argv); code != 0) {
    return code;
  }

  auto config = SourceConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "tweet-source: invalid configuration: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  tweetstream::common::MetricsRegistry metrics;
  control::ConnectorHost host({config->name, "source", TWEETSTREAM_VERSION, nullptr},
                              [&metrics]() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
                                auto c = SourceConfigFromFlags();
                                if (!c.ok()) return c.status();
                                c->metrics = &metrics;
                                auto app = tweetstream::source::SourceApp::Create(*c);
                                if (!app.ok()) return app.status();
                                TS_LOG(INFO) << "tweet-source " << TWEETSTREAM_VERSION << " running: mode=" << c->mode
                                             << " topic=" << c->topic << " brokers=" << c->bootstrap_servers;
                                return std::make_unique<tweetstream::source::SourceDataPlane>(std::move(*app));
                              });
  tweetstream::source::RegisterSourceMetrics(&host, &metrics);
  control::FlagConfig flag_config({
      .settings = &tweetstream::source::SourceSettings(),
      .secrets = nullptr,  // the table's
      .check = [] { return SourceConfigFromFlags().status(); },
  });

  control::ConnectorProcessOptions options = tweetstream::source::SourceProcessOptions();
  tweetstream::common::RdKafkaAdmin kafka_admin("tweet-source-admin");  // one Kafka client for the control plane
  options.services = [&host, &kafka_admin](const control::ControlAuth* auth) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(
        std::make_unique<tweetstream::source::SourceControlService>(&host, SourceConfigFromFlags, auth, &kafka_admin));
    return services;
  };
  options.summary = [&host] {
    const tweetstream::connector::v1::ConnectorStatus s = host.Status(false);
    const tweetstream::connector::v1::Counters& c = s.counters();
    std::printf("tweet-source: read %lld tweets; delivered %lld, failed %lld; skipped %lld bad record(s); "
                "%lld API partial error(s); %lld X API request(s)\n",
                static_cast<long long>(c.read()), static_cast<long long>(c.produced()),
                static_cast<long long>(c.failed()), static_cast<long long>(c.skipped()),
                static_cast<long long>(s.source().api_problems()), static_cast<long long>(c.requests()));
    std::fflush(stdout);
  };
  return control::RunConnectorProcess(options, &host, &flag_config, &metrics);
}
