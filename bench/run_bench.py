#!/usr/bin/env python3
"""The measuring half of bench/sink_bench.sh (which sets up the venv, generates the tweets and fills
the topic, then runs this). Read bench/README.md first.

Phases, all against the same Elasticsearch node, with the same index settings and batch bounds:
  0. template  tweet-sink on the topic with --start-from=latest: installs its index template, which
               gives the mappings every index below is created with; it indexes nothing.
  1. warm-up   tweet-sink drains the topic into bench-warm-*; this warms Elasticsearch (JIT, caches)
               and yields the pre-rendered documents, exported with scroll (keeping _id).
  2. raw       the documents posted with _bulk from one persistent http.client connection, in
               bulks cut exactly as tweet-sink cuts them (records per poll, then bytes).
  3. sink      tweet-sink drains the topic again (new consumer group, fresh index), under
               /usr/bin/time -v for its CPU time and peak RSS.
  4. python    a second topic is filled with the pre-rendered JSON documents (key = _id); on it
               4a. the competent consumer (competent_consumer.py: confluent-kafka, commits after the
                   bulk, parallel_bulk with as many bulks in flight and the same cut as tweet-sink),
                   --competent-count documents (all by default);
               4b. the seed-style consumer (kafka-python + one es.index per document),
                   --python-count documents.
With --long-form CHARS the tweets are long-form posts (note_tweet.text of CHARS characters); only the
report and the export's page size change.
Each measured load is timed by es_watch.py (the index's primary index_total, polled every 50 ms):
the same clock and the same definition (first indexed document -> last one) for every loader.
"""

import argparse
import datetime
import http.client
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = time.monotonic()

# Targets to compare against (printed, never asserted).
TARGET_SINK_VS_RAW = 0.95
TARGET_SINK_VS_PY = 20.0
TARGET_CPU_US = 25.0
TARGET_RSS_MB = 256.0


class Void(Exception):
    """A measurement spoiled by something outside it (Elasticsearch restarted, a request refused): it is
    repeated, on a fresh index and a new consumer group, once Elasticsearch answers again."""


def log(msg):
    el = time.monotonic() - T0
    print(f"[{int(el // 60):02d}:{el % 60:04.1f}] {msg}", flush=True)


class Es:
    """A tiny Elasticsearch client on one persistent connection (stdlib only)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 9200
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)

    def raw(self, method, path, body=None, ctype="application/json"):
        headers = {"Content-Type": ctype} if body is not None else {}
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def req(self, method, path, body=None):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        status, data = self.raw(method, path, body)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode("utf-8", "replace")

    def ok(self, method, path, body=None):
        status, doc = self.req(method, path, body)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {str(doc)[:500]}")
        return doc


# ---------------------------------------------------------------------------------------------------
# CPU accounting: who used the machine's cores during a phase.

def proc_stat_busy():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def pid_cpu(pid):
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def pid_rss_kb(pid):
    """(VmRSS, VmHWM) in kB: the resident set now, and its peak since the process exec'd."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
        rss, hwm = re.search(r"^VmRSS:\s+(\d+)", text, re.M), re.search(r"^VmHWM:\s+(\d+)", text, re.M)
        return (int(rss.group(1)) if rss else 0), (int(hwm.group(1)) if hwm else 0)
    except OSError:
        return 0, 0


def at(samples, t, field):
    """Linear interpolation of samples [(t, cpu, rss)] at time t."""
    if not samples:
        return None
    prev = samples[0]
    for cur in samples:
        if cur[0] >= t:
            if cur[0] == prev[0]:
                return cur[field]
            return prev[field] + (cur[field] - prev[field]) * (t - prev[0]) / (cur[0] - prev[0])
        prev = cur
    return samples[-1][field]


def listening_pid(port):
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    except OSError:
        return None
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


class CpuSnapshot:
    def __init__(self, es, kafka_pid):
        self.es, self.kafka_pid = es, kafka_pid
        self.t = time.monotonic()
        self.busy = proc_stat_busy()
        self.es_cpu = self.es_cpu_s()
        self.kafka = pid_cpu(kafka_pid)
        self.load = os.getloadavg()[0]

    def es_cpu_s(self):
        # /proc of the node's own process when it runs here (exact); else its stats API (cached ~1 s).
        doc = self.es.ok("GET", "/_nodes/_local/process?filter_path=nodes.*.process.id")
        pid = self.es_pid = next(iter(doc["nodes"].values()))["process"]["id"]
        if os.path.exists(f"/proc/{pid}/stat"):
            return pid_cpu(pid)
        doc = self.es.ok("GET", "/_nodes/_local/stats/process?filter_path=nodes.*.process.cpu.total_in_millis")
        return sum(n["process"]["cpu"]["total_in_millis"] for n in doc["nodes"].values()) / 1000.0

    def since(self, before):
        restarted = self.es_pid != before.es_pid
        return {"wall": self.t - before.t, "busy": self.busy - before.busy,
                "es": 0.0 if restarted else self.es_cpu - before.es_cpu, "es_restarted": restarted,
                "kafka": self.kafka - before.kafka, "load_before": before.load, "load_after": self.load}


# ---------------------------------------------------------------------------------------------------

