#!/usr/bin/env python3
"""Helper of bench/source_bench.sh (stdlib only). Subcommands:

  pages FIXTURES OUT_DIR --count N [--per-file N]
      Repeats the recorded search pages (recent-search-*.json, search-all-*.json with data[]) until at
      least N tweets, giving every tweet of every copy a new unique 19-digit id (nothing else changes),
      and writes them as JSONL files of pages (one page per line) into OUT_DIR. Prints a JSON summary.
  filler SIZES OUT [--match-ratio R]
      SIZES has "key<TAB>value size" lines (kcat -C -f '%k\\t%S\\n'); writes "key<TAB>payload" lines with
      printable payloads of exactly those sizes. The payload characters are drawn at random from an
      alphabet of 2**(8*R) symbols, so that zstd compresses them to roughly the ratio R (given by the
      script: the ratio tweet-source's records got on disk).
  disk KAFKA_DATA_DIR TOPIC
      Prints the bytes of the topic's partition logs (*.log) on disk.
"""
import argparse
import glob
import json
import math
import os
import string
import sys


def cmd_pages(a):
    files = sorted(glob.glob(os.path.join(a.fixtures, "recent-search-*.json")) +
                   glob.glob(os.path.join(a.fixtures, "search-all-*.json")))
    pages = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            page = json.load(fh)
        if isinstance(page.get("data"), list) and page["data"]:
            pages.append((os.path.basename(f), page))
    if not pages:
        sys.exit(f"source_bench.py: no search page with data[] in {a.fixtures}")
    per_copy = sum(len(p["data"]) for _, p in pages)
    copies = math.ceil(a.count / per_copy)
    os.makedirs(a.out_dir, exist_ok=True)
    next_id = 1_900_000_000_000_000_000  # 19 digits, above every id in the fixtures
    tweets = 0
    nbytes = 0
    nfiles = 0
    out = None
    for c in range(copies):
        if c % a.per_file == 0:
            if out:
                out.close()
            out = open(os.path.join(a.out_dir, f"pages-{nfiles:04d}.jsonl"), "w", encoding="utf-8")
            nfiles += 1
        for _, page in pages:
            for tweet in page["data"]:
                tweet["id"] = str(next_id)
                next_id += 1
            line = json.dumps(page, separators=(",", ":")) + "\n"
            out.write(line)
            nbytes += len(line.encode("utf-8"))
            tweets += len(page["data"])
    out.close()
    print(json.dumps({"fixture_pages": len(pages), "fixture_files": [n for n, _ in pages], "tweets_per_copy": per_copy,
                      "copies": copies, "tweets": tweets, "pages": copies * len(pages), "files": nfiles,
                      "bytes": nbytes}))


def cmd_filler(a):
    bits = max(1.0, min(6.5, 8.0 * a.match_ratio))  # 2 .. ~90 symbols
    k = max(2, min(len(ALPHABET), round(2 ** bits)))
    table = bytes(ALPHABET[i % k] for i in range(256))  # urandom byte -> one of k printable symbols
    n = 0
    total = 0
    with open(a.sizes, encoding="ascii") as src, open(a.out, "wb") as out:
        for line in src:
            key, _, size = line.rstrip("\n").partition("\t")
            size = int(size)
            out.write(key.encode("ascii") + b"\t" + os.urandom(size).translate(table) + b"\n")
            n += 1
            total += size
    print(json.dumps({"records": n, "value_bytes": total, "alphabet": k}))


ALPHABET = (string.ascii_letters + string.digits + string.punctuation + " ").encode("ascii")


def cmd_disk(a):
    total = 0
    for f in glob.glob(os.path.join(a.data_dir, f"{glob.escape(a.topic)}-[0-9]*", "*.log")):
        total += os.path.getsize(f)
    print(total)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd_name", required=True)
    p = sub.add_parser("pages")
    p.add_argument("fixtures")
    p.add_argument("out_dir")
    p.add_argument("--count", type=int, default=200000)
    p.add_argument("--per-file", type=int, default=25, help="fixture copies per JSONL file")
    p.set_defaults(fn=cmd_pages)
    p = sub.add_parser("filler")
    p.add_argument("sizes")
    p.add_argument("out")
    p.add_argument("--match-ratio", type=float, default=0.75)
    p.set_defaults(fn=cmd_filler)
    p = sub.add_parser("disk")
    p.add_argument("data_dir")
    p.add_argument("topic")
    p.set_defaults(fn=cmd_disk)
    a = ap.parse_args()
    sys.exit(a.fn(a) or 0)


if __name__ == "__main__":
    main()
