#pragma once
// What every tweetctl command is made of: a Command (name, handler, usage lines: one row of the
// dispatch table, see commands.h) and the Context a handler runs in (Options, stdout/stderr, both
// connectors' Connections, and the shapes most commands share: usage errors, failed calls, the
// optional [source|sink] target, calls to both connectors at once, keyed JSON, titled sections).
//
// A handler returns an ExitCode (client.h). It writes results to ctx.out() (valid JSON only with
// --json) and diagnostics to ctx.err(). Handlers run on the calling thread; Concurrently() and
// Sections() call the connectors from threads of their own and return when all have answered.

#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/string_view.h"
#include "tools/tweetctl/client.h"
#include "tools/tweetctl/format.h"
#include "tools/tweetctl/options.h"

namespace tweetstream::tweetctl {

using Args = std::vector<std::string>;

// One call's answer: its status and, when OK, the message.
template <typename M>
struct Reply {
  grpc::Status status;
  M message;
};

class Context {
 public:
  Context(const Options& options, std::ostream& out, std::ostream& err);

  const Options& options() const { return options_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  Connection& Conn(Target target) { return target == Target::kSource ? *source_ : *sink_; }

  // "tweetctl: <message>" and the pointer to --help on stderr; returns kExitUsage.
  int Usage(const std::string& message);

  // Prints what went wrong and what to do (DescribeError); returns the exit code for it.
  int Fail(const grpc::Status& status, const Connection& connection, absl::string_view operation);

  // Parses an optional [source|sink] at args[index] (nothing after it) and runs `fn` with the
  // targets: both (source, sink) when absent. A usage error otherwise.
  int WithTargets(const Args& args, size_t index, const std::function<int(std::vector<Target>)>& fn);

  // "source" or "sink" appended to `targets`; false for any other word.
  static bool ParseTarget(const std::string& word, std::vector<Target>* targets);

  // Runs `call` on every target at once (an unreachable connector costs one timeout, not one each)
  // and returns the replies in the order of `targets`.
  template <typename M>
  std::vector<Reply<M>> Concurrently(const std::vector<Target>& targets,
                                     const std::function<Reply<M>(Connection&)>& call);

  // {"source": <message or error>, "sink": ...} for the targets addressed, on one line.
  template <typename M>
  void PrintKeyedJson(const std::vector<Target>& targets, const std::vector<Reply<M>>& replies);

  // The shape of the read-only per-connector commands: `call` on every target at once, failures
  // reported (the worst exit code wins), then keyed JSON, or one titled section per connector that
  // answered, rendered by `render`.
  template <typename M>
  int Sections(const std::vector<Target>& targets, const std::string& operation,
               const std::function<grpc::Status(Connection&, grpc::ClientContext*, M*)>& call,
               const std::function<void(const M&)>& render);

 private:
  const Options& options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<Connection> source_;
  std::unique_ptr<Connection> sink_;
};

// One line of the usage text's command list: "  <synopsis>" and its help, aligned at a column
// (see UsageText()). `help` may hold several lines ('\n'), each already wrapped; "" = none.
struct UsageLine {
  std::string synopsis;
  std::string help;
};

// One row of the dispatch table.
struct Command {
  std::string name;  // the first positional argument, e.g. "offsets"
  // Runs the command; `args` are all positional arguments, args[0] == name.
  int (*run)(Context& ctx, const Args& args) = nullptr;
  // What --help lists for it. Commands that share a line (pause|resume|stop|restart) each carry
  // the same line; it is printed once. Empty = not listed (only `help`, the same as --help).
  std::vector<UsageLine> usage;
  // Runs until Ctrl-C (watch, dashboard): main.cc then turns SIGINT/SIGTERM into
  // Options::interrupted, so that it ends cleanly with exit 0. Other commands keep the default
  // Ctrl-C behaviour (they are bounded by --timeout).
  bool until_interrupted = false;
};

// ---- template definitions

template <typename M>
std::vector<Reply<M>> Context::Concurrently(const std::vector<Target>& targets,
                                            const std::function<Reply<M>(Connection&)>& call) {
  std::vector<std::future<Reply<M>>> futures;
  for (Target target : targets) {
    Connection* connection = &Conn(target);
    futures.push_back(std::async(std::launch::async, [&call, connection] { return call(*connection); }));
  }
  std::vector<Reply<M>> replies;
  for (auto& f : futures) replies.push_back(f.get());
  return replies;
}

template <typename M>
void Context::PrintKeyedJson(const std::vector<Target>& targets, const std::vector<Reply<M>>& replies) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  for (size_t i = 0; i < targets.size(); ++i) {
    const absl::string_view key = TargetName(targets[i]);
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    if (replies[i].status.ok()) {
      const std::string json = ToJson(replies[i].message);
      w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    } else {
      JsonError(w, replies[i].status, Conn(targets[i]));
    }
  }
  w.EndObject();
  out_ << buffer.GetString() << '\n';
}

template <typename M>
int Context::Sections(const std::vector<Target>& targets, const std::string& operation,
                      const std::function<grpc::Status(Connection&, grpc::ClientContext*, M*)>& call,
                      const std::function<void(const M&)>& render) {
  auto replies = Concurrently<M>(targets, [&call](Connection& c) {
    Reply<M> r;
    auto context = c.NewCallContext();
    r.status = call(c, context.get(), &r.message);
    return r;
  });
  int code = kExitOk;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!replies[i].status.ok()) code = WorseExitCode(code, Fail(replies[i].status, Conn(targets[i]), operation));
  }
  if (options_.json) {
    PrintKeyedJson(targets, replies);
    return code;
  }
  bool first = true;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!replies[i].status.ok()) continue;
    if (!first) out_ << '\n';
    first = false;
    out_ << TargetName(targets[i]) << " (" << Conn(targets[i]).address() << ")\n";
    render(replies[i].message);
  }
  return code;
}

}  // namespace tweetstream::tweetctl
