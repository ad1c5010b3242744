// pause, resume, stop, restart: one connector or both, in pipeline order, one after the other.

#include <algorithm>
#include <string>
#include <vector>

#include "tools/tweetctl/commands.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;

// Calls `command` on `targets` in their order, prints each new state (or keyed JSON at the end).
int Lifecycle(Context& ctx, const std::string& command, const std::vector<Target>& targets) {
  std::vector<Reply<v1::ConnectorStatus>> replies;
  int code = kExitOk;
  for (Target target : targets) {
    Connection& c = ctx.Conn(target);
    Reply<v1::ConnectorStatus> r;
    auto context = command == "stop" || command == "restart" ? c.NewSlowCallContext() : c.NewCallContext();
    if (command == "pause") r.status = c.control().Pause(context.get(), v1::PauseRequest(), &r.message);
    else if (command == "resume") r.status = c.control().Resume(context.get(), v1::ResumeRequest(), &r.message);
    else if (command == "stop") r.status = c.control().Stop(context.get(), v1::StopRequest(), &r.message);
    else r.status = c.control().Restart(context.get(), v1::RestartRequest(), &r.message);
    if (!r.status.ok()) {
      code = WorseExitCode(code, ctx.Fail(r.status, c, command));
    } else {
      if (r.message.state() == v1::CONNECTOR_STATE_FAILED) code = WorseExitCode(code, kExitFailed);
      if (!ctx.options().json) {
        ctx.out() << TargetName(target) << ": " << StateCell(r.message) << " since " << FormatTime(r.message.since());
        if (!r.message.cause().empty()) ctx.out() << " (" << r.message.cause() << ")";
        ctx.out() << '\n';
      }
    }
    replies.push_back(std::move(r));
  }
  if (ctx.options().json) ctx.PrintKeyedJson(targets, replies);
  return code;
}

// pause, stop: the source first (nothing more is sent), then the sink.
int SourceFirst(Context& ctx, const Args& args) {
  return ctx.WithTargets(args, 1, [&](auto t) { return Lifecycle(ctx, args[0], t); });
}

// resume, restart: the sink first: it is ready before the source sends more.
int SinkFirst(Context& ctx, const Args& args) {
  return ctx.WithTargets(args, 1, [&](auto t) {
    std::reverse(t.begin(), t.end());
    return Lifecycle(ctx, args[0], t);
  });
}

const UsageLine kUsage = {"pause|resume|stop|restart [source|sink]",
                          "without a target: both (pause/stop: source, then sink;\n"
                          "resume/restart: sink, then source); prints the new state"};

}  // namespace

std::vector<Command> LifecycleCommands() {
  return {
      {"pause", SourceFirst, {kUsage}},
      {"resume", SinkFirst, {kUsage}},
      {"stop", SourceFirst, {kUsage}},
      {"restart", SinkFirst, {kUsage}},
  };
}

}  // namespace tweetstream::tweetctl
