#include "tools/tweetctl/tweetctl.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <google/protobuf/util/json_util.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/rfc3339.h"
#include "tools/tweetctl/args.h"
#include "tools/tweetctl/client.h"
#include "tools/tweetctl/dashboard/dashboard_server.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace v1 = tweetstream::connector::v1;
namespace health = grpc::health::v1;

absl::Status Options::Validate() const {
  if (source_address.empty()) return absl::InvalidArgumentError("--source: empty address");
  if (sink_address.empty()) return absl::InvalidArgumentError("--sink: empty address");
  if (timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("--timeout must be positive, e.g. 10s");
  if (interval < absl::Milliseconds(100)) return absl::InvalidArgumentError("--interval must be at least 100ms");
  if (count < 0) return absl::InvalidArgumentError("--count must be 0 (no limit) or positive");
  if (listen.empty()) return absl::InvalidArgumentError("--listen: empty address");
  return absl::OkStatus();
}

std::string UsageText() {
  return R"(tweetctl: control tweet-source and tweet-sink over their gRPC control API.

usage: tweetctl [--source ADDR] [--sink ADDR] [--json] [--timeout 10s] [--token-file F] [--tls-ca F]
                <command> [args]

commands:
  status [source|sink]                   both connectors in one table: state, counters, the source's
                                         cursor and rate limit, the sink's lag per partition, in-flight
                                         bulks and the index's document count
  watch [source|sink] [--count N] [--interval 5s]
                                         one line per status update (JSON lines with --json) until
                                         Ctrl-C, the end of the stream, or N updates
  pause|resume|stop|restart [source|sink]
                                         without a target: both (pause/stop: source, then sink;
                                         resume/restart: sink, then source); prints the new state
  config get [source|sink]               settings (secrets: <redacted> or (not set))
  config validate <source|sink> K=V ...  checks values on top of the current configuration
  config set <source|sink> K=V ...       validates, then applies with a restart (all or nothing)
  rules list                             the source's filtered-stream rules
  rules add [--dry-run] [--tag T] VALUE ...
  rules delete [--dry-run] ID_OR_VALUE ...  (all digits = a rule id, otherwise a rule value)
  cursor get                             the source's cursor (newest delivered tweet id)
  cursor reset [NEWEST_ID]               needs the source STOPPED; no id = forget the cursor
  offsets get                            the sink group's committed offsets, end offsets and lag
  offsets reset --to earliest|latest|RFC3339_TIME|P:OFFSET,...
                                         needs the sink STOPPED
  dlq stats                              the sink's dead-letter counters
  metrics [source|sink]                  counters, gauges and histograms
  health [source|sink]                   grpc.health.v1 Check: prints SERVING or NOT_SERVING
  dashboard [--listen 127.0.0.1:8088]    serves a live web page of the whole pipeline (both
                                         connectors' status, lag, DLQ, charts of the last 15 minutes)
                                         until Ctrl-C; open the printed address in a browser

flags (each also read from the environment, e.g. TWEETCTL_SINK=host:port; the command line wins):
  --source ADDR      tweet-source's control address (default 127.0.0.1:50051)
  --sink ADDR        tweet-sink's control address (default 127.0.0.1:50052)
  --json             JSON on stdout (proto field names; 64-bit integers as strings, as the protobuf
                     JSON mapping prints them); diagnostics always go to stderr
  --timeout D        deadline of every call, e.g. 500ms, 10s (watch: the longest wait for an update
                     beyond --interval; stop, restart and config set wait at least 2 minutes)
  --token-file F     file holding the bearer token; otherwise TWEETCTL_TOKEN. Sent as
                     `authorization: Bearer <token>`, never printed
  --tls-ca F         use TLS, trusting the CA certificates (PEM) in F
  --listen ADDR      dashboard: where the page is served (default 127.0.0.1:8088; no authentication,
                     so keep it on loopback or behind a proxy that has some)
  Use `--` before rule values that start with '-': tweetctl rules add -- '-is:retweet #kafka'

exit codes:
  0  ok
  1  the connector answered with an error, or is not healthy / FAILED (or a validation failed)
  2  usage error: unknown command, bad argument, unreadable token or CA file
  3  unreachable: UNAVAILABLE or DEADLINE_EXCEEDED (nothing answered in time)
  With several connectors the worst applies (2 > 3 > 1 > 0).
)";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Formatting.

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, print).ok()) return "{}";
  return json;
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void JsonString(JsonWriter& w, absl::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// {"error": "<message>", "code": "UNAVAILABLE", "address": "..."}: what a connector that did not
// answer looks like in --json output.
void JsonError(JsonWriter& w, const grpc::Status& status, const Connection& connection) {
  w.StartObject();
  w.Key("error");
  JsonString(w, status.error_message().empty() ? CodeName(status.error_code()) : status.error_message());
  w.Key("code");
  JsonString(w, CodeName(status.error_code()));
  w.Key("address");
  JsonString(w, connection.address());
  w.EndObject();
}

std::string StateName(v1::ConnectorState state) {
  const std::string name(absl::StripPrefix(v1::ConnectorState_Name(state), "CONNECTOR_STATE_"));
  return name.empty() ? absl::StrCat(static_cast<int>(state)) : name;
}

bool IsSet(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// RFC 3339 in UTC, whole seconds; "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (!IsSet(t)) return "-";
  return common::Rfc3339Seconds(ToTime(t));
}

// "3d4h5m", "2h0m12s", "45s".
std::string FormatSeconds(int64_t seconds) {
  if (seconds < 0) return "-";
  const int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60, s = seconds % 60;
  if (d > 0) return absl::StrFormat("%dd%dh%dm", d, h, m);
  if (h > 0) return absl::StrFormat("%dh%dm%ds", h, m, s);
  if (m > 0) return absl::StrFormat("%dm%ds", m, s);
  return absl::StrFormat("%ds", s);
}

std::string StateCell(const v1::ConnectorStatus& status) {
  std::string state = StateName(status.state());
  if (status.degraded()) absl::StrAppend(&state, " DEGRADED");
  return state;
}

std::string Known(int64_t value) { return value < 0 ? "unknown" : absl::StrCat(value); }

std::string FormatDouble(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value)) && value < 1e15 && value > -1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.6g", value);
}

