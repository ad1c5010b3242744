// metrics, health: each connector's GetMetrics as a table, and the standard grpc.health.v1 check.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;
namespace health = grpc::health::v1;

int Metrics(Context& ctx, const std::vector<Target>& targets) {
  return ctx.Sections<v1::GetMetricsResponse>(
      targets, "metrics",
      [](Connection& c, grpc::ClientContext* context, v1::GetMetricsResponse* metrics) {
        return c.control().GetMetrics(context, v1::GetMetricsRequest(), metrics);
      },
      [&ctx](const v1::GetMetricsResponse& metrics) {
        Table table({"NAME", "TYPE", "LABELS", "VALUE"});
        for (const v1::MetricFamily& f : metrics.families()) {
          const std::string type =
              absl::AsciiStrToLower(absl::StripPrefix(v1::MetricFamily::Type_Name(f.type()), "TYPE_"));
          for (const v1::MetricSample& s : f.samples()) {
            std::map<std::string, std::string> labels(s.labels().begin(), s.labels().end());
            std::string value;
            if (f.type() == v1::MetricFamily::TYPE_HISTOGRAM) {
              const v1::HistogramValue& h = s.histogram();
              value = absl::StrCat("count=", h.count(), " sum=", FormatDouble(h.sum()));
              if (h.count() > 0) {
                absl::StrAppend(&value, " avg=", FormatDouble(h.sum() / static_cast<double>(h.count())));
              }
            } else {
              value = FormatDouble(s.value());
            }
            table.AddRow({f.name(), type, absl::StrJoin(labels, ",", absl::PairFormatter("=")), value});
          }
          if (f.samples().empty()) table.AddRow({f.name(), type, "", "-"});
        }
        table.Render(ctx.out());
      });
}

int Health(Context& ctx, const std::vector<Target>& targets) {
  auto replies = ctx.Concurrently<health::HealthCheckResponse>(targets, [](Connection& c) {
    Reply<health::HealthCheckResponse> r;
    auto context = c.NewCallContext();
    health::HealthCheckRequest request;
    request.set_service("");
    r.status = c.health().Check(context.get(), request, &r.message);
    return r;
  });
  int code = kExitOk;
  Table table({});
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& r = replies[i];
    const Connection& c = ctx.Conn(targets[i]);
    std::string state;
    if (!r.status.ok()) {
      code = WorseExitCode(code, ctx.Fail(r.status, c, "health"));
      state = ExitCodeFor(r.status) == kExitUnreachable ? "UNREACHABLE" : CodeName(r.status.error_code());
    } else {
      state = health::HealthCheckResponse::ServingStatus_Name(r.message.status());
      if (r.message.status() != health::HealthCheckResponse::SERVING) code = WorseExitCode(code, kExitFailed);
    }
    table.AddRow({std::string(TargetName(targets[i])), c.address(), state});
  }
  if (ctx.options().json) ctx.PrintKeyedJson(targets, replies);
  else table.Render(ctx.out());
  return code;
}

}  // namespace

std::vector<Command> MetricsCommands() {
  return {
      {"metrics",
       [](Context& ctx, const Args& args) {
         return ctx.WithTargets(args, 1, [&ctx](auto t) { return Metrics(ctx, t); });
       },
       {{"metrics [source|sink]", "counters, gauges and histograms"}}},
      {"health",
       [](Context& ctx, const Args& args) {
         return ctx.WithTargets(args, 1, [&ctx](auto t) { return Health(ctx, t); });
       },
       {{"health [source|sink]", "grpc.health.v1 Check: prints SERVING or NOT_SERVING"}}},
  };
}

}  // namespace tweetstream::tweetctl
