#pragma once
// One connector's control endpoint as tweetctl sees it: a gRPC channel, the generated stubs, and
// per-call contexts that carry the deadline and the bearer token; plus what a failed call means for
// the user (exit code, and a hint that says what to do).

#include <memory>
#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tweetstream/connector/v1/control.grpc.pb.h"
#include "tweetstream/connector/v1/sink.grpc.pb.h"
#include "tweetstream/connector/v1/source.grpc.pb.h"

namespace tweetstream::tweetctl {

enum class Target { kSource, kSink };

absl::string_view TargetName(Target target);  // "source", "sink"
absl::string_view BinaryName(Target target);  // "tweet-source", "tweet-sink"

struct ConnectionOptions {
  std::string address;                        // host:port of the connector's --control-addr
  absl::Duration timeout = absl::Seconds(10);  // deadline of every unary call
  std::string token;                           // bearer token; empty = none. Never printed.
  std::string tls_ca_pem;                      // CA bundle (PEM) to verify the server; empty = plaintext
};

// The name of the metadata entry that carries the token: "authorization: Bearer <token>".
inline constexpr char kAuthorizationMetadata[] = "authorization";

// Thread-safe after construction (gRPC stubs and channels are); contexts are per call.
class Connection {
 public:
  Connection(Target target, ConnectionOptions options);

  Target target() const { return target_; }
  const std::string& address() const { return options_.address; }
  absl::Duration timeout() const { return options_.timeout; }
  bool has_token() const { return !options_.token.empty(); }
  bool tls() const { return !options_.tls_ca_pem.empty(); }

  // A context for one unary call: deadline = now + timeout, the token's metadata when there is one.
  std::unique_ptr<grpc::ClientContext> NewCallContext() const;
  // For calls that wait for the data plane (stop, restart, config set: a flush and commit, then
  // Kafka and Elasticsearch at start): deadline = now + max(timeout, 2 minutes).
  std::unique_ptr<grpc::ClientContext> NewSlowCallContext() const;
  // A context for a stream: the token's metadata, no deadline (the caller watches the stream's
  // progress itself and cancels it; see tweetctl's watch).
  std::unique_ptr<grpc::ClientContext> NewStreamContext() const;

  tweetstream::connector::v1::ConnectorControl::Stub& control() { return *control_; }
  tweetstream::connector::v1::SourceControl::Stub& source() { return *source_; }
  tweetstream::connector::v1::SinkControl::Stub& sink() { return *sink_; }
  grpc::health::v1::Health::Stub& health() { return *health_; }

 private:
  Target target_;
  ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tweetstream::connector::v1::ConnectorControl::Stub> control_;
  std::unique_ptr<tweetstream::connector::v1::SourceControl::Stub> source_;
  std::unique_ptr<tweetstream::connector::v1::SinkControl::Stub> sink_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

// tweetctl's exit codes (see README.md and --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the connector answered with an error, or is not healthy / FAILED
  kExitUsage = 2,        // unknown command, bad argument, unreadable token or CA file
  kExitUnreachable = 3,  // UNAVAILABLE or DEADLINE_EXCEEDED: nothing (or nothing in time) answered
};

// 0 for OK; kExitUnreachable for UNAVAILABLE and DEADLINE_EXCEEDED; kExitFailed otherwise.
int ExitCodeFor(const grpc::Status& status);

// The worse of two exit codes for a command that addressed several connectors: usage > unreachable
// > failed > ok.
int WorseExitCode(int a, int b);

// "UNAVAILABLE", "FAILED_PRECONDITION", ...
std::string CodeName(grpc::StatusCode code);

// What to do about a failed call, e.g. for FAILED_PRECONDITION on "offsets reset":
// "offsets reset needs the sink STOPPED: run `tweetctl stop sink` first". `operation` is the
// command as typed ("pause", "offsets reset", "config set"). Empty when there is nothing to add.
std::string HintFor(const grpc::Status& status, const Connection& connection, absl::string_view operation);

// The full diagnostic for stderr, without a trailing newline:
//   tweetctl: offsets reset: sink at 127.0.0.1:50052: FAILED_PRECONDITION: <server's message>
//     hint: offsets reset needs the sink STOPPED: run `tweetctl stop sink` first
std::string DescribeError(const grpc::Status& status, const Connection& connection, absl::string_view operation);

}  // namespace tweetstream::tweetctl