// What a setting's value cell shows. A secret (ES_PASSWORD, ...) is never shown, whatever the
// server sent: `<redacted>` when it is set, `(not set)` when it is not.
constexpr char kRedacted[] = "<redacted>";
constexpr char kNotSet[] = "(not set)";

std::string ValueCell(const v1::ConfigSetting& s) {
  if (!s.secret()) return s.value();
  return s.value().empty() ? kNotSet : kRedacted;
}

// The same rule for --json: a secret's value stays "" (not set) or becomes "<redacted>", and so
// does its default.
void RedactSecrets(v1::Config* config) {
  for (v1::ConfigSetting& s : *config->mutable_settings()) {
    if (!s.secret()) continue;
    if (!s.value().empty()) s.set_value(kRedacted);
    if (!s.default_value().empty()) s.set_default_value(kRedacted);
  }
}

std::string DefaultCell(const v1::ConfigSetting& s) {
  if (s.secret() && !s.default_value().empty()) return kRedacted;
  return s.default_value();
}

// Setting names compare with dashes and underscores alike ("batch-max-records" = "batch_max_records").
std::string NormalizeName(std::string name) {
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// ---------------------------------------------------------------------------------------------

template <typename M>
struct Reply {
  grpc::Status status;
  M message;
};

class Ctl {
 public:
  Ctl(const Options& options, std::ostream& out, std::ostream& err) : options_(options), out_(out), err_(err) {
    ConnectionOptions common;
    common.timeout = options.timeout;
    common.token = options.token;
    common.tls_ca_pem = options.tls_ca_pem;
    ConnectionOptions source = common, sink = common;
    source.address = options.source_address;
    sink.address = options.sink_address;
    source_ = std::make_unique<Connection>(Target::kSource, source);
    sink_ = std::make_unique<Connection>(Target::kSink, sink);
  }

  int Run(const std::vector<std::string>& args) {
    if (args.empty()) return Usage("no command given");
    const std::string& command = args[0];
    if (command == "help") {
      out_ << UsageText();
      return kExitOk;
    }
    if (command == "status") return WithTargets(args, 1, [this](auto t) { return Status(t); });
    if (command == "watch") return WithTargets(args, 1, [this](auto t) { return Watch(t); });
    if (command == "pause" || command == "stop") {
      return WithTargets(args, 1, [&](auto t) { return Lifecycle(command, t); });
    }
    if (command == "resume" || command == "restart") {
      return WithTargets(args, 1, [&](auto t) {
        std::reverse(t.begin(), t.end());  // sink first: it is ready before the source sends more
        return Lifecycle(command, t);
      });
    }
    if (command == "metrics") return WithTargets(args, 1, [this](auto t) { return Metrics(t); });
    if (command == "health") return WithTargets(args, 1, [this](auto t) { return Health(t); });
    if (command == "config") return Config(args);
    if (command == "rules") return Rules(args);
    if (command == "cursor") return Cursor(args);
    if (command == "offsets") return Offsets(args);
    if (command == "dashboard") {
      if (args.size() != 1) return Usage(absl::StrCat("unexpected argument '", args[1], "'"));
      return Dashboard();
    }
    if (command == "dlq") {
      if (args.size() != 2 || args[1] != "stats") return Usage("expected `dlq stats`");
      return DeadLetterStats();
    }
    return Usage(absl::StrCat("unknown command '", command, "'"));
  }

 private:
  Connection& Conn(Target target) { return target == Target::kSource ? *source_ : *sink_; }

  int Usage(const std::string& message) {
    err_ << "tweetctl: " << message << "\nRun `tweetctl --help` for the commands.\n";
    return kExitUsage;
  }

  // Prints what went wrong and what to do; returns the exit code for it.
  int Fail(const grpc::Status& status, const Connection& connection, absl::string_view operation) {
    err_ << DescribeError(status, connection, operation) << '\n';
    return ExitCodeFor(status);
  }

  // Parses an optional [source|sink] at args[index] (nothing after it) and runs `fn` with the
  // targets: both (source, sink) when absent.
  int WithTargets(const std::vector<std::string>& args, size_t index,
                  const std::function<int(std::vector<Target>)>& fn) {
    if (args.size() > index + 1) return Usage(absl::StrCat("unexpected argument '", args[index + 1], "'"));
    if (args.size() == index) return fn({Target::kSource, Target::kSink});
    std::vector<Target> targets;
    if (!ParseTarget(args[index], &targets)) {
      return Usage(absl::StrCat("'", args[index], "' is not a connector: expected source or sink"));
    }
    return fn(targets);
  }

  static bool ParseTarget(const std::string& word, std::vector<Target>* targets) {
    if (word == "source") targets->push_back(Target::kSource);
    else if (word == "sink") targets->push_back(Target::kSink);
    else return false;
    return true;
  }

  // Runs `call` on every target at once (an unreachable connector costs one timeout, not one each)
  // and returns the replies in the order of `targets`.
  template <typename M>
  std::vector<Reply<M>> Concurrently(const std::vector<Target>& targets,
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

  // {"source": <message or error>, "sink": ...} for the targets addressed, on one line.
  template <typename M>
  void PrintKeyedJson(const std::vector<Target>& targets, const std::vector<Reply<M>>& replies) {
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

  // The shape of the read-only per-connector commands: `call` on every target at once, failures
  // reported (the worst exit code wins), then keyed JSON, or one titled section per connector that
  // answered, rendered by `render`.
  template <typename M>
  int Sections(const std::vector<Target>& targets, const std::string& operation,
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

  // ---- status

  int Status(const std::vector<Target>& targets) {
    auto replies = Concurrently<v1::ConnectorStatus>(targets, [](Connection& c) {
      Reply<v1::ConnectorStatus> r;
      auto context = c.NewCallContext();
      r.status = c.control().GetStatus(context.get(), v1::GetStatusRequest(), &r.message);
      return r;
    });
    int code = kExitOk;
    for (size_t i = 0; i < targets.size(); ++i) {
      if (!replies[i].status.ok()) {
        code = WorseExitCode(code, Fail(replies[i].status, Conn(targets[i]), "status"));
      } else if (replies[i].message.state() == v1::CONNECTOR_STATE_FAILED) {
        code = WorseExitCode(code, kExitFailed);
      }
    }
    if (options_.json) {
      PrintKeyedJson(targets, replies);
      return code;
    }
    Table table({"CONNECTOR", "KIND", "STATE", "SINCE", "UPTIME", "READ", "PRODUCED", "INDEXED", "RETRIED", "FAILED",
                 "DEAD-LETTERED", "SKIPPED", "ADDRESS", "CAUSE"});
    for (size_t i = 0; i < targets.size(); ++i) {
      const Connection& c = Conn(targets[i]);
      const auto& r = replies[i];
      if (!r.status.ok()) {
        const int exit = ExitCodeFor(r.status);
        table.AddRow({std::string(BinaryName(targets[i])), std::string(TargetName(targets[i])),
                      exit == kExitUnreachable ? "UNREACHABLE" : "ERROR", "-", "-", "-", "-", "-", "-", "-", "-", "-",
                      c.address(), CodeName(r.status.error_code())});
        continue;
      }
      const v1::ConnectorStatus& s = r.message;
      const v1::Counters& n = s.counters();
      table.AddRow({s.name(), s.kind().empty() ? std::string(TargetName(targets[i])) : s.kind(), StateCell(s),
                    FormatTime(s.since()), FormatSeconds(s.uptime_seconds()), absl::StrCat(n.read()),
                    absl::StrCat(n.produced()), absl::StrCat(n.indexed()), absl::StrCat(n.retried()),
                    absl::StrCat(n.failed()), absl::StrCat(n.dead_lettered()), absl::StrCat(n.skipped()), c.address(),
                    s.cause()});
    }
    table.Render(out_);
    for (size_t i = 0; i < targets.size(); ++i) {
      if (replies[i].status.ok()) PrintStatusDetail(replies[i].message);
    }
    return code;
  }

  void PrintStatusDetail(const v1::ConnectorStatus& s) {
    out_ << '\n' << (s.has_sink() ? "sink " : s.has_source() ? "source " : "") << s.name();
    if (!s.version().empty()) out_ << " " << s.version();
    out_ << '\n';
    Table kv({});
    kv.AlignLeft(1);
    if (s.has_source()) {
      const v1::SourceDetail& d = s.source();
      kv.AddRow({"  mode", d.mode()});
      if (!d.topic().empty()) kv.AddRow({"  topic", d.topic()});
      kv.AddRow({"  cursor", absl::StrCat(d.cursor().empty() ? "(none)" : d.cursor(),
                                          d.cursor_key().empty() ? "" : absl::StrCat("  key ", d.cursor_key()))});
      if (d.has_rate_limit()) {
        const v1::RateLimitWindow& rl = d.rate_limit();
        std::string window = rl.limit() < 0 ? std::string("unknown")
                                            : absl::StrCat(Known(rl.remaining()), " of ", rl.limit(), " left");
        if (IsSet(rl.reset())) absl::StrAppend(&window, ", resets ", FormatTime(rl.reset()));
        kv.AddRow({"  rate limit", window});
      }
      kv.AddRow({"  polls", absl::StrCat(d.polls(), " (", s.counters().requests(), " API requests, ", d.api_problems(),
                                         " API problems)")});
      if (!d.backlog().empty()) kv.AddRow({"  backlog", d.backlog()});
      if (d.bad_pages() > 0) kv.AddRow({"  bad pages", absl::StrCat(d.bad_pages(), " unreadable answer(s), asked again")});
      if (!d.gap().empty()) {
        kv.AddRow({"  GAP", d.window_gaps() > 0 ? absl::StrCat(d.gap(), " (", d.window_gaps(), " window gap(s), ",
                                                             d.window_gap_seconds(), " s in all)")
                                               : d.gap()});
      }
    }
    if (s.has_sink()) {
      const v1::SinkDetail& d = s.sink();
      kv.AddRow({"  topic", absl::StrCat(d.topic(), d.group_id().empty() ? "" : absl::StrCat(" (group ", d.group_id(), ")"))});
      kv.AddRow({"  index", absl::StrCat(d.index().empty() ? "-" : d.index(), ": ",
                                         d.index_document_count() < 0 ? std::string("document count unknown")
                                                                      : absl::StrCat(d.index_document_count(), " documents"))});
      kv.AddRow({"  total lag", absl::StrCat(d.total_lag())});
      kv.AddRow({"  in flight", absl::StrCat(d.in_flight_bulks(), " bulk requests, ", d.pending_records(),
                                             " records pending", d.backpressure_paused() ? ", backpressure: paused" : "")});
      kv.AddRow({"  tombstones", absl::StrCat(s.counters().deleted(), " applied, ", s.counters().requests(), " bulk requests")});
      kv.AddRow({"  dead-letter topic", d.dlq_topic().empty() ? std::string("(off)") : d.dlq_topic()});
    }
    if (!s.last_errors().empty()) {
      const v1::ErrorEntry& e = *s.last_errors().rbegin();
      kv.AddRow({"  last error", absl::StrCat(FormatTime(e.time()), "  ", e.message())});
    }
    kv.Render(out_);
    if (s.has_sink() && !s.sink().partitions().empty()) {
      Table partitions({"  PARTITION", "COMMITTED", "END OFFSET", "LAG"});
      for (const v1::PartitionLag& p : s.sink().partitions()) {
        partitions.AddRow({absl::StrCat("  ", p.partition()), absl::StrCat(p.committed()), absl::StrCat(p.end_offset()),
                           absl::StrCat(p.lag())});
      }
      partitions.AddRow({"  total", "", "", absl::StrCat(s.sink().total_lag())});
      partitions.Render(out_);
    }
  }

  // ---- watch

  std::string WatchLine(const v1::ConnectorStatus& s) {
    const std::string when = IsSet(s.observed_at())
                                 ? FormatTime(s.observed_at())
                                 : common::Rfc3339Seconds(absl::Now());
    std::string line = absl::StrFormat("%s  %-6s  %s  %s", when, s.kind(), s.name(), StateCell(s));
    const v1::Counters& n = s.counters();
    if (s.has_sink()) {
      absl::StrAppend(&line, "  read=", n.read(), " indexed=", n.indexed(), " failed=", n.failed(),
                      " dead_lettered=", n.dead_lettered(), " lag=", s.sink().total_lag(),
                      " in_flight=", s.sink().in_flight_bulks(), " docs=", Known(s.sink().index_document_count()));
    } else {
      absl::StrAppend(&line, "  read=", n.read(), " produced=", n.produced(), " failed=", n.failed(),
                      " retried=", n.retried());
      if (s.has_source()) {
        absl::StrAppend(&line, " cursor=", s.source().cursor().empty() ? "-" : s.source().cursor());
        if (s.source().has_rate_limit() && s.source().rate_limit().limit() >= 0) {
          absl::StrAppend(&line, " rate_limit=", Known(s.source().rate_limit().remaining()), "/",
                          s.source().rate_limit().limit());
        }
      }
    }
    if (!s.cause().empty()) absl::StrAppend(&line, "  cause: ", s.cause());
    return line;
  }

  int Watch(const std::vector<Target>& targets) {
    struct Stream {
      Connection* connection = nullptr;
      std::unique_ptr<grpc::ClientContext> context;
      std::atomic<int64_t> deadline_ns{0};  // absl::Now() in ns after which the stream is given up
      std::atomic<bool> timed_out{false};
      std::atomic<bool> done{false};
      grpc::Status status;
    };
    std::vector<std::unique_ptr<Stream>> streams;
    for (Target target : targets) {
      auto s = std::make_unique<Stream>();
      s->connection = &Conn(target);
      s->context = s->connection->NewStreamContext();
      s->deadline_ns = absl::ToUnixNanos(absl::Now() + options_.timeout);  // the first update
      streams.push_back(std::move(s));
    }
    v1::WatchStatusRequest request;
    request.set_interval_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(options_.interval)));
    const absl::Duration patience = options_.interval + options_.timeout;
    std::mutex out_mu;
    int64_t printed = 0;               // guarded by out_mu
    std::atomic<bool> enough{false};   // --count reached or interrupted: cancel everything

    std::vector<std::thread> threads;
    for (auto& stream : streams) {
      threads.emplace_back([&, s = stream.get()] {
        auto reader = s->connection->control().WatchStatus(s->context.get(), request);
        v1::ConnectorStatus status;
        while (reader->Read(&status)) {
          s->deadline_ns = absl::ToUnixNanos(absl::Now() + patience);
          std::lock_guard<std::mutex> lock(out_mu);
          if (enough) break;
          out_ << (options_.json ? ToJson(status) : WatchLine(status)) << std::endl;
          ++printed;
          if (options_.count > 0 && printed >= options_.count) {
            enough = true;
            break;
          }
        }
        s->context->TryCancel();  // after a break: do not wait for the server to end the stream
        s->status = reader->Finish();
        s->done = true;
      });
    }
    // The watchdog: cancels on --count, on Ctrl-C, and when a stream is silent for too long.
    while (true) {
      bool all_done = true;
      if (options_.interrupted != nullptr && options_.interrupted->load()) enough = true;
      for (auto& s : streams) {
        if (s->done) continue;
        all_done = false;
        if (enough) {
          s->context->TryCancel();
        } else if (absl::ToUnixNanos(absl::Now()) > s->deadline_ns.load()) {
          s->timed_out = true;
          s->context->TryCancel();
        }
      }
      if (all_done) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& t : threads) t.join();

    int code = kExitOk;
    for (auto& s : streams) {
      if (s->timed_out) {
        err_ << DescribeError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                           absl::StrCat("no status update within ", absl::FormatDuration(patience))),
                              *s->connection, "watch")
             << '\n';
        code = WorseExitCode(code, kExitUnreachable);
      } else if (!s->status.ok() && !(enough && s->status.error_code() == grpc::StatusCode::CANCELLED)) {
        code = WorseExitCode(code, Fail(s->status, *s->connection, "watch"));
      }
    }
    return code;
  }

  // ---- pause, resume, stop, restart (in the order of `targets`, one after the other)

  int Lifecycle(const std::string& command, const std::vector<Target>& targets) {
    std::vector<Reply<v1::ConnectorStatus>> replies;
    int code = kExitOk;
    for (Target target : targets) {
      Connection& c = Conn(target);
      Reply<v1::ConnectorStatus> r;
      auto context = command == "stop" || command == "restart" ? c.NewSlowCallContext() : c.NewCallContext();
      if (command == "pause") r.status = c.control().Pause(context.get(), v1::PauseRequest(), &r.message);
      else if (command == "resume") r.status = c.control().Resume(context.get(), v1::ResumeRequest(), &r.message);
      else if (command == "stop") r.status = c.control().Stop(context.get(), v1::StopRequest(), &r.message);
      else r.status = c.control().Restart(context.get(), v1::RestartRequest(), &r.message);
      if (!r.status.ok()) {
        code = WorseExitCode(code, Fail(r.status, c, command));
      } else {
        if (r.message.state() == v1::CONNECTOR_STATE_FAILED) code = WorseExitCode(code, kExitFailed);
        if (!options_.json) {
          out_ << TargetName(target) << ": " << StateCell(r.message) << " since " << FormatTime(r.message.since());
          if (!r.message.cause().empty()) out_ << " (" << r.message.cause() << ")";
          out_ << '\n';
        }
      }
      replies.push_back(std::move(r));
    }
    if (options_.json) PrintKeyedJson(targets, replies);
    return code;
  }

  // ---- config

  int Config(const std::vector<std::string>& args) {
    if (args.size() < 2) return Usage("expected `config get|validate|set`");
    const std::string& sub = args[1];
    if (sub == "get") return WithTargets(args, 2, [this](auto t) { return ConfigGet(t); });
    if (sub != "validate" && sub != "set") return Usage(absl::StrCat("unknown config command '", sub, "'"));
    std::vector<Target> targets;
    if (args.size() < 3 || !ParseTarget(args[2], &targets)) {
      return Usage(absl::StrCat("config ", sub, " needs a connector: `tweetctl config ", sub, " source|sink NAME=VALUE ...`"));
    }
    auto settings = ParseSettings(std::vector<std::string>(args.begin() + 3, args.end()));
    if (!settings.ok()) return Usage(absl::StrCat("config ", sub, ": ", settings.status().message()));
    Connection& c = Conn(targets[0]);
    auto context = c.NewCallContext();
    const std::string operation = absl::StrCat("config ", sub);
    if (sub == "validate") {
      v1::ValidateConfigRequest request;
      for (const auto& [k, v] : *settings) (*request.mutable_values())[k] = v;
      v1::ValidateConfigResponse response;
      grpc::Status status = c.control().ValidateConfig(context.get(), request, &response);
      if (!status.ok()) return Fail(status, c, operation);
      if (options_.json) {
        out_ << ToJson(response) << '\n';
      } else if (response.valid()) {
        out_ << TargetName(c.target()) << ": valid\n";
      } else {
        out_ << TargetName(c.target()) << ": invalid\n";
        Table table({"FIELD", "ERROR"});
        for (const v1::FieldError& e : response.errors()) table.AddRow({e.field(), e.message()});
        table.Render(out_);
      }
      return response.valid() ? kExitOk : kExitFailed;
    }
    v1::UpdateConfigRequest request;
    for (const auto& [k, v] : *settings) (*request.mutable_values())[k] = v;
    v1::UpdateConfigResponse response;
    auto slow_context = c.NewSlowCallContext();  // applying restarts the data plane
    grpc::Status status = c.control().UpdateConfig(slow_context.get(), request, &response);
    if (!status.ok()) return Fail(status, c, operation);
    RedactSecrets(response.mutable_config());
    if (options_.json) {
      out_ << ToJson(response) << '\n';
    } else {
      out_ << TargetName(c.target()) << ": applied; " << StateCell(response.status()) << '\n';
      Table table({"NAME", "VALUE", "DEFAULT"});
      for (const v1::ConfigSetting& s : response.config().settings()) {
        for (const auto& [k, v] : *settings) {
          if (NormalizeName(k) == NormalizeName(s.name())) table.AddRow({s.name(), ValueCell(s), DefaultCell(s)});
        }
      }
      if (!table.empty()) table.Render(out_);
    }
    return response.status().state() == v1::CONNECTOR_STATE_FAILED ? kExitFailed : kExitOk;
  }

  int ConfigGet(const std::vector<Target>& targets) {
    return Sections<v1::Config>(
        targets, "config get",
        [](Connection& c, grpc::ClientContext* context, v1::Config* config) {
          grpc::Status status = c.control().GetConfig(context, v1::GetConfigRequest(), config);
          RedactSecrets(config);
          return status;
        },
        [this](const v1::Config& config) {
          Table table({"NAME", "VALUE", "DEFAULT", "DESCRIPTION"});
          for (const v1::ConfigSetting& s : config.settings()) {
            table.AddRow({s.name(), ValueCell(s), DefaultCell(s), s.description()});
          }
          table.Render(out_);
        });
  }

  // ---- rules (source)

  int Rules(const std::vector<std::string>& args) {
    if (args.size() < 2) return Usage("expected `rules list|add|delete`");
    const std::string& sub = args[1];
    const std::vector<std::string> rest(args.begin() + 2, args.end());
    Connection& c = Conn(Target::kSource);
    auto context = c.NewCallContext();
    const std::string operation = absl::StrCat("rules ", sub);
    if (sub == "list") {
      if (!rest.empty()) return Usage(absl::StrCat("rules list: unexpected argument '", rest[0], "'"));
      v1::ListRulesResponse response;
      grpc::Status status = c.source().ListRules(context.get(), v1::ListRulesRequest(), &response);
      if (!status.ok()) return Fail(status, c, operation);
      if (options_.json) {
        out_ << ToJson(response) << '\n';
      } else {
        Table table({"ID", "VALUE", "TAG"});
        table.AlignLeft(0);
        for (const v1::StreamRule& r : response.rules()) table.AddRow({r.id(), r.value(), r.tag()});
        table.Render(out_);
      }
      return kExitOk;
    }
    if (sub == "add") {
      if (rest.empty()) return Usage("rules add needs at least one rule VALUE");
      v1::AddRulesRequest request;
      request.set_dry_run(options_.dry_run);
      for (const std::string& value : rest) {
        v1::StreamRule* rule = request.add_rules();
        rule->set_value(value);
        rule->set_tag(options_.tag);
      }
      v1::AddRulesResponse response;
      grpc::Status status = c.source().AddRules(context.get(), request, &response);
      if (!status.ok()) return Fail(status, c, operation);
      if (options_.json) {
        out_ << ToJson(response) << '\n';
      } else if (!response.errors().empty()) {
        out_ << "rejected, nothing added:\n";
        Table table({"VALUE", "REASON"});
        for (const v1::RuleError& e : response.errors()) table.AddRow({e.value(), e.reason()});
        table.Render(out_);
      } else {
        out_ << (response.dry_run() ? "valid (dry run, nothing added):\n" : "added:\n");
        Table table({"ID", "VALUE", "TAG"});
        table.AlignLeft(0);
        for (const v1::StreamRule& r : response.added()) table.AddRow({r.id(), r.value(), r.tag()});
        table.Render(out_);
      }
      return response.errors().empty() ? kExitOk : kExitFailed;
    }
    if (sub == "delete") {
      if (rest.empty()) return Usage("rules delete needs at least one rule ID or VALUE");
      v1::DeleteRulesRequest request;
      request.set_dry_run(options_.dry_run);
      for (const std::string& item : rest) {
        if (IsNumericId(item)) request.add_ids(item);
        else request.add_values(item);
      }
      v1::DeleteRulesResponse response;
      grpc::Status status = c.source().DeleteRules(context.get(), request, &response);
      if (!status.ok()) return Fail(status, c, operation);
      if (options_.json) {
        out_ << ToJson(response) << '\n';
      } else {
        out_ << (response.dry_run() ? "would delete (dry run, nothing deleted):\n" : "deleted:\n");
        Table table({"ID", "VALUE", "TAG"});
        table.AlignLeft(0);
        for (const v1::StreamRule& r : response.deleted()) table.AddRow({r.id(), r.value(), r.tag()});
        table.Render(out_);
      }
      if (!response.not_found().empty()) {
        err_ << "tweetctl: rules delete: not found: " << absl::StrJoin(response.not_found(), ", ")
             << "\n  hint: `tweetctl rules list` shows the rules and their ids\n";
        return kExitFailed;
      }
      return kExitOk;
    }
    return Usage(absl::StrCat("unknown rules command '", sub, "'"));
  }

  // ---- cursor (source)

  int Cursor(const std::vector<std::string>& args) {
    if (args.size() < 2) return Usage("expected `cursor get|reset`");
    const std::string& sub = args[1];
    Connection& c = Conn(Target::kSource);
    v1::Cursor cursor;
    grpc::Status status;
    if (sub == "get") {
      if (args.size() > 2) return Usage(absl::StrCat("cursor get: unexpected argument '", args[2], "'"));
      auto context = c.NewCallContext();
      status = c.source().GetCursor(context.get(), v1::GetCursorRequest(), &cursor);
    } else if (sub == "reset") {
      if (args.size() > 3) return Usage(absl::StrCat("cursor reset: unexpected argument '", args[3], "'"));
      v1::ResetCursorRequest request;
      if (args.size() == 3) {
        if (!IsNumericId(args[2])) return Usage(absl::StrCat("cursor reset: '", args[2], "' is not a tweet id (digits)"));
        request.set_newest_id(args[2]);
      }
      auto context = c.NewCallContext();
      status = c.source().ResetCursor(context.get(), request, &cursor);
    } else {
      return Usage(absl::StrCat("unknown cursor command '", sub, "'"));
    }
    if (!status.ok()) return Fail(status, c, absl::StrCat("cursor ", sub));
    if (options_.json) {
      out_ << ToJson(cursor) << '\n';
      return kExitOk;
    }
    Table kv({});
    kv.AlignLeft(1);
    kv.AddRow({"key", cursor.key()});
    kv.AddRow({"newest id", cursor.newest_id().empty() ? "(none)" : cursor.newest_id()});
    kv.AddRow({"cursor topic", cursor.cursor_topic()});
    kv.Render(out_);
    return kExitOk;
  }

  // ---- offsets, dlq (sink)

  void PrintOffsets(const google::protobuf::RepeatedPtrField<v1::PartitionOffsets>& partitions, int64_t total_lag) {
    Table table({"PARTITION", "COMMITTED", "START OFFSET", "END OFFSET", "LAG"});
    for (const v1::PartitionOffsets& p : partitions) {
      table.AddRow({absl::StrCat(p.partition()), absl::StrCat(p.committed()), absl::StrCat(p.start_offset()),
                    absl::StrCat(p.end_offset()), absl::StrCat(p.lag())});
    }
    if (total_lag >= 0) table.AddRow({"total", "", "", "", absl::StrCat(total_lag)});
    table.Render(out_);
  }

  int Offsets(const std::vector<std::string>& args) {
    if (args.size() < 2) return Usage("expected `offsets get|reset`");
    const std::string& sub = args[1];
    if (args.size() > 2) return Usage(absl::StrCat("offsets ", sub, ": unexpected argument '", args[2], "'"));
    Connection& c = Conn(Target::kSink);
    if (sub == "get") {
      auto context = c.NewCallContext();
      v1::GetOffsetsResponse response;
      grpc::Status status = c.sink().GetOffsets(context.get(), v1::GetOffsetsRequest(), &response);
      if (!status.ok()) return Fail(status, c, "offsets get");
      if (options_.json) {
        out_ << ToJson(response) << '\n';
      } else {
        out_ << "topic " << response.topic() << ", group " << response.group_id() << '\n';
        PrintOffsets(response.partitions(), response.total_lag());
      }
      return kExitOk;
    }
    if (sub != "reset") return Usage(absl::StrCat("unknown offsets command '", sub, "'"));
    if (options_.to.empty()) return Usage("offsets reset needs --to earliest|latest|RFC3339_TIME|P:OFFSET,...");
    auto target = ParseOffsetsTarget(options_.to);
    if (!target.ok()) return Usage(absl::StrCat("offsets reset: ", target.status().message()));
    v1::ResetOffsetsRequest request;
    ToRequest(*target, &request);
    auto context = c.NewCallContext();
    v1::ResetOffsetsResponse response;
    grpc::Status status = c.sink().ResetOffsets(context.get(), request, &response);
    if (!status.ok()) return Fail(status, c, "offsets reset");
    if (options_.json) {
      out_ << ToJson(response) << '\n';
    } else {
      out_ << "reset; the sink starts from these offsets (`tweetctl restart sink` to go on):\n";
      PrintOffsets(response.partitions(), -1);
    }
    return kExitOk;
  }

  int DeadLetterStats() {
    Connection& c = Conn(Target::kSink);
    auto context = c.NewCallContext();
    v1::DeadLetterStats stats;
    grpc::Status status = c.sink().GetDeadLetterStats(context.get(), v1::GetDeadLetterStatsRequest(), &stats);
    if (!status.ok()) return Fail(status, c, "dlq stats");
    if (options_.json) {
      out_ << ToJson(stats) << '\n';
      return kExitOk;
    }
    Table kv({});
    kv.AlignLeft(1);
    kv.AddRow({"topic", stats.topic().empty() ? "(dead-lettering off)" : stats.topic()});
    kv.AddRow({"dead-lettered", absl::StrCat(stats.dead_lettered())});
    kv.AddRow({"rejected by the mapping", absl::StrCat(stats.rejected())});
    kv.AddRow({"undecodable", absl::StrCat(stats.undecodable())});
    kv.AddRow({"records on the topic", Known(stats.topic_records())});
    if (stats.has_last() && !stats.last().message().empty()) {
      kv.AddRow({"last", absl::StrCat(FormatTime(stats.last().time()), "  ", stats.last().message())});
    }
    kv.Render(out_);
    if (!stats.by_error_class().empty()) {
      std::map<std::string, int64_t> sorted(stats.by_error_class().begin(), stats.by_error_class().end());
      Table table({"ERROR CLASS", "RECORDS"});
      for (const auto& [k, v] : sorted) table.AddRow({k, absl::StrCat(v)});
      out_ << '\n';
      table.Render(out_);
    }
    return kExitOk;
  }

  // ---- metrics, health

  int Metrics(const std::vector<Target>& targets) {
    return Sections<v1::GetMetricsResponse>(
        targets, "metrics",
        [](Connection& c, grpc::ClientContext* context, v1::GetMetricsResponse* metrics) {
          return c.control().GetMetrics(context, v1::GetMetricsRequest(), metrics);
        },
        [this](const v1::GetMetricsResponse& metrics) {
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
                if (h.count() > 0) absl::StrAppend(&value, " avg=", FormatDouble(h.sum() / static_cast<double>(h.count())));
              } else {
                value = FormatDouble(s.value());
              }
              table.AddRow({f.name(), type, absl::StrJoin(labels, ",", absl::PairFormatter("=")), value});
            }
            if (f.samples().empty()) table.AddRow({f.name(), type, "", "-"});
          }
          table.Render(out_);
        });
  }

  int Health(const std::vector<Target>& targets) {
    auto replies = Concurrently<health::HealthCheckResponse>(targets, [](Connection& c) {
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
      const Connection& c = Conn(targets[i]);
      std::string state;
      if (!r.status.ok()) {
        code = WorseExitCode(code, Fail(r.status, c, "health"));
        state = ExitCodeFor(r.status) == kExitUnreachable ? "UNREACHABLE" : CodeName(r.status.error_code());
      } else {
        state = health::HealthCheckResponse::ServingStatus_Name(r.message.status());
        if (r.message.status() != health::HealthCheckResponse::SERVING) code = WorseExitCode(code, kExitFailed);
      }
      table.AddRow({std::string(TargetName(targets[i])), c.address(), state});
    }
    if (options_.json) PrintKeyedJson(targets, replies);
    else table.Render(out_);
    return code;
  }

  // ---- dashboard (both)
  int Dashboard() {
    dashboard::DashboardOptions options;
    options.listen = options_.listen;
    auto server = dashboard::DashboardServer::Start(options, source_.get(), sink_.get());
    if (!server.ok()) {
      err_ << "tweetctl: dashboard: " << server.status().message() << '\n';
      return server.status().code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitFailed;
    }
    std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    out_ << "dashboard: http://" << host << ':' << (*server)->port() << "/ (source " << source_->address()
         << ", sink " << sink_->address() << "); Ctrl-C stops" << std::endl;
    while (options_.interrupted == nullptr || !options_.interrupted->load()) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    server->reset();
    return kExitOk;
  }

  const Options& options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<Connection> source_;
  std::unique_ptr<Connection> sink_;
};

}  // namespace

int Run(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (absl::Status s = options.Validate(); !s.ok()) {
    err << "tweetctl: " << s.message() << "\nRun `tweetctl --help` for the commands.\n";
    return kExitUsage;
  }
  return Ctl(options, out, err).Run(args);
}

}  // namespace tweetstream::tweetctl
