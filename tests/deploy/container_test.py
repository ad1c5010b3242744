"""The two images, run for real by a Docker engine (issue 13), against the real Kafka broker and the real
Elasticsearch node that scripts/services.sh starts. Containers use the host network only (every address
is on 127.0.0.1), run with a read-only root filesystem, and get exactly the environment docker-compose
resolves for their services in compose/docker-compose.yml (so the test and the compose file cannot drift),
with only the addresses, names and ports pointed at the test's own topic, index, group and free ports.
  * synthetic mode (no token, as `docker compose up` starts it) left running: both images' HEALTHCHECK
    turns healthy through the gRPC health service; both run as uid 10001 and cannot write their root
    filesystem; tweetctl inside the sink's container reaches both; `docker stop` (SIGTERM) stops each
    with exit 0 within the stop timeout; everything the source delivered is indexed, each id once; the
    sink committed: a new sink container of the same group consumes nothing;
  * search mode (a token) against tests/fake_x_api's server: the index holds exactly the ids of the
    sample pages, and the token appears in no container's log.
Needs: scripts/images.sh (dockerd running, the images built; TWEETSTREAM_DOCKER names the client and
TWEETSTREAM_IMAGE_TAG the tag, default `prebuilt`), build/tests/fake-x-api."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as dc  # noqa: E402

DOCKER = os.environ.get("TWEETSTREAM_DOCKER", "")
TAG = os.environ.get("TWEETSTREAM_IMAGE_TAG", "prebuilt")
FAKE_X_API = os.path.join(dc.BUILD_DIR, "tests", "fake-x-api")
TOKEN = "c0ntainer-test-t0ken"
STOP_TIMEOUT = 30  # docker stop -t: SIGTERM, then SIGKILL after this many seconds


def docker(*args, timeout=120, check=True, env=None):
    result = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: exit {result.returncode}: {result.stderr}{result.stdout}")
    return result


def wait_until(what, condition, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class ContainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = dc.compose_config(env_file=os.path.join(dc.COMPOSE_DIR, ".env.example"))["services"]
        for service in ("tweet-source", "tweet-sink"):
            docker("image", "inspect", f"tweetstream/{service}:{TAG}")

    def setUp(self):
        suffix = f"{os.getpid()}-{int(time.time() * 1000)}"
        self.topic = f"container-{suffix}"
        self.index = f"container-{suffix}"  # not twitter*: see kibana_test.py
        self.containers = []
        self.tmp = tempfile.mkdtemp(prefix="container-test-")

    def tearDown(self):
        for name in self.containers:  # their logs end up in ctest's output when the test fails
            logs = docker("logs", name, check=False)
            print(f"--- {name}\n{(logs.stdout + logs.stderr)[-2000:]}", file=sys.stderr)
            docker("rm", "-f", name, check=False)
        dc.es("DELETE", f"/{self.index}", ok=None)
        dc.es("DELETE", f"/_index_template/tweetstream-{self.index}", ok=None)

    # --- containers -------------------------------------------------------------------------------
    def environment(self, service, overrides):
        """The service's environment as docker-compose resolves it, with the test's overrides."""
        env = {k: "" if v is None else str(v) for k, v in self.services[service]["environment"].items()}
        env.update(overrides)
        return env

    def source_env(self, extra=None):
        self.source_control = dc.free_port()
        env = self.environment("tweet-source", {
            "TWEET_SOURCE_BOOTSTRAP_SERVERS": dc.KAFKA, "TWEET_SOURCE_TOPIC": self.topic,
            "TWEET_SOURCE_CURSOR_TOPIC": f"{self.topic}-cursor",
            "TWEET_SOURCE_CONTROL_ADDR": f"0.0.0.0:{self.source_control}",
            "TWEET_SOURCE_METRICS_ADDR": f"127.0.0.1:{dc.free_port()}"})
        env.update(extra or {})
        return env

    def sink_env(self, extra=None):
        self.sink_control = dc.free_port()
        env = self.environment("tweet-sink", {
            "TWEET_SINK_BOOTSTRAP_SERVERS": dc.KAFKA, "TWEET_SINK_ES_URL": dc.ES_URL, "TWEET_SINK_TOPIC": self.topic,
            "TWEET_SINK_GROUP_ID": self.topic, "TWEET_SINK_INDEX": self.index, "TWEET_SINK_DLQ_TOPIC": "",
            "TWEET_SINK_LINGER": "200ms",
            "TWEET_SINK_CONTROL_ADDR": f"0.0.0.0:{self.sink_control}",
            "TWEET_SINK_METRICS_ADDR": f"127.0.0.1:{dc.free_port()}"})
        env.update(extra or {})
        return env

    def run_args(self, service, env):
        """docker run arguments: host network, read-only root filesystem, the environment by name only
        (values through docker's own environment, so a secret is never on a command line)."""
        name = f"{service}-{self.topic}-{len(self.containers)}"
        self.containers.append(name)
        args = ["--name", name, "--network", "host", "--read-only", "--stop-timeout", str(STOP_TIMEOUT)]
        for key in env:
            args += ["-e", key]
        return name, args + [f"tweetstream/{service}:{TAG}"]

    def docker_env(self, env):
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}

    def start(self, service, env):
        name, args = self.run_args(service, env)
        docker("run", "-d", *args, env=self.docker_env(env))
        return name

    def run_to_end(self, service, env, timeout=300):
        """Runs a container to its end; returns (exit code, its log)."""
        name, args = self.run_args(service, env)
        docker("run", "-d", *args, env=self.docker_env(env))
        code = int(docker("wait", name, timeout=timeout).stdout.strip())
        logs = docker("logs", name)
        return code, logs.stdout + logs.stderr

    def inspect(self, name, fmt):
        return docker("inspect", "-f", fmt, name).stdout.strip()

    def stop(self, name):
        """docker stop (SIGTERM, SIGKILL after STOP_TIMEOUT); returns (exit code, seconds, log)."""
        begin = time.monotonic()
        docker("stop", "-t", str(STOP_TIMEOUT), name, timeout=STOP_TIMEOUT + 60)
        seconds = time.monotonic() - begin
        logs = docker("logs", name)
        return int(self.inspect(name, "{{.State.ExitCode}}")), seconds, logs.stdout + logs.stderr

    def index_ids(self):
        dc.es("POST", f"/{self.index}/_refresh", ok=None)
        _, body = dc.es("POST", f"/{self.index}/_search?scroll=1m",
                        {"size": 1000, "_source": False, "query": {"match_all": {}}})
        ids, scroll = [], body.get("_scroll_id")
        while body["hits"]["hits"]:
            ids += [h["_id"] for h in body["hits"]["hits"]]
            _, body = dc.es("POST", "/_search/scroll", {"scroll": "1m", "scroll_id": scroll})
        dc.es("DELETE", "/_search/scroll", {"scroll_id": scroll}, ok=None)
        return ids

    # --- the tests --------------------------------------------------------------------------------
    def test_synthetic_pair_healthy_operated_and_stopped(self):
        sink = self.start("tweet-sink", self.sink_env())
        source = self.start("tweet-source", self.source_env({"TWEET_SOURCE_RATE": "50"}))
        for name in (source, sink):
            self.assertEqual(self.inspect(name, "{{.Config.User}}"), "10001:10001")
            # The image's own HEALTHCHECK (tweetctl ... health, the gRPC health service), as built.
            wait_until(f"{name} healthy", lambda n=name: self.inspect(n, "{{.State.Health.Status}}") == "healthy"
                       or self.inspect(n, "{{.State.Status}}") != "running", 120)
            self.assertEqual(self.inspect(name, "{{.State.Health.Status}}"), "healthy", docker("logs", name).stderr)
            uids = docker("exec", name, "sh", "-c", "grep ^Uid: /proc/1/status").stdout.split()[1:]
            self.assertEqual(uids, ["10001"] * 4)
            write = docker("exec", name, "sh", "-c", "echo x > /usr/local/bin/x", check=False)
            self.assertNotEqual(write.returncode, 0)
            self.assertIn("Read-only file system", write.stderr)

        # tweetctl from inside a container reaches both connectors.
        ctl = docker("exec", sink, "tweetctl", "--source", f"127.0.0.1:{self.source_control}",
                     "--sink", f"127.0.0.1:{self.sink_control}", "--json", "status")
        status = json.loads(ctl.stdout)
        self.assertEqual(status["source"]["state"], "CONNECTOR_STATE_RUNNING", ctl.stdout)
        self.assertEqual(status["sink"]["state"], "CONNECTOR_STATE_RUNNING", ctl.stdout)
        self.assertIn("synthetic", ctl.stdout)
        wait_until("tweets indexed", lambda: dc.count(self.index) > 0, 120)

        # docker stop: SIGTERM drains and exits 0 within the timeout; the source's summary says what it
        # delivered, and exactly that many distinct tweets are indexed.
        code, seconds, log = self.stop(source)
        self.assertEqual(code, 0, log)
        self.assertLess(seconds, STOP_TIMEOUT, log)
        self.assertIn("TWEET_SOURCE_MODE=synthetic", log)
        delivered = int(log.split("delivered ")[1].split(",")[0])
        self.assertIn(", failed 0;", log)
        self.assertGreater(delivered, 0)
        wait_until(f"{delivered} tweets indexed", lambda: dc.count(self.index) >= delivered, 120)
        ids = self.index_ids()
        self.assertEqual(len(ids), delivered)
        self.assertEqual(len(set(ids)), delivered)

        code, seconds, log = self.stop(sink)
        self.assertEqual(code, 0, log)
        self.assertLess(seconds, STOP_TIMEOUT, log)
        self.assertIn(f"indexed {delivered},", log)

        # The stopped sink committed its offsets: a new one in the same group finds nothing to consume.
        code, log = self.run_to_end("tweet-sink", self.sink_env({"TWEET_SINK_EXIT_WHEN_IDLE": "5s"}))
        self.assertEqual(code, 0, log)
        self.assertIn("tweet-sink: consumed 0 records", log)
        self.assertEqual(dc.count(self.index), delivered)

    def test_search_mode_against_the_fake_x_api(self):
        port_file = os.path.join(self.tmp, "port")
        with open(os.path.join(self.tmp, "fake-x-api.log"), "w") as fake_log:
            fake = subprocess.Popen([FAKE_X_API, f"--samples={os.path.join(dc.SOURCE_DIR, 'samples')}",
                                     f"--bearer_token={TOKEN}", f"--port_file={port_file}"],
                                    stdout=fake_log, stderr=subprocess.STDOUT)
        try:
            wait_until("fake-x-api", lambda: os.path.exists(port_file) or fake.poll() is not None, 30)
            self.assertIsNone(fake.poll(), open(os.path.join(self.tmp, "fake-x-api.log")).read())
            with open(port_file) as f:
                base_url = f"http://127.0.0.1:{f.read().strip()}"
            code, source_log = self.run_to_end("tweet-source", self.source_env({
                "X_BEARER_TOKEN": TOKEN, "TWEET_SOURCE_MAX_POLLS": "1", "TWEET_SOURCE_X_API_BASE_URL": base_url}))
        finally:
            fake.terminate()
            fake.wait(timeout=30)
        self.assertEqual(code, 0, source_log)
        self.assertIn("TWEET_SOURCE_MODE=search", source_log)
        expected = dc.sample_tweets(("search-page-1.json", "search-page-2.json", "search-page-3.json"))
        self.assertIn(f"read {len(expected)} tweets;", source_log)
        self.assertIn(", failed 0;", source_log)

        code, sink_log = self.run_to_end("tweet-sink", self.sink_env({"TWEET_SINK_EXIT_WHEN_IDLE": "5s"}))
        self.assertEqual(code, 0, sink_log)
        self.assertEqual(sorted(self.index_ids()), sorted(expected))
        self.assertNotIn(TOKEN, source_log + sink_log)


if __name__ == "__main__":
    if not DOCKER:
        print("deploy_container_test: skipped: needs a Docker engine and the images; run scripts/images.sh test")
        sys.exit(77)
    unittest.main(verbosity=2)
