"""A control-plane client that is not ours: Python grpcio with nothing but server reflection.

Usage: reflection_client.py HOST:PORT
Lists the services through reflection, builds the request and response types of
tweetstream.connector.v1.ConnectorControl/GetStatus from the reflected descriptors (no generated
code, no .proto files), calls it and prints one JSON object: {"services": [...], "status": {...}}.
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def main() -> int:
    channel = grpc.insecure_channel(sys.argv[1])
    grpc.channel_ready_future(channel).result(timeout=10)
    database = ProtoReflectionDescriptorDatabase(channel)
    services = sorted(database.get_services())
    pool = descriptor_pool.DescriptorPool(database)
    service = pool.FindServiceByName("tweetstream.connector.v1.ConnectorControl")
    method = service.methods_by_name["GetStatus"]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        "/tweetstream.connector.v1.ConnectorControl/GetStatus",
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    status = call(request_class(), timeout=10)
    print(json.dumps({"services": services,
                      "status": json_format.MessageToDict(status, preserving_proto_field_name=True)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
