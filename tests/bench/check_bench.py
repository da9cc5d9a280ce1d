"""Runs lockstep-bench as docs/performance.md shows it, on tiny sizes, and checks what it prints.

Not a benchmark: no figure is compared with anything (timings belong to lockstep-bench, never to
a test). It checks that every case runs to the end, that each gives its rows and ratio rows, that
no implementation failed, and that --json and the table agree on the rows.

usage: check_bench.py LOCKSTEP_BENCH
"""
import json
import os
import subprocess
import sys

SIZES = ["--runs", "1", "--jobs", "2000", "--rounds", "200", "--instances", "2000",
         "--small-jobs", "2000", "--commands", "20", "--stages", "20", "--timeout", "120"]

# Rows every run must have: (case, impl). make and xargs rows are checked only when installed.
EXPECTED = [
    ("dispatch_empty", "lockstep"), ("dispatch_empty", "dispatcher"),
    ("dispatch_empty", "tbb_task_group"), ("dispatch_empty", "lockstep/tbb_task_group"),
    ("dispatch_empty", "dispatcher/tbb_task_group"),
    ("cpu_1us", "serial"), ("cpu_1us", "lockstep"), ("cpu_1us", "lockstep/tbb_task_group"),
    ("barrier_rounds", "lockstep"), ("barrier_rounds", "tbb_raw"),
    ("peak_rss", "baseline"), ("peak_rss", "lockstep"),
    ("pipeline_range", "lockstep_run"),
    ("stage_rounds", "lockstep_run"), ("stage_rounds", "engine_barrier"),
    ("stage_rounds", "lockstep_run/engine_barrier"),
    ("pipeline_small_jobs", "serial"), ("pipeline_small_jobs", "lockstep_run"),
    ("pipeline_small_jobs", "tbb_parallel_for"),
    ("pipeline_small_jobs", "lockstep_run/tbb_parallel_for"),
    ("commands", "lockstep_run"),
    ("stage_graph", "chained"), ("stage_graph", "independent"), ("stage_graph", "repeated"),
    ("stage_graph", "chained/repeated"), ("stage_graph", "independent/chained"),
]


def have(program):
    return subprocess.run(["sh", "-c", "command -v " + program], capture_output=True).returncode == 0


def mpi_runnable(bench):
    """As lockstep-bench decides whether a run of all cases has case mpi_ranks."""
    lockstep = os.path.join(os.path.dirname(bench), "lockstep")
    if not have("mpirun") or not os.access(lockstep, os.X_OK):
        return False
    version = subprocess.run([lockstep, "--version"], capture_output=True, text=True)
    return "MPI: available" in version.stdout


def main():
    bench = sys.argv[1]
    failures = []
    run = subprocess.run([bench, "--json"] + SIZES, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        print(run.stderr)
        sys.exit(f"lockstep-bench --json exited with {run.returncode}")
    rows = json.loads(run.stdout)
    seen = {(row["case"], row["impl"]) for row in rows}
    expected = list(EXPECTED)
    if have("make"):
        expected += [("commands", "make"), ("commands", "lockstep_run/make")]
    if have("xargs"):
        expected += [("commands", "xargs"), ("commands", "lockstep_run/xargs")]
    if mpi_runnable(bench):
        expected += [("mpi_ranks", impl) for impl in (
            "noop_one_rank", "noop_ranks", "serial", "spin_one_rank", "spin_ranks",
            "round_one_rank", "round_ranks", "noop_ranks/noop_one_rank",
            "spin_ranks/spin_one_rank", "round_ranks/round_one_rank", "claims_one_rank",
            "claims_ranks", "claims_ranks/claims_one_rank")]
    for key in expected:
        if key not in seen:
            failures.append(f"no row {key[0]} / {key[1]}")
    for row in rows:
        where = f"{row['case']} / {row['impl']}"
        if "error" in row:
            failures.append(f"{where}: {row['error']}")
        elif row["runs"] < 1 or row["median"] is None:
            failures.append(f"{where}: no measurement")
        if "target" in row and "target_met" not in row:
            failures.append(f"{where}: a target without target_met")
    table = subprocess.run([bench, "--case", "stage_rounds"] + SIZES, capture_output=True,
                           text=True, timeout=600)
    if table.returncode != 0 or "machine: " not in table.stdout:
        failures.append("the table does not name the machine")
    for impl in ("lockstep_run", "engine_barrier", "lockstep_run/engine_barrier"):
        if not any(line.split()[1:2] == [impl] for line in table.stdout.splitlines()
                   if line.startswith("stage_rounds")):
            failures.append(f"the table has no row stage_rounds / {impl}")
    for failure in failures:
        print("FAIL:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
