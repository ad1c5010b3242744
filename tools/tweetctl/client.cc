#include "tools/tweetctl/client.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tweetstream::tweetctl {

namespace v1 = tweetstream::connector::v1;

absl::string_view TargetName(Target target) { return target == Target::kSource ? "source" : "sink"; }
absl::string_view BinaryName(Target target) { return target == Target::kSource ? "tweet-source" : "tweet-sink"; }

Connection::Connection(Target target, ConnectionOptions options) : target_(target), options_(std::move(options)) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.tls_ca_pem.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.tls_ca_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  // One short-lived command: do not hold a failed connect back behind the default 1s..120s backoff.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ = grpc::CreateCustomChannel(options_.address, credentials, args);
  control_ = v1::ConnectorControl::NewStub(channel_);
  source_ = v1::SourceControl::NewStub(channel_);
  sink_ = v1::SinkControl::NewStub(channel_);
  health_ = grpc::health::v1::Health::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Connection::NewStreamContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!options_.token.empty()) context->AddMetadata(kAuthorizationMetadata, "Bearer " + options_.token);
  return context;
}

std::unique_ptr<grpc::ClientContext> Connection::NewCallContext() const {
  auto context = NewStreamContext();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  return context;
}

std::unique_ptr<grpc::ClientContext> Connection::NewSlowCallContext() const {
  auto context = NewStreamContext();
  context->set_deadline(absl::ToChronoTime(absl::Now() + std::max(options_.timeout, absl::Minutes(2))));
  return context;
}

int ExitCodeFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnreachable;
    default:
      return kExitFailed;
  }
}

int WorseExitCode(int a, int b) {
  auto rank = [](int code) {
    switch (code) {
      case kExitOk: return 0;
      case kExitFailed: return 1;
      case kExitUnreachable: return 2;
      default: return 3;  // usage and anything unexpected
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string HintFor(const grpc::Status& status, const Connection& connection, absl::string_view operation) {
  const std::string target(TargetName(connection.target()));
  const std::string binary(BinaryName(connection.target()));
  const std::string running =
      absl::StrCat("is ", binary, " running with --control-addr=", connection.address(), "?");
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (connection.tls()) {
        return absl::StrCat(running, " Does it serve TLS with a certificate that --tls-ca trusts?");
      }
      if (absl::StrContains(status.error_message(), "Connection refused")) return running;
      return absl::StrCat(running, " (a TLS-only control port also looks like this: pass --tls-ca)");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("no answer within ", absl::FormatDuration(connection.timeout()), ": ", running,
                          " A slow call needs a longer --timeout.");
    case grpc::StatusCode::UNAUTHENTICATED:
      if (connection.has_token()) {
        return absl::StrCat("the token was refused: check TWEETCTL_TOKEN or --token-file against ", binary,
                            "'s --control-token-file");
      }
      return absl::StrCat(binary, " requires a token: set TWEETCTL_TOKEN or --token-file");
    case grpc::StatusCode::PERMISSION_DENIED:
      return "the token may not do this: check TWEETCTL_TOKEN or --token-file";
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::StrCat(connection.address(), " does not serve this call: is it the ", target,
                          "'s control address (--", target, ")?");
    case grpc::StatusCode::FAILED_PRECONDITION:
      if (operation == "offsets reset") {
        return "offsets reset needs the sink STOPPED: run `tweetctl stop sink` first";
      }
      if (operation == "cursor reset") {
        return "cursor reset needs the source STOPPED: run `tweetctl stop source` first";
      }
      if (operation == "pause") {
        return absl::StrCat("only a RUNNING connector can be paused: see `tweetctl status ", target, "`");
      }
      if (operation == "resume") {
        return absl::StrCat("only a PAUSED connector can be resumed; a STOPPED or FAILED one needs `tweetctl restart ",
                            target, "`");
      }
      return absl::StrCat("the connector's state does not allow this now: see `tweetctl status ", target, "`");
    case grpc::StatusCode::INVALID_ARGUMENT:
      if (operation == "config set" || operation == "config validate") {
        return absl::StrCat("nothing was changed; `tweetctl config get ", target, "` lists the settings and their values");
      }
      return "";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "the connector is out of quota or capacity: try again later";
    default:
      return "";
  }
}

std::string DescribeError(const grpc::Status& status, const Connection& connection, absl::string_view operation) {
  std::string text = absl::StrCat("tweetctl: ", operation, ": ", TargetName(connection.target()), " at ",
                                  connection.address(), ": ", CodeName(status.error_code()));
  if (!status.error_message().empty()) absl::StrAppend(&text, ": ", status.error_message());
  const std::string hint = HintFor(status, connection, operation);
  if (!hint.empty()) absl::StrAppend(&text, "\n  hint: ", hint);
  return text;
}

}  // namespace tweetstream::tweetctl
