// page.js: reads the run's data (the JSON of <script id="run-data">, written by
// framework/src/report/html_page.cpp) and builds every section of the page. Text from the run
// (names, messages, logs) only ever becomes text nodes, never markup.
//
// The data: pipeline {name, file}, started (UTC), status, exit_code, wall_ns, instances, totals
// (by state), warnings, states (the names of JobState, in order: bars refer to them by
// position), bulkheads [{name, workers, queue}], stages [{name, kind, repeats, needs, jobs,
// status, iterations, wall_ns, counts, note, warnings, spans [[iteration, start_ns, end_ns,
// status]], durations {count, p50_ns, p95_ns, p99_ns, max_ns, buckets [[from_ns, to_ns, count]]},
// bulkheads [usage]}], jobs [{stage, id, type, bulkhead, fans_out}], messages and params (texts
// that bars refer to by position), failures [{id, job, stage, iteration, index, state, attempts,
// messages, params, log_tail}], failures_not_listed, timeline (see timeline.js). Times are
// nanoseconds from the run's start.

// ---- small helpers, used by every file ---------------------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attributes, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function applyProps(node, props) {
  for (const [name, value] of Object.entries(props || {})) {
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "style") node.style.cssText = value;
    else node.setAttribute(name, value);
  }
}

const numberFormat = new Intl.NumberFormat("en-US");

function count(n) {
  return numberFormat.format(n);
}

function plural(n, word, words) {
  return count(n) + " " + (n === 1 ? word : words || word + "s");
}

// 0 ns, 350 ns, 12.3 µs, 4.56 ms, 1.23 s, 2m05s, 1h02m: three significant digits below a minute.
function duration(ns) {
  if (!(ns > 0)) return "0 s";
  const units = [[1e9, "s"], [1e6, "ms"], [1e3, "µs"], [1, "ns"]];
  if (ns >= 3600e9) {
    const minutes = Math.round(ns / 60e9);
    return Math.floor(minutes / 60) + "h" + String(minutes % 60).padStart(2, "0") + "m";
  }
  if (ns >= 60e9) {
    const seconds = Math.round(ns / 1e9);
    return Math.floor(seconds / 60) + "m" + String(seconds % 60).padStart(2, "0") + "s";
  }
  for (const [size, unit] of units) {
    if (ns >= size) return Number((ns / size).toPrecision(3)) + " " + unit;
  }
  return ns + " ns";
}

function percent(fraction) {
  return (100 * fraction).toFixed(fraction < 0.1 ? 1 : 0) + "%";
}

function cssColour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function stateColour(state) {
  return "var(--state-" + state + ")";
}

function statusBadge(status) {
  const known = ["succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped"];
  const colour = known.includes(status) ? stateColour(status) : "var(--status-" + status + ")";
  return el("span", { class: "badge", style: "background:" + colour }, status.replace("_", " "));
}

// A bar of instances by state, and its counts as a title.
function stateBar(data, counts) {
  const total = data.states.reduce((sum, state) => sum + counts[state], 0);
  const bar = el("div", { class: "statebar" });
  for (const state of data.states) {
    if (!counts[state]) continue;
    bar.append(el("span", {
      style: "width:" + (100 * counts[state] / total) + "%;background:" + stateColour(state),
      title: count(counts[state]) + " " + state.replace("_", " "),
    }));
  }
  return bar;
}

function stateChips(data, counts) {
  return el("div", { class: "chips" }, data.states.map((state) =>
    el("span", { class: "chip" + (counts[state] ? "" : " zero"), dataset: { state } },
      el("span", { class: "swatch", style: "background:" + stateColour(state) }),
      count(counts[state]) + " " + state.replace("_", " "))));
}

// "stage@2/job[3]", as lockstep names instances everywhere.
function instanceId(data, job, iteration, index) {
  const spec = data.jobs[job];
  if (!spec) return "?";
  const stage = data.stages[spec.stage];
  return stage.name + (stage.repeats ? "@" + iteration : "") + "/" + spec.id +
    (spec.fans_out ? "[" + index + "]" : "");
}

// Runs one section's builder; a section that fails says so in its place (and on the console)
// instead of leaving the rest of the page unbuilt.
function build(sectionId, builder) {
  try {
    builder();
  } catch (error) {
    const section = document.getElementById(sectionId);
    section.append(el("p", { class: "warnings" }, "This part could not be shown: " + error));
    console.error(error);
  }
}

// ---- the sections ------------------------------------------------------------------------------

