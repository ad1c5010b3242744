"""A control-plane client that is not ours: Python grpcio with nothing but server reflection.

Usage: reflection_client.py HOST:PORT [--reflection v1|v1alpha]
  (environment: CONTROL_TOKEN, when set, is sent as `authorization: Bearer <token>` on our services' calls)
Lists the services through reflection (grpc.reflection.v1 by default, as current clients ask first;
v1alpha with --reflection v1alpha), builds the request and response types of
tweetstream.connector.v1.ConnectorControl/GetStatus and grpc.health.v1.Health/Check from the reflected
descriptors (no generated code, no .proto files), calls both and prints one JSON object:
  {"reflection": "v1", "services": [...], "status": {...}, "health": "SERVING"}
Exits non-zero when the server does not answer the chosen reflection version (UNIMPLEMENTED) or a
descriptor is missing from what it serves.
"""
import argparse
import collections
import json
import os
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/"
_V1 = "/grpc.reflection.v1.ServerReflection/"


class _CallDetails(collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                          "wait_for_ready", "compression")),
                   grpc.ClientCallDetails):
    pass


class _ToReflectionV1(grpc.StreamStreamClientInterceptor):
    """Sends grpcio-reflection's v1alpha calls to grpc.reflection.v1 instead.

    grpcio-reflection 1.76 ships a v1alpha client only; v1 is the same protocol (the same messages
    and field numbers) under a new package, so only the method path changes. The server has to
    serve v1 itself: one that does not answers UNIMPLEMENTED.
    """

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        details = client_call_details
        if details.method.startswith(_V1ALPHA):
            details = _CallDetails(_V1 + details.method[len(_V1ALPHA):], details.timeout, details.metadata,
                                   details.credentials, details.wait_for_ready, details.compression)
        return continuation(details, request_iterator)


def _unary(channel, pool, full_method, metadata):
    """Calls a unary method with an empty request, its types taken from the reflected descriptors only."""
    service_name, method_name = full_method.rsplit("/", 1)
    method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        "/" + full_method,
        request_serializer=request_class.SerializeToString,
        response_deserializer=response_class.FromString,
    )
    return call(request_class(), timeout=10, metadata=metadata)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--reflection", choices=("v1", "v1alpha"), default="v1")
    args = parser.parse_args()
    channel = grpc.insecure_channel(args.address)
    grpc.channel_ready_future(channel).result(timeout=10)
    reflection_channel = channel
    if args.reflection == "v1":
        reflection_channel = grpc.intercept_channel(channel, _ToReflectionV1())
    database = ProtoReflectionDescriptorDatabase(reflection_channel)
    services = sorted(database.get_services())
    pool = descriptor_pool.DescriptorPool(database)
    token = os.environ.get("CONTROL_TOKEN", "")
    metadata = (("authorization", "Bearer " + token),) if token else None
    status = _unary(channel, pool, "tweetstream.connector.v1.ConnectorControl/GetStatus", metadata)
    health = _unary(channel, pool, "grpc.health.v1.Health/Check", None)
    print(json.dumps({"reflection": args.reflection,
                      "services": services,
                      "status": json_format.MessageToDict(status, preserving_proto_field_name=True),
                      "health": health.DESCRIPTOR.fields_by_name["status"].enum_type
                                      .values_by_number[health.status].name}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
