// tweetctl dashboard: renders the snapshots that /events pushes (Server-Sent Events, one per sample
// interval; the browser reconnects by itself). The snapshot's shape: DashboardModel::SnapshotJson
// (tools/tweetctl/dashboard/dashboard_model.h); statuses are the control API's ConnectorStatus in
// protobuf's JSON mapping (64-bit integers as strings, enums by name).
"use strict";

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US");
const num = (v) => (v === undefined || v === null || v === "" ? "–" : fmt.format(Number(v)));
const rate = (v) => (v === null || v === undefined ? "–" : fmt.format(Math.round(v * 10) / 10));

function stateOf(side) {
  if (!side) return { name: "WAITING", cls: "idle", cause: "" };
  if (side.view === "UNREACHABLE") return { name: "UNREACHABLE", cls: "unreachable", cause: side.error };
  const st = side.status;
  if (!st) return { name: "WAITING", cls: "idle", cause: "" };
  let name = String(st.state || "").replace("CONNECTOR_STATE_", "");
  let cls = "idle";
  if (name === "RUNNING") cls = "running";
  if (name === "FAILED") cls = "failed";
  if (st.degraded && name !== "FAILED") { name = "DEGRADED"; cls = "degraded"; }
  if (side.view === "STALE") name += " (stale)";
  return { name, cls, cause: st.cause || "" };
}

function setPanel(prefix, side) {
  const s = stateOf(side);
  const el = $(prefix + "-state");
  el.textContent = s.name;
  el.className = "state " + s.cls;
  $(prefix + "-panel").className = "panel " + s.cls;
  const cause = $(prefix + "-cause");
  cause.textContent = s.cause;
  cause.hidden = !s.cause;
  $(prefix + "-address").textContent = side ? side.address : "";
  return s;
}

function lastValue(column) {
  for (let i = column.length - 1; i >= 0; i--) if (column[i] !== null) return column[i];
  return null;
}

function renderErrors(id, status) {
  const list = $(id);
  list.replaceChildren();
  const errors = (status && status.last_errors) || [];
  for (const e of errors.slice().reverse()) {  // newest first
    const li = document.createElement("li");
    li.textContent = `${e.time || ""} ${e.message}`;
    list.appendChild(li);
  }
  if (errors.length === 0) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "none";
    list.appendChild(li);
  }
}

// ---- charts (uPlot) -------------------------------------------------------------------------

const charts = {};
function chartOptions(series, el) {
  return {
    width: Math.max(300, el.clientWidth - 8),
    height: 200,
    scales: { x: { time: true } },
    axes: [{}, { size: 60 }],
    legend: { live: false },
    series: [{}].concat(series.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: false }))),
  };
}
function drawChart(key, el, series, data) {
  if (!charts[key]) {
    charts[key] = new uPlot(chartOptions(series, el), data, el);
  } else {
    charts[key].setData(data);
  }
  el.dataset.points = String(data[0].length);
  // The newest value of each line, for whoever reads the page without looking (tests, screen readers).
  el.dataset.last = JSON.stringify(data.slice(1).map(lastValue));
}
window.addEventListener("resize", () => {
  for (const key in charts) {
    const el = charts[key].root.parentElement;
    charts[key].setSize({ width: Math.max(300, el.clientWidth - 8), height: 200 });
  }
});

// ---- one snapshot ---------------------------------------------------------------------------

