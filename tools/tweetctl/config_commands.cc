// config get|validate|set: a connector's settings (secrets never shown), checked or applied.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/tweetctl/args.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;

int ConfigGet(Context& ctx, const std::vector<Target>& targets) {
  return ctx.Sections<v1::Config>(
      targets, "config get",
      [](Connection& c, grpc::ClientContext* context, v1::Config* config) {
        grpc::Status status = c.control().GetConfig(context, v1::GetConfigRequest(), config);
        RedactSecrets(config);
        return status;
      },
      [&ctx](const v1::Config& config) {
        Table table({"NAME", "VALUE", "DEFAULT", "DESCRIPTION"});
        for (const v1::ConfigSetting& s : config.settings()) {
          table.AddRow({s.name(), ValueCell(s), DefaultCell(s), s.description()});
        }
        table.Render(ctx.out());
      });
}

int ConfigValidate(Context& ctx, Connection& c, const std::map<std::string, std::string>& settings) {
  auto context = c.NewCallContext();
  v1::ValidateConfigRequest request;
  for (const auto& [k, v] : settings) (*request.mutable_values())[k] = v;
  v1::ValidateConfigResponse response;
  grpc::Status status = c.control().ValidateConfig(context.get(), request, &response);
  if (!status.ok()) return ctx.Fail(status, c, "config validate");
  std::ostream& out = ctx.out();
  if (ctx.options().json) {
    out << ToJson(response) << '\n';
  } else if (response.valid()) {
    out << TargetName(c.target()) << ": valid\n";
  } else {
    out << TargetName(c.target()) << ": invalid\n";
    Table table({"FIELD", "ERROR"});
    for (const v1::FieldError& e : response.errors()) table.AddRow({e.field(), e.message()});
    table.Render(out);
  }
  return response.valid() ? kExitOk : kExitFailed;
}

int ConfigSet(Context& ctx, Connection& c, const std::map<std::string, std::string>& settings) {
  v1::UpdateConfigRequest request;
  for (const auto& [k, v] : settings) (*request.mutable_values())[k] = v;
  v1::UpdateConfigResponse response;
  auto slow_context = c.NewSlowCallContext();  // applying restarts the data plane
  grpc::Status status = c.control().UpdateConfig(slow_context.get(), request, &response);
  if (!status.ok()) return ctx.Fail(status, c, "config set");
  RedactSecrets(response.mutable_config());
  std::ostream& out = ctx.out();
  if (ctx.options().json) {
    out << ToJson(response) << '\n';
  } else {
    out << TargetName(c.target()) << ": applied; " << StateCell(response.status()) << '\n';
    Table table({"NAME", "VALUE", "DEFAULT"});
    for (const v1::ConfigSetting& s : response.config().settings()) {
      for (const auto& [k, v] : settings) {
        if (NormalizeName(k) == NormalizeName(s.name())) table.AddRow({s.name(), ValueCell(s), DefaultCell(s)});
      }
    }
    if (!table.empty()) table.Render(out);
  }
  return response.status().state() == v1::CONNECTOR_STATE_FAILED ? kExitFailed : kExitOk;
}

int Config(Context& ctx, const Args& args) {
  if (args.size() < 2) return ctx.Usage("expected `config get|validate|set`");
  const std::string& sub = args[1];
  if (sub == "get") return ctx.WithTargets(args, 2, [&ctx](auto t) { return ConfigGet(ctx, t); });
  if (sub != "validate" && sub != "set") return ctx.Usage(absl::StrCat("unknown config command '", sub, "'"));
  std::vector<Target> targets;
  if (args.size() < 3 || !Context::ParseTarget(args[2], &targets)) {
    return ctx.Usage(
        absl::StrCat("config ", sub, " needs a connector: `tweetctl config ", sub, " source|sink NAME=VALUE ...`"));
  }
  auto settings = ParseSettings(std::vector<std::string>(args.begin() + 3, args.end()));
  if (!settings.ok()) return ctx.Usage(absl::StrCat("config ", sub, ": ", settings.status().message()));
  Connection& c = ctx.Conn(targets[0]);
  return sub == "validate" ? ConfigValidate(ctx, c, *settings) : ConfigSet(ctx, c, *settings);
}

}  // namespace

std::vector<Command> ConfigCommands() {
  return {
      {"config",
       Config,
       {{"config get [source|sink]", "settings (secrets: <redacted> or (not set))"},
        {"config validate <source|sink> K=V ...", "checks values on top of the current configuration"},
        {"config set <source|sink> K=V ...", "validates, then applies with a restart (all or nothing)"}}},
  };
}

}  // namespace tweetstream::tweetctl
