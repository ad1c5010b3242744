#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target of tests/fuzz/ into OUT/<target>/ (git-ignored).

Made at run time from the recorded X API fixtures (../shared/fixtures/x-api-v2, or $TWEETSTREAM_FIXTURES)
and samples/, which are read, never copied into the repository; the bulk responses and the settings are
generated here. Deterministic: the same inputs give the same files (named by their content's hash).
The envelope_document target's seeds (serialized TweetEnvelopes) are written by that target itself
from the X API bodies this script leaves in OUT/../x-bodies/ (scripts/fuzz.sh runs it with
TWEETSTREAM_FUZZ_WRITE_SEEDS), since only the C++ mapper makes them.

  make_corpus.py OUT
"""
import hashlib
import json
import os
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = pathlib.Path(os.environ.get("TWEETSTREAM_FIXTURES", ROOT.parent / "shared" / "fixtures" / "x-api-v2"))
SAMPLES = ROOT / "samples"
MAX_SEED = 64 * 1024  # scripts/fuzz.sh's -max_len: larger bodies are trimmed to their first tweets


def write(out: pathlib.Path, data: bytes) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def trimmed(body: bytes) -> bytes:
    """A body of at most MAX_SEED bytes: large pages keep their first tweets and includes."""
    if len(body) <= MAX_SEED:
        return body
    try:
        doc = json.loads(body)
    except ValueError:
        return body[:MAX_SEED]
    if not isinstance(doc, dict):
        return body[:MAX_SEED]
    for keep in (8, 4, 2, 1):
        small = dict(doc)
        if isinstance(small.get("data"), list):
            small["data"] = small["data"][:keep]
        if isinstance(small.get("includes"), dict):
            small["includes"] = {k: v[: keep * 2] if isinstance(v, list) else v for k, v in small["includes"].items()}
        data = json.dumps(small, ensure_ascii=False).encode()
        if len(data) <= MAX_SEED:
            return data
    return body[:MAX_SEED]


def sources():
    """(name, bytes) of every fixture and sample file."""
    for folder in (FIXTURES, SAMPLES):
        if not folder.is_dir():
            sys.exit(f"make_corpus: {folder} is missing (set TWEETSTREAM_FIXTURES)")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".json", ".jsonl", ".txt"):
                yield path.name, path.read_bytes()


def lines_of(data: bytes, limit: int = 40):
    return [l for l in data.replace(b"\r\n", b"\n").split(b"\n") if l.strip()][:limit]


def bulk_responses():
    """Typical _bulk answers (Elasticsearch's shapes), generated."""
    def item(action, i, status, error=None):
        body = {"_index": "twitter", "_id": str(i), "_version": 1, "status": status}
        if error:
            body["error"] = error
        return {action: body}
    err = {"type": "mapper_parsing_exception", "reason": "failed to parse field [created_at]",
           "caused_by": {"type": "illegal_argument_exception", "reason": "bad date"}}
    rej = {"type": "es_rejected_execution_exception", "reason": "rejected execution"}
    answers = [
        [item("index", i, 201) for i in range(5)],
        [item("index", 0, 201), item("index", 1, 400, err), item("index", 2, 429, rej), item("delete", 3, 404)],
        [item("create", 0, 409, {"type": "version_conflict_engine_exception", "reason": "exists"})],
        [item("index", i, 200) for i in range(20)],
        [],
    ]
    for items in answers:
        errors = any(next(iter(i.values()))["status"] >= 300 for i in items)
        body = json.dumps({"took": 3, "errors": errors, "items": items}).encode()
        yield bytes([0, len(items)]) + body  # even first byte: the body as is, then the action count
    yield bytes([0, 1]) + b'{"error":{"type":"illegal_argument_exception"},"status":400}'
    for n in (0, 7, 42, 255):  # odd first byte: the structured half, driven by the bytes that follow
        yield bytes([1]) + hashlib.sha256(str(n).encode()).digest() * 4


def settings():
    """name=value lines from tweet-sink's flags (their defaults), one setting and all of them."""
    text = (ROOT / "sink-connector" / "main.cc").read_text()
    flags = re.findall(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,\s*([^,]+?)\s*,", text)
    pairs = [(name, default.strip('"')) for name, default in flags]
    for name, value in pairs:
        yield f"{name}={value}".encode()
    yield "\n".join(f"{n}={v}" for n, v in pairs).encode()
    yield b"batch_max_records=0\nlinger=-1s"
    yield b"@3=99999999999999999999\n@7=1e400s\n@11=true"
    yield b"ES_PASSWORD=secret"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    counts = {}
    for name, data in sources():
        body = trimmed(data)
        write(out / "x_response_fuzzer", body)
        write(out.parent / "x-bodies", body)
        write(out / "replay_reader_fuzzer", body)
        lines = lines_of(data)
        for line in lines[:10]:
            write(out / "x_response_fuzzer", trimmed(line))
        if len(lines) > 1:  # a stream capture or JSONL: the stream framer's body, cut three ways
            stream = b"\r\n".join(lines[:20]) + b"\r\n\r\n"
            stream = stream[-MAX_SEED:]
            write(out / "replay_reader_fuzzer", stream)
            write(out / "stream_framer_fuzzer", bytes([0]) + stream)
            write(out / "stream_framer_fuzzer", bytes([3, 0, 6, 63]) + stream)
            write(out / "stream_framer_fuzzer", bytes([2, 255, 1]) + stream.replace(b"\r\n", b"\n"))
    for body in bulk_responses():
        write(out / "bulk_response_fuzzer", body)
    for body in settings():
        write(out / "config_update_fuzzer", body)
    (out / "envelope_document_fuzzer").mkdir(parents=True, exist_ok=True)  # filled by the target itself
    for target in sorted(p.name for p in out.iterdir() if p.is_dir()):
        counts[target] = len(list((out / target).iterdir()))
    print("make_corpus: " + ", ".join(f"{t} {n}" for t, n in counts.items()) + f" seeds in {out}")


if __name__ == "__main__":
    main()
