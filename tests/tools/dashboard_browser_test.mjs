// tweetctl dashboard in a real browser (ctest label `browser`): a real tweet-source (synthetic) and
// tweet-sink on the real Kafka broker and Elasticsearch node, `tweetctl dashboard` in front of their
// control planes, and Debian's headless chromium driven by playwright-core (pinned in
// tools/tweetctl/dashboard/package-lock.json, installed by scripts/install-dashboard-assets.sh).
// The sink reaches Elasticsearch through a small TCP proxy that this test closes to cut it off.
//
// What a user would check by looking: both panels RUNNING, the charts move while tweets flow, the
// counts on the page are the control planes' and the index's (source paused, sink caught up: delivered
// = topic end offsets = indexed = documents in the index), pausing the sink turns its panel PAUSED
// within 2 s, cutting Elasticsearch turns it DEGRADED with the cause (and back to RUNNING when it
// returns). Screenshots: <build>/dashboard-screenshot.png (flowing, after the pauses),
// <build>/dashboard-degraded.png (Elasticsearch cut off).
//
//   node dashboard_browser_test.mjs     env: TWEETSTREAM_BUILD_DIR, TWEETSTREAM_KAFKA, TWEETSTREAM_ES_URL,
//                                       CHROMIUM (default /usr/bin/chromium)
import { spawn, execFile } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const vendor = path.join(root, "tools/tweetctl/dashboard/vendor");
const build = process.env.TWEETSTREAM_BUILD_DIR || path.join(root, "build");
const kafka = process.env.TWEETSTREAM_KAFKA || "127.0.0.1:9092";
const esUrl = (process.env.TWEETSTREAM_ES_URL || "http://127.0.0.1:9200").replace(/\/$/, "");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const run = promisify(execFile);

function fail(message) {
  console.error("FAIL: " + message);
  process.exitCode = 1;
  throw new Error(message);
}
function check(condition, message) {
  if (!condition) fail(message);
  console.log("ok: " + message);
}

if (!fs.existsSync(path.join(vendor, "node_modules/playwright-core"))) {
  console.error("playwright-core is missing: run scripts/install-dashboard-assets.sh");
  process.exit(1);
}
if (!fs.existsSync(chromiumPath)) {
  console.error(`${chromiumPath} is missing: run scripts/install-deps.sh (Debian package chromium)`);
  process.exit(1);
}
const { chromium } = createRequire(path.join(vendor, "package.json"))("playwright-core");

const bin = {
  source: path.join(build, "source-connector/tweet-source"),
  sink: path.join(build, "sink-connector/tweet-sink"),
  tweetctl: path.join(build, "tools/tweetctl/tweetctl"),
};
const unique = `dash-${process.pid}-${Date.now()}`;
const topic = `${unique}-topic`;
const index = `${unique}-index`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const children = [];
// Both control planes require a token, as a deployment would: the dashboard gets it as every
// tweetctl command does (TWEETCTL_TOKEN), and the page never sees it.
const token = `t0ken-${unique}`;
const tokenFile = path.join(build, `${unique}.token`);
fs.writeFileSync(tokenFile, token + "\n", { mode: 0o600 });
const withToken = { ...process.env, TWEETCTL_TOKEN: token };

