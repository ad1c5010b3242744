"""The images' entrypoint runs the same binaries with environment-only configuration: both connectors
are started through compose/docker-entrypoint.sh with no argument, with exactly the environment that
docker-compose resolves for their services (addresses and names pointed at the test's own Kafka topic and
Elasticsearch index), and the tweets must really land in the index.
  * no token: the entrypoint picks synthetic mode; every generated tweet is indexed, the sink's gRPC
    health says SERVING once the control plane is built in, and SIGTERM stops the sink with exit 0;
  * a token: the entrypoint picks recent search with the compose file's query against a local stand-in
    for the X API (which checks the bearer token); the index then holds exactly the sample pages' tweets."""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as dc  # noqa: E402

ENTRYPOINT = os.path.join(dc.COMPOSE_DIR, "docker-entrypoint.sh")


class EnvOnlyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = dc.compose_config(env_file=os.path.join(dc.COMPOSE_DIR, ".env.example"))["services"]
        cls.source_flags = dc.accepted_flags(dc.SOURCE_BIN)
        cls.sink_flags = dc.accepted_flags(dc.SINK_BIN)

    def setUp(self):
        suffix = f"{os.getpid()}-{int(time.time() * 1000)}"
        self.topic = f"deploy-env-{suffix}"
        self.index = f"deploy-env-{suffix}"  # not twitter*: see kibana_test.py
        self.logs = tempfile.mkdtemp(prefix="deploy-env-")

    def tearDown(self):
        shutil.rmtree(self.logs, ignore_errors=True)
        dc.es("DELETE", f"/{self.index}", ok=None)
        dc.es("DELETE", f"/_index_template/tweetstream-{self.index}", ok=None)

    def environment(self, service, overrides):
        """The service's environment as docker-compose resolves it, plus the test's addresses: nothing else
        (not even our own environment) reaches the binary."""
        env = {k: "" if v is None else str(v) for k, v in self.services[service]["environment"].items()}
        env.update(overrides)
        binary_dirs = [os.path.dirname(dc.SOURCE_BIN), os.path.dirname(dc.SINK_BIN)]
        env["PATH"] = ":".join(binary_dirs + ["/usr/local/bin", "/usr/bin", "/bin"])
        return env

    def sink_env(self):
        control, metrics = dc.free_port(), dc.free_port()
        self.sink_control = f"127.0.0.1:{control}"
        return self.environment("tweet-sink", {
            "TWEET_SINK_BOOTSTRAP_SERVERS": dc.KAFKA, "TWEET_SINK_ES_URL": dc.ES_URL, "TWEET_SINK_TOPIC": self.topic,
            "TWEET_SINK_GROUP_ID": self.topic, "TWEET_SINK_INDEX": self.index, "TWEET_SINK_DLQ_TOPIC": "",
            "TWEET_SINK_LINGER": "200ms", "TWEET_SINK_CONTROL_ADDR": self.sink_control,
            "TWEET_SINK_METRICS_ADDR": f"127.0.0.1:{metrics}"})

    def source_env(self, extra):
        env = self.environment("tweet-source", {
            "TWEET_SOURCE_BOOTSTRAP_SERVERS": dc.KAFKA, "TWEET_SOURCE_TOPIC": self.topic,
            "TWEET_SOURCE_CURSOR_TOPIC": f"{self.topic}-cursor",
            "TWEET_SOURCE_CONTROL_ADDR": f"127.0.0.1:{dc.free_port()}",
            "TWEET_SOURCE_METRICS_ADDR": f"127.0.0.1:{dc.free_port()}"})
        env.update(extra)
        return env

    def start_sink(self):
        self.sink_log = open(os.path.join(self.logs, "sink.log"), "w+")
        return subprocess.Popen(["sh", ENTRYPOINT, "tweet-sink"], env=self.sink_env(), stdout=self.sink_log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def stop_sink(self, sink):
        sink.send_signal(signal.SIGTERM)
        try:
            code = sink.wait(timeout=60)
        except subprocess.TimeoutExpired:
            sink.kill()
            code = sink.wait()
        self.sink_log.seek(0)
        log = self.sink_log.read()
        self.sink_log.close()
        return code, log

    def wait_for_count(self, want, sink, timeout=120):
        deadline = time.time() + timeout
        got = -1
        while time.time() < deadline:
            got = dc.count(self.index)
            if got >= want or sink.poll() is not None:
                break
            time.sleep(0.5)
        return got

    def sink_health(self):
        """The standard gRPC health answer of the sink (None while the control plane is not built in)."""
        if "control_addr" not in self.sink_flags:
            return None
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        with grpc.insecure_channel(self.sink_control) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            return health_pb2.HealthCheckResponse.ServingStatus.Name(
                stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status)

    def test_without_a_token_synthetic_tweets_are_indexed(self):
        sink = self.start_sink()
        try:
            source = subprocess.run(["sh", ENTRYPOINT, "tweet-source"], capture_output=True, text=True, timeout=180,
                                    env=self.source_env({"TWEET_SOURCE_COUNT": "300", "TWEET_SOURCE_RATE": "0"}))
            self.assertEqual(source.returncode, 0, source.stdout + source.stderr)
            self.assertIn("TWEET_SOURCE_MODE=synthetic", source.stderr)
            self.assertEqual(self.wait_for_count(300, sink), 300)
            health = self.sink_health()
            if health is not None:
                self.assertEqual(health, "SERVING")
        finally:
            code, log = self.stop_sink(sink)
        self.assertEqual(code, 0, log)
        _, body = dc.es("POST", f"/{self.index}/_search", {"size": 0, "aggs": {
            "ids": {"cardinality": {"field": "id"}}, "modes": {"terms": {"field": "ingestion.mode"}}}})
        self.assertEqual(body["aggregations"]["ids"]["value"], 300)
        self.assertEqual([b["key"] for b in body["aggregations"]["modes"]["buckets"]], ["synthetic"])

    def test_with_a_token_the_configured_query_is_searched(self):
        pages = {}
        for n in (1, 2, 3):
            with open(os.path.join(dc.SOURCE_DIR, "samples", f"search-page-{n}.json"), "rb") as f:
                pages[n] = f.read()
        tokens = {None: 1}
        for n in (1, 2):
            tokens[json.loads(pages[n])["meta"]["next_token"]] = n + 1
        seen = []

        class FakeXApi(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(url.query)
                seen.append((url.path, query, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != "Bearer s3cret-test-token":
                    body, code = b'{"title":"Unauthorized","status":401}', 401
                elif url.path != "/2/tweets/search/recent":
                    body, code = b'{"title":"Not Found","status":404}', 404
                else:
                    token = (query.get("next_token") or query.get("pagination_token") or [None])[0]
                    body, code = pages[tokens[token]], 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeXApi)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sink = self.start_sink()
        try:
            source = subprocess.run(["sh", ENTRYPOINT, "tweet-source"], capture_output=True, text=True, timeout=180,
                                    env=self.source_env({
                                        "X_BEARER_TOKEN": "s3cret-test-token", "TWEET_SOURCE_MAX_POLLS": "1",
                                        "TWEET_SOURCE_X_API_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}"}))
            self.assertEqual(source.returncode, 0, source.stdout + source.stderr)
            self.assertIn("TWEET_SOURCE_MODE=search", source.stderr)
            self.assertNotIn("s3cret-test-token", source.stdout + source.stderr)
            expected = dc.sample_tweets(("search-page-1.json", "search-page-2.json", "search-page-3.json"))
            self.assertEqual(self.wait_for_count(len(expected), sink), len(expected))
        finally:
            code, log = self.stop_sink(sink)
            server.shutdown()
            server.server_close()
        self.assertEqual(code, 0, log)
        self.assertTrue(seen)
        self.assertEqual(seen[0][1]["query"], [self.services["tweet-source"]["environment"]["TWEET_SOURCE_QUERY"]])
        _, body = dc.es("POST", f"/{self.index}/_search", {"size": 100, "_source": ["id"], "query": {"match_all": {}}})
        self.assertEqual({h["_id"] for h in body["hits"]["hits"]}, set(expected))


if __name__ == "__main__":
    unittest.main(verbosity=2)
