#pragma once
// grpc.reflection.v1 (proto/grpc/reflection/v1/reflection.proto) over a DescriptorPool: what current
// clients (grpcurl 1.9, grpcui, Postman, grpc-go) ask for first. Debian's gRPC 1.51 serves only
// grpc.reflection.v1alpha (its reflection plugin, which ControlServer keeps for older clients); both
// answer from the same pool (the generated one) and list the same services: the server's own list,
// handed over by the ServerBuilderOption below when the server is built.
//
// Threading: calls run on gRPC's threads; the service keeps no state between requests. Requests are
// answered in order on each stream; an unknown file or symbol is an error_response (NOT_FOUND), the
// stream stays open.

#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_option.h>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace tweetstream::control {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `pool` (not owned) must outlive the service; the generated pool by default.
  explicit ReflectionV1Service(
      const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool())
      : pool_(pool) {}

  // The builder option that hands the server's service list to this service (the list lives in the
  // grpc::Server and grows until it starts, health included). Pass it to ServerBuilder::SetOption
  // before BuildAndStart; the service must outlive the server.
  std::unique_ptr<grpc::ServerBuilderOption> ServiceListOption();

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

  // The served services whose descriptors the pool lacks (so they cannot be described or called
  // through reflection): empty when all is well. Valid once the server is built.
  std::vector<std::string> Undescribable() const;

 private:
  class ListPlugin;
  class ListOption;
  const google::protobuf::DescriptorPool* const pool_;
  const std::vector<std::string>* services_ = nullptr;  // set once, before the server starts
};

}  // namespace tweetstream::control
