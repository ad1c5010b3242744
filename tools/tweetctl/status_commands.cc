// status, watch: both connectors at a glance, once or as a stream of updates.

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/rfc3339.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;

// ---- status

void PrintStatusDetail(std::ostream& out, const v1::ConnectorStatus& s) {
  out << '\n' << (s.has_sink() ? "sink " : s.has_source() ? "source " : "") << s.name();
  if (!s.version().empty()) out << " " << s.version();
  out << '\n';
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
  kv.Render(out);
  if (s.has_sink() && !s.sink().partitions().empty()) {
    Table partitions({"  PARTITION", "COMMITTED", "END OFFSET", "LAG"});
    for (const v1::PartitionLag& p : s.sink().partitions()) {
      partitions.AddRow({absl::StrCat("  ", p.partition()), absl::StrCat(p.committed()), absl::StrCat(p.end_offset()),
                         absl::StrCat(p.lag())});
    }
    partitions.AddRow({"  total", "", "", absl::StrCat(s.sink().total_lag())});
    partitions.Render(out);
  }
}

int Status(Context& ctx, const std::vector<Target>& targets) {
  auto replies = ctx.Concurrently<v1::ConnectorStatus>(targets, [](Connection& c) {
    Reply<v1::ConnectorStatus> r;
    auto context = c.NewCallContext();
    r.status = c.control().GetStatus(context.get(), v1::GetStatusRequest(), &r.message);
    return r;
  });
  int code = kExitOk;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!replies[i].status.ok()) {
      code = WorseExitCode(code, ctx.Fail(replies[i].status, ctx.Conn(targets[i]), "status"));
    } else if (replies[i].message.state() == v1::CONNECTOR_STATE_FAILED) {
      code = WorseExitCode(code, kExitFailed);
    }
  }
  if (ctx.options().json) {
    ctx.PrintKeyedJson(targets, replies);
    return code;
  }
  Table table({"CONNECTOR", "KIND", "STATE", "SINCE", "UPTIME", "READ", "PRODUCED", "INDEXED", "RETRIED", "FAILED",
               "DEAD-LETTERED", "SKIPPED", "ADDRESS", "CAUSE"});
  for (size_t i = 0; i < targets.size(); ++i) {
    const Connection& c = ctx.Conn(targets[i]);
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
  table.Render(ctx.out());
  for (size_t i = 0; i < targets.size(); ++i) {
    if (replies[i].status.ok()) PrintStatusDetail(ctx.out(), replies[i].message);
  }
  return code;
}

// ---- watch

std::string WatchLine(const v1::ConnectorStatus& s) {
  const std::string when = IsSet(s.observed_at()) ? FormatTime(s.observed_at()) : common::Rfc3339Seconds(absl::Now());
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

int Watch(Context& ctx, const std::vector<Target>& targets) {
  const Options& options = ctx.options();
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
    s->connection = &ctx.Conn(target);
    s->context = s->connection->NewStreamContext();
    s->deadline_ns = absl::ToUnixNanos(absl::Now() + options.timeout);  // the first update
    streams.push_back(std::move(s));
  }
  v1::WatchStatusRequest request;
  request.set_interval_ms(static_cast<int32_t>(absl::ToInt64Milliseconds(options.interval)));
  const absl::Duration patience = options.interval + options.timeout;
  std::mutex out_mu;
  int64_t printed = 0;              // guarded by out_mu
  std::atomic<bool> enough{false};  // --count reached or interrupted: cancel everything

  std::vector<std::thread> threads;
  for (auto& stream : streams) {
    threads.emplace_back([&, s = stream.get()] {
      auto reader = s->connection->control().WatchStatus(s->context.get(), request);
      v1::ConnectorStatus status;
      while (reader->Read(&status)) {
        s->deadline_ns = absl::ToUnixNanos(absl::Now() + patience);
        std::lock_guard<std::mutex> lock(out_mu);
        if (enough) break;
        ctx.out() << (options.json ? ToJson(status) : WatchLine(status)) << std::endl;
        ++printed;
        if (options.count > 0 && printed >= options.count) {
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
    if (options.interrupted != nullptr && options.interrupted->load()) enough = true;
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
      ctx.err() << DescribeError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                              absl::StrCat("no status update within ", absl::FormatDuration(patience))),
                                 *s->connection, "watch")
                << '\n';
      code = WorseExitCode(code, kExitUnreachable);
    } else if (!s->status.ok() && !(enough && s->status.error_code() == grpc::StatusCode::CANCELLED)) {
      code = WorseExitCode(code, ctx.Fail(s->status, *s->connection, "watch"));
    }
  }
  return code;
}

}  // namespace

std::vector<Command> StatusCommands() {
  return {
      {"status",
       [](Context& ctx, const Args& args) {
         return ctx.WithTargets(args, 1, [&ctx](auto t) { return Status(ctx, t); });
       },
       {{"status [source|sink]",
         "both connectors in one table: state, counters, the source's\n"
         "cursor and rate limit, the sink's lag per partition, in-flight\n"
         "bulks and the index's document count"}}},
      {"watch",
       [](Context& ctx, const Args& args) {
         return ctx.WithTargets(args, 1, [&ctx](auto t) { return Watch(ctx, t); });
       },
       {{"watch [source|sink] [--count N] [--interval 5s]",
         "one line per status update (JSON lines with --json) until\n"
         "Ctrl-C, the end of the stream, or N updates"}},
       /*until_interrupted=*/true},
  };
}

}  // namespace tweetstream::tweetctl
