#pragma once
// tweetctl's commands, as a library: main.cc parses flags into Options and calls Run(); the tests
// drive the built binary. Every call has a deadline (Options::timeout); results go to `out`
// (valid JSON only, with Options::json), diagnostics and hints to `err`. Returns an ExitCode
// (client.h): 0 ok, 1 the connector answered with an error or is not healthy/FAILED, 2 usage,
// 3 unreachable.

#include <ostream>
#include <string>
#include <vector>

#include "tools/tweetctl/commands.h"  // UsageText()
#include "tools/tweetctl/options.h"

namespace tweetstream::tweetctl {

// Runs one command; `args` are the positional arguments, e.g. {"offsets", "reset"}.
int Run(const Options& options, const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tweetstream::tweetctl
