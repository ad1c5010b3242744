#include "common/control/reflection_v1_service.h"

#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <grpcpp/impl/server_initializer.h>

#include <set>

#include "absl/strings/str_cat.h"

namespace tweetstream::control {
namespace {

namespace rv1 = ::grpc::reflection::v1;
using google::protobuf::FileDescriptor;

// Adds `file` and every file it depends on (transitively) that this response does not hold yet. The
// requested file is always sent, even when an earlier answer on the stream held it: clients that cache
// nothing (or only what they asked for) get a whole answer each time.
void AddFileAndDependencies(const FileDescriptor* file, std::set<std::string>* sent,
                            rv1::FileDescriptorResponse* out) {
  if (!sent->insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  proto.SerializeToString(out->add_file_descriptor_proto());
  for (int i = 0; i < file->dependency_count(); ++i) AddFileAndDependencies(file->dependency(i), sent, out);
}

void SetError(grpc::StatusCode code, const std::string& message, rv1::ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(static_cast<int32_t>(code));
  response->mutable_error_response()->set_error_message(message);
}

}  // namespace

// Does nothing but capture the server's service list at the end of BuildAndStart.
class ReflectionV1Service::ListPlugin final : public grpc::ServerBuilderPlugin {
 public:
  explicit ListPlugin(ReflectionV1Service* service) : service_(service) {}
  std::string name() override { return "tweetstream_reflection_v1_service_list"; }
  void InitServer(grpc::ServerInitializer*) override {}
  void Finish(grpc::ServerInitializer* si) override { service_->services_ = si->GetServiceList(); }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  ReflectionV1Service* const service_;
};

class ReflectionV1Service::ListOption final : public grpc::ServerBuilderOption {
 public:
  explicit ListOption(ReflectionV1Service* service) : service_(service) {}
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ListPlugin>(service_));
  }

 private:
  ReflectionV1Service* const service_;
};

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Service::ServiceListOption() {
  return std::make_unique<ListOption>(this);
}

std::vector<std::string> ReflectionV1Service::Undescribable() const {
  std::vector<std::string> missing;
  if (services_ == nullptr) return missing;
  for (const std::string& name : *services_) {
    if (pool_->FindServiceByName(name) == nullptr) missing.push_back(name);
  }
  return missing;
}

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<rv1::ServerReflectionResponse, rv1::ServerReflectionRequest>* stream) {
  rv1::ServerReflectionRequest request;
  while (!context->IsCancelled() && stream->Read(&request)) {
    std::set<std::string> sent;  // files already in this response
    rv1::ServerReflectionResponse response;
    response.set_valid_host(request.host());
    *response.mutable_original_request() = request;
    const FileDescriptor* file = nullptr;
    std::string not_found;
    switch (request.message_request_case()) {
      case rv1::ServerReflectionRequest::kFileByFilename:
        file = pool_->FindFileByName(request.file_by_filename());
        if (file == nullptr) not_found = absl::StrCat("file not found: ", request.file_by_filename());
        break;
      case rv1::ServerReflectionRequest::kFileContainingSymbol:
        file = pool_->FindFileContainingSymbol(request.file_containing_symbol());
        if (file == nullptr) not_found = absl::StrCat("symbol not found: ", request.file_containing_symbol());
        break;
      case rv1::ServerReflectionRequest::kFileContainingExtension: {
        const auto& ext = request.file_containing_extension();
        const google::protobuf::Descriptor* type = pool_->FindMessageTypeByName(ext.containing_type());
        const google::protobuf::FieldDescriptor* field =
            type == nullptr ? nullptr : pool_->FindExtensionByNumber(type, ext.extension_number());
        if (field != nullptr) file = field->file();
        else not_found = absl::StrCat("extension not found: ", ext.containing_type(), " #", ext.extension_number());
        break;
      }
      case rv1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const google::protobuf::Descriptor* type = pool_->FindMessageTypeByName(request.all_extension_numbers_of_type());
        if (type == nullptr) {
          not_found = absl::StrCat("type not found: ", request.all_extension_numbers_of_type());
          break;
        }
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool_->FindAllExtensions(type, &extensions);
        auto* numbers = response.mutable_all_extension_numbers_response();
        numbers->set_base_type_name(type->full_name());
        for (const auto* e : extensions) numbers->add_extension_number(e->number());
        break;
      }
      case rv1::ServerReflectionRequest::kListServices: {
        auto* list = response.mutable_list_services_response();
        if (services_ != nullptr) {
          for (const std::string& name : *services_) list->add_service()->set_name(name);
        }
        break;
      }
      default:
        SetError(grpc::StatusCode::UNIMPLEMENTED, "unknown reflection request", &response);
        break;
    }
    if (!not_found.empty()) SetError(grpc::StatusCode::NOT_FOUND, not_found, &response);
    if (file != nullptr) AddFileAndDependencies(file, &sent, response.mutable_file_descriptor_response());
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

}  // namespace tweetstream::control