function render(snap) {
  $("updated").textContent = "updated " + snap.now;
  const src = setPanel("source", snap.source);
  const snk = setPanel("sink", snap.sink);
  const s = snap.series;

  const so = snap.source.status;
  const sd = (so && so.source) || {};
  $("source-mode").textContent = sd.mode || "–";
  $("source-cursor").textContent = sd.cursor ? `${sd.cursor}  (${sd.cursor_key || ""})`
    : sd.mode === "synthetic" ? "(generated tweets: no cursor)" : "(none yet)";
  const rl = sd.rate_limit;
  $("source-rate-limit").textContent = !rl || Number(rl.limit) < 0 ? "unknown"
    : `${num(rl.remaining)} of ${num(rl.limit)} left` + (rl.reset ? `, resets ${rl.reset}` : "");
  const sc = (so && so.counters) || {};
  $("source-read").textContent = num(sc.read);
  $("source-delivered").textContent = num(sc.produced);
  $("source-failed").textContent = `${num(sc.failed)} · ${num(sc.skipped)}`;
  $("source-rate").textContent = rate(lastValue(s.delivered_per_s));

  const ko = snap.sink.status;
  const kd = (ko && ko.sink) || {};
  const kc = (ko && ko.counters) || {};
  $("topic-name").textContent = kd.topic || sd.topic || "";
  const parts = kd.partitions || [];
  $("topic-end").textContent = parts.length ? num(parts.reduce((a, p) => a + Number(p.end_offset), 0)) : "–";
  $("sink-lag").textContent = ko ? num(kd.total_lag) : "–";
  const rows = $("partitions");
  rows.replaceChildren();
  for (const p of parts) {
    const tr = document.createElement("tr");
    for (const v of [p.partition, p.end_offset, Number(p.committed) < 0 ? "none" : p.committed, p.lag]) {
      const td = document.createElement("td");
      td.textContent = typeof v === "string" && isNaN(Number(v)) ? v : num(v);
      tr.appendChild(td);
    }
    rows.appendChild(tr);
  }
  $("sink-group").textContent = kd.group_id || "–";
  $("sink-indexed").textContent = num(kc.indexed);
  $("sink-rate").textContent = rate(lastValue(s.indexed_per_s));
  $("sink-inflight").textContent = ko ? num(kd.in_flight_bulks) : "–";
  $("sink-pending").textContent = ko ? num(kd.pending_records) + (kd.backpressure_paused ? " (backpressure)" : "") : "–";
  const dlq = snap.dlq;
  if (!dlq) {
    $("sink-dlq").textContent = "–";
  } else {
    const classes = Object.entries(dlq.by_error_class || {}).map(([k, v]) => `${k}: ${num(v)}`);
    $("sink-dlq").textContent = `${num(dlq.dead_lettered)}` + (classes.length ? ` (${classes.join(", ")})` : "")
      + (dlq.topic ? ` → ${dlq.topic}` : " (dead-lettering off)");
  }

  $("index-name").textContent = kd.index || "";
  $("index-docs").textContent = ko && Number(kd.index_document_count) >= 0 ? num(kd.index_document_count) : "unknown";
  const lat = [lastValue(s.latency_p50_ms), lastValue(s.latency_p95_ms), lastValue(s.latency_p99_ms)];
  $("latency-now").textContent = lat[0] === null ? "–" : lat.map((v) => `${rate(v)}\u00a0ms`).join(" · ");

  renderErrors("source-errors", so);
  renderErrors("sink-errors", ko);

  drawChart("throughput", $("chart-throughput"), [["into Kafka", "#0969da"], ["into Elasticsearch", "#1a7f37"]],
    [s.t, s.delivered_per_s, s.indexed_per_s]);
  drawChart("lag", $("chart-lag"), [["lag", "#b35900"]], [s.t, s.lag]);
  drawChart("latency", $("chart-latency"), [["p50", "#1a7f37"], ["p95", "#b35900"], ["p99", "#c62828"]],
    [s.t, s.latency_p50_ms, s.latency_p95_ms, s.latency_p99_ms]);

  // Whatever is not healthy, in one line at the top.
  const problems = [];
  for (const [label, st] of [["tweet-source", src], ["tweet-sink", snk]]) {
    if (["FAILED", "DEGRADED", "UNREACHABLE"].includes(st.name)) {
      problems.push(`${label} ${st.name}${st.cause ? ": " + st.cause : ""}`);
    }
  }
  if (snap.metrics_error) problems.push("tweet-sink metrics: " + snap.metrics_error);
  const banner = $("banner");
  banner.textContent = problems.join("  ·  ");
  banner.hidden = problems.length === 0;
  banner.className = "banner" + (problems.every((p) => p.includes(" DEGRADED")) ? " warn" : "");
}

// ---- the event stream -----------------------------------------------------------------------

function connect() {
  const pill = $("connection");
  const events = new EventSource("/events");
  events.onopen = () => { pill.textContent = "live"; pill.className = "pill live"; };
  events.onerror = () => { pill.textContent = "disconnected from tweetctl, retrying"; pill.className = "pill lost"; };
  events.onmessage = (e) => {
    try {
      render(JSON.parse(e.data));
    } catch (err) {
      console.error("dashboard: cannot render a snapshot", err);
    }
  };
}
connect();
