#!/usr/bin/env python3
"""check.py LOCKSTEP WORKDIR SCENARIO — `lockstep report RUN_DIR` writes a run's report, trace
and page again from its journal:
  compare  a run with failures, retries, a timeout and rejections (tests/fixtures/pipelines/cli/
           report.yaml), rebuilt: the same statuses, counts, failures (ids, states, attempts,
           messages) as the run's own --report, and a trace with an attempt per failed attempt
  kill9    tests/cli/rebuild/killed.yaml killed with SIGKILL mid-stage: the rebuilt report is
           valid JSON, the stage that ended as it ended, the instances in flight `interrupted`,
           the stage that never started `not_run`, every stage's counts summing to its instances
           and the totals to the run's
  errors   a directory without a journal, a torn journal (the files are written and say so),
           an unwritable output, no output: each a message on stderr and exit 2
"""
import json
import pathlib
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures" / "pipelines" / "cli"
lockstep, work, scenario = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
problems = []
STATES = ("succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped")


def report(run_dir, *outputs):
    return subprocess.run([lockstep, "report", str(run_dir), *map(str, outputs)],
                          capture_output=True, text=True, timeout=60)


def sums_up(rebuilt):
    for stage in rebuilt["stages"]:
        if sum(stage["counts"].values()) != stage["instances"]:
            problems.append(f"stage {stage['name']}: counts {stage['counts']} do not sum to "
                            f"{stage['instances']}")
    if sum(rebuilt["totals"].values()) != rebuilt["instances"] or \
            rebuilt["instances"] != sum(s["instances"] for s in rebuilt["stages"]):
        problems.append(f"totals {rebuilt['totals']} do not sum to {rebuilt['instances']}")


def compare():
    run_dir = work / "run"
    subprocess.run([lockstep, "run", str(FIXTURES / "report.yaml"), "--run-dir", str(run_dir),
                    "--report", str(work / "live.json")], capture_output=True, timeout=60)
    done = report(run_dir, "--json", work / "rebuilt.json", "--trace", work / "trace.json")
    if done.returncode != 0:
        problems.append(f"lockstep report: exit {done.returncode}, {done.stderr!r}")
        return
    live = json.loads((work / "live.json").read_text())
    rebuilt = json.loads((work / "rebuilt.json").read_text())
    for key in ("status", "exit_code", "instances", "schema_version"):
        if live[key] != rebuilt[key]:
            problems.append(f"{key}: live {live[key]!r}, rebuilt {rebuilt[key]!r}")
    if rebuilt["totals"] != {**live["totals"], "interrupted": 0}:
        problems.append(f"totals: live {live['totals']}, rebuilt {rebuilt['totals']}")
    missing = set(live) - set(rebuilt)
    if missing:
        problems.append(f"the rebuilt report lacks {missing}")
    if rebuilt["rebuilt"]["finished"] is not True or rebuilt["rebuilt"]["torn"] is not False:
        problems.append(f"rebuilt: {rebuilt['rebuilt']}")
    failure = lambda f: (f["id"], f["state"], f["attempts"], f["messages"])  # noqa: E731
    for a, b in zip(live["stages"], rebuilt["stages"], strict=True):
        for key in ("name", "status", "iterations", "instances", "failures_not_listed"):
            if a[key] != b[key]:
                problems.append(f"stage {a['name']} {key}: live {a[key]!r}, rebuilt {b[key]!r}")
        if {**a["counts"], "interrupted": 0} != b["counts"]:
            problems.append(f"stage {a['name']} counts: live {a['counts']}, rebuilt {b['counts']}")
        if list(map(failure, a["failures"])) != list(map(failure, b["failures"])):
            problems.append(f"stage {a['name']} failures: live {a['failures']}, "
                            f"rebuilt {b['failures']}")
        if [d["count"] for d in a["durations"]] != [d["count"] for d in b["durations"]]:
            problems.append(f"stage {a['name']} durations: live {a['durations']}, "
                            f"rebuilt {b['durations']}")
    sums_up(rebuilt)
    # Each failed attempt is a slice of its own: boom[0] and boom[1] twice, hang once.
    trace = json.loads((work / "trace.json").read_text())
    failed = sorted(e["name"] for e in trace["traceEvents"]
                    if e.get("cat") == "attempt" and e["args"]["state"] != "succeeded")
    if failed != ["mixed/boom[0]", "mixed/boom[0]", "mixed/boom[1]", "mixed/boom[1]",
                  "mixed/hang"]:
        problems.append(f"the trace's failed attempts: {failed}")