class Bench:
    def __init__(self, a):
        self.a = a
        self.es = Es(a.es_url)
        self.sfx = a.suffix
        self.indices, self.templates, self.groups, self.topics = [], [], [], []
        self.kafka_pid = listening_pid(int(a.bootstrap.rsplit(":", 1)[1]))
        self.work = tempfile.mkdtemp(prefix="sink-bench-")
        self.results = {}
        self.settings = None
        self.mappings = None
        self.voided = []
        self.json_topic = None
        self.flags = self.sink_flags()
        # The raw loader keeps as many bulks in flight as tweet-sink does (1 for a sink without the flag).
        self.raw_connections = a.in_flight if "max_in_flight" in self.flags else 1
        self.topics.append(f"bench-dlq-{self.sfx}")

    # -- helpers ------------------------------------------------------------------------------------

    def settle(self, what):
        """Waits (bounded) until Elasticsearch has no write or merge work left from the last phase."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            tp = self.es.ok("GET", "/_nodes/_local/stats/thread_pool?filter_path=nodes.*.thread_pool.write")
            write = [n["thread_pool"]["write"] for n in tp["nodes"].values()]
            st = self.es.ok("GET", "/_nodes/_local/stats/indices/merge?filter_path=nodes.*.indices.merges.current")
            merges = sum(n["indices"]["merges"]["current"] for n in st["nodes"].values())
            if all(w["active"] == 0 and w["queue"] == 0 for w in write) and merges == 0:
                break
            time.sleep(0.5)
        else:
            log(f"  (Elasticsearch still busy after 90 s before {what}; measuring anyway)")
        time.sleep(1.0)

    def create_index(self, name, refresh):
        self.es.req("DELETE", f"/{name}")
        body = {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0,
                                       "auto_expand_replicas": False, "refresh_interval": refresh}},
                "mappings": self.mappings}
        self.es.ok("PUT", f"/{name}", body)
        self.indices.append(name)
        self.es.ok("GET", f"/_cluster/health/{name}?wait_for_status=green&timeout=60s")

    def count(self, name):
        self.es.ok("POST", f"/{name}/_refresh")
        return self.es.ok("GET", f"/{name}/_count")["count"]

    def drop_index(self, name):
        self.es.req("DELETE", f"/{name}")

    def start_watch(self, index, target):
        out = os.path.join(self.work, f"watch-{index}.json")
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "es_watch.py"), self.a.es_url, index, str(target), out,
                              "--interval", str(self.a.watch_interval)], stdout=subprocess.PIPE, text=True)
        p.stdout.readline()  # "ready"
        return p, out

    def end_watch(self, p, out, timeout=120):
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.terminate()
            p.wait()
        with open(out) as f:
            return json.load(f)

    def max_pending_bytes(self):
        """tweet-sink's --max-pending-bytes default, as its --helpfull says."""
        out = subprocess.run([self.a.sink, "--helpfull"], capture_output=True, text=True)
        m = re.search(r"--max_pending_bytes \(.*?\); default: (\d+);", out.stdout + out.stderr, re.S)
        return f"{int(m.group(1)) / 2**20:.0f} MiB" if m else "?"

    def sink_flags(self):
        """The flags this tweet-sink binary knows (it is under active development)."""
        out = subprocess.run([self.a.sink, "--helpfull"], capture_output=True, text=True)
        return set(re.findall(r"^\s+--(\w+) ", out.stdout + out.stderr, re.M))

    def sink_cmd(self, group, index, template, extra=()):
        cmd = [self.a.sink, f"--topic={self.a.topic}", f"--group-id={group}", f"--index={index}",
               f"--template-name={template}", f"--bootstrap-servers={self.a.bootstrap}", f"--es-url={self.a.es_url}",
               f"--batch-max-records={self.a.batch_records}", f"--batch-max-bytes={self.a.batch_bytes}",
               f"--exit-when-idle={self.a.idle}"]
        if "max_in_flight" in self.flags:
            cmd.append(f"--max-in-flight={self.a.in_flight}")
        if "dlq_topic" in self.flags:  # its own dead-letter topic, not the shared default
            cmd.append(f"--dlq-topic=bench-dlq-{self.sfx}")
        # Any free port for the control plane and the metrics endpoint: other people's sinks on this
        # machine hold the defaults (127.0.0.1:50052, 127.0.0.1:9402), and a taken port fails the start.
        if "control_addr" in self.flags:
            cmd.append("--control-addr=127.0.0.1:0")
        if "metrics_addr" in self.flags:
            cmd.append("--metrics-addr=127.0.0.1:0")
        return cmd + list(extra)

    def run_sink(self, tag, group, index, template, extra=()):
        """Runs tweet-sink to completion; returns its figures. CPU time and peak RSS come from wait4()'s
        rusage (what /usr/bin/time -v reports); a sampler reads /proc/PID/stat and VmRSS every 50 ms so
        that the CPU spent between the first and the last indexed document can be told apart from
        start-up and the idle wait."""
        self.groups.append(group)
        self.templates.append(template)
        efile = os.path.join(self.work, f"sink-{tag}.log")
        ofile = os.path.join(self.work, f"sink-{tag}.out")
        samples, done, peak = [], threading.Event(), [0]
        with open(efile, "w") as err, open(ofile, "w") as out:
            t0 = time.monotonic()
            p = subprocess.Popen(self.sink_cmd(group, index, template, extra), stdout=out, stderr=err)

            def sample():
                while not done.is_set():
                    t = time.monotonic()
                    cpu, (rss, hwm) = pid_cpu(p.pid), pid_rss_kb(p.pid)
                    if rss:
                        samples.append((t, cpu, rss))
                        peak[0] = max(peak[0], hwm)
                    done.wait(0.05)

            th = threading.Thread(target=sample, daemon=True)
            th.start()
            _, status, ru = os.wait4(p.pid, 0)
            done.set()
            th.join()
            p.returncode = os.waitstatus_to_exitcode(status)
            wall = time.monotonic() - t0
        logtext = open(efile).read()
        stdout = open(ofile).read().strip()
        summary = stdout.splitlines()[-1] if stdout else ""
        nums = {}
        for key, pattern in (("consumed", r"consumed (\d+)"), ("indexed", r"indexed (\d+)"),
                             ("rejected", r"rejected (\d+)"), ("undecodable", r"undecodable (\d+)"),
                             ("dead_lettered", r"dead-lettered (\d+)"), ("bulks", r"(\d+) bulk requests"),
                             ("retries", r"(\d+) retries"), ("commits", r"(\d+) commits")):
            m = re.search(pattern, summary)
            if m:
                nums[key] = int(m.group(1))

        def log_time(pattern):
            mm = re.search(r"^(\S+Z) \S+\s+\S+\] .*" + pattern, logtext, re.M)
            if not mm:
                return None
            return datetime.datetime.strptime(mm.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()

        version = re.search(r"tweet-sink (\S+) running", logtext)
        return {
            "rc": p.returncode, "wall": wall, "summary": summary, **nums,
            # Peak RSS is VmHWM, not ru_maxrss: Linux carries the high-water mark of the forking parent
            # (this Python process, which holds every document) across exec into the child's ru_maxrss.
            "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "rss_kb": peak[0], "ru_maxrss_kb": ru.ru_maxrss,
            "samples": samples,
            "t_assigned": log_time("partitions assigned"), "t_stopping": log_time("; stopping"),
            "warnings": len(re.findall(r"^\S+Z (?:WARN|WARNING|ERROR) ", logtext, re.M)),
            "warning_lines": re.findall(r"^\S+Z (?:WARN|WARNING|ERROR) .*$", logtext, re.M)[:5],
            "paused": len(re.findall(r"\] paused ", logtext)),
            "version": version.group(1) if version else "?", "log": efile,
        }

    # -- phases -------------------------------------------------------------------------------------

    def phase_template(self):
        log("phase 0: tweet-sink installs its index template (start-from=latest: indexes nothing)")
        tmpl = f"bench-{self.sfx}-tmpl"
        r = self.run_sink("tmpl", f"bench-tmpl-{self.sfx}", f"bench-tmpl-{self.sfx}", tmpl,
                          extra=["--start-from=latest", "--exit-when-idle=1s"])
        if r["rc"] != 0:
            raise RuntimeError(f"tweet-sink failed to start (exit {r['rc']}); log: {r['log']}")
        doc = self.ok_template(tmpl)
        self.mappings = doc["index_template"]["template"]["mappings"]
        self.sink_version = r["version"]
        self.settings = {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": self.a.refresh_interval}
        log(f"  mappings taken from template {tmpl} ({len(json.dumps(self.mappings))} bytes); every index: "
            f"{json.dumps(self.settings)}")

    def ok_template(self, name):
        doc = self.es.ok("GET", f"/_index_template/{name}")
        return doc["index_templates"][0]

    def phase_warmup(self):
        n = self.a.count
        idx = f"bench-warm-{self.sfx}"
        log(f"phase 1: warm-up: tweet-sink drains the topic into {idx} (refresh off); not measured")
        self.create_index(idx, "-1")
        r = self.run_sink("warm", f"bench-warm-{self.sfx}", idx, f"bench-{self.sfx}-warm")
        c = self.count(idx)
        log(f"  {r['summary']}")
        log(f"  warm-up took {r['wall']:.1f} s wall; {c} documents in {idx}")
        if c != n or r["rc"] != 0:
            raise RuntimeError(f"warm-up indexed {c} of {n} documents (exit {r['rc']}); log: {r['log']}")
        self.results["warmup"] = r

        log(f"  exporting the {n} rendered documents (scroll, keeping _id)")
        docs = []
        st, body = self.es.raw("POST", f"/{idx}/_search?scroll=2m",
                               json.dumps({"size": 500 if self.a.long_form else 5000, "sort": ["_doc"],
                                           "track_total_hits": True}))
        page = json.loads(body)
        while page["hits"]["hits"]:
            for h in page["hits"]["hits"]:
                docs.append((h["_id"], json.dumps(h["_source"], ensure_ascii=False, separators=(",", ":")).encode()))
            st, body = self.es.raw("POST", "/_search/scroll",
                                   json.dumps({"scroll": "2m", "scroll_id": page["_scroll_id"]}))
            page = json.loads(body)
        self.es.req("DELETE", "/_search/scroll", {"scroll_id": page["_scroll_id"]})
        if len(docs) != n:
            raise RuntimeError(f"exported {len(docs)} documents, expected {n}")
        self.docs = docs
        total = sum(len(d) for _, d in docs)
        self.doc_bytes = total / n
        log(f"  exported {n} documents, {total / 1e6:.1f} MB, {self.doc_bytes:.0f} bytes per document on average")
        self.drop_index(idx)

    def bulks_for(self, index):
        """The bulk bodies tweet-sink would send: polls of batch_records, each cut by batch_bytes."""
        bodies = []
        B, BB = self.a.batch_records, self.a.batch_bytes
        for i in range(0, len(self.docs), B):
            chunk, size = [], 0
            for _id, doc in self.docs[i:i + B]:
                action = json.dumps({"index": {"_index": index, "_id": _id}}, separators=(",", ":")).encode()
                item = action + b"\n" + doc + b"\n"
                if chunk and size + len(item) > BB:
                    bodies.append((len(chunk), b"".join(chunk)))
                    chunk, size = [], 0
                chunk.append(item)
                size += len(item)
            if chunk:
                bodies.append((len(chunk), b"".join(chunk)))
        return bodies

    def post_bulks(self, bodies, k, progress=True):
        """Posts the bodies over k persistent connections; returns (item errors, failure or None)."""
        n = sum(items for items, _ in bodies)
        conns = [http.client.HTTPConnection(self.es.host, self.es.port, timeout=300) for _ in range(k)]
        for c in conns:
            c.connect()
        nxt = iter(enumerate(bodies))  # shared work list: next() on it is atomic under the GIL
        state = {"errors": 0, "sent": 0, "failure": None}
        lock = threading.Lock()

        def worker(conn):
            try:
                for i, (items, body) in nxt:
                    conn.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
                    resp = conn.getresponse()
                    data = resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"raw loader: HTTP {resp.status}: {data[:300]!r}")
                    res = json.loads(data)
                    errors = sum(1 for it in res["items"] if next(iter(it.values()))["status"] >= 300) \
                        if res.get("errors") else 0
                    with lock:
                        state["errors"] += errors
                        state["sent"] += items
                    if progress and i % 10 == 9:
                        print(f"    raw: {state['sent']}/{n}", end="\r", flush=True)
            except Exception as e:  # noqa: BLE001 - returned to the caller
                state["failure"] = e

        threads = [threading.Thread(target=worker, args=(c,)) for c in conns]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for c in conns:
            c.close()
        return state["errors"], state["failure"]

    def rewarm(self):
        """After an Elasticsearch restart: index up to 30,000 documents into a scratch index (JIT warm-up)."""
        idx = f"bench-scratch-{self.sfx}"
        log(f"  re-warming Elasticsearch with {min(30000, self.a.count)} documents into {idx}")
        self.create_index(idx, self.a.refresh_interval)
        bodies = self.bulks_for(idx)
        keep, total = [], 0
        for items, body in bodies:
            if total >= 30000:
                break
            keep.append((items, body))
            total += items
        self.post_bulks(keep, self.raw_connections, progress=False)
        self.drop_index(idx)

    def wait_es(self, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.es.conn.close()
                status, _ = self.es.req("GET", "/_cluster/health?wait_for_status=yellow&timeout=5s")
                if status == 200:
                    return True
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(2)
        return False

    def measured(self, what, fn, *args):
        """Runs one measurement; repeats it (up to twice) when something outside spoiled it."""
        for attempt in range(3):
            try:
                return fn(*args, attempt)
            except (Void, OSError, http.client.HTTPException) as e:
                log(f"  VOID: {what} was disturbed ({type(e).__name__}: {e}); waiting for Elasticsearch and "
                    f"measuring it again")
                self.voided.append(f"{what}: {type(e).__name__}: {e}")
                if not self.wait_es():
                    raise RuntimeError("Elasticsearch did not come back within 5 minutes") from e
                self.rewarm()
        raise RuntimeError(f"{what}: disturbed three times in a row; giving up")

    def measure_raw(self, rnd, attempt=0):
        n, k = self.a.count, self.raw_connections
        idx = f"bench-raw-{self.sfx}-r{rnd}" + (f"a{attempt}" if attempt else "")
        log(f"raw _bulk loader (round {rnd}) -> {idx}, {k} connection(s) = {k} bulk(s) in flight")
        self.create_index(idx, self.a.refresh_interval)
        bodies = self.bulks_for(idx)
        self.settle("raw")
        watch, wout = self.start_watch(idx, n)
        before = CpuSnapshot(self.es, self.kafka_pid)
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t_start = time.monotonic()
        errors, failure = self.post_bulks(bodies, k)
        t_end = time.monotonic()
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        if failure:
            watch.terminate()
            watch.wait()
            raise Void(f"raw loader: {type(failure).__name__}: {failure}")
        w = self.end_watch(watch, wout)
        after = CpuSnapshot(self.es, self.kafka_pid)
        if after.es_pid != before.es_pid:
            raise Void("Elasticsearch restarted during the raw load")
        c = self.count(idx)
        loader_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        r = {"docs": n, "connections": k, "bulks": len(bodies), "errors": errors, "count": c,
             "loader_wall": t_end - t_start, "loader_cpu": loader_cpu, "watch": w, "cpu": after.since(before)}
        r["dps_watch"] = n / (w["last"] - w["first"]) if w["first"] and w["last"] else None
        r["dps_loader"] = n / (t_end - t_start)
        log(f"  {c} documents in {len(bodies)} bulks, {errors} item errors; {fmt(r['dps_watch'])} docs/s "
            f"(first->last indexed), loader's own clock {r['dps_loader']:.0f} docs/s; "
            f"loader CPU {loader_cpu:.2f} s = {100 * loader_cpu / (t_end - t_start):.0f}% of one core")
        if c != n or errors:
            raise Void(f"raw loader indexed {c} of {n} ({errors} item errors)")
        self.drop_index(idx)
        return r

    def measure_sink(self, rnd, attempt=0):
        n = self.a.count
        idx = f"bench-sink-{self.sfx}-r{rnd}" + (f"a{attempt}" if attempt else "")
        log(f"tweet-sink (round {rnd}) -> {idx}, new consumer group, --exit-when-idle={self.a.idle}"
            + (f", --max-in-flight={self.a.in_flight}" if "max_in_flight" in self.flags else ""))
        self.create_index(idx, self.a.refresh_interval)
        self.settle("sink")
        watch, wout = self.start_watch(idx, n)
        before = CpuSnapshot(self.es, self.kafka_pid)
        tag = f"r{rnd}" + (f"a{attempt}" if attempt else "")
        r = self.run_sink(tag, f"bench-sink-{self.sfx}-{tag}", idx, f"bench-{self.sfx}-sink-{tag}")
        w = self.end_watch(watch, wout, timeout=10)
        after = CpuSnapshot(self.es, self.kafka_pid)
        if after.es_pid != before.es_pid:
            raise Void(f"Elasticsearch restarted while tweet-sink ran (log: {r['log']})")
        if r.get("retries"):
            raise Void(f"tweet-sink had to retry {r['retries']} time(s): Elasticsearch refused or failed requests"
                       f" (log: {r['log']})")
        c = self.count(idx)
        r.update(count=c, watch=w, cpu=after.since(before))
        r["dps_watch"] = n / (w["last"] - w["first"]) if w["first"] and w["last"] else None
        # Cross-check from the sink's own log: from the partition assignment to (stop - idle wait).
        if r["t_assigned"] and r["t_stopping"]:
            active = r["t_stopping"] - parse_duration(self.a.idle) - r["t_assigned"]
            r["dps_log"] = n / active if active > 0 else None
        else:
            r["dps_log"] = None
        r["cpu_us_per_doc"] = 1e6 * (r["user_s"] + r["sys_s"]) / n
        # CPU between the first and the last indexed document (the /proc samples share time.monotonic()'s
        # clock with es_watch.py): the cost per document without start-up and idle wait.
        smp = r.pop("samples")
        with open(os.path.join(self.work, f"sink-{tag}-proc.csv"), "w") as f:
            f.write("t_since_first_doc_s,cpu_s,rss_kb\n")
            for t, cpu, rss in smp:
                f.write(f"{t - (w['first'] or smp[0][0]):.3f},{cpu:.2f},{rss}\n")
        if w["first"] and w["last"] and smp:
            r["cpu_us_steady"] = 1e6 * (at(smp, w["last"], 1) - at(smp, w["first"], 1)) / n
            r["cpu_during_load"] = (at(smp, w["last"], 1) - at(smp, w["first"], 1)) / (w["last"] - w["first"])
            r["rss_kb_at_first"] = at(smp, w["first"], 2)
            r["rss_kb_at_last"] = at(smp, w["last"], 2)
            r["rss_kb_max_loading"] = max((rss for t, _, rss in smp if w["first"] <= t <= w["last"]), default=None)
        else:
            r["cpu_us_steady"] = r["cpu_during_load"] = r["rss_kb_at_first"] = r["rss_kb_at_last"] = None
            r["rss_kb_max_loading"] = None
        log(f"  {r['summary']}")
        log(f"  {c} documents; {fmt(r['dps_watch'])} docs/s (first->last indexed), log clock {fmt(r['dps_log'])} docs/s; "
            f"CPU {r['cpu_us_per_doc']:.1f} us/doc over the whole process, {fmt(r['cpu_us_steady'], '.1f')} us/doc while "
            f"loading; peak RSS {r['rss_kb'] / 1024:.0f} MB; wall {r['wall']:.1f} s incl. start-up and {self.a.idle} idle wait")
        if c != n or r["rc"] != 0:
            raise Void(f"tweet-sink indexed {c} of {n} (exit {r['rc']}); log: {r['log']}")
        self.drop_index(idx)
        return r

    def json_count(self):
        """Documents in the JSON topic: what the larger of the two Python peers reads."""
        return min(max(self.a.python_count, self.competent_count()), self.a.count)

    def competent_count(self):
        return self.a.count if self.a.competent_count < 0 else min(self.a.competent_count, self.a.count)

    def fill_json_topic(self):
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        n = self.json_count()
        topic = self.json_topic = f"bench-json-{self.sfx}"
        log(f"python peers: filling topic {topic} (3 partitions, uncompressed) with the first {n} pre-rendered JSON "
            f"documents, key = _id")
        admin = AdminClient({"bootstrap.servers": self.a.bootstrap})
        for f in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).values():
            f.result(30)
        self.topics.append(topic)
        prod = Producer({"bootstrap.servers": self.a.bootstrap, "acks": "all", "linger.ms": 20,
                         "enable.idempotence": True})
        failed = []
        for _id, doc in self.docs[:n]:
            while True:
                try:
                    prod.produce(topic, key=_id.encode(), value=doc,
                                 on_delivery=lambda err, _m: err and failed.append(err))
                    break
                except BufferError:  # local queue full: serve delivery reports, then try again
                    prod.poll(0.1)
            prod.poll(0)
        if prod.flush(120) or failed:
            raise RuntimeError(f"filling {topic}: {len(failed)} deliveries failed, e.g. {failed[:1]}")

    def measure_peer(self, kind, attempt=0):
        """One Python peer (kind 'seed' or 'competent') reading the JSON topic into a fresh index."""
        if kind == "seed":
            n, script, tag = min(self.a.python_count, self.a.count), "seed_consumer.py", "py"
            extra, what = [], f"one es.index per document, {min(self.a.python_count, self.a.count)} documents"
        else:
            n, script, tag = self.competent_count(), "competent_consumer.py", "pyc"
            extra = ["--threads", str(self.raw_connections), "--chunk-size", str(self.a.batch_records),
                     "--max-chunk-bytes", str(self.a.batch_bytes)]
            what = (f"confluent-kafka + {'parallel_bulk' if self.raw_connections > 1 else 'streaming_bulk'}, "
                    f"{self.raw_connections} bulk(s) in flight, {self.a.batch_records} records / {self.a.batch_bytes} "
                    f"bytes per bulk, {n} documents")
        topic = self.json_topic
        idx = f"bench-{tag}-{self.sfx}" + (f"a{attempt}" if attempt else "")
        group = idx
        self.groups.append(group)
        self.create_index(idx, self.a.refresh_interval)
        self.settle(kind)
        log(f"  {script} -> {idx} ({what})")
        watch, wout = self.start_watch(idx, n)
        before = CpuSnapshot(self.es, self.kafka_pid)
        t0 = time.monotonic()
        cmd = [sys.executable, os.path.join(HERE, script), "--topic", topic, "--group", group, "--index", idx,
               "--max", str(n), "--bootstrap", self.a.bootstrap, "--es", self.a.es_url, *extra]
        hwm = [0]
        done = threading.Event()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)

            def sample():  # the peer's peak RSS (VmHWM), as for tweet-sink
                while not done.is_set():
                    hwm[0] = max(hwm[0], pid_rss_kb(p.pid)[1])
                    done.wait(0.05)

            th = threading.Thread(target=sample, daemon=True)
            th.start()
            _, status, ru = os.wait4(p.pid, 0)
            done.set()
            th.join()
            rc = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        wall = time.monotonic() - t0
        w = self.end_watch(watch, wout, timeout=10)
        after = CpuSnapshot(self.es, self.kafka_pid)
        if after.es_pid != before.es_pid:
            raise Void(f"Elasticsearch restarted while the Python {kind} consumer ran")
        if rc != 0:
            raise Void(f"the Python {kind} consumer failed (exit {rc}): {stderr[-600:]}")
        own = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
        c = self.count(idx)
        r = {"docs": n, "count": c, "watch": w, "wall": wall, "own": own, "cpu": after.since(before),
             "process_cpu": ru.ru_utime + ru.ru_stime, "rss_kb": hwm[0]}
        r["dps_watch"] = n / (w["last"] - w["first"]) if w["first"] and w["last"] else None
        r["dps_own"] = n / (own["last_end"] - own["first_start"]) if own.get("last_end") else None
        log(f"  {c} documents; {fmt(r['dps_watch'])} docs/s (first->last indexed), own clock {fmt(r['dps_own'])} docs/s; "
            f"consumer CPU {own.get('cpu_s', 0):.1f} s; peak RSS {hwm[0] / 1024:.0f} MB")
        if c != n:
            raise Void(f"the Python {kind} consumer indexed {c} of {n}")
        self.drop_index(idx)
        return r

    # -- report -------------------------------------------------------------------------------------

    def machine(self):
        info = {"nproc": os.cpu_count()}
        with open("/proc/meminfo") as f:
            mem = dict(l.split(":", 1) for l in f)
        info["mem_gib"] = int(mem["MemTotal"].split()[0]) / 1024 / 1024
        model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
        info["cpu"] = model.group(1).strip() if model else "?"
        info["kernel"] = os.uname().release
        es = self.es.ok("GET", "/")
        info["es"] = f"{es['version'].get('distribution', 'elasticsearch')} {es['version']['number']}"
        heap = self.es.ok("GET", "/_nodes/_local/jvm?filter_path=nodes.*.jvm.mem.heap_max_in_bytes,nodes.*.jvm.version")
        node = next(iter(heap["nodes"].values()))["jvm"]
        info["es_jvm"] = f"JVM {node.get('version', '?')}, heap {node['mem']['heap_max_in_bytes'] / 2**30:.1f} GiB"
        kafka = "?"
        if self.kafka_pid:
            try:
                cmd = open(f"/proc/{self.kafka_pid}/cmdline").read()
                m = re.search(r"kafka[_-](?:2\.1[23]-)?(\d+\.\d+\.\d+)", cmd)
                kafka = m.group(1) if m else "?"
            except OSError:
                pass
        info["kafka"] = kafka
        try:
            info["librdkafka"] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "librdkafka1"],
                                                capture_output=True, text=True).stdout or "?"
        except OSError:
            info["librdkafka"] = "?"
        from importlib.metadata import version
        info["python"] = sys.version.split()[0]
        info["kafka_python"] = version("kafka-python")
        info["es_py"] = version("elasticsearch")
        try:
            import confluent_kafka
            info["confluent_kafka"] = f"{confluent_kafka.__version__} (librdkafka {confluent_kafka.libversion()[0]})"
        except ImportError:
            info["confluent_kafka"] = "?"
        root = os.path.dirname(HERE)
        git = lambda *a: subprocess.run(["git", "-C", root, *a], capture_output=True, text=True).stdout.strip()
        info["commit"] = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "common", "sink-connector", "proto", "CMakeLists.txt")
        info["dirty"] = len(dirty.splitlines())
        info["sink_mtime"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(self.a.sink)))
        return info

    def report(self, info):
        a, R = self.a, self.results
        raws, sinks, py, pyc = R["raw"], R["sink"], R.get("python"), R.get("competent")
        med = lambda xs: statistics.median(x for x in xs if x) if any(xs) else None
        raw_dps = med([r["dps_watch"] for r in raws])
        sink_dps = med([r["dps_watch"] for r in sinks])
        cpu_us = med([r["cpu_us_per_doc"] for r in sinks])
        cpu_steady = med([r["cpu_us_steady"] for r in sinks])
        rss_mb = max(r["rss_kb"] for r in sinks) / 1024
        in_flight = a.in_flight if "max_in_flight" in self.flags else 1
        line = "=" * 110
        print(line)
        print("tweet-sink benchmark")
        print(line)
        print(f"machine   {info['nproc']} cores ({info['cpu']}), {info['mem_gib']:.1f} GiB memory, Linux {info['kernel']}")
        print(f"versions  tweet-sink {self.sink_version} (commit {info['commit']}"
              f"{', +' + str(info['dirty']) + ' locally modified files in sink-connector/common/proto' if info['dirty'] else ''};"
              f" {a.build_type} binary built {info['sink_mtime']}), librdkafka {info['librdkafka']}")
        print(f"          {info['es']} ({info['es_jvm']}), Kafka {info['kafka']}, Python {info['python']}, "
              f"kafka-python {info['kafka_python']}, elasticsearch-py {info['es_py']}, confluent-kafka {info['confluent_kafka']}")
        kind = (f"LONG-FORM synthetic tweets (note_tweet.text of {a.long_form} characters, text its first ~280)"
                if a.long_form else "synthetic tweets")
        print(f"data      {a.count} {kind} (gen_pages.py, seed {a.seed}) via tweet-source into a 3-partition "
              f"topic; {self.doc_bytes:.0f} bytes per rendered document, {a.count * self.doc_bytes / 1e6:.0f} MB in all")
        print(f"index     1 shard, 0 replicas, refresh_interval {a.refresh_interval}, tweet-sink's own mappings; a fresh "
              f"index per run, deleted after it")
        print(f"batches   at most {a.batch_records} records / {a.batch_bytes} bytes per bulk (the raw loader cuts the "
              f"same bulks); {in_flight} bulk(s) in flight for both tweet-sink and the raw loader")
        print(f"timing    docs/s = documents / (first -> last document indexed), read from the index's primary "
              f"index_total every {a.watch_interval * 1000:.0f} ms (+-{a.watch_interval * 1000:.0f} ms), the same for every "
              f"loader; {a.rounds} round(s), median shown")
        print(line)
        print(f"{'':30}{'docs/s':>9}  details")
        for r in raws:
            print(f"{'1. raw _bulk loader':30}{fmt(r['dps_watch']):>9}  own clock {r['dps_loader']:.0f} docs/s; "
                  f"{r['bulks']} bulks over {r['connections']} connection(s); loader CPU "
                  f"{100 * r['loader_cpu'] / r['loader_wall']:.0f}% of one core ({1e6 * r['loader_cpu'] / r['docs']:.1f} us/doc);"
                  f" ES CPU {1e6 * r['cpu']['es'] / r['docs']:.0f} us/doc")
        for r in sinks:
            print(f"{'2. tweet-sink':30}{fmt(r['dps_watch']):>9}  log clock {fmt(r['dps_log'])} docs/s; "
                  f"{r.get('bulks', '?')} bulks; {fmt(r['cpu_during_load'], '.2f')} cores while loading; wall "
                  f"{r['wall']:.1f} s incl. start-up + {a.idle} idle; ES CPU {1e6 * r['cpu']['es'] / a.count:.0f} us/doc")
        if pyc:
            print(f"{'3. Python competent consumer':30}{fmt(pyc['dps_watch']):>9}  own clock {fmt(pyc['dps_own'])} docs/s; "
                  f"{pyc['docs']} documents; confluent-kafka + {pyc['own'].get('helper', '?')}, {in_flight} bulk(s) in "
                  f"flight, commits after each bulk ({pyc['own'].get('commits', '?')} commits); reads the JSON topic; "
                  f"CPU {1e6 * pyc['process_cpu'] / pyc['docs']:.0f} us/doc; peak RSS {pyc['rss_kb'] / 1024:.0f} MB")
        if py:
            print(f"{'4. Python seed consumer':30}{fmt(py['dps_watch']):>9}  own clock {fmt(py['dps_own'])} docs/s; "
                  f"{py['docs']} documents only; one es.index per document; reads the JSON topic (pre-rendered "
                  f"documents); CPU {1e6 * py['own'].get('cpu_s', 0) / py['docs']:.0f} us/doc; peak RSS "
                  f"{py['rss_kb'] / 1024:.0f} MB")
        print(line)
        print(f"{'figure':30}{'measured':>12}   target (printed, not asserted)")

        def row(name, value, target, good):
            print(f"{name:30}{value:>12}   {target:10} {'met' if good else 'NOT met'}")

        if raw_dps and sink_dps:
            row("sink / raw loader", f"{sink_dps / raw_dps:.3f}x", f">= {TARGET_SINK_VS_RAW}x", sink_dps / raw_dps >= TARGET_SINK_VS_RAW)
        if len(raws) > 1 and all(r["dps_watch"] for r in raws + sinks):
            print(f"{'  per round':30}{'':>12}   " + ", ".join(
                f"r{i}: {sr['dps_watch'] / rr['dps_watch']:.3f}x" for i, (rr, sr) in enumerate(zip(raws, sinks)))
                + f"  (spread: raw {min(r['dps_watch'] for r in raws):.0f}-{max(r['dps_watch'] for r in raws):.0f},"
                f" sink {min(r['dps_watch'] for r in sinks):.0f}-{max(r['dps_watch'] for r in sinks):.0f} docs/s)")
        if pyc and pyc["dps_watch"] and sink_dps:
            print(f"{'sink / competent Python':30}{sink_dps / pyc['dps_watch']:>11.2f}x   {'(no target: shown, not judged)'}")
            print(f"{'  CPU per document':30}{'':>12}   sink {cpu_us:.1f} us, competent Python "
                  f"{1e6 * pyc['process_cpu'] / pyc['docs']:.1f} us (whole process, start-up included, both)")
        if py and py["dps_watch"] and sink_dps:
            row("sink / Python seed consumer", f"{sink_dps / py['dps_watch']:.1f}x", f">= {TARGET_SINK_VS_PY:.0f}x",
                sink_dps / py["dps_watch"] >= TARGET_SINK_VS_PY)
        row("sink CPU per document", f"{cpu_us:.1f} us", f"<= {TARGET_CPU_US:.0f} us", cpu_us <= TARGET_CPU_US)
        row("sink peak RSS" + (" (long-form)" if a.long_form else ""), f"{rss_mb:.0f} MB", f"<= {TARGET_RSS_MB:.0f} MB",
            rss_mb <= TARGET_RSS_MB)
        if a.long_form:
            print(f"  a backlog of {a.count * self.doc_bytes / 2**20:.0f} MiB of rendered documents in the topic, against the "
                  f"sink's bounds: --max-pending-bytes {self.max_pending_bytes()} + librdkafka prefetch "
                  f"(queued.max.messages.kbytes 16384 = 16 MiB); warm-up run peak RSS "
                  f"{R['warmup']['rss_kb'] / 1024:.0f} MB; RSS samples while loading: max "
                  f"{max(r['rss_kb_max_loading'] or 0 for r in sinks) / 1024:.0f} MB")
        s0 = sinks[0]
        print(f"  CPU per document = (user {s0['user_s']:.2f} s + sys {s0['sys_s']:.2f} s) / {a.count} over the whole "
              f"process (start-up and idle wait included); between the first and last indexed document alone: "
              f"{fmt(cpu_steady, '.1f')} us/doc. Peak RSS = VmHWM of the process (RSS at the first indexed document: "
              f"{fmt((s0['rss_kb_at_first'] or 0) / 1024)} MB, at the last: {fmt((s0['rss_kb_at_last'] or 0) / 1024)} MB).")
        print(line)
        print("machine use during each measured load, in core-seconds ('others' = all processes but Elasticsearch, "
              "the Kafka broker, the loader and the watcher):")
        phases = [(f"raw r{i}", r, r["loader_cpu"] + r["watch"]["cpu_s"]) for i, r in enumerate(raws)]
        phases += [(f"sink r{i}", r, r["user_s"] + r["sys_s"] + r["watch"]["cpu_s"]) for i, r in enumerate(sinks)]
        if pyc:
            phases.append(("py-comp", pyc, pyc["process_cpu"] + pyc["watch"]["cpu_s"]))
        if py:
            phases.append(("py-seed", py, py["process_cpu"] + py["watch"]["cpu_s"]))
        disturbed = False
        for name, r, loader in phases:
            c = r["cpu"]
            others = max(0.0, c["busy"] - c["es"] - c["kafka"] - loader)
            share = others / (c["wall"] * info["nproc"]) if c["wall"] else 0
            disturbed |= share > 0.1
            print(f"  {name:8} wall {c['wall']:6.1f} s  busy {c['busy']:6.1f} of {c['wall'] * info['nproc']:6.1f}  "
                  f"ES {c['es']:6.1f}  Kafka {c['kafka']:5.1f}  loader {loader:5.1f}  others {others:5.1f} "
                  f"({100 * share:2.0f}% of the machine)  load {c['load_before']:.1f}->{c['load_after']:.1f}"
                  + ("  <- shared machine" if share > 0.1 else ""))
        if disturbed:
            print("  WARNING: other processes used more than 10% of the machine during a measurement: treat those "
                  "figures as disturbed and run again on a quiet machine.")
        for v in self.voided:
            print(f"  voided and repeated: {v}")
        for r in sinks:
            if r.get("retries"):
                print(f"  tweet-sink retried {r['retries']} time(s): Elasticsearch refused or failed requests (see below)")
            if r["warnings"]:
                print(f"  tweet-sink logged {r['warnings']} warning(s)/error(s), e.g.: " + " | ".join(r["warning_lines"][:2]))
            if r["paused"]:
                print(f"  tweet-sink paused its partitions {r['paused']} time(s) (backpressure: records or bytes in "
                      f"flight stayed at --max-pending-records / --max-pending-bytes for 10 s)")
        print(line)

    def cleanup(self):
        if self.a.keep:
            log(f"--keep: leaving indices {self.indices}, templates, topics and groups in place")
            return
        if not self.wait_es(120):
            log("  (Elasticsearch does not answer: bench-* indices and templates of this run are left behind)")
        else:
            for path in [f"/{i}" for i in dict.fromkeys(self.indices)] + [f"/_index_template/{t}" for t in self.templates]:
                try:
                    self.es.req("DELETE", path)
                except (OSError, http.client.HTTPException) as e:
                    log(f"  (DELETE {path}: {e})")
        try:
            from kafka.admin import KafkaAdminClient
            admin = KafkaAdminClient(bootstrap_servers=self.a.bootstrap)
            topics = self.topics + [self.a.topic]
            try:
                # kafka-python 2.x: delete_consumer_groups; 3.x: delete_groups
                (getattr(admin, "delete_groups", None) or admin.delete_consumer_groups)(self.groups)
            except Exception as e:  # noqa: BLE001 - best effort cleanup
                log(f"  (deleting consumer groups: {e})")
            existing = set(admin.list_topics())
            for t in topics:
                if t in existing:
                    admin.delete_topics([t])
            admin.close()
        except Exception as e:  # noqa: BLE001 - best effort cleanup
            log(f"  (deleting topics: {e})")
        log(f"cleaned up: {len(self.indices)} indices, {len(self.templates)} templates, topics {self.topics + [self.a.topic]}"
            f", {len(self.groups)} consumer groups")

    def run(self):
        try:
            self.phase_template()
            self.phase_warmup()
            self.results["raw"], self.results["sink"] = [], []
            for rnd in range(self.a.rounds):
                order = ("raw", "sink") if rnd % 2 == 0 else ("sink", "raw")
                for what in order:
                    if what == "raw":
                        self.results["raw"].append(self.measured(f"raw round {rnd}", self.measure_raw, rnd))
                    else:
                        self.results["sink"].append(self.measured(f"sink round {rnd}", self.measure_sink, rnd))
            if self.a.python_count > 0 or self.competent_count() > 0:
                self.fill_json_topic()
            if self.competent_count() > 0:
                self.results["competent"] = self.measured("competent python", self.measure_peer, "competent")
            if self.a.python_count > 0:
                self.results["python"] = self.measured("python", self.measure_peer, "seed")
            info = self.machine()
            self.report(info)
            with open(os.path.join(self.work, "results.json"), "w") as f:
                json.dump({"args": vars(self.a), "machine": info, "results": self.results}, f, indent=1, default=str)
            log(f"raw results and tweet-sink logs: {self.work}")
        finally:
            self.cleanup()


def parse_duration(s):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", s)
    if not m:
        raise ValueError(f"duration {s!r}: use e.g. 3s or 500ms")
    return float(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]


def fmt(x, spec=".0f"):
    return format(x, spec) if x else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--suffix", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--build-type", default="?")
    ap.add_argument("--es-url", default="http://127.0.0.1:9200")
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--python-count", type=int, default=5000)
    ap.add_argument("--competent-count", type=int, default=-1,
                    help="documents the competent Python consumer indexes (-1 = --count, 0 = skip it)")
    ap.add_argument("--long-form", type=int, default=0, metavar="CHARS",
                    help="the tweets are long-form posts with CHARS-character note_tweet texts (for the report)")
    ap.add_argument("--batch-records", type=int, default=2000)
    ap.add_argument("--batch-bytes", type=int, default=5 * 1024 * 1024)
    ap.add_argument("--refresh-interval", default="30s")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--in-flight", type=int, default=2,
                    help="bulks in flight: tweet-sink's --max-in-flight and the raw loader's connections")
    ap.add_argument("--idle", default="3s")
    ap.add_argument("--watch-interval", type=float, default=0.05)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    parse_duration(a.idle)
    Bench(a).run()


if __name__ == "__main__":
    main()
