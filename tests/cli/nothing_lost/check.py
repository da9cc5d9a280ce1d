#!/usr/bin/env python3
"""check.py LOCKSTEP WORKDIR SCENARIO — nothing is lost when `lockstep run` is stopped, and no
process of the run outlives it. Each scenario starts tests/cli/nothing_lost/long.yaml (commands
that ignore SIGTERM, each with a child) with --report, --trace and --run-dir over files that
already exist, waits until every command runs, stops lockstep its way, and checks:
  sigint2  two SIGINTs: exit 130 within 1 s of the second; report and trace written
  sigterm  SIGTERM then SIGINT: the same
  sighup   SIGHUP then SIGINT: the same
  kill9    SIGKILL: the earlier report and trace are intact, byte for byte; `lockstep show`
           reads the journal and says the run did not finish
  pipe     stdout and stderr into a pipe whose reader has gone, then two SIGINTs: no SIGPIPE,
           the report is written
  show     (another pipeline) `lockstep show RUN_DIR --failures` of a finished run
  runs     (other pipelines) `lockstep runs --dir` lists three runs newest first, `--prune 1`
           keeps the newest
  planted  (another pipeline) run.log of the run dir is a symlink planted there: its target is
           never written, the lines go to stderr with a warning
and in every one that no process the commands started is alive afterwards (kill9 included),
nor any other process of the run (worker processes, with LOCKSTEP_ISOLATION=process), read from
/proc."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
lockstep, work, scenario = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
problems = []


def alive(pid):
    """A live process (a zombie is dead), read from /proc."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def marked(mark):
    """Live processes whose environment holds `mark`: the run's, worker processes included."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if mark in environment.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def planted():
    (work / "run").mkdir()
    (work / "target").write_text("mine\n")
    (work / "run" / "run.log").symlink_to(work / "target")
    pipeline = HERE.parents[1] / "fixtures" / "pipelines" / "cli" / "run_dir.yaml"
    done = subprocess.run([lockstep, "run", str(pipeline), "--run-dir", str(work / "run")],
                          capture_output=True, text=True, timeout=60)
    if (work / "target").read_text() != "mine\n":
        problems.append("the file a planted symlink points at was written")
    if "could not be written" not in done.stderr or "[talk/say[0]] info: out a" not in done.stderr:
        problems.append(f"no warning, or the lines were lost: {done.stderr!r}")
    for problem in problems:
        print(f"check.py planted: {problem}", file=sys.stderr)
    return 1 if problems else 0


def show():
    pipeline = HERE.parents[1] / "fixtures" / "pipelines" / "cli" / "fails.yaml"
    subprocess.run([lockstep, "run", str(pipeline), "--run-dir", str(work / "run")],
                   capture_output=True, timeout=60)
    shown = subprocess.run([lockstep, "show", str(work / "run"), "--failures"],
                           capture_output=True, text=True, timeout=60)
    expected = ["  first  stopped  1 failed", "total  1 failed, 4 skipped  (exit status 1)",
                "first/boom: failed after 1 attempt: boom on purpose"]
    lines = shown.stdout.splitlines()
    if shown.returncode != 0 or any(line not in lines for line in expected):
        problems.append(f"lockstep show: exit {shown.returncode}, stdout {shown.stdout!r}, "
                        f"stderr {shown.stderr!r}; expected the lines {expected}")
    for problem in problems:
        print(f"check.py show: {problem}", file=sys.stderr)
    return 1 if problems else 0


def runs():
    fixtures = HERE.parents[1] / "fixtures" / "pipelines" / "cli"
    for name in ("run_dir", "fails", "tiny"):  # in this order: tiny is the newest
        subprocess.run([lockstep, "run", str(fixtures / f"{name}.yaml"), "--run-dir",
                        str(work / "runs" / name)], capture_output=True, timeout=60)
    listed = subprocess.run([lockstep, "runs", "--dir", str(work / "runs"), "--json"],
                            capture_output=True, text=True, timeout=60)
    got = [(pathlib.Path(r["pipeline"]).stem, r["status"]) for r in json.loads(listed.stdout)]
    if got != [("tiny", "succeeded"), ("fails", "failed"), ("run_dir", "succeeded")]:
        problems.append(f"lockstep runs --json: {got}")
    subprocess.run([lockstep, "runs", "--dir", str(work / "runs"), "--prune", "1"],
                   capture_output=True, timeout=60)
    left = sorted(p.name for p in (work / "runs").iterdir())
    if left != ["tiny"]:
        problems.append(f"after --prune 1: {left}, expected ['tiny']")
    for problem in problems:
        print(f"check.py runs: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main():
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    if scenario == "planted":
        return planted()
    if scenario == "show":
        return show()
    if scenario == "runs":
        return runs()
    old = b'{"earlier": "report"}\n'
    (work / "report.json").write_bytes(old)
    (work / "trace.json").write_bytes(old)
    args = [lockstep, "run", str(HERE / "long.yaml"), "--set", f"vars.work={work}",
            "--report", str(work / "report.json"), "--trace", str(work / "trace.json"),
            "--run-dir", str(work / "run")]
    # Every process of the run inherits this mark: the scan at the end finds any left alive.
    mark = f"LOCKSTEP_CHECK_MARK={work}"
    env = dict(os.environ, LOCKSTEP_CHECK_MARK=str(work))
    reader = None
    if scenario == "pipe":
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader is gone before lockstep writes a byte
        process = subprocess.Popen(args, stdout=write_end, stderr=write_end, env=env)
        os.close(write_end)
    else:
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env=env)
    # Two commands, each with its child: four pid files.
    deadline = time.monotonic() + 30
    # Each file is written by a shell's echo: one seen may be empty still.
    while sum(1 for p in work.glob("pid.*") if p.read_text().strip()) < 4 \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    pids = [int(p.read_text()) for p in work.glob("pid.*") if p.read_text().strip()]
    if len(pids) < 4:
        problems.append(f"the commands did not start: {sorted(work.iterdir())}")

    if scenario != "kill9":
        # A second run on the same files while this one holds them: refused, naming the holder.
        for flags in (["--run-dir", str(work / "run")], ["--report", str(work / "report.json")],
                      ["--trace", str(work / "trace.json")]):
            other = subprocess.run([lockstep, "run", str(HERE / "long.yaml"), "--set",
                                    f"vars.work={work}/other", *flags], capture_output=True,
                                   text=True, timeout=30)
            if other.returncode != 2 or f"process {process.pid}" not in other.stderr:
                problems.append(f"a second run with {flags[0]}: exit {other.returncode}, "
                                f"stderr {other.stderr!r}; expected 2 naming process {process.pid}")

    first = {"sigint2": signal.SIGINT, "sigterm": signal.SIGTERM, "sighup": signal.SIGHUP,
             "pipe": signal.SIGINT, "kill9": signal.SIGKILL}[scenario]
    process.send_signal(first)
    if scenario != "kill9":
        time.sleep(0.2)  # the first signal is handled (the commands ignore its SIGTERM)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
    else:
        sent = time.monotonic()
    status = process.wait(timeout=30)
    elapsed = time.monotonic() - sent
    if scenario == "kill9":
        if status != -signal.SIGKILL:
            problems.append(f"status {status} after SIGKILL")
        for name in ("report.json", "trace.json"):
            if (work / name).read_bytes() != old:
                problems.append(f"{name} changed although lockstep was killed before writing it")
        shown = subprocess.run([lockstep, "show", str(work / "run")], capture_output=True,
                               text=True, timeout=60)
        if shown.returncode != 0 or "lockstep did not finish this run" not in shown.stdout \
                or "long  did not end" not in shown.stdout:
            problems.append(f"lockstep show after kill -9: exit {shown.returncode}, "
                            f"{shown.stdout!r} {shown.stderr!r}")
    else:
        if status != 130:
            problems.append(f"exit status {status}, expected 130")
        # 1 s, the promise; more for a sanitizer build (tests/cli/CMakeLists.txt sets it).
        budget = float(os.environ.get("LOCKSTEP_SECOND_SIGNAL_BUDGET", "1"))
        if elapsed > budget:
            problems.append(f"took {elapsed:.2f} s after the second signal, "
                            f"expected at most {budget:g} s")
        report = json.loads((work / "report.json").read_text())
        total = sum(report["totals"].values()) if isinstance(report.get("totals"), dict) else None
        if total != 2:
            problems.append(f"the report counts {total} instances, expected 2: {report}")
        json.loads((work / "trace.json").read_text())
    leftovers = sorted(p.name for p in work.iterdir() if p.name.startswith("."))
    if scenario != "kill9" and leftovers:
        problems.append(f"temporary or lock files left: {leftovers}")
    # Give the kernel a moment to deliver SIGKILLs already sent, then look.
    deadline = time.monotonic() + 2
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            problems.append(f"process {pid} of a command outlived lockstep")
    deadline = time.monotonic() + 2
    while marked(mark.encode()) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in marked(mark.encode()):
        command = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        os.kill(pid, signal.SIGKILL)
        problems.append(f"process {pid} of the run outlived lockstep: {command.decode()}")
    if problems:
        if process.stderr is not None:
            sys.stderr.write(process.stderr.read().decode(errors="replace"))
        for problem in problems:
            print(f"check.py {scenario}: {problem}", file=sys.stderr)
        return 1
    print(f"check.py {scenario}: ok ({elapsed * 1000:.0f} ms after the last signal)")
    return 0


sys.exit(main())
