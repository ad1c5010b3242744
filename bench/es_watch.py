#!/usr/bin/env python3
"""Watches one index's primary indexing counter and records when the first and the last document
were indexed, the same way for every loader of the benchmark.

Polls GET /<index>/_stats/indexing every --interval seconds on one persistent connection (a
few hundred bytes each, ~20 requests/s: negligible next to a bulk load) and writes a JSON result
when index_total reaches --target, on SIGTERM, or after --timeout:

  {"first": t, "last": t, "count": n, "polls": k, "interval": s, "cpu_s": c}

`first` is the midpoint between the last poll that saw 0 and the first that saw > 0 (so +- half an
interval); `last` is the same for reaching the target. Times are time.monotonic() seconds; only their
difference is used.

    es_watch.py ES_URL INDEX TARGET OUT_JSON [--interval 0.05] [--timeout 900]
"""

import argparse
import http.client
import json
import resource
import signal
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("es_url")
    ap.add_argument("index")
    ap.add_argument("target", type=int)
    ap.add_argument("out")
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()

    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    u = urllib.parse.urlsplit(args.es_url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 9200, timeout=10)
    path = f"/{args.index}/_stats/indexing?filter_path=_all.primaries.indexing.index_total"

    def count():
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            return 0
        return json.loads(body)["_all"]["primaries"]["indexing"]["index_total"]

    first = last = None
    prev_t, prev_n, n, polls = time.monotonic(), 0, 0, 0
    deadline = prev_t + args.timeout
    print("ready", flush=True)  # the caller starts the loader after this line
    while not stop["flag"] and time.monotonic() < deadline:
        t = time.monotonic()
        try:
            n = count()
        except (OSError, http.client.HTTPException):
            conn.close()
            n = prev_n
        polls += 1
        if first is None and n > 0:
            first = (prev_t + t) / 2
        if n >= args.target:
            last = (prev_t + t) / 2
            break
        prev_t, prev_n = t, n
        time.sleep(max(0.0, args.interval - (time.monotonic() - t)))
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open(args.out, "w") as f:
        json.dump({"first": first, "last": last, "count": n, "polls": polls, "interval": args.interval,
                   "cpu_s": ru.ru_utime + ru.ru_stime}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
