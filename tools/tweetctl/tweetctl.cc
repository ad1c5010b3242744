#include "tools/tweetctl/tweetctl.h"

#include "absl/strings/str_cat.h"
#include "tools/tweetctl/command.h"
#include "tools/tweetctl/commands.h"

namespace tweetstream::tweetctl {

absl::Status Options::Validate() const {
  if (source_address.empty()) return absl::InvalidArgumentError("--source: empty address");
  if (sink_address.empty()) return absl::InvalidArgumentError("--sink: empty address");
  if (timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("--timeout must be positive, e.g. 10s");
  if (interval < absl::Milliseconds(100)) return absl::InvalidArgumentError("--interval must be at least 100ms");
  if (count < 0) return absl::InvalidArgumentError("--count must be 0 (no limit) or positive");
  if (listen.empty()) return absl::InvalidArgumentError("--listen: empty address");
  return absl::OkStatus();
}


int Run(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (absl::Status s = options.Validate(); !s.ok()) {
    err << "tweetctl: " << s.message() << "\nRun `tweetctl --help` for the commands.\n";
    return kExitUsage;
  }
  Context ctx(options, out, err);
  if (args.empty()) return ctx.Usage("no command given");
  const Command* command = FindCommand(args[0]);
  if (command == nullptr) return ctx.Usage(absl::StrCat("unknown command '", args[0], "'"));
  return command->run(ctx, args);
}

}  // namespace tweetstream::tweetctl
