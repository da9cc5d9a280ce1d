// charts.js: the page's two small charts, as SVG: a histogram of durations and a value over the
// run's time. Each is one function; the page needs no more than these.

// Durations as bars on a logarithmic axis: `buckets` are [from_ns, to_ns, count], four per
// doubling (DurationHistogram's), only those with a count. Empty buckets between them are drawn
// as gaps, so that the bars' places read as times.
function histogramChart(buckets, { width, height }) {
  const bottom = 16;
  const chart = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height,
    class: "histogram", role: "img" });
  if (!buckets.length) return chart;
  // At least two doublings across, so that a single bar stays a bar.
  const first = Math.log2(Math.max(1, buckets[0][0]));
  const last = Math.log2(Math.max(2, buckets[buckets.length - 1][1]));
  const pad = Math.max(0, 2 - (last - first)) / 2;
  const low = Math.max(0, first - pad), high = last + pad, span = high - low;
  const x = (ns) => (Math.log2(Math.max(1, ns)) - low) / span * width;
  const most = Math.max(...buckets.map((b) => b[2]));
  const total = buckets.reduce((sum, b) => sum + b[2], 0);
  for (const [from, to, n] of buckets) {
    const h = Math.max(1, (height - bottom - 2) * n / most);
    const left = x(from);
    chart.append(svg("rect", {
      x: left.toFixed(1), y: (height - bottom - h).toFixed(1),
      width: Math.max(1, x(to) - left - 1).toFixed(1), height: h.toFixed(1),
    }, svg("title", {}, count(n) + " of " + count(total) + " took " + duration(from) + " to " +
      duration(to))));
  }
  const from = buckets[0][0], to = buckets[buckets.length - 1][1];
  chart.append(svg("line", { class: "axis", x1: 0, x2: width, y1: height - bottom + 0.5,
    y2: height - bottom + 0.5 }));
  if (x(to) - x(from) < 110) {  // too close for two labels: one under the bars
    chart.append(svg("text", { x: (x(from) + x(to)) / 2, y: height - 3, "text-anchor": "middle" },
      duration(from) + " – " + duration(to)));
  } else {
    chart.append(svg("text", { x: x(from), y: height - 3 }, duration(from)),
      svg("text", { x: x(to), y: height - 3, "text-anchor": "end" }, duration(to)));
  }
  return chart;
}

// A value from 0 to 1 per column of the run's time (`column_ns` each, the run `length_ns` long),
// as an area, with dashed lines at `markers` ({at: ns, label}).
function timeChart(values, columnNs, lengthNs, { width, height, markers }) {
  const bottom = 16, top = 4, left = 34;
  const plotWidth = width - left, plotHeight = height - bottom - top;
  const chart = svg("svg", { width, height, viewBox: "0 0 " + width + " " + height,
    role: "img" });
  const length = Math.max(1, lengthNs);
  const x = (ns) => left + Math.min(1, ns / length) * plotWidth;
  const y = (value) => top + (1 - value) * plotHeight;
  let line = "";
  values.forEach((value, c) => {
    // A step per column: flat across the time it covers.
    line += (c === 0 ? "M" : "L") + x(c * columnNs).toFixed(1) + "," + y(value).toFixed(1) +
      "L" + x((c + 1) * columnNs).toFixed(1) + "," + y(value).toFixed(1);
  });
  if (values.length) {
    const end = x(values.length * columnNs).toFixed(1);
    chart.append(svg("path", { class: "area",
      d: line + "L" + end + "," + y(0) + "L" + left + "," + y(0) + "Z" }),
    svg("path", { class: "line", d: line }));
  }
  for (const marker of markers || []) {
    const at = x(marker.at).toFixed(1);
    chart.append(svg("line", { class: "barrier", x1: at, x2: at, y1: top, y2: top + plotHeight },
      svg("title", {}, "barrier: " + marker.label + " at " + duration(marker.at))));
  }
  chart.append(
    svg("line", { class: "axis", x1: left, x2: width, y1: y(0) + 0.5, y2: y(0) + 0.5 }),
    svg("text", { x: left - 4, y: y(1) + 8, "text-anchor": "end" }, "100%"),
    svg("text", { x: left - 4, y: y(0), "text-anchor": "end" }, "0%"),
    svg("text", { x: left, y: height - 3 }, "0"),
    svg("text", { x: width, y: height - 3, "text-anchor": "end" }, duration(lengthNs)));
  return chart;
}