function buildSummary(data) {
  const header = document.getElementById("summary");
  Object.assign(header.dataset, {
    status: data.status,
    exitCode: data.exit_code === null ? "" : data.exit_code,
    instances: data.instances,
  });
  for (const state of data.states) header.dataset[state] = data.totals[state];
  const started = new Date(data.started);
  header.append(
    el("div", { class: "title" }, statusBadge(data.status), el("h1", {}, data.pipeline.name),
      el("span", { class: "file mono" }, data.pipeline.file)),
    el("dl", { class: "facts" },
      fact("exit code", data.exit_code === null ? "—" : data.exit_code),
      fact("started", started.toLocaleString() + " (" + data.started + ")"),
      fact("duration", duration(data.wall_ns)),
      fact("instances", count(data.instances)),
      fact("attempts", count(data.timeline.attempts)),
      fact("stages", data.stages.length)),
    stateBar(data, data.totals),
    stateChips(data, data.totals));
  if (data.warnings.length) {
    header.append(el("ul", { class: "warnings" }, data.warnings.map((w) => el("li", {}, w))));
  }
  document.getElementById("footer").append(
    "Written by lockstep " + data.lockstep + ". This page holds all its data, styles and " +
    "scripts: it needs no network and no other file.");
}

function fact(name, value) {
  return el("div", {}, el("dt", {}, name), el("dd", {}, value));
}

function buildStages(data) {
  const body = document.getElementById("stages-body");
  const table = el("table", { id: "stage-table" },
    el("thead", {}, el("tr", {},
      el("th", {}, "stage"), el("th", {}, "status"), el("th", { class: "number" }, "wall"),
      el("th", { class: "number" }, "instances"), el("th", {}, "by state"),
      el("th", { class: "number" }, "p50"), el("th", { class: "number" }, "p95"),
      el("th", { class: "number" }, "max"), el("th", {}, "instance durations"))));
  const rows = el("tbody");
  data.stages.forEach((stage) => {
    const total = data.states.reduce((sum, state) => sum + stage.counts[state], 0);
    const dataset = { stage: stage.name, status: stage.status, instances: total };
    for (const state of data.states) dataset[state] = stage.counts[state];
    const d = stage.durations;
    rows.append(el("tr", { dataset },
      el("td", {}, el("div", { class: "mono" }, stage.name),
        el("div", { class: "muted" }, stage.kind +
          (stage.iterations > 1 ? " · " + plural(stage.iterations, "iteration") : "")),
        stage.note ? el("div", { class: "muted" }, stage.note) : null,
        stage.warnings.map((w) => el("div", { class: "warnings" }, w))),
      el("td", {}, statusBadge(stage.status)),
      el("td", { class: "number" }, duration(stage.wall_ns)),
      el("td", { class: "number" }, count(total)),
      el("td", {}, stateBar(data, stage.counts),
        el("div", { class: "muted" }, data.states.filter((s) => stage.counts[s])
          .map((s) => count(stage.counts[s]) + " " + s.replace("_", " ")).join(", "))),
      el("td", { class: "number" }, d.count ? duration(d.p50_ns) : "—"),
      el("td", { class: "number" }, d.count ? duration(d.p95_ns) : "—"),
      el("td", { class: "number" }, d.count ? duration(d.max_ns) : "—"),
      el("td", {}, d.count ? histogramChart(d.buckets, { width: 260, height: 64 })
        : el("span", { class: "muted" }, "no instance ran"))));
  });
  table.append(rows);
  body.append(table, el("p", { class: "hint" },
    "An instance's duration is the sum of its attempts' run times (queue waits and retry " +
    "backoffs left out). Percentiles are within a quarter of their value; the histogram has four " +
    "columns per doubling of time."));
}

