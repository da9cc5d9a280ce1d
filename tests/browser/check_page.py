#!/usr/bin/env python3
"""The page of `lockstep run --html`, opened in a real browser: one ctest test per case.

  check_page.py list                        the cases' names
  check_page.py run NAME --lockstep BIN --out DIR [--screenshot PNG]
  check_page.py screenshot PAGE PNG         the top of a page as docs/report.md shows it
  check_page.py quoted DOC                  each ```yaml block of DOC after a mention of
                                            tests/browser/pipelines/NAME.yaml is a verbatim run
                                            of lines of that file

`run` runs the case's pipeline with --html, --report and --run-dir into DIR/NAME, opens the page in
a headless chromium (found on PATH; exit 77, which ctest counts as skipped, when there is none)
and checks that:
  - the page loaded no other file and logged no error;
  - it was built (data-rendered-ms, from performance.now() at the end of its script) within the
    case's time: 3 s for every case, the 100,000 instance one included;
  - its numbers are the run's: the header's instances by state, each stage's, the failures listed,
    the timeline's attempts, bars and rows, the bulkheads' rejections, all read from data-*
    attributes of the DOM, equal the JSON report of the same run and the case's expectations;
  - hovering a bar of the timeline shows its instance's id and parameters;
and writes a screenshot of the whole page to --screenshot (or DIR/NAME.png).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cdp  # noqa: E402  (after the setting above)
import quoted_pipelines  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINES = os.path.join(HERE, "pipelines")
SKIP = 77  # ctest's SKIP_RETURN_CODE for these tests
READY_WITHIN_MS = 3000

STATES = ("succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped")

# name: the pipeline, its arguments beyond --html/--report/--run-dir ({dir} is the case's
# directory), its exit status, and what its page must show beyond what the report says.
CASES = {
    "succeeded": {
        "pipeline": "succeeded.yaml", "args": [], "exit": 0,
        "expect": {"status": "succeeded", "instances": 27, "attempts": 27, "bars": 27,
                   "aggregated": "false", "rows": 4, "failures": 0, "stages": 3,
                   "totals": {"succeeded": 27}},
    },
    "failures": {
        "pipeline": "nightly.yaml", "args": ["--set", "vars.work={dir}/work"], "exit": 1,
        "expect": {"status": "failed", "instances": 13, "attempts": 15, "bars": 15,
                   "aggregated": "false", "stages": 2,
                   "totals": {"succeeded": 10, "failed": 1, "timed_out": 1, "rejected": 1},
                   "failed_ids": ["build/lint", "build/hang", "upload/push[1]"],
                   "log_tail": {"build/lint": "2 warnings treated as errors"},
                   "rejected": {"net": 1}},
    },
    # The same run's page written again from its journal by `lockstep report RUN_DIR --html`:
    # its bars are the journal's (a bar per run of successes on a worker), the rest the same.
    "failures_rebuilt": {
        "pipeline": "nightly.yaml", "args": ["--set", "vars.work={dir}/work"], "exit": 1,
        "rebuild": True,
        "expect": {"status": "failed", "instances": 13, "stages": 2,
                   "totals": {"succeeded": 10, "failed": 1, "timed_out": 1, "rejected": 1},
                   "failed_ids": ["build/lint", "build/hang", "upload/push[1]"],
                   "log_tail": {"build/lint": "2 warnings treated as errors"}},
    },
    "hundred_thousand": {
        "pipeline": "hundred-thousand.yaml", "args": [], "exit": 0,
        "expect": {"status": "succeeded", "instances": 100000, "attempts": 100000,
                   "bars": 100000, "aggregated": "false", "failures": 0, "stages": 1,
                   "totals": {"succeeded": 100000}},
    },
    "million": {
        "pipeline": "million.yaml", "args": [], "exit": 0,
        "expect": {"status": "succeeded", "instances": 1000000, "attempts": 1000000,
                   "bars": 0, "aggregated": "true", "failures": 0, "stages": 1,
                   "totals": {"succeeded": 1000000}},
    },
}


def run_lockstep(lockstep, case, directory):
    page, report = os.path.join(directory, "page.html"), os.path.join(directory, "report.json")
    args = [a.replace("{dir}", directory) for a in case["args"]]
    command = [lockstep, "run", os.path.join(PIPELINES, case["pipeline"]), *args, "--html", page,
               "--report", report, "--run-dir", os.path.join(directory, "run"),
               "--progress=never"]
    print("$", " ".join(command))
    started = time.monotonic()
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=600)
    print(f"ran in {time.monotonic() - started:.2f} s, exit {done.returncode}; the page is "
          f"{os.path.getsize(page) if os.path.exists(page) else 0:,} bytes")
    problems = []
    if done.returncode != case["exit"]:
        problems.append(f"lockstep exited {done.returncode}, expected {case['exit']}")
    if not done.stderr.endswith(f"page: {page}\n"):
        problems.append(f"stderr does not end with 'page: {page}'")
    if problems:
        print(done.stderr[-3000:])
    return page, report, problems


def rebuild(lockstep, directory):
    """The page and report of the run in DIRECTORY written again from its journal."""
    page = os.path.join(directory, "rebuilt.html")
    report = os.path.join(directory, "rebuilt.json")
    command = [lockstep, "report", os.path.join(directory, "run"), "--html", page, "--json",
               report]
    print("$", " ".join(command))
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(done.stderr[-3000:])
        return page, report, [f"lockstep report exited {done.returncode}, expected 0"]
    return page, report, []


def page_data(page):
    """The JSON that the page's scripts read, as the file holds it."""
    with open(page, encoding="utf-8") as file:
        html = file.read()
    found = re.search(r'<script id="run-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def expected_id(data, row, bar):
    bars = data["timeline"]["rows"][row]["bars"]
    job = data["jobs"][bars["job"][bar]]
    stage = data["stages"][job["stage"]]
    return (stage["name"] + (f"@{bars['iteration'][bar]}" if stage["repeats"] else "") + "/" +
            job["id"] + (f"[{bars['index'][bar]}]" if job["fans_out"] else ""))


# What the page shows, read from its DOM in one evaluation.
READ_DOM = """(() => {
  const data = (node) => node ? Object.assign({}, node.dataset) : null;
  const all = (selector) => Array.from(document.querySelectorAll(selector));
  return {
    rendered_ms: document.documentElement.dataset.renderedMs,
    resources: performance.getEntriesByType("resource").map((r) => r.name),
    summary: data(document.getElementById("summary")),
    timeline: data(document.getElementById("timeline")),
    stages: all("#stage-table tbody tr").map(data),
    failures: data(document.getElementById("failures-body")),
    failure_rows: all("#failure-table tbody tr").map((tr) => ({
      id: tr.dataset.id, state: tr.dataset.state,
      log: tr.querySelector("details.log pre") ? tr.querySelector("details.log pre").textContent
                                                : ""})),
    bulkheads: all("#bulkheads-body .card").map(data),
    graph_stages: document.querySelector("#graph-body svg")
                  ? document.querySelector("#graph-body svg").dataset.stages : null,
  };
})()"""


def check_dom(dom, report, expect):
    if dom["rendered_ms"] is None:
        yield "the page's script did not finish (no data-rendered-ms)"
    elif float(dom["rendered_ms"]) > READY_WITHIN_MS:
        yield f"the page was ready after {dom['rendered_ms']} ms, not within {READY_WITHIN_MS}"
    if dom["resources"]:
        yield f"the page loaded other files: {dom['resources']}"
    summary = dom["summary"]
    if summary["status"] != expect["status"] or summary["status"] != report["status"]:
        yield (f"status {summary['status']}, expected {expect['status']} "
               f"(report: {report['status']})")
    if int(summary["instances"]) != expect["instances"] or \
            int(summary["instances"]) != report["instances"]:
        yield f"{summary['instances']} instances, expected {expect['instances']}"
    for state in STATES:
        shown = int(summary[state])
        wanted = expect["totals"].get(state, 0)
        if shown != wanted or shown != report["totals"][state]:
            yield f"{shown} {state} in the header, expected {wanted} (report: " \
                  f"{report['totals'][state]})"
    timeline = dom["timeline"]
    for key in ("attempts", "bars", "aggregated"):
        if key in expect and str(timeline[key]) != str(expect[key]):
            yield f"timeline {key} = {timeline[key]}, expected {expect[key]}"
    if "rows" in expect and int(timeline["rows"]) != expect["rows"]:
        yield f"timeline rows = {timeline['rows']}, expected {expect['rows']}"
    if len(dom["stages"]) != len(report["stages"]) or len(dom["stages"]) != expect["stages"]:
        yield f"{len(dom['stages'])} stages in the table, expected {expect['stages']}"
    for shown, reported in zip(dom["stages"], report["stages"]):
        if shown["stage"] != reported["name"] or int(shown["instances"]) != reported["instances"]:
            yield f"stage row {shown} differs from the report's {reported['name']} " \
                  f"({reported['instances']} instances)"
        for state in STATES:
            if int(shown[state]) != reported["counts"][state]:
                yield f"stage {shown['stage']}: {shown[state]} {state}, the report says " \
                      f"{reported['counts'][state]}"
    if dom["graph_stages"] is None or int(dom["graph_stages"]) != expect["stages"]:
        yield f"the stage graph has {dom['graph_stages']} stages, expected {expect['stages']}"
    reported_failures = [f["id"] for s in report["stages"] for f in s["failures"]]
    listed = [row["id"] for row in dom["failure_rows"]]
    if listed != reported_failures:
        yield f"failures listed {listed}, the report lists {reported_failures}"
    if "failed_ids" in expect and sorted(listed) != sorted(expect["failed_ids"]):
        yield f"failures listed {listed}, expected {expect['failed_ids']}"
    if "failures" in expect and int(dom["failures"]["failures"]) != expect["failures"]:
        yield f"{dom['failures']['failures']} failures, expected {expect['failures']}"
    for instance, text in expect.get("log_tail", {}).items():
        logs = [row["log"] for row in dom["failure_rows"] if row["id"] == instance]
        if not logs or text not in logs[0]:
            yield f"the failure {instance} does not show {text!r} from its log: {logs}"
    for name, rejected in expect.get("rejected", {}).items():
        cards = [card for card in dom["bulkheads"] if card["bulkhead"] == name]
        if not cards or int(cards[0]["rejected"]) != rejected:
            yield f"bulkhead {name}: {cards}, expected {rejected} rejected"


def check_hover(page, data):
    """Pointing at the timeline tells what is there. Zoomed in on the first bar of the first row
    with bars (dragging across it), hovering it shows its instance's id and its parameters; on an
    aggregated timeline without bars, the middle of the first row tells how many attempts
    started there and how busy the worker was."""
    timeline = data["timeline"]
    rows = timeline["rows"]
    row = next((r for r, row in enumerate(rows) if row["bars"]["start"]), None)
    if row is None:
        point = page.evaluate(f"document.getElementById('timeline-view')"
                              f".pointAt(0, {timeline['length_ns'] / 2})")
        shown = hover(page, point)
        if shown is None or "attempts started" not in shown or "busy" not in shown:
            yield f"hovering the middle of the first row shows {shown!r}, not what ran there"
        return
    bars = rows[row]["bars"]
    middle = bars["start"][0] + bars["dur"][0] / 2
    where = f"document.getElementById('timeline-view').pointAt({row}, {middle})"
    page.evaluate(f"window.scrollTo(0, {page.evaluate(where)['y']} - 200)")
    # As far in as it goes (a microsecond across): each drag 40 px across the bar shows those
    # 40 px across the page's width, with the bar near the middle.
    for _ in range(6):
        point = page.evaluate(where)
        page.drag(round(point["x"]) - 20, round(point["x"]) + 20, round(point["y"]))
    shown = hover(page, page.evaluate(where))
    wanted = expected_id(data, row, 0)
    if shown is None or wanted not in shown:
        yield f"hovering the first bar of row {row} shows {shown!r}, not its id {wanted}"
        return
    params = bars["params"][0]
    for value in json.loads(data["params"][params]).values() if params >= 0 else []:
        if str(value) not in shown:
            yield f"the tooltip of {wanted} does not show its parameter value {value!r}"


def hover(page, point):
    """The tooltip's text once the pointer is at `point`; None when none shows."""
    page.mouse_move(0, 0)  # away first: a pointer that does not move makes no event
    page.mouse_move(point["x"], point["y"])
    shown = page.evaluate("(() => { const t = document.getElementById('tooltip');"
                          " return t.hidden ? null : t.textContent; })()")
    print(f"hovering ({point['x']:.0f}, {point['y']:.0f}): {shown!r}")
    return shown


def run_case(name, lockstep, out, screenshot):
    case = CASES[name]
    expect = case["expect"]
    chromium = cdp.find_chromium()
    if chromium is None:
        print("no chromium on PATH (tools/install-deps installs it): skipped")
        return SKIP
    directory = os.path.join(out, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    page_file, report_file, problems = run_lockstep(lockstep, case, directory)
    if case.get("rebuild") and not problems:
        page_file, report_file, problems = rebuild(lockstep, directory)
    if not problems:
        with open(report_file, encoding="utf-8") as file:
            report = json.load(file)
        data = page_data(page_file)
        if data is None:
            problems.append("the page holds no run-data script")
        else:
            with cdp.Browser.start(chromium) as browser:
                page = browser.open("file://" + page_file, width=1280, height=900)
                dom = page.evaluate(READ_DOM)
                print(f"ready after {dom['rendered_ms']} ms; header {dom['summary']}; "
                      f"timeline {dom['timeline']}")
                problems += list(check_dom(dom, report, expect))
                page.screenshot(screenshot or os.path.join(out, name + ".png"))
                problems += list(check_hover(page, data))
                problems += page.console_errors
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


def quoted(doc):
    """Problems with the pipelines DOC quotes (tests/support/quoted_pipelines.py)."""
    return quoted_pipelines.problems(os.path.join(HERE, "..", "..", doc), doc,
                                     "tests/browser/pipelines", PIPELINES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    run = commands.add_parser("run")
    run.add_argument("name", choices=sorted(CASES))
    run.add_argument("--lockstep", required=True)
    run.add_argument("--out", required=True)
    run.add_argument("--screenshot")
    quote = commands.add_parser("quoted")
    quote.add_argument("doc")
    shot = commands.add_parser("screenshot")
    shot.add_argument("page")
    shot.add_argument("png")
    options = parser.parse_args()
    if options.command == "list":
        print("\n".join(CASES))
        return 0
    if options.command == "quoted":
        problems = list(quoted(options.doc))
        print("\n".join(problems) or f"{options.doc} quotes its pipelines verbatim")
        return 1 if problems else 0
    if options.command == "screenshot":
        with cdp.Browser.start(cdp.find_chromium()) as browser:
            page = browser.open("file://" + os.path.abspath(options.page), width=1100, height=780)
            page.screenshot(options.png, full_page=False)
        return 0
    return run_case(options.name, options.lockstep, os.path.abspath(options.out),
                    options.screenshot)


if __name__ == "__main__":
    sys.exit(main())
