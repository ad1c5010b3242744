"""docs_test: every command in the READMEs works as written (issue 17).

What it does, in this order:

1. Flags and environment names. Every `--flag` and every setting's environment name (TWEET_SOURCE_*,
   TWEET_SINK_*, TWEETCTL_*, X_BEARER_TOKEN, ES_USERNAME/ES_PASSWORD/ES_API_KEY, TWEETSTREAM_LOG_LEVEL,
   each also with _FILE) named anywhere in README.md and the folder READMEs, in prose, tables and shell
   blocks, is checked against the `--help` of the binary it belongs to. Which binary: the one a code span
   or command line starts with (`tweet-source ...`, `$T ...` = tweetctl); for a bare `--flag`, the table
   it stands in (README.md's tweet-source / tweet-sink tables), the folder (source-connector/,
   sink-connector/, tools/tweetctl/), a "Both:" paragraph (both connectors); elsewhere any of the three
   binaries, or a script of that README's folder (bench/*.sh, scripts/*.sh) that handles it.
1b. Configuration tables. README.md's tweet-source and tweet-sink tables name every flag of that binary's
   `--help` (first column, or the "Both:" paragraph) and no other; each default the table states literally
   (`60s`, `5 MiB`, on/off, none) is the one `--help` prints (compared by value: 60s == 1m).
2. Shell blocks. Every fenced block tagged sh/bash/shell/console of README.md, then of every folder
   README (alphabetically), is run in order with bash -e -o pipefail from the repository root; each must
   exit 0 within BLOCK_TIMEOUT. Untagged blocks are output, synopses or diagrams and are not run.
   A block that must not run here is marked in the README, on the line(s) just before its fence:
       <!-- docs-test: skip (why, e.g. needs a Docker engine) -->
   The reason is required; an unknown `docs-test:` marker fails the test (typos).
3. Results the README states are checked after their block (see the Hook classes below): the demo's
   count is the number of sample tweets and stays the same on a second run, the example search finds
   #Kafka tweets most liked first, the demo ends with `tweetctl status` of both connectors; the index
   holds exactly the samples' ids after "Running the connectors yourself", each run prints its one-line
   summary with every record delivered, the status file has the fields the Configuration table lists;
   tweetctl's "re-index everything" re-reads the whole topic and leaves the count unchanged, `config set`
   is applied, `rules list` shows the rule, `health` says SERVING, and both connectors stop on SIGTERM
   with exit 0; regenerating samples/ gives the same bytes.

Isolation. The services are the ones running (scripts/test.sh starts them; a README block's
`scripts/services.sh start` finds them running). The commands run as written, but the settings'
environment twins (README, Configuration) point them at a topic, cursor topic, dead-letter topic,
index, consumer group, control and metrics ports of this run only, so nothing of other tests (or of a
user's demo) is touched; the index and its template are deleted at the end (the topics are left, like
the other tests leave theirs). X API calls go to tests/fake_x_api's standalone server (build/tests/
fake-x-api) serving samples/, through TWEET_SOURCE_X_API_BASE_URL.

Bounded variants and rewrites (BOUNDS; each use is printed in the log with its reason): the X token
placeholder `X_BEARER_TOKEN=...` becomes the fake server's token; /tmp/ paths go to this run's temporary
folder; `scripts/demo.sh` runs twice ("Run it again: the count stays the same"); `scripts/test.sh` runs
as `scripts/test.sh -N` (install, build, services and the test list, without running the tests: the
real run is CI itself, which runs this test); `scripts/services.sh stop|reset` would stop or wipe the
services other tests use and runs as `scripts/services.sh status`; a synthetic source's `--count` is
capped at 500; a polling search source gets TWEET_SOURCE_MAX_POLLS=1 (one poll, not one a minute
forever); a filtered-stream source runs until it delivered the stream capture's tweets, then gets
SIGTERM (tests/docs/run_until.py) and must exit 0; `tweetctl watch` is bounded by TWEETCTL_COUNT=2 and
TWEETCTL_INTERVAL=1s; the connectors' default control and metrics addresses (127.0.0.1:50051, :50052,
:9401, :9402) written in a command become this run's ports. A block that talks to running connectors
(tweetctl, grpcurl, those ports) and starts none itself ("While they run ...", the Control plane) gets
them: the test starts, before it, the sink left running and the filtered-stream source of "Running the
connectors yourself", and stops them after it (both must exit 0).

Development: DOCS_TEST_ONLY=README.md:57,README.md:375 runs only those blocks (by fence line);
DOCS_TEST_VERBOSE=1 prints every block's output.

Run: ctest -R docs_test (label docs), or directly with TWEETSTREAM_SOURCE_DIR / TWEETSTREAM_BUILD_DIR
set; TWEETSTREAM_KAFKA and TWEETSTREAM_ES_URL name the services (default 127.0.0.1:9092 / :9200).
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "deploy"))
import deploy_common as dc  # noqa: E402  (paths, free ports, a small Elasticsearch client, the samples)

SOURCE_DIR = os.path.abspath(dc.SOURCE_DIR)
BUILD_DIR = os.path.abspath(dc.BUILD_DIR)
KAFKA = dc.KAFKA
ES_URL = dc.ES_URL
BINARIES = {
    "tweet-source": os.path.join(BUILD_DIR, "source-connector", "tweet-source"),
    "tweet-sink": os.path.join(BUILD_DIR, "sink-connector", "tweet-sink"),
    "tweetctl": os.path.join(BUILD_DIR, "tools", "tweetctl", "tweetctl"),
}
FAKE_X_API = os.path.join(BUILD_DIR, "tests", "fake-x-api")
RUN_UNTIL = os.path.join(HERE, "run_until.py")
SHELL_LANGS = {"sh", "bash", "shell", "console", "zsh"}
BLOCK_TIMEOUT = 300          # seconds per block
FAKE_TOKEN = "docs-test-bearer-token"
SYNTHETIC_CAP = 500
DEFAULT_PORTS = {"50051": "source_control", "50052": "sink_control", "9401": "source_metrics", "9402": "sink_metrics"}
MARKER = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->")
SKIP_MARKER = re.compile(r"skip\s*\((.+)\)$")

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", flush=True)


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------------
# READMEs and their blocks

def readme_files():
    """README.md first, then every folder README (tracked by git, else found on disk), alphabetically."""
    try:
        listed = subprocess.run(["git", "-C", SOURCE_DIR, "ls-files", "--cached", "--others", "--exclude-standard",
                                 "*README.md"], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = []
        for root, dirs, files in os.walk(SOURCE_DIR):
            dirs[:] = [d for d in dirs if not d.startswith(".") and not d.startswith("build")]
            if "README.md" in files:
                listed.append(os.path.relpath(os.path.join(root, "README.md"), SOURCE_DIR))
    folders = sorted(p for p in listed if p != "README.md" and os.path.isfile(os.path.join(SOURCE_DIR, p)))
    return ["README.md"] + folders


class Block:
    def __init__(self, path, line, lang, text, skip):
        self.path, self.line, self.lang, self.text, self.skip = path, line, lang, text, skip

    @property
    def where(self):
        return f"{self.path}:{self.line}"

    @property
    def is_shell(self):
        return self.lang in SHELL_LANGS


def parse_readme(path):
    """(blocks, prose): the fenced blocks with their markers, and the text outside them."""
    lines = open(os.path.join(SOURCE_DIR, path), encoding="utf-8").read().split("\n")
    blocks, prose = [], []
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*(```+|~~~+)\s*([\w+-]*)", lines[i])
        if not m:
            prose.append(lines[i])
            i += 1
            continue
        # (blank lines in the prose in place of the block, so that prose line n is README line n)
        fence, lang, start = m.group(1), m.group(2).lower(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        prose.extend([""] * (i - start))
        # A marker is an HTML comment on the non-blank lines just above the fence.
        skip, j = None, start - 1
        while j >= 0 and (not lines[j].strip() or MARKER.search(lines[j])):
            mm = MARKER.search(lines[j])
            if mm:
                sm = SKIP_MARKER.match(mm.group(1))
                if not sm:
                    fail(f"{path}:{j + 1}: unknown docs-test marker {mm.group(0)!r} "
                         "(the one known: <!-- docs-test: skip (reason) -->)")
                else:
                    skip = sm.group(1)
            j -= 1
        blocks.append(Block(path, start + 1, lang, "\n".join(body), skip))
    return blocks, "\n".join(prose)


def logical_lines(text):
    """Shell lines with backslash continuations joined."""
    out, current = [], ""
    for line in text.split("\n"):
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        out.append(current + line)
        current = ""
    if current:
        out.append(current)
    return out


# ---------------------------------------------------------------------------------------------------
# 1. Flags and environment names against --help

def help_text(name):
    result = subprocess.run([BINARIES[name], "--help"], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def help_flags(text):
    # Abseil's --help: "    --flag_name (description)"; tweetctl's own usage names its flags in the flags
    # list ("  --flag ARG   description") and beside their commands ("watch ... [--count N]").
    flags = set(re.findall(r"(?<![\w-])--([A-Za-z][A-Za-z0-9_-]*)", text))
    return {f.replace("-", "_") for f in flags}


BUILTIN_FLAGS = {"help", "helpfull", "helpshort", "version", "flagfile", "fromenv", "tryfromenv", "undefok"}
ENV_PREFIX = {"tweet-source": "TWEET_SOURCE_", "tweet-sink": "TWEET_SINK_", "tweetctl": "TWEETCTL_"}
SECRETS = {"X_BEARER_TOKEN": ["tweet-source"], "ES_USERNAME": ["tweet-sink"], "ES_PASSWORD": ["tweet-sink"],
           "ES_API_KEY": ["tweet-sink"], "TWEETSTREAM_LOG_LEVEL": ["tweet-source", "tweet-sink"],
           "TWEETCTL_TOKEN": ["tweetctl"]}
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
ENV = re.compile(r"(?<![A-Za-z0-9_])((?:TWEET_SOURCE|TWEET_SINK|TWEETCTL|X_BEARER|ES_USERNAME|ES_PASSWORD|ES_API"
                 r"|TWEETSTREAM_LOG)[A-Z0-9_]*)(?![A-Za-z0-9_*])")


def command_binary(words):
    """The binary a command (list of words, env assignments first) runs, or None / 'other'."""
    for w in words:
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w):
            continue
        base = os.path.basename(w)
        if w == "$T" or base == "tweetctl":
            return "tweetctl"
        if base in ("tweet-source", "tweet-sink"):
            return base
        return "other:" + w
    return None


def folder_scripts_text(readme):
    folder = os.path.dirname(readme)
    if not folder:
        return ""
    text = []
    for name in sorted(os.listdir(os.path.join(SOURCE_DIR, folder))):
        if name.endswith((".sh", ".py", ".cc", ".yml")) or name.startswith("Dockerfile"):
            text.append(open(os.path.join(SOURCE_DIR, folder, name), encoding="utf-8", errors="replace").read())
    return "\n".join(text)


def check_flags_and_env(readmes):
    helps = {name: help_text(name) for name in BINARIES}
    accepted = {name: help_flags(text) | BUILTIN_FLAGS for name, text in helps.items()}
    for name, flags in accepted.items():
        if len(flags) <= len(BUILTIN_FLAGS):
            fail(f"{name} --help lists no flags")
    checked = 0

    def check(where, flag, binaries, other_text=""):
        nonlocal checked
        checked += 1
        key = flag.replace("-", "_")
        if any(key in accepted[b] for b in binaries):
            return
        if other_text and re.search(rf"(?<![\w-])--{re.escape(flag)}(?![\w-])", other_text):
            return
        fail(f"{where}: --{flag} is not a flag of {' or '.join(binaries)} (their --help)"
             + (" nor of the scripts beside this README" if other_text else ""))

    def check_env(where, name):
        nonlocal checked
        if name.endswith("_"):
            return  # a family, e.g. TWEETCTL_<FLAG>
        checked += 1
        base = name[:-len("_FILE")] if name.endswith("_FILE") and name[:-len("_FILE")] in SECRETS else name
        if base == "TWEETSTREAM_LOG_LEVEL":
            # Read by common/logging.cc, not named by --help: its flag --log-level must be, and the binaries read it.
            for b in SECRETS[base]:
                if "log_level" not in accepted[b] or base.encode() not in open(BINARIES[b], "rb").read():
                    fail(f"{where}: {name}: {b} neither lists --log-level in --help nor reads {base}")
            return
        if base in SECRETS:
            missing = [b for b in SECRETS[base] if base not in helps[b]]
            if missing:
                fail(f"{where}: {name}: not named by the --help of {', '.join(missing)}")
            return
        for binary, prefix in ENV_PREFIX.items():
            if name.startswith(prefix):
                flag = name[len(prefix):].lower()
                if flag not in accepted[binary]:
                    fail(f"{where}: {name}: {binary} has no flag --{flag.replace('_', '-')} (its --help)")
                return
        fail(f"{where}: {name}: not a setting of tweet-source, tweet-sink or tweetctl")

    for readme, (blocks, prose) in readmes.items():
        default = {"source-connector/README.md": ["tweet-source"], "sink-connector/README.md": ["tweet-sink"],
                   "tools/tweetctl/README.md": ["tweetctl"]}.get(readme, list(BINARIES))
        scripts_text = folder_scripts_text(readme)
        table = None
        both = False
        for n, line in enumerate(prose.split("\n"), 1):
            where = f"{readme}:{n} ({line.strip()[:60]!r})"
            if line.startswith("|"):
                header = re.match(r"^\|\s*(tweet-source|tweet-sink)\s*\|", line)
                if header:
                    table = header.group(1)
            else:
                table = None
            if line.strip() == "":
                both = False
            elif line.startswith("Both:"):
                both = True
            for name in ENV.findall(line):
                check_env(where, name)
            for m in re.finditer(r"`([^`\n]+)`", line):
                span = m.group(1)
                if "--" not in span:
                    continue
                # "tweet-source's `--control-addr`", "the servers' `--control-token-file`"
                owner = re.search(r"(tweet-source|tweet-sink)'s\s*$|(servers)'\s*$", line[:m.start()])
                try:
                    words = shlex.split(span)
                except ValueError:
                    words = span.split()
                binary = command_binary(words)
                if binary and not binary.startswith("other:"):
                    for flag in FLAG.findall(span):
                        check(where, flag, [binary])
                    continue
                if binary and binary.startswith("other:") and not span.lstrip().startswith("--"):
                    continue  # another program's flags (scripts, docker, ctest, kafka-configs.sh, ...)
                for flag in FLAG.findall(span):
                    if owner and owner.group(1):
                        check(where, flag, [owner.group(1)])
                    elif owner or both:
                        check(where, flag, ["tweet-source"])
                        check(where, flag, ["tweet-sink"])
                    elif table:
                        check(where, flag, [table])
                    else:
                        check(where, flag, default, scripts_text)
        for block in blocks:
            for name in ENV.findall(block.text):
                check_env(block.where, name)
            if not block.is_shell:
                continue
            for line in logical_lines(block.text):
                code = line.split(" #", 1)[0]
                for command in re.split(r"&&|\|\||;|\|", code):
                    try:
                        words = shlex.split(command)
                    except ValueError:
                        words = command.split()
                    binary = command_binary(words)
                    if binary and not binary.startswith("other:"):
                        for flag in FLAG.findall(command):
                            check(f"{block.where} ({command.strip()[:60]!r})", flag, [binary])
    log(f"flags and environment names: {checked} mentions checked against the binaries' --help")


# ---------------------------------------------------------------------------------------------------
# 1b. The README's configuration tables against the binaries: every flag a binary's --help lists is in
# its table (or the "Both:" paragraph), every flag a table names is the binary's, and each literal
# default the table states is the binary's default (durations, sizes, on/off and "none" compared by value).

def _duration_seconds(text):
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in parts)


def _normalized_default(text):
    """A default as a comparable value, or None when the README states it in words (e.g. "4 × batch")."""
    text = re.sub(r"\s*\(.*\)$", "", text.strip()).strip()
    literal = text.startswith("`") and text.endswith("`")
    text = text.strip("`")
    if text in ("on", "true"):
        return "true"
    if text in ("off", "false"):
        return "false"
    if text in ("none", ""):
        return ""
    size = re.fullmatch(r"(\d+) (KiB|MiB|GiB)", text)
    if size:
        return str(int(size.group(1)) << {"KiB": 10, "MiB": 20, "GiB": 30}[size.group(2)])
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):
        return text.replace(",", "")
    seconds = _duration_seconds(text)
    if seconds is not None:
        return f"{seconds}s"
    if not literal or "<" in text:
        return None
    return text


def check_configuration_tables():
    readme = open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8").read()
    section = readme[readme.index("## Configuration"):readme.index("\n## ", readme.index("## Configuration") + 5)]
    both = section[section.index("Both:"):] if "Both:" in section else ""
    checked = 0
    for name in ("tweet-source", "tweet-sink"):
        text = help_text(name)
        defaults = {f.replace("-", "_"): d for f, d in
                    re.findall(r"^  --([a-z0-9-]+)\S*   \(default (.*?); env ", text, flags=re.M)}
        if not defaults:
            fail(f"{name} --help lists no flags with their defaults")
            continue
        header = f"| {name} | default |"
        if header not in section:
            fail(f"README.md: no configuration table for {name} ({header!r})")
            continue
        start = section.index(header)
        table = section[start:section.index("\n\n", start)]
        named = set()
        for row in table.split("\n")[2:]:
            cells = [c.strip() for c in row.strip().strip("|").split("|")]
            if len(cells) < 2:
                continue
            flags = [f.replace("-", "_") for f in re.findall(r"`--([a-z0-9-]+)`", cells[0])]
            named.update(flags)
            items = [i for i in re.split(r",\s+(?![^(]*\))", cells[1]) if i.strip()] if cells[1] else []
            if len(items) != len(flags):
                continue
            for flag, item in zip(flags, items):
                want = _normalized_default(item)
                if want is None or flag not in defaults:
                    continue
                have = _normalized_default(defaults[flag] if defaults[flag] != "none" else "")
                if have is None:
                    have = defaults[flag]
                checked += 1
                if want != have:
                    fail(f"README.md configuration table: {name} --{flag.replace('_', '-')} defaults to "
                         f"{defaults[flag]!r} (its --help), the table says {item.strip()!r}")
        for flag in sorted(named - set(defaults)):
            fail(f"README.md configuration table of {name}: --{flag.replace('_', '-')} is not its flag (its --help)")
        named.update(f.replace("-", "_") for f in re.findall(r"`--([a-z0-9-]+)`", both))
        for flag in sorted(set(defaults) - named):
            fail(f"README.md configuration table: {name} has --{flag.replace('_', '-')} (its --help), the table does not")
    log(f"configuration tables: every flag of both binaries in the README, {checked} stated defaults compared")


# ---------------------------------------------------------------------------------------------------
# 2. Running the blocks

class Context:
    """This run's names, ports, environment and the fake X API."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="tweetstream-docs-test-")
        run = f"docs-test-{os.getpid()}-{int(time.time())}"
        self.index = run
        self.topic = f"{run}-stream"
        self.ports = {k: dc.free_port() for k in ("source_control", "sink_control", "source_metrics", "sink_metrics")}
        self.samples = dc.sample_tweets()
        with open(os.path.join(SOURCE_DIR, "samples", "stream-capture.txt"), encoding="utf-8") as f:
            self.stream_tweets = sum(1 for line in f if line.strip())
        self.fake = None
        self.fake_url = None
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TWEET_SOURCE_", "TWEET_SINK_", "TWEETCTL_", "X_BEARER_TOKEN", "ES_USERNAME",
                                         "ES_PASSWORD", "ES_API_KEY"))}
        addr = lambda key: f"127.0.0.1:{self.ports[key]}"  # noqa: E731
        self.env.update({
            "BUILD_DIR": BUILD_DIR,
            "TWEET_SOURCE_BOOTSTRAP_SERVERS": KAFKA, "TWEET_SINK_BOOTSTRAP_SERVERS": KAFKA, "TWEET_SINK_ES_URL": ES_URL,
            "TWEET_SOURCE_TOPIC": self.topic, "TWEET_SINK_TOPIC": self.topic,
            "TWEET_SOURCE_CURSOR_TOPIC": f"{run}-source-offsets", "TWEET_SINK_DLQ_TOPIC": f"{run}-dlq",
            "TWEET_SINK_INDEX": self.index, "TWEET_SINK_GROUP_ID": run,
            "TWEET_SOURCE_CONTROL_ADDR": addr("source_control"), "TWEET_SINK_CONTROL_ADDR": addr("sink_control"),
            "TWEET_SOURCE_METRICS_ADDR": addr("source_metrics"), "TWEET_SINK_METRICS_ADDR": addr("sink_metrics"),
            "TWEETCTL_SOURCE": addr("source_control"), "TWEETCTL_SINK": addr("sink_control"),
            "TWEETCTL_COUNT": "2", "TWEETCTL_INTERVAL": "1s",
            "DOCS_TWEETCTL": BINARIES["tweetctl"],
            "EXTRA_E2E": "0",
        })

    def start_fake_x_api(self):
        port_file = os.path.join(self.tmp, "fake-x-api.port")
        self.fake_log = open(os.path.join(self.tmp, "fake-x-api.log"), "w")
        self.fake = subprocess.Popen([FAKE_X_API, f"--samples={os.path.join(SOURCE_DIR, 'samples')}",
                                      f"--bearer_token={FAKE_TOKEN}", f"--port_file={port_file}"],
                                     stdout=self.fake_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.fake.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"fake-x-api did not start (exit {self.fake.poll()}): "
                                   + open(self.fake_log.name).read())
            time.sleep(0.05)
        self.fake_url = f"http://127.0.0.1:{open(port_file).read().strip()}"
        self.env["TWEET_SOURCE_X_API_BASE_URL"] = self.fake_url
        log(f"fake X API on {self.fake_url}; topic {self.topic}, index {self.index}, group {self.index}, "
            f"control {self.env['TWEETCTL_SOURCE']} / {self.env['TWEETCTL_SINK']}")

    def tweetctl(self, *args, timeout=150):
        return subprocess.run([BINARIES["tweetctl"], *args], capture_output=True, text=True, timeout=timeout,
                              env=self.env)

    def status(self, connector):
        result = self.tweetctl("--timeout=3s", "--json", "status", connector, timeout=20)
        try:
            return json.loads(result.stdout)[connector]
        except (ValueError, KeyError):
            return None

    def index_ids(self):
        dc.es("POST", f"/{self.index}/_refresh", ok=None)
        status, body = dc.es("GET", f"/{self.index}/_search?size=10000&_source=false", ok=None)
        if status != 200:
            return set()
        return {h["_id"] for h in body["hits"]["hits"]}

    def cleanup(self):
        if self.fake and self.fake.poll() is None:
            self.fake.send_signal(signal.SIGTERM)
            try:
                self.fake.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.fake.kill()
        dc.es("DELETE", f"/{self.index}", ok=None)
        dc.es("DELETE", f"/_index_template/tweetstream-{self.index}", ok=None)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Bound:
    """A rewrite of a README line for this test, with the reason it is needed (printed when used)."""

    def __init__(self, name, why, applies, rewrite):
        self.name, self.why, self.applies, self.rewrite = name, why, applies, rewrite
        self.used = 0


