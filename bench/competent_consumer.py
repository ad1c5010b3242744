#!/usr/bin/env python3
"""The Kafka -> Elasticsearch consumer a competent Python engineer writes: the second Python peer of
bench/sink_bench.sh (the first, seed_consumer.py, is the tutorial's one-request-per-document loop).

  * confluent-kafka (librdkafka underneath), `consume()` in batches, auto-commit OFF: offsets are
    committed, synchronously, only for documents whose bulk item came back successful;
  * elasticsearch-py's bulk helpers: `parallel_bulk` with --threads bulks in flight (as many as
    tweet-sink's --max-in-flight), or `streaming_bulk` when --threads is 1, with the same cut as
    tweet-sink (--chunk-size records, --max-chunk-bytes bytes per request), a 60 s request timeout;
  * the Kafka value is the pre-rendered JSON document and is handed to the helper as a string, which
    it sends as it is (no json.loads / json.dumps round trip); `_id` = the record key = the tweet id.

Results come back from the helpers in the order the actions went in, so every result pops the
(partition, offset) of its record from a queue and the committed offset of a partition is always the
end of a run of indexed documents. A failed item stops the consumer (the helper raises
BulkIndexError) without committing it: that is enough for a benchmark, where none should fail.

It stops after --max documents (or when nothing arrived for 20 s) and prints one JSON line:

  {"indexed": n, "first_start": t, "last_end": t, "cpu_s": c, "commits": k, "helper": "parallel_bulk"}

    competent_consumer.py --topic T --group G --index I --max N [--threads 2] [--chunk-size 2000]
                          [--max-chunk-bytes 5242880] [--bootstrap 127.0.0.1:9092] [--es http://127.0.0.1:9200]
"""

import argparse
import collections
import json
import resource
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition
from elasticsearch import Elasticsearch
from elasticsearch.helpers import parallel_bulk, streaming_bulk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--index", required=True)
    ap.add_argument("--max", type=int, required=True)
    ap.add_argument("--threads", type=int, default=2, help="bulks in flight (1 = streaming_bulk)")
    ap.add_argument("--chunk-size", type=int, default=2000)
    ap.add_argument("--max-chunk-bytes", type=int, default=5 * 1024 * 1024)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--es", default="http://127.0.0.1:9200")
    args = ap.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,  # commit only what Elasticsearch confirmed, below
    })
    consumer.subscribe([args.topic])
    # A timeout fit for 5 MB bulks on a busy node (the client's default is 10 s); no sniffing.
    es = Elasticsearch([args.es], timeout=60, maxsize=max(args.threads, 1) + 1)

    in_order = collections.deque()  # (partition, offset) of every action, in the order they were yielded
    clock = {"first_start": None}

    def actions():
        n, idle_since = 0, time.monotonic()
        while n < args.max:
            msgs = consumer.consume(num_messages=min(1000, args.max - n), timeout=0.5)
            if not msgs:
                if time.monotonic() - idle_since > 20:
                    return  # a safety net only
                continue
            idle_since = time.monotonic()
            for m in msgs:
                if m.error():
                    raise KafkaException(m.error())
                if clock["first_start"] is None:
                    clock["first_start"] = time.monotonic()
                in_order.append((m.partition(), m.offset()))
                yield {"_index": args.index, "_id": m.key().decode("utf-8"), "_source": m.value().decode("utf-8")}
                n += 1

    if args.threads > 1:
        helper = "parallel_bulk"
        results = parallel_bulk(es, actions(), thread_count=args.threads, queue_size=args.threads,
                                chunk_size=args.chunk_size, max_chunk_bytes=args.max_chunk_bytes)
    else:
        helper = "streaming_bulk"
        results = streaming_bulk(es, actions(), chunk_size=args.chunk_size, max_chunk_bytes=args.max_chunk_bytes,
                                 max_retries=5)  # 429s retried with backoff

    done = {}  # partition -> next offset to commit
    indexed, since_commit, commits, last_end = 0, 0, 0, None

    def commit():
        nonlocal since_commit, commits
        if done:
            consumer.commit(offsets=[TopicPartition(args.topic, p, o) for p, o in done.items()], asynchronous=False)
            commits += 1
        since_commit = 0

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for ok, _item in results:  # raises BulkIndexError on a failed item: nothing after it is committed
        partition, offset = in_order.popleft()
        done[partition] = offset + 1
        indexed += 1
        since_commit += 1
        last_end = time.monotonic()
        if since_commit >= args.chunk_size:
            commit()
    commit()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    consumer.close()
    print(json.dumps({"indexed": indexed, "first_start": clock["first_start"], "last_end": last_end,
                      "cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
                      "commits": commits, "helper": helper}), flush=True)
    return 0 if indexed == args.max else 1


if __name__ == "__main__":
    sys.exit(main())
