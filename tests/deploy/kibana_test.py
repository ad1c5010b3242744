"""The Kibana saved objects (compose/kibana/saved-objects.ndjson) without Kibana: they parse, their
references resolve, the data view is twitter* on created_at, and every visualization's aggregation and the
saved search, extracted from the NDJSON, run against the real Elasticsearch node holding the sample tweets
as the real tweet-source and tweet-sink put them there (same template, same mapping), each returning
non-empty buckets. Also compose/kibana/setup.sh against a local stand-in for Kibana's import API."""
import fnmatch
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as dc  # noqa: E402

NDJSON = os.path.join(dc.COMPOSE_DIR, "kibana", "saved-objects.ndjson")


def load_objects():
    with open(NDJSON, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def es_aggs(vis_state):
    """Kibana's legacy aggregation config -> the Elasticsearch aggregation it runs: bucket aggregations
    nested in their order, the metrics (except count) inside the innermost."""
    metrics = {a["id"]: a for a in vis_state["aggs"] if a.get("enabled", True) and a["schema"] == "metric"}
    buckets = [a for a in vis_state["aggs"] if a.get("enabled", True) and a["schema"] != "metric"]

    def metric(a):
        p = a["params"]
        if a["type"] in ("max", "min", "sum", "avg", "cardinality"):
            return {a["type"]: {"field": p["field"]}}
        if a["type"] == "top_hits":
            return {"top_hits": {"size": p["size"], "_source": [p["field"]],
                                 "sort": [{p["sortField"]: {"order": p["sortOrder"]}}]}}
        raise AssertionError(f"unsupported metric {a['type']}")

    def bucket(a):
        p = a["params"]
        if a["type"] == "terms":
            order_by = p["orderBy"]
            if order_by == "_key":
                order = {"_key": p["order"]}
            elif metrics[order_by]["type"] == "count":
                order = {"_count": p["order"]}
            else:
                order = {order_by: p["order"]}
            return {"terms": {"field": p["field"], "size": p["size"], "order": order}}
        if a["type"] == "date_histogram":
            # "auto": Kibana picks the interval from the time range; a day suits the samples' range.
            interval = "1d" if p["interval"] == "auto" else p["interval"]
            return {"date_histogram": {"field": p["field"], "fixed_interval": interval,
                                       "min_doc_count": p.get("min_doc_count", 1)}}
        raise AssertionError(f"unsupported bucket aggregation {a['type']}")

    inner = {a_id: metric(a) for a_id, a in metrics.items() if a["type"] != "count"}
    for a in reversed(buckets):
        agg = bucket(a)
        if inner:
            agg["aggs"] = inner
        inner = {a["id"]: agg}
    return inner, [a["id"] for a in buckets], [a_id for a_id, a in metrics.items() if a["type"] != "count"]


class SavedObjectsStructureTest(unittest.TestCase):
    def test_parse_and_references_resolve(self):
        objects = load_objects()
        by_key = {(o["type"], o["id"]): o for o in objects}
        self.assertEqual(len(by_key), len(objects), "ids are unique per type")
        types = [o["type"] for o in objects]
        self.assertEqual(types.count("index-pattern"), 1)
        self.assertEqual(types.count("dashboard"), 1)
        self.assertEqual(types.count("search"), 1)
        self.assertGreaterEqual(types.count("visualization"), 5)
        for o in objects:
            for ref in o.get("references", []):
                self.assertIn((ref["type"], ref["id"]), by_key, f"{o['id']}: reference {ref}")
            meta = o["attributes"].get("kibanaSavedObjectMeta")
            if meta:
                source = json.loads(meta["searchSourceJSON"])
                if "indexRefName" in source:
                    names = {r["name"]: r for r in o["references"]}
                    self.assertIn(source["indexRefName"], names, o["id"])
                    self.assertEqual(names[source["indexRefName"]]["type"], "index-pattern")
            if o["type"] == "visualization":
                vis = json.loads(o["attributes"]["visState"])
                self.assertEqual(vis["title"], o["attributes"]["title"])
                self.assertTrue(vis["aggs"], o["id"])
        view = next(o for o in objects if o["type"] == "index-pattern")
        self.assertEqual(view["attributes"]["title"], "twitter*")
        self.assertEqual(view["attributes"]["timeFieldName"], "created_at")
        dashboard = next(o for o in objects if o["type"] == "dashboard")
        panels = json.loads(dashboard["attributes"]["panelsJSON"])
        refs = {r["name"]: r for r in dashboard["references"]}
        shown = set()
        for panel in panels:
            ref = refs.get(f"{panel['panelIndex']}:{panel['panelRefName']}")
            self.assertIsNotNone(ref, panel)
            self.assertEqual(ref["type"], panel["type"])
            shown.add(ref["id"])
        self.assertEqual(shown, {o["id"] for o in objects if o["type"] in ("visualization", "search")},
                         "the dashboard shows every visualization and the saved search")
        titles = {o["attributes"]["title"] for o in objects}
        for want in ("Tweets over time", "Top hashtags", "Languages", "Top authors", "Most-liked tweets", "Latest tweets"):
            self.assertIn(want, titles)


class SavedObjectsAgainstElasticsearchTest(unittest.TestCase):
    """Sample tweets through the real binaries into an index of our own that the data view matches."""

    @classmethod
    def setUpClass(cls):
        suffix = f"{os.getpid()}-{int(time.time() * 1000)}"
        cls.topic = f"deploy-kibana-{suffix}"
        # Not under twitter*: an index template of the real pipeline may already cover twitter* on this node
        # (and two templates of equal priority may not match one index). The data view's pattern is checked
        # against the index the compose stack writes instead.
        cls.index = f"deploy-kibana-{suffix}"
        samples = os.path.join(dc.SOURCE_DIR, "samples")
        src = subprocess.run([dc.SOURCE_BIN, "--mode=replay", f"--replay-file={samples}", f"--topic={cls.topic}",
                              f"--bootstrap-servers={dc.KAFKA}", "--cursor-topic="],
                             capture_output=True, text=True, timeout=180,
                             env=dict(os.environ, TWEET_SOURCE_CONTROL_ADDR=f"127.0.0.1:{dc.free_port()}",
                                      TWEET_SOURCE_METRICS_ADDR=f"127.0.0.1:{dc.free_port()}"))
        assert src.returncode == 0, src.stdout + src.stderr
        sink = subprocess.run([dc.SINK_BIN, f"--topic={cls.topic}", f"--group-id={cls.topic}", f"--bootstrap-servers={dc.KAFKA}",
                               f"--es-url={dc.ES_URL}", f"--index={cls.index}", "--exit-when-idle=5s", "--linger=200ms",
                               "--dlq-topic="], capture_output=True, text=True, timeout=180,
                              env=dict(os.environ, TWEET_SINK_CONTROL_ADDR=f"127.0.0.1:{dc.free_port()}",
                                       TWEET_SINK_METRICS_ADDR=f"127.0.0.1:{dc.free_port()}"))
        assert sink.returncode == 0, sink.stdout + sink.stderr
        cls.expected = dc.sample_tweets()

    @classmethod
    def tearDownClass(cls):
        dc.es("DELETE", f"/{cls.index}", ok=None)
        dc.es("DELETE", f"/_index_template/tweetstream-{cls.index}", ok=None)

    def time_range_filter(self):
        # Kibana always filters on the data view's time field: here the samples' whole range.
        _, body = dc.es("POST", f"/{self.index}/_search", {"size": 0, "aggs": {
            "lo": {"min": {"field": "created_at"}}, "hi": {"max": {"field": "created_at"}}}})
        lo, hi = body["aggregations"]["lo"]["value"], body["aggregations"]["hi"]["value"]
        self.assertIsNotNone(lo)
        return {"range": {"created_at": {"gte": int(lo), "lte": int(hi), "format": "epoch_millis"}}}

    def test_the_index_holds_the_samples(self):
        self.assertEqual(dc.count(self.index), len(self.expected))
        view = next(o for o in load_objects() if o["type"] == "index-pattern")
        stack = dc.compose_config(env_file=os.path.join(dc.COMPOSE_DIR, ".env.example"))["services"]
        written = stack["tweet-sink"]["environment"]["TWEET_SINK_INDEX"]
        self.assertTrue(fnmatch.fnmatch(written, view["attributes"]["title"]), f"{written} vs the data view")

    def test_every_visualization_returns_non_empty_buckets(self):
        time_filter = self.time_range_filter()
        visualizations = [o for o in load_objects() if o["type"] == "visualization"]
        for o in visualizations:
            with self.subTest(visualization=o["attributes"]["title"]):
                vis = json.loads(o["attributes"]["visState"])
                source = json.loads(o["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
                self.assertEqual(source["query"]["query"], "", "a KQL query would need translating")
                self.assertEqual(source["filter"], [])
                aggs, bucket_ids, metric_ids = es_aggs(vis)
                # Fields that Kibana aggregates on must be aggregatable in the sink's mapping.
                fields = [a["params"]["field"] for a in vis["aggs"] if a["type"] not in ("count", "top_hits")]
                _, caps = dc.es("GET", f"/{self.index}/_field_caps?fields={','.join(fields)}")
                for field in fields:
                    self.assertIn(field, caps["fields"], f"{field} is not mapped")
                    self.assertTrue(all(c["aggregatable"] for c in caps["fields"][field].values()), field)
                _, body = dc.es("POST", f"/{self.index}/_search",
                                {"size": 0, "query": {"bool": {"filter": [time_filter]}}, "aggs": aggs})
                level = body["aggregations"]
                for bucket_id in bucket_ids:
                    buckets = [b for b in level[bucket_id]["buckets"] if b["doc_count"] > 0]
                    self.assertTrue(buckets, f"{o['attributes']['title']}: no buckets for {bucket_id}")
                    level = buckets[0]
                for metric_id in metric_ids:
                    value = level[metric_id]
                    if "hits" in value:
                        self.assertTrue(value["hits"]["hits"], f"{metric_id}: no top hit")
                    else:
                        self.assertIsNotNone(value["value"], f"{metric_id}: no value")
                if vis["title"] == "Most-liked tweets":
                    top_id = body["aggregations"]["2"]["buckets"][0]["key"]
                    most = max(int(t["public_metrics"]["like_count"]) for t in self.expected.values())
                    self.assertEqual(int(self.expected[top_id]["public_metrics"]["like_count"]), most)
                if vis["title"] == "Languages":
                    langs = {b["key"] for b in body["aggregations"]["2"]["buckets"]}
                    self.assertTrue(langs <= {t.get("lang") for t in self.expected.values()})
                    self.assertGreater(len(langs), 1)

    def test_the_saved_search_lists_the_latest_tweets(self):
        search = next(o for o in load_objects() if o["type"] == "search")
        (field, order), = search["attributes"]["sort"]
        _, body = dc.es("POST", f"/{self.index}/_search", {
            "size": 10, "query": {"bool": {"filter": [self.time_range_filter()]}},
            "sort": [{field: {"order": order}}], "_source": search["attributes"]["columns"] + [field]})
        hits = body["hits"]["hits"]
        self.assertEqual(len(hits), 10)
        newest = max(self.expected.values(), key=lambda t: t["created_at"])
        self.assertEqual(hits[0]["_id"], newest["id"])
        for column in search["attributes"]["columns"]:
            self.assertTrue(any(self._get(h["_source"], column) is not None for h in hits), column)

    @staticmethod
    def _get(doc, dotted):
        for part in dotted.split("."):
            if not isinstance(doc, dict) or part not in doc:
                return None
            doc = doc[part]
        return doc


class FakeKibana(http.server.BaseHTTPRequestHandler):
    imports = []
    defaults = []
    answer = b'{"success":true,"successCount":8}'

    def log_message(self, *args):
        pass

    def _reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/api/status":
            self._reply(200, b'{"status":{"overall":{"level":"available"}}}')
        else:
            self._reply(404, b"{}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("kbn-xsrf") is None:
            return self._reply(400, b'{"message":"Request must contain a kbn-xsrf header."}')
        if self.path == "/api/saved_objects/_import?overwrite=true":
            FakeKibana.imports.append((self.headers.get("Content-Type", ""), body))
            return self._reply(200, FakeKibana.answer)
        if self.path == "/api/data_views/default":
            FakeKibana.defaults.append(json.loads(body))
            return self._reply(200, b'{"acknowledged":true}')
        self._reply(404, b"{}")


class SetupScriptTest(unittest.TestCase):
    def run_setup(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            return subprocess.run(["sh", os.path.join(dc.COMPOSE_DIR, "kibana", "setup.sh")], capture_output=True, text=True,
                                  timeout=60, env={"PATH": os.environ["PATH"], "KIBANA_WAIT_SECONDS": "10",
                                                   "KIBANA_URL": f"http://127.0.0.1:{server.server_address[1]}"})
        finally:
            server.shutdown()
            server.server_close()

    def test_imports_the_ndjson_and_sets_the_default_data_view(self):
        FakeKibana.imports, FakeKibana.defaults = [], []
        FakeKibana.answer = b'{"success":true,"successCount":8}'
        result = self.run_setup()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(len(FakeKibana.imports), 1)
        content_type, body = FakeKibana.imports[0]
        self.assertIn("multipart/form-data", content_type)
        self.assertIn(b'filename="tweetstream.ndjson"', body)
        with open(NDJSON, "rb") as f:
            self.assertIn(f.read().strip(), body)
        self.assertEqual(FakeKibana.defaults, [{"data_view_id": "tweetstream-twitter", "force": True}])

    def test_a_refused_import_fails_the_job(self):
        FakeKibana.imports, FakeKibana.defaults = [], []
        FakeKibana.answer = b'{"success":false,"errors":[{"id":"x","error":{"type":"missing_references"}}]}'
        result = self.run_setup()
        self.assertEqual(result.returncode, 1)
        self.assertIn("missing_references", result.stderr)
        self.assertEqual(FakeKibana.defaults, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
