// graph.js: the stage graph as SVG, left to right: a box per stage (its name, kind and status,
// and a line per job: id, type, bulkhead), an arrow per barrier from a stage to each stage that
// waits for it. A stage's column is the length of the longest chain of stages before it, so that
// stages that could run side by side stand one above the other.

const GRAPH = { width: 250, header: 38, job: 17, gap: 56, rowGap: 18, pad: 10 };

// Light fills, one per bulkhead in the pipeline's order (as `lockstep graph` colours them).
const BULKHEAD_FILLS = ["#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc", "#d9d2e9", "#fce5cd",
  "#d0e0e3", "#ead1dc"];

function buildGraph(data, container) {
  // A stage may need one written after it: passes until no column grows (there is no cycle).
  const column = data.stages.map(() => 0);
  for (let grew = true; grew;) {
    grew = false;
    data.stages.forEach((stage, s) => {
      for (const need of stage.needs) {
        if (column[need] + 1 > column[s]) {
          column[s] = column[need] + 1;
          grew = true;
        }
      }
    });
  }
  const heights = data.stages.map((stage) =>
    GRAPH.header + stage.jobs.length * GRAPH.job + GRAPH.pad);
  const tops = [], columnHeight = [];
  data.stages.forEach((stage, s) => {
    tops[s] = columnHeight[column[s]] || 0;
    columnHeight[column[s]] = tops[s] + heights[s] + GRAPH.rowGap;
  });
  const width = (Math.max(0, ...column) + 1) * (GRAPH.width + GRAPH.gap) - GRAPH.gap + 2;
  const height = Math.max(0, ...columnHeight) + 2;
  const left = (s) => 1 + column[s] * (GRAPH.width + GRAPH.gap);

  const graph = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height,
    role: "img", "data-stages": data.stages.length },
  svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
  svg("path", { class: "arrow", d: "M0,0L10,5L0,10Z" }))));

  data.stages.forEach((stage, s) => {
    for (const need of stage.needs) {
      const x1 = left(need) + GRAPH.width, y1 = tops[need] + GRAPH.header / 2;
      const x2 = left(s), y2 = tops[s] + GRAPH.header / 2;
      const bend = (x2 - x1) / 2;
      graph.append(svg("path", { class: "edge", "marker-end": "url(#arrow)",
        d: "M" + x1 + "," + y1 + "C" + (x1 + bend) + "," + y1 + " " + (x2 - bend) + "," + y2 +
          " " + (x2 - 1) + "," + y2 },
      svg("title", {}, "barrier: " + stage.name + " starts when " + data.stages[need].name +
        " has ended")));
    }
  });

  data.stages.forEach((stage, s) => {
    const x = left(s), y = tops[s];
    const box = svg("g", { "data-stage": stage.name });
    box.append(
      svg("rect", { class: "stage-box", x, y, width: GRAPH.width, height: heights[s], rx: 6 }),
      svg("rect", { x, y, width: 5, height: heights[s], rx: 2,
        style: "fill:" + statusFill(stage.status) }),
      svg("text", { class: "stage-name", x: x + 14, y: y + 17 }, stage.name),
      svg("text", { x: x + 14, y: y + 31 }, stage.kind + " · " + stage.status.replace("_", " ") +
        (stage.iterations > 1 ? " · " + stage.iterations + " iterations" : "")));
    stage.jobs.forEach((j, k) => {
      const job = data.jobs[j];
      const top = y + GRAPH.header + k * GRAPH.job;
      box.append(
        svg("rect", { x: x + 14, y: top + 3, width: 10, height: 10, rx: 2,
          style: "fill:" + BULKHEAD_FILLS[job.bulkhead % BULKHEAD_FILLS.length] },
        svg("title", {}, "bulkhead " + data.bulkheads[job.bulkhead].name)),
        svg("text", { class: "job", x: x + 30, y: top + 12 },
          clip(job.id + (job.fans_out ? "[…]" : "") + " · " + job.type + " · " +
            data.bulkheads[job.bulkhead].name, 36)));
    });
    graph.append(box);
  });
  container.append(graph);
}

function statusFill(status) {
  return status === "succeeded" ? "var(--state-succeeded)"
    : status === "failed" || status === "stopped" ? "var(--state-failed)"
    : status === "skipped" ? "var(--state-skipped)" : "var(--status-interrupted)";
}

function clip(text, most) {
  return text.length > most ? text.slice(0, most - 1) + "…" : text;
}
