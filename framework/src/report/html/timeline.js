// timeline.js: the attempts of the run on a canvas, a row per worker place of each bulkhead, each
// attempt a bar coloured by how it ended, the stages above and their barriers as dashed lines.
//
// data.timeline: length_ns (the run's), attempts (that ended), max_bars, aggregated, column_ns,
// columns, and rows [{bulkhead, slot (-1: outside any worker place), rank (under a cluster, when
// not 0: the rank whose worker place it is; rank 0's rows come first), attempts (started per
// column), busy (per attempt state — succeeded, failed, timed_out, cancelled — the nanoseconds
// run per column, [] when none), bars {start, dur, job, iteration, index, attempt, state,
// message, params}: columns of equal length, sorted by start}]. Up to max_bars attempts every
// attempt is a bar; beyond, `aggregated`: only attempts that did not succeed are, and each row
// shows how busy it was per column.
//
// A canvas, not SVG: a run of 100,000 attempts draws in milliseconds, where as many elements
// would take seconds. Adjacent bars that fall on the same pixels are drawn as one.

const TIMELINE = { row: 16, group: 20, axis: 42, labels: 150, right: 10, tolerance: 3 };

// A row's bulkhead, "rank 1 · pool" once rows of ranks other than 0 are there (each rank has
// workers of its own).
function placeName(data, row) {
  const name = data.bulkheads[row.bulkhead].name;
  const ranks = data.timeline.rows.some((r) => r.rank);
  return ranks ? "rank " + (row.rank || 0) + " \u00b7 " + name : name;
}