def make_bounds(ctx):
    def capped_count(line):
        return re.sub(r"--count=(\d+)", lambda m: f"--count={min(int(m.group(1)), SYNTHETIC_CAP)}", line)

    def tokens(line):
        return line.split(" #", 1)[0]

    bounds = [
        Bound("build dir", f"the binaries are in {BUILD_DIR}",
              lambda l: BUILD_DIR != os.path.join(SOURCE_DIR, "build") and re.search(r"(?<![\w./-])build/", l),
              lambda l: re.sub(r"(?<![\w./-])build/", BUILD_DIR + "/", l)),
        Bound("tmp", "a /tmp path goes to this run's own folder (runs side by side never share a file)",
              lambda l: re.search(r"(?<![\w.-])/tmp/", tokens(l)),
              lambda l: re.sub(r"(?<![\w.-])/tmp/", ctx.tmp + "/", l)),
        Bound("token", "the X token placeholder is the fake X API's token",
              lambda l: re.search(r"\bX_BEARER_TOKEN=\.\.\.", l),
              lambda l: re.sub(r"\bX_BEARER_TOKEN=\.\.\.", f"X_BEARER_TOKEN={FAKE_TOKEN}", l)),
        Bound("demo twice", '"Run it again: the count stays the same": the demo runs twice',
              lambda l: re.match(r"^\s*scripts/demo\.sh\b", l),
              lambda l: l + "\n" + tokens(l).strip()),
        Bound("test.sh -N", "scripts/test.sh is what CI runs (it runs this test): here -N, its installs, build, "
                            "services and the test list without running them",
              lambda l: re.search(r"\bscripts/test\.sh\b", tokens(l)),
              lambda l: re.sub(r"\bscripts/test\.sh\b", "scripts/test.sh -N", l, count=1)),
        Bound("services stop", "stopping or wiping Kafka/Elasticsearch would break the other tests: status instead",
              lambda l: re.search(r"\bscripts/services\.sh\s+(stop|reset)\b", tokens(l)),
              lambda l: re.sub(r"\bscripts/services\.sh\s+(stop|reset)\b", "scripts/services.sh status", l)),
        Bound("synthetic count", f"a synthetic source's --count is capped at {SYNTHETIC_CAP} (CI time)",
              lambda l: "tweet-source" in l and "--mode=synthetic" in l and re.search(r"--count=(\d+)", l)
              and int(re.search(r"--count=(\d+)", l).group(1)) > SYNTHETIC_CAP,
              capped_count),
        Bound("one poll", "a polling search source polls once (TWEET_SOURCE_MAX_POLLS=1), not every minute forever",
              lambda l: "tweet-source" in l and "--mode=search" in l and "--max-polls" not in l,
              lambda l: "TWEET_SOURCE_MAX_POLLS=1 " + l.lstrip()),
        Bound("stream until", f"a filtered-stream source runs until it delivered the capture's {ctx.stream_tweets} "
                              "tweets, then gets SIGTERM (Ctrl-C) and must exit 0",
              lambda l: re.match(r"^\s*\S*tweet-source\b.*--mode=stream", l),
              lambda l: f"python3 {RUN_UNTIL} --connector source --until produced={ctx.stream_tweets} "
                        f"--timeout 90 -- " + l.lstrip()),
        Bound("default ports", "the connectors' default control/metrics addresses (127.0.0.1:50051/50052/9401/9402) "
                               "are this run's ports (set through the environment twins)",
              lambda l: re.search(r"(127\.0\.0\.1|localhost):(50051|50052|9401|9402)\b", tokens(l)),
              lambda l: re.sub(r"(127\.0\.0\.1|localhost):(50051|50052|9401|9402)\b",
                               lambda m: "127.0.0.1:" + str(ctx.ports[DEFAULT_PORTS[m.group(2)]]), l)),
        Bound("watch", "tweetctl watch ends after 2 updates 1 s apart: TWEETCTL_COUNT=2, TWEETCTL_INTERVAL=1s (the "
                       "environment twins of --count/--interval, set for every block)",
              lambda l: re.search(r"(\$T|tweetctl)\s+watch\b", l),
              lambda l: l),
    ]
    return bounds


