"""compose/ without a Docker engine: the compose file is valid for a compose implementation
(docker-compose 1.29.2 `config`, which resolves and validates against the compose schema offline), every
environment name the stack, the Dockerfile and the entrypoint give the connectors is a setting the built
binaries accept, .env.example documents every variable the compose file reads, the images install their
Debian packages with the same scripts/install-deps.sh that CI runs, and the runtime package list covers
every shared library the binaries load (ldd) and nothing else."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_common as dc  # noqa: E402

CONNECTORS = ("tweet-source", "tweet-sink")


def dockerfile_stages():
    """Dockerfile -> {stage name: [instruction lines, continuation lines joined]}."""
    with open(os.path.join(dc.COMPOSE_DIR, "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
        if m:
            current = m.group(1)
            stages[current] = [line]
        elif current:
            stages[current].append(line)
    return stages


class ComposeFileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = dc.compose_config(env_file=os.path.join(dc.COMPOSE_DIR, ".env.example"))
        cls.services = cls.config["services"]

    def test_valid_without_an_engine_and_with_every_service(self):
        self.assertEqual(set(self.services), {"kafka", "kafka-init", "elasticsearch", "kibana", "kibana-setup",
                                              "tweet-source", "tweet-sink", "dashboard"})
        # Also without any .env: the defaults alone must make a valid stack.
        self.assertIn("tweet-source", dc.compose_config()["services"])

    def test_an_invalid_file_is_rejected(self):
        # The validator really validates: a depends_on condition that does not exist fails.
        import tempfile
        with open(os.path.join(dc.COMPOSE_DIR, "docker-compose.yml")) as f:
            broken = f.read().replace("condition: service_completed_successfully", "condition: when_ready", 1)
        with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=dc.COMPOSE_DIR, delete=False) as f:
            f.write(broken)
        try:
            result = subprocess.run([os.path.join(dc.VENV_BIN, "docker-compose"), "-f", f.name, "config", "-q"],
                                    capture_output=True, text=True, timeout=120,
                                    env={"PATH": os.environ["PATH"], "DOCKER_HOST": "tcp://127.0.0.1:9"})
        finally:
            os.unlink(f.name)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("when_ready", result.stderr)

    def test_kraft_kafka_and_health_gated_start_order(self):
        kafka = self.services["kafka"]["environment"]
        self.assertEqual(kafka["KAFKA_PROCESS_ROLES"], "broker,controller")
        self.assertFalse(any("ZOOKEEPER" in k for k in kafka))
        for name in ("kafka", "elasticsearch", "kibana"):
            self.assertIn("test", self.services[name]["healthcheck"], name)
        want = {
            "kafka-init": {"kafka": "service_healthy"},
            "kibana": {"elasticsearch": "service_healthy"},
            "kibana-setup": {"kibana": "service_healthy"},
            "tweet-source": {"kafka-init": "service_completed_successfully"},
            "tweet-sink": {"kafka-init": "service_completed_successfully", "elasticsearch": "service_healthy"},
        }
        for service, deps in want.items():
            got = {k: v["condition"] for k, v in self.services[service]["depends_on"].items()}
            self.assertEqual(got, deps, service)
        self.assertEqual(self.services["kafka"]["image"].split(":")[0], "apache/kafka")
        es_tag = self.services["elasticsearch"]["image"].split(":")[1]
        self.assertEqual(self.services["kibana"]["image"].split(":")[1], es_tag, "Kibana of the same version")
        self.assertTrue(es_tag.startswith("8."), es_tag)

    def test_topics_created_by_the_init_job_are_the_ones_the_connectors_use(self):
        init = self.services["kafka-init"]["environment"]
        source = self.services["tweet-source"]["environment"]
        sink = self.services["tweet-sink"]["environment"]
        self.assertEqual(init["TOPIC"], source["TWEET_SOURCE_TOPIC"])
        self.assertEqual(init["TOPIC"], sink["TWEET_SINK_TOPIC"])
        self.assertEqual(init["CURSOR_TOPIC"], source["TWEET_SOURCE_CURSOR_TOPIC"])
        self.assertEqual(init["DLQ_TOPIC"], sink["TWEET_SINK_DLQ_TOPIC"])
        with open(os.path.join(dc.COMPOSE_DIR, "kafka", "create-topics.sh")) as f:
            script = f.read()
        self.assertIn("cleanup.policy=compact", script)
        self.assertEqual(self.services["kafka-init"]["entrypoint"][-1], "/init/create-topics.sh")

    def test_named_volumes_and_ports_only_on_loopback_where_needed(self):
        self.assertEqual(set(self.config["volumes"]), {"kafka-data", "es-data", "kibana-data"})
        for name in ("kafka", "elasticsearch", "kibana"):
            mounts = self.services[name]["volumes"]
            self.assertTrue(any(isinstance(m, dict) and m.get("type") == "volume" or
                                isinstance(m, str) and m.split(":")[0] in self.config["volumes"] for m in mounts), name)
        published = {}
        for name, service in self.services.items():
            for p in service.get("ports", []):
                published.setdefault(name, []).append(p)
                host_ip = p.get("host_ip") if isinstance(p, dict) else p.split(":")[0]
                self.assertEqual(host_ip, "127.0.0.1", f"{name} publishes {p} beyond loopback")
        self.assertEqual(set(published), {"kibana", "tweet-source", "tweet-sink", "dashboard"})

    def test_the_dashboard_follows_both_control_planes_from_an_existing_image(self):
        d = self.services["dashboard"]
        self.assertEqual(d["image"], self.services["tweet-sink"]["image"], "no image of its own")
        self.assertEqual(d["entrypoint"], ["tweetctl", "dashboard"])
        env = d["environment"]
        self.assertEqual(env["TWEETCTL_SOURCE"], "tweet-source:" + self.services["tweet-source"]["environment"]["TWEET_SOURCE_CONTROL_ADDR"].split(":")[-1])
        self.assertEqual(env["TWEETCTL_SINK"], "tweet-sink:" + self.services["tweet-sink"]["environment"]["TWEET_SINK_CONTROL_ADDR"].split(":")[-1])
        port = env["TWEETCTL_LISTEN"].split(":")[-1]
        ports = d["ports"]
        self.assertEqual(len(ports), 1)
        p = ports[0]
        target = str(p["target"]) if isinstance(p, dict) else p.split(":")[-1].split("/")[0]
        published = str(p["published"]) if isinstance(p, dict) else p.split(":")[1]
        self.assertEqual((target, published), (port, "8088"))
        # The names are tweetctl's: each TWEETCTL_<FLAG> twin of a flag its --help lists.
        tweetctl = dc.tweetctl_binary()
        if tweetctl:
            usage = subprocess.run([tweetctl, "--help"], capture_output=True, text=True, timeout=60).stdout
            for name in env:
                flag = "--" + name[len("TWEETCTL_"):].lower().replace("_", "-")
                self.assertIn(flag + " ", usage, f"{name}: tweetctl has no flag {flag}")

    def test_no_secret_in_the_compose_file(self):
        with open(os.path.join(dc.COMPOSE_DIR, "docker-compose.yml")) as f:
            text = f.read()
        for secret in ("X_BEARER_TOKEN", "ES_USERNAME", "ES_PASSWORD", "ES_API_KEY"):
            for value in re.findall(rf"^\s+{secret}:\s*(.*)$", text, flags=re.M):
                self.assertEqual(value.strip(), "${%s:-}" % secret, f"{secret} must come from .env only")

    def test_without_a_token_the_source_runs_synthetic_and_with_one_the_api(self):
        env = self.services["tweet-source"]["environment"]
        self.assertEqual(env.get("TWEET_SOURCE_MODE", ""), "")
        self.assertEqual(env.get("X_BEARER_TOKEN", ""), "")
        with_token = dc.compose_config(extra_env={"X_BEARER_TOKEN": "t0ken"})["services"]["tweet-source"]["environment"]
        self.assertEqual(with_token["X_BEARER_TOKEN"], "t0ken")
        # (test_env_only runs the entrypoint itself: it chooses synthetic without and search with the token.)

    def test_env_example_documents_every_variable_the_compose_file_reads(self):
        with open(os.path.join(dc.COMPOSE_DIR, "docker-compose.yml")) as f:
            text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("#"))
            used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
        with open(os.path.join(dc.COMPOSE_DIR, ".env.example")) as f:
            documented = set(re.findall(r"^([A-Z0-9_]+)=", f.read(), flags=re.M))
        self.assertEqual(used - documented, set(), "read by docker-compose.yml, missing in .env.example")
        self.assertEqual(documented - used, set(), "in .env.example, never read by docker-compose.yml")


class EnvironmentNamesTest(unittest.TestCase):
    """Every environment name handed to a connector is a setting the built binary accepts. The binaries
    ignore an unknown TWEET_* variable silently, so a typo here would otherwise go unnoticed."""

    @classmethod
    def setUpClass(cls):
        cls.flags = {s: dc.accepted_flags(dc.BINARY[s]) for s in CONNECTORS}
        cls.bytes = {}
        for s in CONNECTORS:
            with open(dc.BINARY[s], "rb") as f:
                cls.bytes[s] = f.read()

    def names_given(self):
        """(where, service, name) for the compose environment, the Dockerfile's ENV and the entrypoint."""
        given = []
        services = dc.compose_config(env_file=os.path.join(dc.COMPOSE_DIR, ".env.example"))["services"]
        for s in CONNECTORS:
            given += [("docker-compose.yml", s, n) for n in services[s]["environment"]]
        for stage, lines in dockerfile_stages().items():
            if stage in CONNECTORS:
                for line in lines:
                    if line.upper().startswith("ENV "):
                        given += [("Dockerfile", stage, n) for n in re.findall(r"([A-Z][A-Z0-9_]*)=", line)]
                    if line.upper().startswith("HEALTHCHECK"):
                        given += [("Dockerfile HEALTHCHECK", stage, n) for n in re.findall(r"\$\{([A-Z0-9_]+)", line)]
        with open(os.path.join(dc.COMPOSE_DIR, "docker-entrypoint.sh")) as f:
            script = f.read()
        for n in sorted(set(re.findall(r"\$\{?((?:TWEET_SOURCE|X_BEARER)[A-Z0-9_]*)", script))):
            given.append(("docker-entrypoint.sh", "tweet-source", n))
        return given

    def test_every_name_is_accepted_by_the_binary(self):
        given = self.names_given()
        self.assertGreater(len(given), 20)
        problems = sorted({f"{where}: {dc.env_name_accepted(s, n, self.flags[s], self.bytes[s])}"
                           for where, s, n in given if dc.env_name_accepted(s, n, self.flags[s], self.bytes[s])})
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_the_check_rejects_what_a_binary_does_not_accept(self):
        s = "tweet-sink"
        self.assertTrue(dc.env_name_accepted(s, "TWEET_SINK_ES_URLS", self.flags[s], self.bytes[s]))
        self.assertTrue(dc.env_name_accepted(s, "X_BEARER_TOKEN", self.flags[s], self.bytes[s]))
        self.assertEqual(dc.env_name_accepted(s, "TWEET_SINK_ES_URL", self.flags[s], self.bytes[s]), "")
        self.assertEqual(dc.env_name_accepted(s, "ES_API_KEY_FILE", self.flags[s], self.bytes[s]), "")