def kill9():
    run_dir = work / "run"
    process = subprocess.Popen([lockstep, "run", str(HERE / "killed.yaml"), "--set",
                                f"vars.work={work}", "--run-dir", str(run_dir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Killed once two instances of `slow` run and the journal holds the two that ended.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        journal = (run_dir / "journal").read_text() if (run_dir / "journal").exists() else ""
        ok = [line for line in journal.splitlines() if '"job":"wait"' in line and '"t":"ok"' in line]
        ended = sum(json.loads(line.split(" ", 2)[2])["to"] - json.loads(line.split(" ", 2)[2])["from"]
                    for line in ok)
        if len(list(work.glob("started.*"))) == 2 and ended == 2:
            break
        time.sleep(0.02)
    else:
        problems.append("the slow stage did not get going in 30 s")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    done = report(run_dir, "--json", work / "rebuilt.json", "--trace", work / "trace.json",
                  "--html", work / "page.html")
    try:
        rebuilt = json.loads((work / "rebuilt.json").read_text())
        json.loads((work / "trace.json").read_text())
    except (OSError, ValueError) as error:
        problems.append(f"no valid report or trace: {error}; {done.stderr!r}")
        return
    torn = rebuilt["rebuilt"]["torn"]
    if done.returncode != (2 if torn else 0) or "did not finish" not in done.stderr:
        problems.append(f"lockstep report: exit {done.returncode} (torn: {torn}), {done.stderr!r}")
    got = {s["name"]: (s["status"], s["instances"], {k: v for k, v in s["counts"].items() if v})
           for s in rebuilt["stages"]}
    want = {"quick": ("succeeded", 20, {"succeeded": 20}),
            "slow": ("interrupted", 6, {"succeeded": 2, "interrupted": 4}),
            "after": ("not_run", 0, {})}
    if got != want:
        problems.append(f"stages {got}, expected {want}")
    if rebuilt["status"] != "interrupted" or rebuilt["exit_code"] is not None or \
            rebuilt["rebuilt"]["finished"] is not False:
        problems.append(f"status {rebuilt['status']}, exit_code {rebuilt['exit_code']}, "
                        f"rebuilt {rebuilt['rebuilt']}")
    sums_up(rebuilt)


def errors():
    empty = work / "empty"
    empty.mkdir()
    done = report(empty, "--json", work / "r.json")
    if done.returncode != 2 or "no journal" not in done.stderr:
        problems.append(f"no journal: exit {done.returncode}, {done.stderr!r}")
    done = report(empty)
    if done.returncode != 2 or "nothing to write" not in done.stderr:
        problems.append(f"no output: exit {done.returncode}, {done.stderr!r}")
    run_dir = work / "run"
    subprocess.run([lockstep, "run", str(FIXTURES / "tiny.yaml"), "--run-dir", str(run_dir)],
                   capture_output=True, timeout=60)
    done = report(run_dir, "--json", work / "no" / "such" / "dir" / "r.json")
    if done.returncode != 2 or "--json: cannot write" not in done.stderr:
        problems.append(f"unwritable output: exit {done.returncode}, {done.stderr!r}")
    done = report(run_dir, "--json", run_dir / "journal")
    if done.returncode != 2 or "journal itself" not in done.stderr:
        problems.append(f"the journal as output: exit {done.returncode}, {done.stderr!r}")
    journal = run_dir / "journal"
    whole = journal.read_bytes()
    journal.write_bytes(whole[:-5])  # the last record cut short
    done = report(run_dir, "--json", work / "torn.json")
    torn = json.loads((work / "torn.json").read_text()) if (work / "torn.json").exists() else {}
    if done.returncode != 2 or "is torn" not in done.stderr or \
            torn.get("rebuilt", {}).get("torn") is not True:
        problems.append(f"torn journal: exit {done.returncode}, {done.stderr!r}, "
                        f"report {torn.get('rebuilt')}")


def main():
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    {"compare": compare, "kill9": kill9, "errors": errors}[scenario]()
    for problem in problems:
        print(f"check.py {scenario}: {problem}", file=sys.stderr)
    if not problems:
        print(f"check.py {scenario}: ok")
    return 1 if problems else 0


sys.exit(main())
