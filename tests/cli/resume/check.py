#!/usr/bin/env python3
"""check.py LOCKSTEP WORKDIR SCENARIO — `lockstep run --resume` reuses what an earlier run did.
  words  words.yaml: a run with a failure (on_failure: continue), then --resume --dry-run (runs nothing, explains why
         each instance runs), --resume (only the failed and the unrun run; the outputs of the
         reused reach the next stage), --resume again (all reused), a changed --set (its
         parameter named, old and new value)
  kill   kill.yaml (2,000 instances, 3 stages, two side by side): lockstep is SIGKILLed at 20 random moments, each
         time resumed; then a last --resume runs to the end. Every instance succeeded; none that
         a journal recorded as succeeded ran again; the only ones that ran twice ran in a killed
         run without being recorded as succeeded there (in flight, or ended in the last 100 ms
         the journal had not committed); no process of any run is left.
  lists  lists.yaml: a run whose second stage fails, then --resume: the first stage's jobs are
         reused, and the lists they published are fanned out over, element by element, in order.
Which instances ran is read from the side-effect file the jobs append to."""
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
lockstep, work, scenario = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
problems = []


def run(*args, timeout=120):
    return subprocess.run([lockstep, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=work)


def side_lines():
    path = work / "side.txt"
    return path.read_text().split() if path.exists() else []


def words():
    pipeline = str(HERE / "words.yaml")
    common = [pipeline, "--set", f"vars.work={work}", "--progress", "never"]
    first = run("run", *common)
    if first.returncode != 1:
        problems.append(f"first run: exit {first.returncode}, expected 1: {first.stderr}")
    (work / "fixed").write_text("")
    (work / "side.txt").unlink()
    dry = run("run", *common, "--resume", "--dry-run")
    if dry.returncode != 0 or side_lines():
        problems.append(f"--dry-run ran something or failed: exit {dry.returncode}")
    for expected in ("make/words: 5 of 6 reused; 1 run again:", "failed last time (1)",
                     "use/each: 0 reused; all run again:",
                     "reads outputs of 'make/words', which runs again"):
        if expected not in dry.stderr:
            problems.append(f"--dry-run does not say {expected!r}: {dry.stderr!r}")
    second = run("run", *common, "--resume", "--report", str(work / "report.json"))
    if second.returncode != 0:
        problems.append(f"--resume: exit {second.returncode}: {second.stderr}")
    ran = sorted(side_lines())
    expected = sorted(["make3"] + [f"hello-w{i}" for i in range(6)])
    if ran != expected:
        problems.append(f"--resume ran {ran}, expected {expected}")
    if "6 succeeded (5 reused)" not in second.stderr:
        problems.append(f"the summary does not count the reused: {second.stderr!r}")
    report = json.loads((work / "report.json").read_text())
    if report.get("reused") != 5 or report["stages"][0].get("reused") != 5:
        problems.append(f"the report's reused counts: {report.get('reused')}")
    (work / "side.txt").unlink()
    third = run("run", *common, "--resume", "--explain")
    if third.returncode != 0 or side_lines():
        problems.append(f"a second --resume ran {side_lines()} (exit {third.returncode})")
    if "make/words: 6 of 6 reused" not in third.stderr or "12 succeeded (12 reused)" not in \
            third.stderr:
        problems.append(f"a second --resume does not reuse all: {third.stderr!r}")
    changed = run("run", *common, "--set", "vars.greeting=bye", "--resume", "--dry-run")
    if "param 'shell' changed: 'echo 'hello'-${item}" not in changed.stderr or \
            "-> 'echo 'bye'-${item}" not in changed.stderr or \
            "make/words: 6 of 6 reused" not in changed.stderr:
        problems.append(f"a changed parameter is not explained: {changed.stderr!r}")
    listed = run("runs", "--json")
    reused = sorted(r.get("reused") for r in json.loads(listed.stdout))
    if reused != [0, 5, 12]:
        problems.append(f"lockstep runs --json says reused {reused}, expected [0, 5, 12]")
    if "12 succeeded (12 reused)" not in run("runs").stdout:
        problems.append("lockstep runs does not show what a run reused")
    missing = run("run", *common, "--resume", str(work / "nowhere"))
    if missing.returncode != 2 or "--resume" not in missing.stderr:
        problems.append(f"--resume of no run: exit {missing.returncode}: {missing.stderr!r}")


def lists():
    pipeline = str(HERE / "lists.yaml")
    first = run("run", pipeline, "--progress", "never")
    if first.returncode != 1:
        problems.append(f"first run: exit {first.returncode}, expected 1: {first.stderr}")
    second = run("run", pipeline, "--progress", "never", "--set", "vars.fail=no", "--resume")
    if second.returncode != 0:
        problems.append(f"--resume: exit {second.returncode}: {second.stderr}")
    if "list   succeeded" not in second.stderr or "2 succeeded (2 reused)" not in second.stderr:
        problems.append(f"--resume did not reuse list/ls: {second.stderr!r}")
    for i, item in enumerate(["a1", "a2", "b1", "b2"]):
        if f"[each/read[{i}]] info: {i}: {item}\n" not in second.stderr:
            problems.append(f"--resume: each/read[{i}] did not get {item}: {second.stderr!r}")


def recorded_succeeded(journal):
    """The instances the journal records as succeeded (ok and reused records): {"a3", ...}."""
    done = set()
    if not journal.exists():
        return done
    for line in journal.read_bytes().split(b"\n"):
        parts = line.split(b" ", 2)
        if len(parts) != 3:
            continue
        try:
            record = json.loads(parts[2])
        except ValueError:
            continue  # a torn last record
        spans = []
        if record.get("t") == "ok":
            spans = [(record["from"], record["to"])]
        elif record.get("t") == "reused":
            spans = [tuple(r) for r in record["ranges"]]
        for start, end in spans:
            done.update(f"{record['stage']}{i}" for i in range(start, end))
    return done


def orphans():
    """Processes whose command line names this test's work directory."""
    found = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        if str(work) in cmdline and stat[stat.rindex(")") + 2] != "Z":
            found.append(f"{proc.name}: {cmdline}")
    return found


def run_dirs():
    runs = work / ".lockstep" / "runs"
    return set(runs.iterdir()) if runs.exists() else set()


def kill():
    seed = int(os.environ.get("LOCKSTEP_KILL_SEED", str(random.randrange(1 << 30))))
    print(f"check.py kill: seed {seed} (LOCKSTEP_KILL_SEED to repeat)")
    rng = random.Random(seed)
    pipeline = str(HERE / "kill.yaml")
    common = ["run", pipeline, "--set", f"vars.work={work}", "--progress", "never"]
    recorded = set()  # recorded as succeeded by some run so far
    first_run = {}    # instance: the run that first ran it
    ran_twice_ok = set()
    seen = 0
    for attempt in range(21):
        args = common + ([] if attempt == 0 else ["--resume"])
        runs_before = run_dirs()
        process = subprocess.Popen([lockstep, *args], cwd=work, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        killed = attempt < 20
        if killed:
            # The kill lands while the run runs: once its run directory exists (a slow, sanitized
            # binary under load may take longer to get there than the longest delay).
            deadline = time.monotonic() + 60
            while run_dirs() == runs_before and process.poll() is None and \
                    time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 1.2))
            process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=300)
        # The guard kills what the run started when lockstep dies: until then a command of the
        # killed run may still append its name (which would look like the next run's).
        deadline = time.monotonic() + 10
        while orphans() and time.monotonic() < deadline:
            time.sleep(0.02)
        if orphans():
            problems.append(f"run {attempt}: processes left 10 s after it ended: {orphans()}")
        lines = side_lines()
        new = lines[seen:]
        seen = len(lines)
        again = [name for name in new if name in recorded]
        if again:
            problems.append(f"run {attempt} ran {len(again)} instances a journal recorded as "
                            f"succeeded, e.g. {again[:5]}")
        runs = sorted((work / ".lockstep" / "runs").iterdir(), key=os.path.getmtime)
        journal_done = recorded_succeeded(runs[-1] / "journal")
        for name in new:
            if name in first_run and name not in ran_twice_ok:
                problems.append(f"{name} ran in run {first_run[name]} and again in {attempt}")
            first_run.setdefault(name, attempt)
            if name not in journal_done:
                ran_twice_ok.add(name)  # ran, not recorded: in flight at the kill
        recorded |= journal_done
        if not killed:
            if process.returncode != 0:
                problems.append(f"the last --resume: exit {process.returncode}: {stderr}")
            if "2,000 succeeded" not in stderr:
                problems.append(f"the last --resume does not end with 2,000 succeeded: {stderr}")
    everyone = {f"{s}{i}" for s, n in (("a", 700), ("b", 700), ("c", 600)) for i in range(n)}
    if set(first_run) != everyone:
        problems.append(f"{len(everyone - set(first_run))} instances never ran")
    twice = len(side_lines()) - len(set(side_lines()))
    print(f"check.py kill: {len(side_lines())} runs of 2,000 instances over 21 runs; "
          f"{twice} ran twice, all in flight at a kill")
    left = orphans()
    if left:
        problems.append(f"processes left: {left}")


if __name__ == "__main__":
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    {"words": words, "kill": kill, "lists": lists}[scenario]()
    for problem in problems:
        print(f"check.py {scenario}: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