function start(name, args, env = process.env) {
  const child = spawn(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"], env });
  child.log = "";
  child.stdout.on("data", (d) => (child.log += d));
  child.stderr.on("data", (d) => (child.log += d));
  child.name = name;
  children.push(child);
  return child;
}

// Waits until fn() returns something truthy (other than an object with ok: false, which is shown in
// the failure as what was last seen).
async function until(what, fn, timeoutMs = 60000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last && last.ok !== false) {
        console.log(`ok: ${what} (${Date.now() - deadline + timeoutMs} ms)`);
        return last;
      }
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  fail(`${what} (within ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// A TCP proxy in front of Elasticsearch: cut() refuses and drops every connection, restore() serves again.
function esProxy(port) {
  const target = new URL(esUrl);
  const sockets = new Set();
  let server = null;
  const listen = () => new Promise((resolve) => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 80), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    listen,
    cut: () => new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}

async function tweetctl(args, ports, env = withToken) {
  const { stdout } = await run(bin.tweetctl,
    [`--source=127.0.0.1:${ports.source}`, `--sink=127.0.0.1:${ports.sink}`, ...args], { env });
  return stdout;
}

async function esCount() {
  await fetch(`${esUrl}/${index}/_refresh`, { method: "POST" });
  const r = await fetch(`${esUrl}/${index}/_count`);
  if (!r.ok) return -1;
  return (await r.json()).count;
}

const text = (page, id) => page.locator(`[data-testid="${id}"]`).innerText();
const number = async (page, id) => Number((await text(page, id)).replace(/,/g, ""));

let browser, proxy;
const ports = {};
try {
  for (const k of ["source", "sourceMetrics", "sink", "sinkMetrics", "proxy"]) ports[k] = await freePort();
  proxy = esProxy(ports.proxy);
  await proxy.listen();

  const source = start("tweet-source", [bin.source, "--mode=synthetic", "--seed=15", "--rate=150",
    `--bootstrap-servers=${kafka}`, `--topic=${topic}`, `--control-addr=127.0.0.1:${ports.source}`,
    `--metrics-addr=127.0.0.1:${ports.sourceMetrics}`, `--control-token-file=${tokenFile}`]);
  const sink = start("tweet-sink", [bin.sink, `--bootstrap-servers=${kafka}`, `--topic=${topic}`,
    `--group-id=${topic}-group`, `--dlq-topic=${topic}-dlq`, `--es-url=${proxy.url}`, `--index=${index}`,
    "--linger=200ms", "--retry-backoff-max=2s", `--control-addr=127.0.0.1:${ports.sink}`,
    `--metrics-addr=127.0.0.1:${ports.sinkMetrics}`, `--control-token-file=${tokenFile}`]);
  const dashboard = start("tweetctl dashboard", [bin.tweetctl, `--source=127.0.0.1:${ports.source}`,
    `--sink=127.0.0.1:${ports.sink}`, "dashboard", "--listen=127.0.0.1:0"], withToken);
  const url = await until("tweetctl dashboard prints its address",
    () => (dashboard.log.match(/dashboard: (http:\/\/\S+)/) || [])[1], 30000);
  console.log(`dashboard at ${url}`);

  browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(url);

  // --- Both RUNNING, tweets flowing, the charts moving.
  await until("both panels RUNNING", async () =>
    (await text(page, "source-state")) === "RUNNING" && (await text(page, "sink-state")) === "RUNNING", 90000);
  await until("documents in the index on the page", async () => (await number(page, "index-docs")) > 0, 90000);
  const chart = page.locator('[data-testid="chart-throughput"]');
  const canvas = () => chart.locator("canvas").evaluate((c) => c.toDataURL());
  const before = { points: Number(await chart.getAttribute("data-points")), image: await canvas() };
  await until("throughput chart shows tweets/s into Kafka and Elasticsearch", async () => {
    const last = JSON.parse(await chart.getAttribute("data-last"));
    return last[0] > 0 && last[1] > 0;
  }, 60000);
  await until("the charts move", async () =>
    Number(await chart.getAttribute("data-points")) > before.points + 2 && (await canvas()) !== before.image, 30000);
  check(Number(await page.locator('[data-testid="chart-lag"]').getAttribute("data-points")) > 0, "lag chart has points");
  // A steady 150 tweets/s is a steady line, not bursts with seconds of zero between them: every one
  // of the last 5 points of the page's "into Kafka" series is above zero.
  await until("the source's delivered/s is steady while tweets flow", async () => {
    const series = (await (await fetch(url + "api/snapshot")).json()).series;
    const recent = series.delivered_per_s.slice(-5);
    return { ok: recent.length === 5 && recent.every((v) => v > 0), recent };
  }, 30000, 1000);
  await until("latency chart has a p99", async () =>
    JSON.parse(await page.locator('[data-testid="chart-latency"]').getAttribute("data-last"))[2] > 0, 60000);
  check((await text(page, "source-mode")) === "synthetic", "source mode is shown");
  check(await page.locator('[data-testid="banner"]').isHidden(), "no banner while all is well");
  const anonymous = await tweetctl(["status"], ports, { ...process.env, TWEETCTL_TOKEN: "" }).then(() => 0, (e) => e.code);
  check(anonymous === 1, `the control planes refuse calls without the token (tweetctl exit ${anonymous}): the page's data came with it`);
  const html = await (await fetch(url + "api/snapshot")).text() + await page.content();
  check(!html.includes(token), "the token is nowhere in the page or the snapshot");

  // --- Pause the sink: PAUSED on the page within 2 s.
  await tweetctl(["pause", "sink"], ports);
  const pausedAt = Date.now();
  await until("sink panel PAUSED within 2 s", async () => (await text(page, "sink-state")) === "PAUSED", 2000, 50);
  console.log(`ok: sink PAUSED on the page after ${Date.now() - pausedAt} ms`);
  await tweetctl(["resume", "sink"], ports);
  await until("sink RUNNING again", async () => (await text(page, "sink-state")) === "RUNNING", 30000);

  // --- Counts: source paused, sink caught up; the page says what the control planes and the index say.
  await tweetctl(["pause", "source"], ports);
  await until("source panel PAUSED", async () => (await text(page, "source-state")) === "PAUSED", 10000);
  const settled = await until("page counts settle: delivered = topic end offsets = indexed = documents", async () => {
    const c = {
      delivered: await number(page, "source-delivered"),
      end: await number(page, "topic-end"),
      indexed: await number(page, "sink-indexed"),
      docs: await number(page, "index-docs"),
      lag: await number(page, "sink-lag"),
      es: await esCount(),
    };
    c.ok = c.delivered > 0 && c.delivered === c.end && c.end === c.indexed && c.indexed === c.docs &&
      c.docs === c.es && c.lag === 0;
    return c;
  }, 60000, 500);
  const status = JSON.parse(await tweetctl(["--json", "status"], ports));
  check(Number(status.source.counters.produced) === settled.delivered,
    `page's delivered ${settled.delivered} = tweetctl status source produced ${status.source.counters.produced}`);
  check(Number(status.sink.counters.indexed) === settled.indexed,
    `page's indexed ${settled.indexed} = tweetctl status sink indexed ${status.sink.counters.indexed}`);
  check(Number(status.sink.sink.index_document_count) === settled.docs, `page's documents = the sink's document count`);
  await tweetctl(["resume", "source"], ports);

  // --- Cut Elasticsearch: the sink DEGRADED with its cause, impossible to miss; then back.
  await until("indexing again after the resume", async () => (await number(page, "index-docs")) > settled.docs, 60000);
  await until("delivered/s back on the page", async () => (await number(page, "source-rate")) > 0, 30000);
  await page.screenshot({ path: path.join(build, "dashboard-screenshot.png"), fullPage: true });
  console.log(`screenshot: ${path.join(build, "dashboard-screenshot.png")}`);
  await proxy.cut();
  await until("sink panel DEGRADED", async () => (await text(page, "sink-state")) === "DEGRADED", 60000);
  const cause = await text(page, "sink-cause");
  // The cause names what is wrong (the Elasticsearch address the sink cannot reach); its tail (how
  // many items wait) may change from one update to the next.
  check(cause.includes(proxy.url), `the cause is on the page, naming ${proxy.url}: "${cause}"`);
  const banner = await text(page, "banner");
  check(banner.startsWith("tweet-sink DEGRADED: ") && banner.includes(proxy.url), `the banner says it: "${banner}"`);
  check((await page.locator('[data-testid="sink-panel"]').getAttribute("class")).includes("degraded"),
    "the sink panel is marked degraded");
  await page.screenshot({ path: path.join(build, "dashboard-degraded.png"), fullPage: true });
  await proxy.listen();
  await until("sink RUNNING again when Elasticsearch is back", async () =>
    (await text(page, "sink-state")) === "RUNNING", 90000);
  await until("banner gone", async () => page.locator('[data-testid="banner"]').isHidden(), 10000);
  check(consoleErrors.length === 0, `no errors in the browser console ${JSON.stringify(consoleErrors)}`);
  for (const c of [source, sink]) check(c.exitCode === null, `${c.name} still running`);
  console.log("PASS");
} catch (e) {
  process.exitCode = 1;
  console.error(e.stack || String(e));
  for (const c of children) console.error(`--- ${c.name} output (last 3000 chars):\n${c.log.slice(-3000)}`);
} finally {
  if (browser) await browser.close();
  for (const c of children.reverse()) {
    if (c.exitCode === null) {
      c.kill("SIGTERM");
      await new Promise((r) => { c.once("exit", r); setTimeout(r, 30000); });
    }
  }
  if (proxy) await proxy.cut();
  fs.rmSync(tokenFile, { force: true });
  await fetch(`${esUrl}/${index}`, { method: "DELETE" }).catch(() => {});
  process.exit(process.exitCode || 0);
}