function buildTimeline(data, container, note) {
  const t = data.timeline;
  const section = document.getElementById("timeline");
  const bars = t.rows.reduce((n, row) => n + row.bars.start.length, 0);
  Object.assign(section.dataset, { attempts: t.attempts, bars, rows: t.rows.length,
    aggregated: t.aggregated });
  note.textContent = t.aggregated
    ? count(t.attempts) + " attempts: more than the " + count(t.max_bars) + " drawn one by one, " +
      "so each row shows its worker in " + t.columns + " columns of " + duration(t.column_ns) +
      ": pale where attempts started, filled by the share of the time they ran, coloured by " +
      "how they ended. " + (bars ? "The " + plural(bars, "attempt") + " that did not succeed " +
        "are drawn one by one on top." : "Every attempt succeeded.")
    : plural(t.attempts, "attempt") + ", each a bar on the row of the worker that ran it.";

  // How attempts end (rejected and skipped instances run none).
  container.before(el("div", { class: "chips legend" }, data.states.slice(0, 4).map((state) =>
    el("span", { class: "chip" }, el("span", { class: "swatch", style: "background:" +
      stateColour(state) }), state.replace("_", " ")))));

  // Rows top to bottom: each bulkhead's name, then its workers; under a cluster, each rank's.
  const layout = [], groups = [];
  let y = TIMELINE.axis;
  t.rows.forEach((row, r) => {
    const before = r ? t.rows[r - 1] : null;
    if (!before || row.bulkhead !== before.bulkhead || (row.rank || 0) !== (before.rank || 0)) {
      groups.push({ y, name: placeName(data, row) });
      y += TIMELINE.group;
    }
    layout.push({ row, y, label: row.slot >= 0 ? "worker " + row.slot : "outside a worker" });
    y += TIMELINE.row;
  });
  const height = y + 6;
  const canvas = el("canvas", { role: "img", "aria-label": note.textContent });
  container.append(canvas);
  const tooltip = document.getElementById("tooltip");
  const colours = data.states.map((state) => cssColour("--state-" + state));
  const ink = { text: cssColour("--text"), muted: cssColour("--muted"), line: cssColour("--line"),
    barrier: cssColour("--barrier"), panel: cssColour("--panel") };
  const length = Math.max(1, t.length_ns);
  const view = { from: 0, to: length };
  let width = 0, frame = 0, drag = null;

  const plotWidth = () => Math.max(1, width - TIMELINE.labels - TIMELINE.right);
  const xOf = (ns) => TIMELINE.labels + (ns - view.from) / (view.to - view.from) * plotWidth();
  const timeAt = (x) => view.from + (x - TIMELINE.labels) / plotWidth() * (view.to - view.from);

  function draw() {
    frame = 0;
    const ratio = window.devicePixelRatio || 1;
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    context.font = "11px system-ui, sans-serif";
    context.textBaseline = "middle";
    drawLabels(context);
    context.save();
    context.beginPath();
    context.rect(TIMELINE.labels, 0, plotWidth(), height);
    context.clip();
    drawStages(context);
    for (const line of layout) {
      if (t.aggregated) drawColumns(context, line);
      drawBars(context, line, t.aggregated ? 2 : 1);
    }
    drawBarriers(context);
    context.restore();
  }

  function drawLabels(context) {
    context.fillStyle = ink.text;
    context.textAlign = "left";
    for (const group of groups) {
      context.font = "600 12px system-ui, sans-serif";
      context.fillText(group.name, 8, group.y + TIMELINE.group / 2);
      context.fillStyle = ink.line;
      context.fillRect(0, group.y, width, 1);
      context.fillStyle = ink.text;
    }
    context.font = "11px system-ui, sans-serif";
    context.fillStyle = ink.muted;
    for (const line of layout) context.fillText(line.label, 18, line.y + TIMELINE.row / 2);
  }

  // The stages' iterations as a band at the top, and a time axis under it.
  function drawStages(context) {
    context.textAlign = "left";
    data.stages.forEach((stage) => {
      for (const [iteration, start, end, status] of stage.spans) {
        const x0 = xOf(start), x1 = xOf(end);
        context.fillStyle = status === "succeeded" ? ink.panel : cssColourOf(status);
        context.globalAlpha = status === "succeeded" ? 1 : 0.25;
        context.fillRect(x0, 4, Math.max(1, x1 - x0), 16);
        context.globalAlpha = 1;
        context.fillStyle = ink.text;
        const label = stage.name + (stage.repeats ? "@" + iteration : "");
        if (x1 - x0 > 24) {
          context.fillText(label, Math.max(x0, TIMELINE.labels) + 4, 12, x1 - x0 - 6);
        }
      }
    });
    context.fillStyle = ink.muted;
    const { step, list } = ticks();
    for (const tick of list) {
      const x = xOf(tick), label = tickLabel(tick, step);
      context.fillRect(x, 24, 1, 5);
      if (x + 3 + context.measureText(label).width <= width - TIMELINE.right) {
        context.fillText(label, x + 3, 33);
      }
    }
  }

  // A tick's time with as many decimals as its step needs: 1.4502 ms when zoomed in.
  function tickLabel(at, step) {
    if (at === 0) return "0";
    const [size, unit] = [[1e9, "s"], [1e6, "ms"], [1e3, "µs"], [1, "ns"]]
      .find(([size]) => at >= size) || [1, "ns"];
    const decimals = Math.max(0, Math.min(9, Math.ceil(Math.log10(size / step) - 1e-9)));
    return (at / size).toFixed(decimals) + " " + unit;
  }

  function cssColourOf(status) {
    return cssColour(status === "stopped" || status === "failed" ? "--state-failed"
      : "--status-interrupted");
  }

  // Round times about 100 px apart.
  function ticks() {
    const span = view.to - view.from;
    const raw = span / Math.max(1, plotWidth() / 110);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
    const list = [];
    for (let k = Math.ceil(view.from / step); k * step <= view.to; ++k) list.push(k * step);
    return { step, list };
  }

  function drawBarriers(context) {
    context.strokeStyle = ink.barrier;
    context.globalAlpha = 0.55;
    context.setLineDash([3, 3]);
    context.beginPath();
    for (const stage of data.stages) {
      for (const span of stage.spans) {
        const x = Math.round(xOf(span[2])) + 0.5;
        context.moveTo(x, 4);
        context.lineTo(x, height);
      }
    }
    context.stroke();
    context.setLineDash([]);
    context.globalAlpha = 1;
  }

  // Per column: pale where attempts started, and how busy the row was, stacked by state, as a
  // share of the row's height (short jobs leave it pale: their run times are a sliver of it).
  function drawColumns(context, line) {
    const row = line.row, full = TIMELINE.row - 3;
    const first = Math.max(0, Math.floor(view.from / t.column_ns));
    const last = Math.min(t.columns - 1, Math.floor(view.to / t.column_ns));
    for (let c = first; c <= last; ++c) {
      const x0 = xOf(c * t.column_ns), x1 = xOf((c + 1) * t.column_ns);
      const span = Math.min(t.column_ns, length - c * t.column_ns);
      let top = line.y + TIMELINE.row - 1;
      if (row.attempts[c]) {
        context.globalAlpha = 0.25;
        context.fillStyle = colours[0];
        context.fillRect(x0, top - full, Math.max(1, x1 - x0), full);
        context.globalAlpha = 1;
      }
      row.busy.forEach((column, state) => {
        if (!column.length || !column[c]) return;
        const h = Math.min(full, full * column[c] / span);
        top -= h;
        context.fillStyle = colours[state];
        context.fillRect(x0, top, Math.max(1, x1 - x0), h);
      });
    }
  }

  // Bars sorted by start; a run of narrow neighbours of one state closer than a pixel is one
  // rectangle. A bar wide enough to tell apart ends a pixel early, so that neighbours show.
  function drawBars(context, line, minimum) {
    const bars = line.row.bars, starts = bars.start, n = starts.length;
    if (!n) return;
    const top = line.y + 2, h = TIMELINE.row - 4;
    let i = Math.max(0, firstStartingAfter(starts, view.from) - 1);
    while (i > 0 && starts[i - 1] + bars.dur[i - 1] > view.from) --i;  // overlapping ones
    let runState = -1, runFrom = 0, runTo = 0;
    const flush = () => {
      if (runState < 0) return;
      context.fillStyle = colours[runState];
      context.fillRect(runFrom, top, runTo - runFrom, h);
    };
    for (; i < n && starts[i] <= view.to; ++i) {
      const x0 = xOf(starts[i]);
      const x1 = Math.max(x0 + minimum, xOf(starts[i] + bars.dur[i]));
      const state = bars.state[i];
      const wide = x1 - x0 >= 4;
      if (!wide && state === runState && x0 <= runTo + 0.5) {
        runTo = Math.max(runTo, x1);
        continue;
      }
      flush();
      runState = state;
      runFrom = x0;
      runTo = wide ? x1 - 1 : x1;
    }
    flush();
  }

  // The first position whose start is at or after `at` (binary search).
  function firstStartingAfter(starts, at) {
    let low = 0, high = starts.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (starts[middle] < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  // The bar under a point of a row, the nearest within a few pixels; -1 if none.
  function barAt(line, x) {
    const bars = line.row.bars, starts = bars.start;
    const nsPerPixel = (view.to - view.from) / plotWidth();
    const at = timeAt(x), slack = TIMELINE.tolerance * nsPerPixel;
    let best = -1, bestDistance = Infinity;
    const last = firstStartingAfter(starts, at + slack + 1);
    for (let i = last - 1; i >= 0 && i >= last - 8; --i) {
      const end = starts[i] + Math.max(bars.dur[i], nsPerPixel);
      const distance = at < starts[i] ? starts[i] - at : at > end ? at - end : 0;
      if (distance <= slack && distance < bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }

  function lineAt(y) {
    return layout.find((line) => y >= line.y && y < line.y + TIMELINE.row);
  }

  function describeBar(line, i) {
    const bars = line.row.bars;
    const state = data.states[bars.state[i]];
    const parts = [
      el("div", { class: "id mono" },
        instanceId(data, bars.job[i], bars.iteration[i], bars.index[i])),
      el("div", {}, "attempt " + bars.attempt[i] + " · " + state.replace("_", " ") + " · ran " +
        duration(bars.dur[i]) + " from " + duration(bars.start[i])),
      el("div", { class: "muted" }, placeName(data, line.row) + ", " + line.label),
    ];
    if (bars.message[i] >= 0) parts.push(el("div", { class: "failure-message" },
      data.messages[bars.message[i]]));
    const params = bars.params[i] >= 0 ? data.params[bars.params[i]] : null;
    if (params && params !== "{}") {
      parts.push(el("pre", {}, JSON.stringify(JSON.parse(params), null, 1)));
    } else if (params === null) {
      parts.push(el("div", { class: "muted" }, "params: not kept"));
    }
    return parts;
  }

  function describeColumn(line, c) {
    const row = line.row;
    const span = Math.min(t.column_ns, length - c * t.column_ns);
    const busy = row.busy.map((column) => (column.length ? column[c] : 0));
    const total = busy.reduce((sum, ns) => sum + ns, 0);
    return [
      el("div", { class: "id" }, placeName(data, row) + ", " + line.label),
      el("div", {}, duration(c * t.column_ns) + " to " + duration(c * t.column_ns + span) + ": " +
        plural(row.attempts[c] || 0, "attempt") + " started, busy " + percent(total / span)),
      el("div", { class: "muted" }, busy.map((ns, s) => (ns ? percent(ns / span) + " " +
        data.states[s].replace("_", " ") : "")).filter(Boolean).join(", ")),
    ];
  }

  function hover(event) {
    const box = canvas.getBoundingClientRect();
    const x = event.clientX - box.left, y = event.clientY - box.top;
    const line = x >= TIMELINE.labels ? lineAt(y) : undefined;
    let parts = null;
    if (line) {
      const i = barAt(line, x);
      if (i >= 0) parts = describeBar(line, i);
      else if (t.aggregated) {
        const c = Math.floor(timeAt(x) / t.column_ns);
        if (c >= 0 && c < t.columns) parts = describeColumn(line, c);
      }
    }
    if (!parts) {
      tooltip.hidden = true;
      return;
    }
    tooltip.replaceChildren(...parts);
    tooltip.hidden = false;
    const room = window.innerWidth - tooltip.offsetWidth - 8;
    tooltip.style.left = Math.max(4, Math.min(event.clientX + 14, room)) + "px";
    const below = event.clientY + 16;
    tooltip.style.top = (below + tooltip.offsetHeight > window.innerHeight
      ? Math.max(4, event.clientY - tooltip.offsetHeight - 10) : below) + "px";
  }

  function redraw() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  // Shows [from, from + span] within the run: at least a microsecond (around the same middle)
  // and at most the whole run.
  function show(from, span) {
    const shown = Math.min(length, Math.max(1000, span));
    from -= (shown - span) / 2;
    span = shown;
    view.from = Math.max(0, Math.min(length - span, from));
    view.to = view.from + span;
    redraw();
  }

  // Zooms by `factor` keeping the time `at` where it is on the screen.
  function zoom(at, factor) {
    const span = view.to - view.from;
    const scaled = Math.min(length, Math.max(1000, span * factor));
    show(at - (at - view.from) * scaled / span, scaled);
  }

  function resize() {
    width = Math.max(320, container.clientWidth);
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    draw();
  }

  canvas.addEventListener("mousemove", (event) => {
    if (drag) {
      drag.to = Math.max(TIMELINE.labels, event.clientX - canvas.getBoundingClientRect().left);
      redraw();
      const context = canvas.getContext("2d");
      requestAnimationFrame(() => {  // the stretch being chosen, over the drawing
        if (!drag) return;
        context.fillStyle = "rgba(47, 111, 219, 0.18)";
        context.fillRect(Math.min(drag.from, drag.to), TIMELINE.axis, Math.abs(drag.to - drag.from),
          height - TIMELINE.axis);
      });
    }
    hover(event);
  });
  canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });
  // Drag across a stretch to zoom into it; Ctrl+wheel (or a pinch) zooms around the pointer,
  // a sideways wheel pans; double-click shows the whole run.
  canvas.addEventListener("mousedown", (event) => {
    const x = Math.max(TIMELINE.labels, event.clientX - canvas.getBoundingClientRect().left);
    drag = { from: x, to: x };  // from the labels: from the plot's left edge
  });
  window.addEventListener("mouseup", () => {
    if (!drag) return;
    const [a, b] = [drag.from, drag.to].sort((p, q) => p - q);
    drag = null;
    if (b - a >= 4) show(timeAt(a), timeAt(b) - timeAt(a));
    else redraw();
  });
  canvas.addEventListener("dblclick", () => show(0, length));
  canvas.addEventListener("wheel", (event) => {
    const span = view.to - view.from;
    if (event.ctrlKey) {
      event.preventDefault();
      zoom(timeAt(event.clientX - canvas.getBoundingClientRect().left),
        Math.exp(event.deltaY * 0.002));
    } else if (Math.abs(event.deltaX) > Math.abs(event.deltaY)) {
      event.preventDefault();
      show(view.from + event.deltaX / plotWidth() * span, span);
    } else {
      return;
    }
    hover(event);  // what is under the pointer now
  }, { passive: false });
  window.addEventListener("resize", resize);

  // Where a time of a row is on the screen: for tests that point at a bar or a column.
  container.pointAt = (r, ns) => {
    const box = canvas.getBoundingClientRect();
    return { x: box.left + xOf(ns), y: box.top + layout[r].y + TIMELINE.row / 2 };
  };
  resize();
}
