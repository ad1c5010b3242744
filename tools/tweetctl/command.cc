#include "tools/tweetctl/command.h"

#include "absl/strings/str_cat.h"

namespace tweetstream::tweetctl {

Context::Context(const Options& options, std::ostream& out, std::ostream& err)
    : options_(options), out_(out), err_(err) {
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

int Context::Usage(const std::string& message) {
  err_ << "tweetctl: " << message << "\nRun `tweetctl --help` for the commands.\n";
  return kExitUsage;
}

int Context::Fail(const grpc::Status& status, const Connection& connection, absl::string_view operation) {
  err_ << DescribeError(status, connection, operation) << '\n';
  return ExitCodeFor(status);
}

int Context::WithTargets(const Args& args, size_t index, const std::function<int(std::vector<Target>)>& fn) {
  if (args.size() > index + 1) return Usage(absl::StrCat("unexpected argument '", args[index + 1], "'"));
  if (args.size() == index) return fn({Target::kSource, Target::kSink});
  std::vector<Target> targets;
  if (!ParseTarget(args[index], &targets)) {
    return Usage(absl::StrCat("'", args[index], "' is not a connector: expected source or sink"));
  }
  return fn(targets);
}

bool Context::ParseTarget(const std::string& word, std::vector<Target>* targets) {
  if (word == "source") targets->push_back(Target::kSource);
  else if (word == "sink") targets->push_back(Target::kSink);
  else return false;
  return true;
}

}  // namespace tweetstream::tweetctl