function buildBulkheads(data) {
  const body = document.getElementById("bulkheads-body");
  const cards = el("div", { class: "cards" });
  const utilisation = utilisationOverTime(data);
  data.bulkheads.forEach((bulkhead, b) => {
    const usage = [];
    data.stages.forEach((stage) => {
      for (const u of stage.bulkheads) if (u.name === bulkhead.name) usage.push([stage, u]);
    });
    const rejected = usage.reduce((sum, [, u]) => sum + u.rejected, 0);
    const markers = [];
    for (const stage of data.stages) {
      for (const [iteration, , end] of stage.spans) {
        markers.push({ at: end, label: stage.name + (stage.repeats ? "@" + iteration : "") });
      }
    }
    const table = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "stage"),
      ["admitted", "peak running", "peak queued", "wait p50", "p95", "p99", "max", "rejected",
        "utilisation"].map((h) => el("th", { class: "number" }, h)))),
    el("tbody", {}, usage.map(([stage, u]) => el("tr", { dataset: { stage: stage.name } },
      el("td", { class: "mono" }, stage.name),
      [count(u.admitted), u.peak_running, u.peak_queued, duration(u.queue_wait_p50_ns),
        duration(u.queue_wait_p95_ns), duration(u.queue_wait_p99_ns),
        duration(u.queue_wait_max_ns), count(u.rejected), percent(u.utilisation)]
        .map((v) => el("td", { class: "number" }, v))))));
    cards.append(el("div", { class: "card", dataset: { bulkhead: bulkhead.name, rejected } },
      el("h3", {}, el("span", { class: "mono" }, bulkhead.name), " ",
        el("span", { class: "muted" }, plural(bulkhead.workers, "worker") + ", queue " +
          bulkhead.queue)),
      el("div", { class: "muted" }, "Share of its workers' time spent in attempts, over the " +
        "run:"),
      timeChart(utilisation[b], data.timeline.column_ns, data.timeline.length_ns,
        { width: 500, height: 90, markers }),
      usage.length ? el("div", { class: "scroll" }, table)
        : el("p", { class: "muted" }, "No stage ran on it."),
      rejected ? el("p", { class: "warnings" }, plural(rejected, "place") +
        " refused: no room within max_wait.") : null));
  });
  body.append(cards, el("p", { class: "hint" },
    "Queue waits are how long admitted places waited for a worker; a place is an attempt, or a " +
    "chunk of very short ones. Utilisation is the time workers ran jobs over workers × the " +
    "stage's wall time."));
}

// Per bulkhead, per timeline column: the fraction of its workers busy.
function utilisationOverTime(data) {
  const t = data.timeline;
  return data.bulkheads.map((bulkhead, b) => {
    const busy = new Float64Array(t.columns);
    const ranks = new Set();  // under a cluster each rank has the bulkhead's workers
    for (const row of t.rows) {
      if (row.bulkhead !== b) continue;
      ranks.add(row.rank || 0);
      for (const column of row.busy) {
        for (let c = 0; c < column.length; ++c) busy[c] += column[c];
      }
    }
    return Array.from(busy, (ns, c) => {
      const span = Math.min(t.column_ns, t.length_ns - c * t.column_ns);
      const workers = Math.max(1, bulkhead.workers) * Math.max(1, ranks.size);
      return span > 0 ? Math.min(1, ns / (workers * span)) : 0;
    });
  });
}

function buildFailures(data) {
  const body = document.getElementById("failures-body");
  const failures = data.failures;
  body.dataset.failures = failures.length;
  body.dataset.notListed = data.failures_not_listed;
  if (!failures.length && !data.failures_not_listed) {
    body.append(el("p", {}, data.status === "running" ? "None so far."
      : "Every instance succeeded."));
    return;
  }
  body.append(el("p", {}, plural(failures.length + data.failures_not_listed, "instance") +
    " did not succeed" + (data.failures_not_listed ? "; " + count(failures.length) +
      " are listed (the others were skipped, cancelled before they ran, or beyond the " +
      "list's limit)" : "") + "."));
  const rows = failures.map((f) => el("tr", { dataset: { id: f.id, state: f.state } },
    el("td", { class: "mono" }, f.id),
    el("td", {}, statusBadge(f.state)),
    el("td", { class: "number" }, f.attempts),
    el("td", {}, el("div", { class: "failure-message" }, f.messages.length
      ? f.messages[f.messages.length - 1] : ""),
      f.messages.length > 1 ? el("details", {}, el("summary", {}, "every attempt"),
        el("pre", {}, f.messages.map((m, i) => "attempt " + (i + 1) + ": " + m).join("\n")))
        : null,
      Object.keys(f.params || {}).length ? el("details", {}, el("summary", {}, "params"),
        el("pre", {}, JSON.stringify(f.params, null, 2))) : null,
      f.log_tail ? el("details", { class: "log" }, el("summary", {}, "end of its log"),
        el("pre", {}, f.log_tail)) : null)));
  body.append(el("table", { id: "failure-table" }, el("thead", {}, el("tr", {},
    el("th", {}, "instance"), el("th", {}, "state"), el("th", { class: "number" }, "attempts"),
    el("th", {}, "why"))), el("tbody", {}, rows)));
}

// ---- the page ----------------------------------------------------------------------------------

const data = JSON.parse(document.getElementById("run-data").textContent);
build("summary", () => buildSummary(data));
build("timeline", () => buildTimeline(data, document.getElementById("timeline-view"),
  document.getElementById("timeline-note")));
build("stages", () => buildStages(data));
build("bulkheads", () => buildBulkheads(data));
build("failures", () => buildFailures(data));
build("graph", () => buildGraph(data, document.getElementById("graph-body")));
// When the page could first be used: what a test reads, and what a slow page is measured by.
document.documentElement.dataset.renderedMs = performance.now().toFixed(1);
