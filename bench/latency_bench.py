#!/usr/bin/env python3
"""The latency benchmark (run by bench/latency_bench.sh; prints figures, asserts nothing).

For each rate (tweets/s) and each sink mode, in one run:
  1. a fresh topic (3 partitions) and index; tweet-sink starts on it first, then
  2. tweet-source --mode=synthetic --synthetic-live --rate=R runs for SECONDS;
  3. a sampler consumes the same topic (its own group): every Nth record's id and Kafka timestamp (the
     source's produce time, within a millisecond of ingestion.ingested_at) is remembered, and
     Elasticsearch is searched every 25 ms for the sampled ids not yet found (default refresh, 1 s):
     ingestion -> searchable, exact per sampled tweet;
  4. ingestion -> bulk acknowledged comes from tweet-sink's own histogram
     tweetstream_sink_latency_since_ingested_seconds (every document; buckets sqrt(2) apart, so a
     percentile is interpolated within a bucket and the maximum is "at most" a bucket's bound).
The modes: `adaptive` (the default: a bulk goes at once when the consumer has nothing more and a slot
is free) and `fixed` (--send-when-idle=false: every bulk waits for a bound or --linger, the sink before
send-when-idle existed).
"""
import argparse
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def log(msg):
    print(f"[latency_bench] {msg}", flush=True)


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def parse_histogram(text, name):
    """Cumulative buckets [(le, count)] and the count of a Prometheus histogram."""
    buckets, count = [], 0
    for line in text.splitlines():
        m = re.match(rf'^{name}_bucket\{{le="([^"]+)"\}} (\S+)$', line)
        if m:
            buckets.append((math.inf if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
        m = re.match(rf"^{name}_count (\S+)$", line)
        if m:
            count = float(m.group(1))
    return sorted(buckets), count


def hist_quantile(buckets, count, q):
    """Linear interpolation within the bucket holding quantile q (as Prometheus' histogram_quantile)."""
    if count <= 0:
        return None
    rank, prev_le, prev_c = q * count, 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if math.isinf(le):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_c) / max(c - prev_c, 1e-9))
        prev_le, prev_c = le, c
    return prev_le


def hist_max(buckets):
    """The upper bound of the highest bucket that holds anything."""
    prev_c, top = 0.0, None
    for le, c in buckets:
        if c > prev_c:
            top = le
        prev_c = c
    return top


class Sampler:
    """Consumes the topic, remembers every Nth id with its timestamp, and finds them in the index."""

    def __init__(self, a, topic, index, group, every):
        self.a, self.topic, self.index, self.every = a, topic, index, every
        self.consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                                  "enable.auto.commit": False})
        self.consumer.subscribe([topic])
        self.pending = {}   # id -> produce time (ms)
        self.lat = []       # ingestion -> searchable (ms) of the sampled tweets found
        self.seen = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def consume(self):
        while not self.stop.is_set():
            msg = self.consumer.poll(0.1)
            if msg is None or msg.error():
                continue
            self.seen += 1
            if self.seen % self.every == 0:
                with self.lock:
                    self.pending[msg.key().decode()] = msg.timestamp()[1]

    def search(self):
        while not self.stop.is_set() or self.pending:
            with self.lock:
                ids = list(self.pending)[:500]
            if ids:
                status, body = http("POST", f"{self.a.es_url}/{self.index}/_search",
                                    {"query": {"ids": {"values": ids}}, "_source": False, "size": len(ids)})
                now = time.time() * 1000
                if status == 200:
                    with self.lock:
                        for hit in body.get("hits", {}).get("hits", []):
                            t = self.pending.pop(hit["_id"], None)
                            if t is not None:
                                self.lat.append(now - t)
            if self.stop.is_set() and time.time() > self.deadline:
                break
            time.sleep(0.025)

    def run(self):
        self.deadline = math.inf
        self.threads = [threading.Thread(target=self.consume, daemon=True), threading.Thread(target=self.search, daemon=True)]
        for t in self.threads:
            t.start()

    def finish(self, wait_s):
        self.deadline = time.time() + wait_s
        self.stop.set()
        for t in self.threads:
            t.join()
        self.consumer.close()