class DockerfileTest(unittest.TestCase):
    def test_both_stages_install_with_the_script_ci_runs(self):
        stages = dockerfile_stages()
        self.assertTrue({"build", "runtime", "tweet-source", "tweet-sink"} <= set(stages), stages.keys())
        for stage, mode in (("build", "--build-only"), ("runtime", "--runtime-only")):
            text = "\n".join(stages[stage])
            self.assertIn("COPY scripts/install-deps.sh", text, stage)
            self.assertRegex(text, rf"RUN bash /tmp/install-deps.sh {mode}\b", stage)
        for stage, lines in stages.items():
            for line in lines:
                self.assertNotRegex(line, r"apt-get\s+install|apt\s+install", f"{stage}: packages only via install-deps.sh")
        # ... and that script is the one CI runs: .ci/run -> scripts/test.sh -> scripts/install.sh -> install-deps.sh
        chain = [(".ci/run", "scripts/test.sh"), ("scripts/test.sh", "install.sh"), ("scripts/install.sh", "install-deps.sh")]
        for path, called in chain:
            with open(os.path.join(dc.SOURCE_DIR, path)) as f:
                self.assertIn(called, f.read(), path)

    def test_runtime_images_non_root_healthchecked_env_configured(self):
        stages = dockerfile_stages()
        runtime = "\n".join(stages["runtime"])
        self.assertRegex(runtime, r"FROM \$\{DEBIAN_IMAGE\} AS runtime")
        self.assertRegex(runtime, r"USER 10001")
        for stage, addr in (("tweet-source", "--source"), ("tweet-sink", "--sink")):
            text = "\n".join(stages[stage])
            self.assertRegex(text, r"FROM runtime AS " + stage)
            self.assertRegex(text, rf"HEALTHCHECK .*CMD tweetctl {addr} \S+ health {stage.split('-')[1]}")
            self.assertIn(f'ENTRYPOINT ["docker-entrypoint.sh", "{stage}"]', text)
            self.assertNotIn("CMD [", text, "configuration by environment only: no default arguments")
        with open(os.path.join(dc.COMPOSE_DIR, "Dockerfile")) as f:
            self.assertIn("ARG DEBIAN_IMAGE=debian:bookworm-slim", f.read())

    def test_runtime_packages_are_exactly_what_the_binaries_load(self):
        listed = subprocess.run(["bash", os.path.join(dc.SOURCE_DIR, "scripts", "install-deps.sh"), "--runtime-only", "--list"],
                                capture_output=True, text=True, timeout=60, check=True).stdout.split()
        self.assertIn("ca-certificates", listed)
        binaries = [dc.SOURCE_BIN, dc.SINK_BIN] + ([dc.tweetctl_binary()] if dc.tweetctl_binary() else [])
        libs = set()
        for b in binaries:
            out = subprocess.run(["ldd", b], capture_output=True, text=True, timeout=60, check=True).stdout
            self.assertNotIn("not found", out, b)
            libs |= set(re.findall(r"=>\s+(/\S+)", out))
        owners = {}
        for lib in sorted(libs):
            real = os.path.realpath(lib)
            for candidate in (lib, real, "/usr" + lib if not lib.startswith("/usr") else lib[4:]):
                r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
                if r.returncode == 0:
                    owners[lib] = r.stdout.split(":")[0].strip()
                    break
            self.assertIn(lib, owners, f"no Debian package owns {lib}")
        # Packages every Debian image has (Essential or Priority required/important).
        base = set()
        for pkg in set(owners.values()):
            fields = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", pkg],
                                    capture_output=True, text=True).stdout.split()
            if "yes" in fields or set(fields) & {"required", "important"}:
                base.add(pkg)
        # The closure of the list's dependencies (as installed here) must hold every owner.
        closure, todo = set(), list(listed)
        while todo:
            pkg = todo.pop()
            if pkg in closure:
                continue
            closure.add(pkg)
            deps = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", pkg],
                                  capture_output=True, text=True).stdout
            for alt in deps.split(","):
                name = alt.split("|")[0].strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
        missing = sorted({f"{p} ({lib})" for lib, p in owners.items() if p not in closure and p not in base})
        self.assertEqual(missing, [], "runtime libraries that the image would lack")
        # Every listed library package is really loaded (no stale entry); the list names the direct owners.
        loaded = set(owners.values())
        stale = sorted(p for p in listed if p != "ca-certificates" and p not in loaded)
        self.assertEqual(stale, [], "listed in install-deps.sh --runtime-only but loaded by no binary")


if __name__ == "__main__":
    unittest.main(verbosity=2)
