#!/usr/bin/env python3
"""The seed-style consumer, as the classic Kafka -> Elasticsearch tutorial writes it: kafka-python's
KafkaConsumer iterated message by message, JSON values, and ONE elasticsearch-py `es.index` call per
message (the tweet id as the document id, so it writes the same documents as tweet-sink).

It consumes a topic pre-filled with the pre-rendered JSON documents (the exact documents tweet-sink
writes), stops after --max documents, and prints one JSON line with its own timing:

  {"indexed": n, "first_start": t, "last_end": t, "cpu_s": c}

    seed_consumer.py --topic T --group G --index I --max N [--bootstrap 127.0.0.1:9092] [--es http://127.0.0.1:9200]
"""

import argparse
import json
import resource
import sys
import time

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--index", required=True)
    ap.add_argument("--max", type=int, required=True)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--es", default="http://127.0.0.1:9200")
    args = ap.parse_args()

    consumer = KafkaConsumer(
        args.topic,
        bootstrap_servers=args.bootstrap,
        group_id=args.group,
        auto_offset_reset="earliest",
        value_deserializer=lambda m: json.loads(m.decode("utf-8")),
        consumer_timeout_ms=20000,  # stop iterating if nothing arrives for 20 s (a safety net only)
    )
    es = Elasticsearch([args.es])

    indexed, first_start, last_end = 0, None, None
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for message in consumer:
        t = time.monotonic()
        if first_start is None:
            first_start = t
        es.index(index=args.index, id=message.key.decode("utf-8"), body=message.value)
        last_end = time.monotonic()
        indexed += 1
        if indexed >= args.max:
            break
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    consumer.close()
    print(json.dumps({"indexed": indexed, "first_start": first_start, "last_end": last_end,
                      "cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)}), flush=True)
    return 0 if indexed == args.max else 1


if __name__ == "__main__":
    sys.exit(main())
