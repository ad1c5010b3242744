"""Shared by the tests of the container deployment (compose/): paths, the compose file as docker-compose
resolves it, the binaries' accepted settings, a small Elasticsearch client and free ports.

Paths come from the environment (CTest sets them): TWEETSTREAM_SOURCE_DIR (the repository) and
TWEETSTREAM_BUILD_DIR (where tweet-source, tweet-sink and, once built, tweetctl are)."""
import json
import os
import re
import socket
import subprocess
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("TWEETSTREAM_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
BUILD_DIR = os.environ.get("TWEETSTREAM_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
COMPOSE_DIR = os.path.join(SOURCE_DIR, "compose")
VENV_BIN = os.path.join(SOURCE_DIR, ".venv", "bin")
SOURCE_BIN = os.path.join(BUILD_DIR, "source-connector", "tweet-source")
SINK_BIN = os.path.join(BUILD_DIR, "sink-connector", "tweet-sink")
KAFKA = os.environ.get("TWEETSTREAM_KAFKA", "127.0.0.1:9092")
ES_URL = os.environ.get("TWEETSTREAM_ES_URL", "http://127.0.0.1:9200").rstrip("/")

# Settings that are not flags: the secrets (each also as <NAME>_FILE) and the log level.
SECRETS = {"tweet-source": ["X_BEARER_TOKEN"], "tweet-sink": ["ES_USERNAME", "ES_PASSWORD", "ES_API_KEY"]}
PREFIX = {"tweet-source": "TWEET_SOURCE_", "tweet-sink": "TWEET_SINK_"}
BINARY = {"tweet-source": SOURCE_BIN, "tweet-sink": SINK_BIN}


def tweetctl_binary():
    """tweetctl in the build tree, or None while it is not built."""
    for path in (os.path.join(BUILD_DIR, "tools", "tweetctl", "tweetctl"), os.path.join(BUILD_DIR, "tools", "tweetctl")):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def compose_config(env_file=None, extra_env=None):
    """docker-compose's own resolution of compose/docker-compose.yml (interpolated, validated against the
    compose schema) as a dict. DOCKER_HOST points nowhere: this must work without any Docker engine."""
    import yaml
    cmd = [os.path.join(VENV_BIN, "docker-compose"), "--project-directory", COMPOSE_DIR,
           "-f", os.path.join(COMPOSE_DIR, "docker-compose.yml")]
    if env_file:
        cmd += ["--env-file", env_file]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKER_HOST": "tcp://127.0.0.1:9"}
    env.update(extra_env or {})
    result = subprocess.run(cmd + ["config"], capture_output=True, text=True, timeout=120, env=env)
    if result.returncode != 0:
        raise AssertionError(f"docker-compose config failed ({result.returncode}): {result.stderr}{result.stdout}")
    return yaml.safe_load(result.stdout)


def accepted_flags(binary):
    """Flag names (underscore spelling) the binary accepts: every flag `--helpfull` lists. That is the set
    common/env_flags.cc applies from the environment (absl::GetAllFlags), dashed as the README spells them."""
    result = subprocess.run([binary, "--helpfull"], capture_output=True, text=True, timeout=60)
    text = result.stdout + result.stderr
    flags = {f.replace("-", "_") for f in re.findall(r"^\s+--([A-Za-z0-9_-]+)[=\s]", text, flags=re.M)}
    if not flags:
        raise AssertionError(f"{binary} --helpfull listed no flags: {text[:500]}")
    return flags


def env_name_accepted(service, name, flags, binary_bytes):
    """Why `name` is not a setting of `service` ("" when it is one)."""
    prefix = PREFIX[service]
    if name.startswith(prefix):
        flag = name[len(prefix):].lower()
        return "" if flag in flags else f"{name}: {service} has no flag --{flag.replace('_', '-')}"
    base = name[:-len("_FILE")] if name.endswith("_FILE") else name
    if base in SECRETS[service] or name == "TWEETSTREAM_LOG_LEVEL":
        return "" if base.encode() in binary_bytes else f"{name}: {service} never reads {base}"
    return f"{name}: not a setting of {service} (flags are {prefix}<FLAG>; secrets {SECRETS[service]})"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def es(method, path, body=None, ok=(200, 201)):
    """One request to the test Elasticsearch; returns (status, parsed JSON body)."""
    data = None
    headers = {}
    if body is not None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        headers["Content-Type"] = "application/x-ndjson" if isinstance(body, str) else "application/json"
    request = urllib.request.Request(ES_URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    parsed = json.loads(payload) if payload else None
    if ok and status not in ok:
        raise AssertionError(f"{method} {path}: HTTP {status}: {payload[:1000]!r}")
    return status, parsed


def count(index):
    es("POST", f"/{index}/_refresh", ok=None)
    status, body = es("GET", f"/{index}/_count", ok=None)
    return body["count"] if status == 200 else -1


def sample_tweets(files=("search-page-1.json", "search-page-2.json", "search-page-3.json", "stream-capture.txt")):
    """Tweet ids of the bundled samples, read independently of the connector: id -> tweet JSON."""
    tweets = {}
    for name in files:
        with open(os.path.join(SOURCE_DIR, "samples", name), encoding="utf-8") as f:
            content = f.read()
        bodies = [content] if name.endswith(".json") else [l for l in content.split("\n") if l.strip()]
        for body in bodies:
            doc = json.loads(body)
            data = doc.get("data", [])
            for t in data if isinstance(data, list) else [data]:
                tweets[t["id"]] = t
    return tweets
