// rules list|add|delete, cursor get|reset: what only tweet-source serves (SourceControl).

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/tweetctl/args.h"
#include "tools/tweetctl/commands.h"
#include "tools/tweetctl/table.h"

namespace tweetstream::tweetctl {

namespace {

namespace v1 = tweetstream::connector::v1;

// ---- rules

void PrintRules(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::StreamRule>& rules) {
  Table table({"ID", "VALUE", "TAG"});
  table.AlignLeft(0);
  for (const v1::StreamRule& r : rules) table.AddRow({r.id(), r.value(), r.tag()});
  table.Render(out);
}

int RulesList(Context& ctx, Connection& c, const Args& rest) {
  if (!rest.empty()) return ctx.Usage(absl::StrCat("rules list: unexpected argument '", rest[0], "'"));
  auto context = c.NewCallContext();
  v1::ListRulesResponse response;
  grpc::Status status = c.source().ListRules(context.get(), v1::ListRulesRequest(), &response);
  if (!status.ok()) return ctx.Fail(status, c, "rules list");
  if (ctx.options().json) {
    ctx.out() << ToJson(response) << '\n';
  } else {
    PrintRules(ctx.out(), response.rules());
  }
  return kExitOk;
}

int RulesAdd(Context& ctx, Connection& c, const Args& rest) {
  if (rest.empty()) return ctx.Usage("rules add needs at least one rule VALUE");
  v1::AddRulesRequest request;
  request.set_dry_run(ctx.options().dry_run);
  for (const std::string& value : rest) {
    v1::StreamRule* rule = request.add_rules();
    rule->set_value(value);
    rule->set_tag(ctx.options().tag);
  }
  auto context = c.NewCallContext();
  v1::AddRulesResponse response;
  grpc::Status status = c.source().AddRules(context.get(), request, &response);
  if (!status.ok()) return ctx.Fail(status, c, "rules add");
  std::ostream& out = ctx.out();
  if (ctx.options().json) {
    out << ToJson(response) << '\n';
  } else if (!response.errors().empty()) {
    out << "rejected, nothing added:\n";
    Table table({"VALUE", "REASON"});
    for (const v1::RuleError& e : response.errors()) table.AddRow({e.value(), e.reason()});
    table.Render(out);
  } else {
    out << (response.dry_run() ? "valid (dry run, nothing added):\n" : "added:\n");
    PrintRules(out, response.added());
  }
  return response.errors().empty() ? kExitOk : kExitFailed;
}

int RulesDelete(Context& ctx, Connection& c, const Args& rest) {
  if (rest.empty()) return ctx.Usage("rules delete needs at least one rule ID or VALUE");
  v1::DeleteRulesRequest request;
  request.set_dry_run(ctx.options().dry_run);
  for (const std::string& item : rest) {
    if (IsNumericId(item)) request.add_ids(item);
    else request.add_values(item);
  }
  auto context = c.NewCallContext();
  v1::DeleteRulesResponse response;
  grpc::Status status = c.source().DeleteRules(context.get(), request, &response);
  if (!status.ok()) return ctx.Fail(status, c, "rules delete");
  if (ctx.options().json) {
    ctx.out() << ToJson(response) << '\n';
  } else {
    ctx.out() << (response.dry_run() ? "would delete (dry run, nothing deleted):\n" : "deleted:\n");
    PrintRules(ctx.out(), response.deleted());
  }
  if (!response.not_found().empty()) {
    ctx.err() << "tweetctl: rules delete: not found: " << absl::StrJoin(response.not_found(), ", ")
              << "\n  hint: `tweetctl rules list` shows the rules and their ids\n";
    return kExitFailed;
  }
  return kExitOk;
}

int Rules(Context& ctx, const Args& args) {
  if (args.size() < 2) return ctx.Usage("expected `rules list|add|delete`");
  const std::string& sub = args[1];
  const Args rest(args.begin() + 2, args.end());
  Connection& c = ctx.Conn(Target::kSource);
  if (sub == "list") return RulesList(ctx, c, rest);
  if (sub == "add") return RulesAdd(ctx, c, rest);
  if (sub == "delete") return RulesDelete(ctx, c, rest);
  return ctx.Usage(absl::StrCat("unknown rules command '", sub, "'"));
}

// ---- cursor

int Cursor(Context& ctx, const Args& args) {
  if (args.size() < 2) return ctx.Usage("expected `cursor get|reset`");
  const std::string& sub = args[1];
  Connection& c = ctx.Conn(Target::kSource);
  v1::Cursor cursor;
  grpc::Status status;
  if (sub == "get") {
    if (args.size() > 2) return ctx.Usage(absl::StrCat("cursor get: unexpected argument '", args[2], "'"));
    auto context = c.NewCallContext();
    status = c.source().GetCursor(context.get(), v1::GetCursorRequest(), &cursor);
  } else if (sub == "reset") {
    if (args.size() > 3) return ctx.Usage(absl::StrCat("cursor reset: unexpected argument '", args[3], "'"));
    v1::ResetCursorRequest request;
    if (args.size() == 3) {
      if (!IsNumericId(args[2])) {
        return ctx.Usage(absl::StrCat("cursor reset: '", args[2], "' is not a tweet id (digits)"));
      }
      request.set_newest_id(args[2]);
    }
    auto context = c.NewCallContext();
    status = c.source().ResetCursor(context.get(), request, &cursor);
  } else {
    return ctx.Usage(absl::StrCat("unknown cursor command '", sub, "'"));
  }
  if (!status.ok()) return ctx.Fail(status, c, absl::StrCat("cursor ", sub));
  if (ctx.options().json) {
    ctx.out() << ToJson(cursor) << '\n';
    return kExitOk;
  }
  Table kv({});
  kv.AlignLeft(1);
  kv.AddRow({"key", cursor.key()});
  kv.AddRow({"newest id", cursor.newest_id().empty() ? "(none)" : cursor.newest_id()});
  kv.AddRow({"cursor topic", cursor.cursor_topic()});
  kv.Render(ctx.out());
  return kExitOk;
}

}  // namespace

std::vector<Command> SourceCommands() {
  return {
      {"rules",
       Rules,
       {{"rules list", "the source's filtered-stream rules"},
        {"rules add [--dry-run] [--tag T] VALUE ...", ""},
        // The argument's rule, too long for the help column: part of the synopsis line.
        {"rules delete [--dry-run] ID_OR_VALUE ...  (all digits = a rule id, otherwise a rule value)", ""}}},
      {"cursor",
       Cursor,
       {{"cursor get", "the source's cursor (newest delivered tweet id)"},
        {"cursor reset [NEWEST_ID]", "needs the source STOPPED; no id = forget the cursor"}}},
  };
}

}  // namespace tweetstream::tweetctl