def one_run(a, rate, mode, sfx):
    tag = f"{rate}-{mode}"
    topic, index, group = f"bench-lat-{sfx}-{tag}", f"bench-lat-{sfx}-{tag}", f"bench-lat-{sfx}-{tag}"
    count = int(rate * a.seconds)
    logdir = a.workdir
    admin = AdminClient({"bootstrap.servers": a.bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(30)
    sink_log = open(os.path.join(logdir, f"sink-{tag}.log"), "w+")
    sink = subprocess.Popen([a.sink, f"--topic={topic}", f"--group-id={group}", f"--index={index}",
                             f"--template-name={index}", f"--bootstrap-servers={a.bootstrap}", f"--es-url={a.es_url}",
                             f"--send-when-idle={'true' if mode == 'adaptive' else 'false'}",
                             "--control-addr=127.0.0.1:0", "--metrics-addr=127.0.0.1:0", f"--dlq-topic={topic}-dlq"],
                            stdout=sink_log, stderr=subprocess.STDOUT)
    port = None
    for _ in range(300):
        sink_log.seek(0)
        m = re.search(r"metrics on http://\S+ \(port (\d+)\)", sink_log.read())
        if m:
            port = int(m.group(1))
        if port and http("HEAD", f"{a.es_url}/_index_template/{index}")[0] == 200:
            break
        if sink.poll() is not None:
            raise RuntimeError(f"tweet-sink exited (log {sink_log.name})")
        time.sleep(0.1)
    else:
        raise RuntimeError(f"tweet-sink did not start (log {sink_log.name})")
    # The sink's group owns the partitions before the first tweet is made (a join takes seconds).
    for _ in range(600):
        try:
            g = admin.describe_consumer_groups([group])[group].result(10)
            if sum(len(m.assignment.topic_partitions) for m in g.members) == 3:
                break
        except KafkaException:
            pass  # not there yet
        time.sleep(0.1)
    else:
        raise RuntimeError(f"tweet-sink never joined its group (log {sink_log.name})")
    source_log = open(os.path.join(logdir, f"source-{tag}.log"), "w")
    started = time.time()
    source = subprocess.Popen([a.source, "--mode=synthetic", "--synthetic-live", f"--rate={rate}", f"--count={count}",
                               f"--seed={a.seed}", f"--topic={topic}", "--partitions=3", f"--bootstrap-servers={a.bootstrap}",
                               "--control-addr=127.0.0.1:0", "--metrics-addr=127.0.0.1:0"],
                              stdout=source_log, stderr=subprocess.STDOUT)
    sampler = Sampler(a, topic, index, group + "-sampler", a.sample_every or max(1, count // 300))
    sampler.run()
    rc = source.wait(timeout=a.seconds * 3 + 60)
    elapsed = time.time() - started
    if rc != 0:
        raise RuntimeError(f"tweet-source failed (exit {rc}, log {source_log.name})")
    # Everything produced: wait until the index holds it all, then for the last samples.
    deadline = time.time() + 60
    n = 0
    while time.time() < deadline:
        http("POST", f"{a.es_url}/{index}/_refresh")
        n = http("GET", f"{a.es_url}/{index}/_count")[1].get("count", 0)
        if n >= count:
            break
        time.sleep(0.5)
    sampler.finish(wait_s=5)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    sink.send_signal(signal.SIGTERM)
    sink.wait(timeout=60)
    ack_b, ack_n = parse_histogram(metrics, "tweetstream_sink_latency_since_ingested_seconds")
    items_b, bulks = parse_histogram(metrics, "tweetstream_sink_bulk_items")
    m = re.search(r"^tweetstream_sink_bulk_items_sum (\S+)$", metrics, re.M)
    items = float(m.group(1)) if m else 0
    lat = sorted(sampler.lat)
    existing = admin.list_topics(timeout=10).topics
    doomed = [t for t in (topic, topic + "-dlq") if t in existing]
    if doomed:
        for f in admin.delete_topics(doomed).values():
            f.result(30)
    if not a.keep:
        http("DELETE", f"{a.es_url}/{index}")
        http("DELETE", f"{a.es_url}/_index_template/{index}")
    return {
        "rate": rate, "mode": mode, "count": count, "indexed": n, "achieved": count / elapsed,
        "ack_p50": hist_quantile(ack_b, ack_n, 0.5), "ack_p99": hist_quantile(ack_b, ack_n, 0.99),
        "ack_max": hist_max(ack_b), "ack_n": ack_n,
        "s_p50": pct(lat, 0.5), "s_p99": pct(lat, 0.99), "s_max": lat[-1] if lat else None, "s_n": len(lat),
        "s_missing": len(sampler.pending), "bulks": bulks, "per_bulk": items / bulks if bulks else 0,
    }


def ms(v, seconds=True):
    if v is None:
        return "-"
    return f"{v * 1000:.0f}" if seconds else f"{v:.0f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--sink", required=True)
    p.add_argument("--es-url", default="http://127.0.0.1:9200")
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--rates", default="200,1000,5000")
    p.add_argument("--modes", default="adaptive,fixed")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--sample-every", type=int, default=0, help="sample every Nth record (0: about 300 per run)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--workdir", required=True)
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    sfx = f"{time.strftime('%H%M%S')}-{os.getpid()}"
    rows = []
    for rate in [int(r) for r in a.rates.split(",")]:
        for mode in a.modes.split(","):
            log(f"rate {rate}/s, {mode} sink: {a.seconds:.0f} s ...")
            r = one_run(a, rate, mode, sfx)
            log(f"  indexed {r['indexed']}/{r['count']} at {r['achieved']:.0f}/s; ack p50/p99 {ms(r['ack_p50'])}/"
                f"{ms(r['ack_p99'])} ms; searchable p50/p99 {ms(r['s_p50'], False)}/{ms(r['s_p99'], False)} ms; "
                f"{r['bulks']:.0f} bulks of {r['per_bulk']:.0f}")
            rows.append(r)
    print()
    print("ingestion -> bulk acknowledged (tweet-sink's histogram, every document; max = a bucket bound) and")
    print("ingestion -> searchable (sampled tweets found by _search, default refresh 1 s); milliseconds")
    print()
    hdr = (f"{'rate/s':>7} {'sink':>9} {'achieved':>8} {'indexed':>8} | {'ack p50':>7} {'p99':>6} {'max<=':>6} | "
           f"{'search p50':>10} {'p99':>6} {'max':>6} {'n':>4} | {'bulks':>6} {'docs/bulk':>9}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['rate']:>7} {r['mode']:>9} {r['achieved']:>8.0f} {r['indexed']:>8} | {ms(r['ack_p50']):>7} "
              f"{ms(r['ack_p99']):>6} {ms(r['ack_max']):>6} | {ms(r['s_p50'], False):>10} {ms(r['s_p99'], False):>6} "
              f"{ms(r['s_max'], False):>6} {r['s_n']:>4} | {r['bulks']:>6.0f} {r['per_bulk']:>9.0f}")
    print()
    by = {(r["rate"], r["mode"]): r for r in rows}
    for rate in sorted({r["rate"] for r in rows}):
        ad, fx = by.get((rate, "adaptive")), by.get((rate, "fixed"))
        if ad and fx and ad["ack_p99"] and fx["ack_p99"]:
            print(f"rate {rate}/s: adaptive / fixed p99 ack = {ad['ack_p99'] / fx['ack_p99']:.2f}x")
    if (1000, "adaptive") in by and by[(1000, "adaptive")]["ack_p99"] is not None:
        p99 = by[(1000, "adaptive")]["ack_p99"] * 1000
        print(f"goal: p99 ingestion -> acknowledged < 250 ms at 1,000/s: {p99:.0f} ms, {'met' if p99 < 250 else 'NOT met'}")
    bad = [r for r in rows if r["indexed"] != r["count"]]
    if bad:
        print("WARNING: not every tweet was indexed in: " + ", ".join(f"{r['rate']}/{r['mode']}" for r in bad))


if __name__ == "__main__":
    try:
        main()
    except KafkaException as e:
        sys.exit(f"latency_bench: kafka: {e}")
