// offsets get|reset, dlq stats: what only tweet-sink serves (SinkControl).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/tweetctl/args.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;

// ---- offsets

// One row per partition; a "total" row when `total_lag` is not negative.
void PrintOffsets(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::PartitionOffsets>& partitions,
                  int64_t total_lag) {
  Table table({"PARTITION", "COMMITTED", "START OFFSET", "END OFFSET", "LAG"});
  for (const v1::PartitionOffsets& p : partitions) {
    table.AddRow({absl::StrCat(p.partition()), absl::StrCat(p.committed()), absl::StrCat(p.start_offset()),
                  absl::StrCat(p.end_offset()), absl::StrCat(p.lag())});
  }
  if (total_lag >= 0) table.AddRow({"total", "", "", "", absl::StrCat(total_lag)});
  table.Render(out);
}

int OffsetsGet(Context& ctx, Connection& c) {
  auto context = c.NewCallContext();
  v1::GetOffsetsResponse response;
  grpc::Status status = c.sink().GetOffsets(context.get(), v1::GetOffsetsRequest(), &response);
  if (!status.ok()) return ctx.Fail(status, c, "offsets get");
  if (ctx.options().json) {
    ctx.out() << ToJson(response) << '\n';
  } else {
    ctx.out() << "topic " << response.topic() << ", group " << response.group_id() << '\n';
    PrintOffsets(ctx.out(), response.partitions(), response.total_lag());
  }
  return kExitOk;
}

int OffsetsReset(Context& ctx, Connection& c) {
  if (ctx.options().to.empty()) return ctx.Usage("offsets reset needs --to earliest|latest|RFC3339_TIME|P:OFFSET,...");
  auto target = ParseOffsetsTarget(ctx.options().to);
  if (!target.ok()) return ctx.Usage(absl::StrCat("offsets reset: ", target.status().message()));
  v1::ResetOffsetsRequest request;
  ToRequest(*target, &request);
  auto context = c.NewCallContext();
  v1::ResetOffsetsResponse response;
  grpc::Status status = c.sink().ResetOffsets(context.get(), request, &response);
  if (!status.ok()) return ctx.Fail(status, c, "offsets reset");
  if (ctx.options().json) {
    ctx.out() << ToJson(response) << '\n';
  } else {
    ctx.out() << "reset; the sink starts from these offsets (`tweetctl restart sink` to go on):\n";
    PrintOffsets(ctx.out(), response.partitions(), -1);
  }
  return kExitOk;
}

int Offsets(Context& ctx, const Args& args) {
  if (args.size() < 2) return ctx.Usage("expected `offsets get|reset`");
  const std::string& sub = args[1];
  if (args.size() > 2) return ctx.Usage(absl::StrCat("offsets ", sub, ": unexpected argument '", args[2], "'"));
  Connection& c = ctx.Conn(Target::kSink);
  if (sub == "get") return OffsetsGet(ctx, c);
  if (sub == "reset") return OffsetsReset(ctx, c);
  return ctx.Usage(absl::StrCat("unknown offsets command '", sub, "'"));
}

// ---- dlq

int DeadLetterStats(Context& ctx, const Args& args) {
  if (args.size() != 2 || args[1] != "stats") return ctx.Usage("expected `dlq stats`");
  Connection& c = ctx.Conn(Target::kSink);
  auto context = c.NewCallContext();
  v1::DeadLetterStats stats;
  grpc::Status status = c.sink().GetDeadLetterStats(context.get(), v1::GetDeadLetterStatsRequest(), &stats);
  if (!status.ok()) return ctx.Fail(status, c, "dlq stats");
  std::ostream& out = ctx.out();
  if (ctx.options().json) {
    out << ToJson(stats) << '\n';
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
  kv.Render(out);
  if (!stats.by_error_class().empty()) {
    std::map<std::string, int64_t> sorted(stats.by_error_class().begin(), stats.by_error_class().end());
    Table table({"ERROR CLASS", "RECORDS"});
    for (const auto& [k, v] : sorted) table.AddRow({k, absl::StrCat(v)});
    out << '\n';
    table.Render(out);
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> SinkCommands() {
  return {
      {"offsets",
       Offsets,
       {{"offsets get", "the sink group's committed offsets, end offsets and lag"},
        {"offsets reset --to earliest|latest|RFC3339_TIME|P:OFFSET,...", "needs the sink STOPPED"}}},
      {"dlq", DeadLetterStats, {{"dlq stats", "the sink's dead-letter counters"}}},
  };
}

}  // namespace tweetstream::tweetctl
