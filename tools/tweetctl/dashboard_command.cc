// dashboard: serves the live pipeline page (dashboard/) until Ctrl-C.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/dashboard/dashboard_server.h"

namespace tweetstream::tweetctl {

namespace {

int Dashboard(Context& ctx, const Args& args) {
  if (args.size() != 1) return ctx.Usage(absl::StrCat("unexpected argument '", args[1], "'"));
  const Options& options = ctx.options();
  Connection& source = ctx.Conn(Target::kSource);
  Connection& sink = ctx.Conn(Target::kSink);
  dashboard::DashboardOptions dashboard_options;
  dashboard_options.listen = options.listen;
  auto server = dashboard::DashboardServer::Start(dashboard_options, &source, &sink);
  if (!server.ok()) {
    ctx.err() << "tweetctl: dashboard: " << server.status().message() << '\n';
    return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailed;
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  ctx.out() << "dashboard: http://" << host << ':' << (*server)->port() << "/ (source " << source.address()
            << ", sink " << sink.address() << "); Ctrl-C stops" << std::endl;
  while (options.interrupted == nullptr || !options.interrupted->load()) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  server->reset();
  return kExitOk;
}

}  // namespace

std::vector<Command> DashboardCommands() {
  return {
      {"dashboard",
       Dashboard,
       {{"dashboard [--listen 127.0.0.1:8088]",
         "serves a live web page of the whole pipeline (both\n"
         "connectors' status, lag, DLQ, charts of the last 15 minutes)\n"
         "until Ctrl-C; open the printed address in a browser"}},
       /*until_interrupted=*/true},
  };
}

}  // namespace tweetstream::tweetctl