def rewrite_block(block, bounds):
    out, used = [], []
    for line in logical_lines(block.text):
        for b in bounds:
            if b.applies(line):
                line = b.rewrite(line)
                b.used += 1
                used.append(b)
        out.append(line)
    return "\n".join(out), used


def run_shell(ctx, script, where, timeout=BLOCK_TIMEOUT):
    path = os.path.join(ctx.tmp, "block.sh")
    with open(path, "w") as f:
        f.write(script + "\n")
    begin = time.monotonic()
    try:
        result = subprocess.run(["bash", "-e", "-o", "pipefail", path], cwd=SOURCE_DIR, env=ctx.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                                start_new_session=True)
        rc, out = result.returncode, result.stdout
    except subprocess.TimeoutExpired as e:
        rc = "timeout"
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        out += f"\n(killed after {timeout} s)"
    return rc, out, time.monotonic() - begin


# --- Hooks: what the README states about a block's result, checked after it ------------------------

class Hook:
    def matches(self, block):
        return False

    def before(self, ctx):
        return True

    def after(self, ctx, out):
        pass

    def teardown(self, ctx):
        pass


class DemoHook(Hook):
    """README, The two commands: the demo 'prints how many tweets were indexed and the result of an example
    search (#Kafka tweets, most liked first). Run it again: the count stays the same.' and (issue 17) ends
    with `tweetctl status` of the pipeline it ran."""

    def matches(self, block):
        return re.search(r"^\s*scripts/demo\.sh\b", block.text, flags=re.M)

    def after(self, ctx, out):
        counts = [int(c) for c in re.findall(r"^== Indexed: (\d+) tweets", out, flags=re.M)]
        if len(counts) != 2 or len(set(counts)) != 1 or counts[0] != len(ctx.samples):
            fail(f"demo: 'Indexed' counts {counts}: expected the {len(ctx.samples)} sample tweets, the same twice")
        matches = [int(m) for m in re.findall(r"^(\d+) match\(es\)", out, flags=re.M)]
        if len(matches) != 2 or min(matches) < 1:
            fail(f"demo: the example search found {matches} #Kafka tweets (expected at least one, twice)")
        likes = [int(x) for x in re.findall(r"\((\d+) likes\)", out)]
        half = likes[:len(likes) // 2]
        if not half or half != sorted(half, reverse=True):
            fail(f"demo: the example search is not most liked first: {likes}")
        ids = ctx.index_ids()
        if ids != set(ctx.samples):
            fail(f"demo: the index holds {len(ids)} ids, not exactly the {len(ctx.samples)} samples'")
        # The last lines: tweetctl status of both connectors, done (STOPPED).
        headers = [m.start() for m in re.finditer(r"^== .*tweetctl.* status", out, flags=re.M)]
        tail = out[headers[-1]:] if headers else ""
        if not (re.search(r"\bsource\b", tail) and re.search(r"\bsink\b", tail) and "STOPPED" in tail):
            fail("demo: does not end with `tweetctl status` of both connectors (STOPPED): " + tail[-1500:])


class RunYourselfHook(Hook):
    """README, Running the connectors yourself: each run 'print[s] a one-line summary when they finish
    (read, delivered, skipped bad records; or consumed, indexed, dead-lettered, retries)'; exit code 0
    'done'; the replayed samples are what the sink indexes; --status-file's fields are the table's."""

    def matches(self, block):
        return "--mode=replay" in block.text and "tweet-sink" in block.text

    def after(self, ctx, out):
        sources = re.findall(r"tweet-source: read (\d+) tweets; delivered (\d+), failed (\d+); skipped (\d+)", out)
        # delivered counts the cursor records too (search: one per page), so it is at least read
        if len(sources) != 4 or any(int(d) < int(r) or r == "0" or f != "0" for r, d, f, _ in sources):
            fail(f"running yourself: source summaries (read, delivered, failed, skipped) {sources}: expected 4 "
                 "runs, each delivering every tweet it read")
        sinks = re.findall(r"tweet-sink: consumed (\d+) records; indexed (\d+)", out)
        if len(sinks) != 1 or sinks[0][0] != sinks[0][1] or sinks[0][0] == "0":
            fail(f"running yourself: sink summaries (consumed, indexed) {sinks}: expected one, all indexed")
        ids = ctx.index_ids()
        if ids != set(ctx.samples):
            fail(f"running yourself: after the sink the index holds {len(ids)} ids, not exactly the samples'")
        status_file = os.path.join(ctx.tmp, "source.json")
        try:
            status = json.load(open(status_file))
            for path in ("state", "counters.too_large", "cursor", "rate_limit", "gap", "search.bad_pages",
                         "search.window_gaps", "search.window_gap_seconds", "search.backlog", "rules.owned",
                         "rules.shared", "rules.foreign", "rules.foreign_rules", "last_errors"):
                node = status
                for part in path.split("."):
                    node = node[part]
            if status["rules"]["owned"] < 1:
                fail(f"running yourself: the stream source's status file counts no owned rule: {status['rules']}")
        except (OSError, ValueError, KeyError, TypeError) as e:
            fail(f"running yourself: --status-file {status_file}: missing or without the documented field {e}")


class ControlHook(Hook):
    """README, Control plane: 'While they run, tweetctl status shows both'. Any block that talks to running
    connectors (tweetctl, grpcurl, the control or metrics ports) and starts none itself gets, before it,
    the sink left running and the filtered-stream source, as in "Running the connectors yourself"; after
    it, what it did is checked: `offsets reset --to earliest` re-read the whole topic with the count
    unchanged, `config set sink K=V` applied, `rules list` shows the rule, `health` says SERVING; then both
    stop on SIGTERM with exit 0 ('Ctrl-C stops it cleanly')."""

    def __init__(self):
        self.procs = {}

    def matches(self, block):
        talks = re.search(r"tweetctl\b|\$T\b|grpcurl|:5005[12]\b|:940[12]\b", block.text)
        starts = re.search(r"^\s*\S*(tweet-source|tweet-sink|scripts/demo\.sh)\b", block.text, flags=re.M)
        return bool(talks) and not starts

    def _start(self, ctx, name, args):
        logf = open(os.path.join(ctx.tmp, f"{name}.log"), "w")
        env = dict(ctx.env, X_BEARER_TOKEN=FAKE_TOKEN)
        self.procs[name] = (subprocess.Popen([BINARIES[name], *args], cwd=SOURCE_DIR, env=env, stdout=logf,
                                             stderr=subprocess.STDOUT), logf)

    def _wait(self, ctx, what, condition, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, (proc, logf) in self.procs.items():
                if proc.poll() is not None:
                    fail(f"control plane: {name} exited ({proc.returncode}) while waiting for {what}: "
                         + open(logf.name).read()[-2000:])
                    return None
            value = condition()
            if value:
                return value
            time.sleep(0.3)
        fail(f"control plane: {what} not reached within {timeout} s")
        return None

    def _caught_up(self, ctx):
        sink = ctx.status("sink")
        if not sink or sink.get("state") != "CONNECTOR_STATE_RUNNING":
            return None
        detail = sink.get("sink", {})
        ends = sum(int(p.get("end_offset", 0)) for p in detail.get("partitions", []))
        if ends == 0 or int(detail.get("total_lag", 1)) != 0 or int(detail.get("pending_records", 0)) != 0:
            return None
        return sink

    def before(self, ctx):
        self.expected = set(ctx.samples)
        self._start(ctx, "tweet-sink", [])
        self._start(ctx, "tweet-source", ["--mode=stream", "--rule=#kafka lang:en", "--rule-tag=kafka"])
        ok = self._wait(ctx, "the stream source RUNNING with the capture delivered",
                        lambda: (s := ctx.status("source")) and s.get("state") == "CONNECTOR_STATE_RUNNING"
                        and int(s.get("counters", {}).get("produced", 0)) >= ctx.stream_tweets)
        sink = ok and self._wait(ctx, "the sink RUNNING with no lag", lambda: self._caught_up(ctx))
        if not sink:
            return False
        self.count_before = len(ctx.index_ids())
        self.read_before = int(sink["counters"].get("read", 0))
        self.topic_records = sum(int(p["end_offset"]) for p in sink["sink"]["partitions"])
        log(f"control plane: sink and stream source running; index {self.count_before} documents, "
            f"topic {self.topic_records} records, sink read {self.read_before}")
        return True

    def after(self, ctx, out):
        text = self.block_text
        sink = self._wait(ctx, "the sink caught up after the block", lambda: self._caught_up(ctx))
        if sink and re.search(r"offsets reset --to earliest", text):
            read = int(sink["counters"].get("read", 0)) - self.read_before
            if read < self.topic_records:
                fail(f"control plane: 're-index everything' re-read {read} records, the topic holds "
                     f"{self.topic_records}")
        if sink:
            count = len(ctx.index_ids())
            if count != self.count_before:
                fail(f"control plane: the index count changed from {self.count_before} to {count}")
        for target, pairs in re.findall(r"config set (source|sink)((?:\s+[a-z_]+=\S+)+)", text):
            config = ctx.tweetctl("--json", "config", "get", target)
            try:
                values = {s["name"]: s["value"] for s in json.loads(config.stdout)[target]["settings"]}
                for key, value in (p.split("=", 1) for p in pairs.split()):
                    if values.get(key) != value:
                        fail(f"control plane: config set {target} {key}={value} not applied: {values.get(key)!r}")
            except (ValueError, KeyError) as e:
                fail(f"control plane: config get {target}: {e}: {config.stdout[:500]} {config.stderr[:500]}")
        if re.search(r"rules list", text) and "#kafka lang:en" not in out:
            fail("control plane: `rules list` does not show the stream source's rule '#kafka lang:en'")
        if re.search(r"(tweetctl|\$T)\s+health", text) and not re.search(r"\bSERVING\b", out):
            fail("control plane: `health` did not print SERVING")

    def teardown(self, ctx):
        for name, (proc, logf) in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, (proc, logf) in self.procs.items():
            try:
                rc = proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "no exit within 90 s"
            logf.close()
            if rc != 0:
                fail(f"control plane: {name} on SIGTERM: exit {rc}: " + open(logf.name).read()[-2000:])
        self.procs = {}


class SamplesHook(Hook):
    """samples/README.md: 'its output is the same bytes on every run'."""

    def matches(self, block):
        return "make_sample_data.py" in block.text

    def before(self, ctx):
        self.digest = self._digest()
        return True

    def after(self, ctx, out):
        if self._digest() != self.digest:
            fail("samples: make_sample_data.py changed samples/ (not the same bytes): see git diff samples/")

    @staticmethod
    def _digest():
        h = hashlib.sha256()
        folder = os.path.join(SOURCE_DIR, "samples")
        for name in sorted(os.listdir(folder)):
            h.update(name.encode())
            h.update(open(os.path.join(folder, name), "rb").read())
        return h.hexdigest()


def run_blocks(ctx, readmes):
    bounds = make_bounds(ctx)
    hooks = [DemoHook(), RunYourselfHook(), ControlHook(), SamplesHook()]
    ran = skipped = 0
    for readme, (blocks, _) in readmes.items():
        for block in blocks:
            if not block.is_shell:
                continue
            only = [w for w in os.environ.get("DOCS_TEST_ONLY", "").split(",") if w]
            if only and block.where not in only:
                continue  # development: DOCS_TEST_ONLY=README.md:57,README.md:375 runs those blocks alone
            if block.skip:
                skipped += 1
                log(f"\n== {block.where}: skipped ({block.skip})")
                continue
            script, used = rewrite_block(block, bounds)
            log(f"\n== {block.where}: running")
            for b in dict.fromkeys(used):
                log(f"   bound '{b.name}': {b.why}")
            hook = next((h for h in hooks if h.matches(block)), None)
            try:
                if hook:
                    hook.block_text = block.text
                if hook and not hook.before(ctx):
                    fail(f"{block.where}: could not set up what the block needs")
                    continue
                rc, out, seconds = run_shell(ctx, script, block.where)
                ran += 1
                log(f"   exit {rc} after {seconds:.1f} s")
                if rc != 0:
                    fail(f"{block.where}: exit {rc}; the block as run:\n{script}\n--- output (last 4000 chars):\n"
                         f"{out[-4000:]}")
                elif hook:
                    hook.after(ctx, out)
                if os.environ.get("DOCS_TEST_VERBOSE") == "1":
                    log(out)
            finally:
                if hook:
                    hook.teardown(ctx)
    unused = [b.name for b in bounds if b.used == 0 and b.name not in ("build dir",)]
    if unused and not os.environ.get("DOCS_TEST_ONLY"):
        log(f"note: bounds no README line needed any more (tests/docs/docs_test.py): {', '.join(unused)}")
    log(f"\nshell blocks: {ran} run, {skipped} skipped by their marker")
    if ran == 0:
        fail("no shell block ran")


def main():
    begin = time.monotonic()
    for name, path in list(BINARIES.items()) + [("fake-x-api", FAKE_X_API)]:
        if not os.access(path, os.X_OK):
            print(f"FAIL: {name} is not built at {path} (scripts/build.sh)")
            return 1
    readmes = {path: parse_readme(path) for path in readme_files()}
    check_flags_and_env(readmes)
    check_configuration_tables()
    ctx = Context()
    try:
        ctx.start_fake_x_api()
        run_blocks(ctx, readmes)
    finally:
        ctx.cleanup()
    log(f"\ndocs_test: {len(failures)} failure(s) in {time.monotonic() - begin:.0f} s")
    for f in failures:
        print(" -", f.split("\n", 1)[0])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
