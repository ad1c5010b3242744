// tweet-sink: consumes tweets from Kafka and bulk-indexes them into Elasticsearch.
// Thin main: the settings table (sink_settings.cc: flags, each with a TWEET_SINK_* environment twin)
// -> SinkConfig -> SinkApp, under the control plane.
// Exit codes: 0 clean stop (signal, or idle with --exit-when-idle); 1 a runtime failure; 2 invalid
// configuration.

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/usage.h"
#include "common/kafka_admin.h"
#include "common/logging.h"
#include "common/control/connector_process.h"
#include "sink-connector/sink_app.h"
#include "sink-connector/sink_control.h"
#include "sink-connector/sink_settings.h"

int main(int argc, char** argv) {
  namespace control = tweetstream::control;
  absl::SetProgramUsageMessage(
      "tweet-sink [--es-url=URL,...] [--index=twitter] [--topic=twitter-stream]\n"
      "Every flag can also be set as TWEET_SINK_<FLAG> in the environment, e.g. TWEET_SINK_ES_URL.");
  using tweetstream::sink::SinkConfigFromFlags;
  if (int code = control::ParseFlagsAndEnvironment(tweetstream::sink::SinkSettings(), argc, argv); code != 0) return code;

  auto config = SinkConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "tweet-sink: invalid configuration: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  tweetstream::common::MetricsRegistry metrics;
  tweetstream::sink::DeadLetterLedger ledger;
  tweetstream::common::RdKafkaAdmin kafka_admin("tweet-sink-admin");  // one Kafka client for probe and control
  tweetstream::sink::SinkProbe probe(SinkConfigFromFlags, &kafka_admin);
  control::ConnectorHost host(
      {config->name, "sink", TWEETSTREAM_VERSION, [&probe](tweetstream::connector::v1::ConnectorStatus* s) { probe.Fill(s); }},
      [&metrics, &ledger]() -> absl::StatusOr<std::unique_ptr<control::DataPlane>> {
        auto c = SinkConfigFromFlags();
        if (!c.ok()) return c.status();
        c->metrics = &metrics;
        c->on_dead_letter = [&ledger](const std::string& error_class, const std::string& message) {
          ledger.Record(error_class, message);
        };
        auto app = tweetstream::sink::SinkApp::Create(*c);
        if (!app.ok()) return app.status();
        TS_LOG(INFO) << "tweet-sink " << TWEETSTREAM_VERSION << " running: topic=" << c->topic << " group=" << c->group_id
                     << " index=" << c->index;
        return std::make_unique<tweetstream::sink::SinkDataPlane>(std::move(*app));
      });
  tweetstream::sink::RegisterSinkMetrics(&host, &probe, &metrics);
  control::FlagConfig flag_config({
      .settings = &tweetstream::sink::SinkSettings(),
      .secrets = nullptr,  // the table's
      .check = [] { return SinkConfigFromFlags().status(); },
  });

  control::ConnectorProcessOptions options = tweetstream::sink::SinkProcessOptions();
  options.services = [&host, &ledger, &kafka_admin](const control::ControlAuth* auth) {
    std::vector<std::unique_ptr<grpc::Service>> services;
    services.push_back(
        std::make_unique<tweetstream::sink::SinkControlService>(&host, SinkConfigFromFlags, &ledger, auth, &kafka_admin));
    return services;
  };
  options.summary = [&host] {
    const tweetstream::connector::v1::Counters c = host.Counters();
    std::printf(
        "tweet-sink: consumed %lld records; indexed %lld, deleted %lld, dead-lettered %lld (rejected %lld, "
        "undecodable %lld); %lld bulk requests, %lld retries\n",
        static_cast<long long>(c.read()), static_cast<long long>(c.indexed()), static_cast<long long>(c.deleted()),
        static_cast<long long>(c.dead_lettered()), static_cast<long long>(c.failed()),
        static_cast<long long>(c.skipped()), static_cast<long long>(c.requests()), static_cast<long long>(c.retried()));
    std::fflush(stdout);
  };
  return control::RunConnectorProcess(options, &host, &flag_config, &metrics);
}
