#!/usr/bin/env python3
"""`lockstep run` across MPI ranks: `mpirun -n 3 lockstep run PIPELINE` on this machine.

  check_mpi.py list                                  the cases, one a line
  check_mpi.py run CASE --lockstep PATH --work DIR   run one; exit 0 passed, 1 failed, 77 skipped
  check_mpi.py quoted DOC                            DOC's yaml blocks after tests/mpi/pipelines/X
                                                     are runs of that file's lines

Each case runs a pipeline of tests/mpi/pipelines under mpirun and judges what its jobs recorded
(indices, ranks, times in ns) and what rank 0 printed. Skipped (77) when mpirun is not on PATH or
the MPI backend was not built, never passed.
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import quoted_pipelines  # noqa: E402  (after the path above)

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINES = os.path.join(HERE, "pipelines")
SKIPPED = 77
RANKS = 3
CASES = {}


class Skip(Exception):
    """What a case needs is not on this machine (e.g. a running Slurm): skipped, never passed."""


def case(function):
    CASES[function.__name__] = function
    return function


class Run:
    def __init__(self, status, output):
        self.status, self.output = status, output

    def __str__(self):
        return f"exit status {self.status}; output:\n{self.output}"


def mpirun(lockstep, work, args, ranks=RANKS, wrapper=None):
    """`mpirun -n RANKS lockstep ARGS` in WORK (or the wrapper shell code, given $LOCKSTEP)."""
    command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", str(ranks)]
    if wrapper is None:
        command += [lockstep] + args
    else:
        command += ["sh", "-c", wrapper]
    env = dict(os.environ, LOCKSTEP=lockstep)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=240)
    return Run(done.returncode, done.stdout + done.stderr)


def lines(path):
    with open(path, encoding="utf-8") as file:
        return [line.split() for line in file if line.strip()]


def pipeline(name):
    return os.path.join(PIPELINES, name)


def expect(condition, problems, text):
    if not condition:
        problems.append(text)


def run_recording(lockstep, work, yaml, out_name):
    """Runs tests/mpi/pipelines/YAML with vars.out=WORK/OUT_NAME, where its jobs write a line
    each: the run, its problems so far (an exit status other than 0), and the lines, split."""
    out = os.path.join(work, out_name)
    run = mpirun(lockstep, work, ["run", pipeline(yaml), "--set", f"vars.out={out}"])
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    return run, problems, lines(out) if os.path.exists(out) else []


@case
def version(lockstep, work):
    """--version says the MPI backend is there, with the MPI library's version."""
    done = subprocess.run([lockstep, "--version"], capture_output=True, text=True, check=False)
    problems = []
    expect(re.search(r"^MPI: available \(liblockstep-mpi, Open MPI v?[0-9.]+\)$", done.stdout,
                     re.M), problems, "no line 'MPI: available (liblockstep-mpi, Open MPI ...)'")
    return problems, Run(done.returncode, done.stdout + done.stderr)


@case
def exactly_once(lockstep, work):
    """3,000 instances: each index exactly once, on more than one rank; totals on rank 0."""
    out = os.path.join(work, "exactly-once.txt")
    run_dir = os.path.join(work, "run-dir")
    run = mpirun(lockstep, work, ["run", pipeline("exactly-once.yaml"), "--set", f"vars.out={out}",
                                  "--run-dir", run_dir])
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    # Each rank keeps its job logs in a directory of its own.
    for rank in range(RANKS):
        expect(os.path.isdir(os.path.join(run_dir, f"rank-{rank}")), problems,
               f"no {run_dir}/rank-{rank}")
    records = lines(out) if os.path.exists(out) else []
    indices = sorted(int(r[0]) for r in records)
    expect(indices == list(range(3000)), problems,
           f"indices are not 0..2999 once each ({len(indices)} records, "
           f"{len(set(indices))} distinct)")
    ranks = {r[1] for r in records}
    expect(len(ranks) > 1, problems, f"every instance ran on rank(s) {sorted(ranks)}")
    # Rank 0 prints the summary once, with the totals of all ranks.
    totals = re.findall(r"^total +succeeded +\S+ +3,000 succeeded$", run.output, re.M)
    expect(len(totals) == 1, problems, "not one summary line 'total succeeded ... 3,000 succeeded'")
    return problems, run


@case
def small_ranges(lockstep, work):
    """Jobs of at most as many instances as ranks, split by index, and one of more, claimed,
    repeated 4 times: each instance once per iteration, the small ones on more than one rank."""
    run, problems, records = run_recording(lockstep, work, "small-ranges.yaml", "small-ranges.txt")
    counts = collections.Counter((job, int(index)) for job, index, _ in records)
    wanted = {("a", 0): 4, ("b", 0): 4, ("c", 0): 4}
    wanted.update({("pair", i): 4 for i in range(2)})
    wanted.update({("three", i): 4 for i in range(3)})
    wanted.update({("more", i): 4 for i in range(7)})
    expect(counts == wanted, problems, f"not each instance once per iteration: {dict(counts)}")
    small_ranks = {rank for job, _, rank in records if job != "more"}
    expect(len(small_ranks) > 1, problems, f"the small jobs ran on rank(s) {sorted(small_ranks)}")
    return problems, run


@case
def isolation(lockstep, work):
    """Worker processes on every rank (isolation: process), every 10th instance crashing its
    worker: each index once across the ranks, 30 failed as crashed, the rest succeeded."""
    run, problems, records = run_recording(lockstep, work, "isolation.yaml", "isolation.txt")
    indices = sorted(int(r[0]) for r in records)
    expect(indices == list(range(300)), problems,
           f"indices are not 0..299 once each ({len(indices)} records, {len(set(indices))} distinct)")
    expect(len({r[1] for r in records}) > 1, problems, "every instance ran on one rank")
    expect(re.search(r"^s +succeeded +\S+ +270 succeeded, 30 failed$", run.output, re.M), problems,
           "no summary line 's  succeeded ... 270 succeeded, 30 failed'")
    return problems, run


@case
def barrier_order(lockstep, work):
    """Every start of stage 2 is after every end of stage 1, across ranks."""
    run, problems, records = run_recording(lockstep, work, "barrier.yaml", "barrier.txt")
    first = [r for r in records if r[0] == "first"]
    second = [r for r in records if r[0] == "second"]
    expect(len(first) == 24 and len(second) == 24, problems,
           f"{len(first)} + {len(second)} records, not 24 + 24")
    if first and second:
        last_end = max(int(r[3]) for r in first)
        first_start = min(int(r[2]) for r in second)
        expect(first_start > last_end, problems,
               f"stage 2 started {(last_end - first_start) / 1e6:.1f} ms before stage 1 ended")
        expect(len({r[4] for r in first}) > 1 and len({r[4] for r in second}) > 1, problems,
               "a stage ran on one rank only")
    return problems, run


@case
def long_jobs(lockstep, work):
    """Long jobs, one worker per rank: ranks get chunks while rank 0 is busy in its own job."""
    out = os.path.join(work, "long-jobs.txt")
    run = mpirun(lockstep, work, ["run", pipeline("long-jobs.yaml"), "--set", f"vars.out={out}"])
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    records = [(int(r[0]), int(r[1]), int(r[2]), r[3]) for r in lines(out)] if os.path.exists(
        out) else []
    expect(sorted(r[0] for r in records) == list(range(6)), problems,
           "the 6 instances did not each run once")
    expect({r[3] for r in records} == {"0", "1", "2"}, problems,
           f"not every rank ran one: ranks {sorted({r[3] for r in records})}")
    # The most running at once, from the recorded times: 3 (a worker on each rank) when the
    # ranks ran side by side, 1 if the chunks were handed out one rank at a time.
    events = sorted([(r[1], 1) for r in records] + [(r[2], -1) for r in records])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    expect(most == 3, problems, f"at most {most} instances ran at once, not 3")
    # Rank 0's one job takes 4 s, the others' 1 s: ranks 1 and 2 asked for, and got, their next
    # jobs while rank 0's only worker was busy (answered by its communication thread), so at
    # least two of their jobs started well inside rank 0's.
    on_0 = [r for r in records if r[3] == "0"]
    inside = [r for r in records if r[3] != "0" and any(
        o[1] + 500_000_000 < r[1] < o[2] for o in on_0)]
    expect(len(inside) >= 2, problems,
           f"{len(inside)} jobs of ranks 1 and 2 started while rank 0 ran its own, not 2 or more")
    return problems, run


@case
def interrupt(lockstep, work):
    """Ctrl-C (SIGINT to mpirun's process group, as a terminal sends it) while every rank runs
    long commands: each rank cancels them and exits 130, rank 0 prints the interrupted summary and
    writes the report, the next stage never starts, and no command is left running."""
    started = os.path.join(work, "started.txt")
    codes = os.path.join(work, "exit")
    os.makedirs(codes, exist_ok=True)
    # Each rank's exit status, written by a shell that outlives it (a trap, not an ignored signal:
    # lockstep must get SIGINT with its default disposition to watch for it).
    report = os.path.join(work, "report.json")
    wrapper = (f'trap true INT TERM; "$LOCKSTEP" run {pipeline("interrupt.yaml")} '
               f'--set vars.started={started} --progress never --report {report}; '
               f'echo $? > {codes}/rank-$OMPI_COMM_WORLD_RANK')
    # mpirun SIGKILLs what it started (the shells) a second after its SIGTERM: given 10 s here,
    # so that each shell lives to write its rank's status.
    command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "--mca",
               "odls_base_sigkill_timeout", "10", "-n", str(RANKS), "sh", "-c", wrapper]
    env = dict(os.environ, LOCKSTEP=lockstep)
    began = time.monotonic()
    launched = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    # Interrupt once a command runs on every rank (what the commands write, not a sleep).
    while time.monotonic() - began < 60 and launched.poll() is None:
        ranks = {r[1] for r in lines(started)} if os.path.exists(started) else set()
        if len(ranks) == RANKS:
            break
        time.sleep(0.05)
    os.killpg(launched.pid, signal.SIGINT)
    output, _ = launched.communicate(timeout=60)
    took = time.monotonic() - began
    run = Run(launched.returncode, output)
    problems = []
    statuses = {}
    for rank in range(RANKS):
        path = os.path.join(codes, f"rank-{rank}")
        statuses[rank] = open(path, encoding="utf-8").read().strip() if os.path.exists(path) else None
    expect(all(code == "130" for code in statuses.values()), problems,
           f"not every rank exited 130: {statuses}")
    expect(re.search(r"^long +interrupted ", output, re.M), problems,
           "rank 0 printed no summary line 'long  interrupted ...'")
    expect(not re.search(r"^after +succeeded", output, re.M), problems, "stage 'after' ran")
    expect(took < 100, problems, f"took {took:.0f} s: the 120 s commands were not stopped")
    # Rank 0 wrote the report of every rank: the stage interrupted, its 12 instances cancelled.
    if os.path.exists(report):
        stage = json.load(open(report, encoding="utf-8"))["stages"][0]
        expect(stage["status"] == "interrupted" and stage["counts"]["cancelled"] == 12, problems,
               f"the report's stage: {stage['status']}, {stage['counts']}")
    else:
        problems.append("rank 0 wrote no report")
    # mpirun itself exits 1 for a job it was told to kill (Open MPI's own status).
    expect(run.status != 0, problems, f"mpirun exited {run.status}")
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and started in cmdline(pid)]
    expect(not left, problems, f"processes still running a command of the run: {left}")
    return problems, run


@case
def rank_killed(lockstep, work):
    """kill -9 of rank 1 while every rank runs long commands: mpirun interrupts the others, and
    rank 0, before mpirun kills it, names rank 1 and exactly the instances it held (they count as
    failed), prints the summary, and runs no later stage; no command is left running."""
    started = os.path.join(work, "started.txt")
    # mpirun's SIGKILL comes a second after its SIGTERM by default; 5 s here, so that a loaded
    # machine cannot make rank 0 miss it (the patience is half a second).
    command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "--mca",
               "odls_base_sigkill_timeout", "5", "-n", str(RANKS), lockstep, "run",
               pipeline("interrupt.yaml"), "--set", f"vars.started={started}", "--progress",
               "never"]
    began = time.monotonic()
    launched = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    # Once a command runs on every rank (what the commands write, not a sleep), and each rank
    # holds the two instances its two workers run.
    while time.monotonic() - began < 60 and launched.poll() is None:
        held = lines(started) if os.path.exists(started) else []
        if all(sum(1 for _, r in held if r == str(rank)) == 2 for rank in range(RANKS)):
            break
        time.sleep(0.05)
    victims = [pid for pid in rank_processes(lockstep, 1)]
    for pid in victims:
        os.kill(int(pid), signal.SIGKILL)
    output, _ = launched.communicate(timeout=60)
    run = Run(launched.returncode, output)
    problems = []
    expect(len(victims) == 1, problems, f"rank 1's lockstep processes: {victims}")
    held = sorted(int(item) for item, rank in lines(started) if rank == "1")
    named = " ".join(f"long/nap[{item}]" for item in held)
    lost = re.search(r"^lockstep: error: rank 1 was lost: .*; the (\d+) instances it held count "
                     r"as failed: (.*)$", output, re.M)
    expect(lost is not None, problems, "rank 0 did not name rank 1 as lost, with what it held")
    if lost:
        expect(int(lost.group(1)) == len(held) and lost.group(2).replace(",", "") == named,
               problems, f"rank 0 named {lost.group(0)!r}; rank 1 held {named}")
    expect(re.search(rf"^long +interrupted .* {len(held)} failed, {12 - len(held)} cancelled$",
                     output, re.M), problems,
           f"no summary line 'long  interrupted ... {len(held)} failed, "
           f"{12 - len(held)} cancelled'")
    expect(not re.search(r"^after +succeeded", output, re.M), problems, "stage 'after' ran")
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and started in cmdline(pid)]
    expect(not left, problems, f"processes still running a command of the run: {left}")
    return problems, run


@case
def interrupt_one_rank(lockstep, work):
    """SIGINT to rank 2's process alone (not through mpirun): every rank stops, rank 0 prints the
    interrupted summary and loses no rank, and no later stage runs."""
    started = os.path.join(work, "started.txt")
    command = ["mpirun", "--oversubscribe", "--allow-run-as-root", "-n", str(RANKS), lockstep,
               "run", pipeline("interrupt.yaml"), "--set", f"vars.started={started}",
               "--progress", "never"]
    began = time.monotonic()
    launched = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    while time.monotonic() - began < 60 and launched.poll() is None:
        ranks = {r for _, r in lines(started)} if os.path.exists(started) else set()
        if len(ranks) == RANKS:
            break
        time.sleep(0.05)
    for pid in rank_processes(lockstep, 2):
        os.kill(int(pid), signal.SIGINT)
    output, _ = launched.communicate(timeout=60)
    took = time.monotonic() - began
    run = Run(launched.returncode, output)
    problems = []
    expect(re.search(r"^long +interrupted .* 12 cancelled$", output, re.M), problems,
           "rank 0 printed no summary line 'long  interrupted ... 12 cancelled'")
    expect("was lost" not in output, problems, "a rank was counted as lost")
    expect(not re.search(r"^after +succeeded", output, re.M), problems, "stage 'after' ran")
    expect(took < 100, problems, f"took {took:.0f} s: the 120 s commands were not stopped")
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and started in cmdline(pid)]
    expect(not left, problems, f"processes still running a command of the run: {left}")
    return problems, run


@case
def progress_across_ranks(lockstep, work):
    """--progress always (plain lines in a log, every 5 s): rank 0's lines while the stage runs
    count the commands running on every rank, 6, not its own 2."""
    run = mpirun(lockstep, work, ["run", pipeline("progress.yaml"), "--progress", "always"])
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    running = [int(n) for n in re.findall(r"^naps .* 0/6 +(\d+) running", run.output, re.M)]
    expect(running, problems, "no progress line 'naps ... 0/6  N running' while the stage ran")
    # Rank 0 alone runs 2; the others' counts come every 250 ms, so a loaded machine may show a
    # line before all of them did: one line of 6 is what must be there.
    expect(6 in running and max(running, default=0) <= 6, problems,
           f"the progress lines counted {running} running, never 6")
    return problems, run


@case
def files_across_ranks(lockstep, work):
    """foreach files, each rank given a directory of its own: rank 0's 40 files run, each once,
    on more than one rank; none of the others' files."""
    for rank in range(RANKS):
        folder = os.path.join(work, f"rank-{rank}")
        os.makedirs(folder, exist_ok=True)
        for i in range(40 if rank == 0 else 5):
            open(os.path.join(folder, f"r{rank}-{i:02}.txt"), "w", encoding="utf-8").close()
    out = os.path.join(work, "files.txt")
    wrapper = (f'exec "$LOCKSTEP" run {pipeline("files.yaml")} --set vars.out={out} '
               f'--set vars.dir={work}/rank-$OMPI_COMM_WORLD_RANK')
    run = mpirun(lockstep, work, [], wrapper=wrapper)
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    ran = lines(out) if os.path.exists(out) else []
    names = collections.Counter(name for name, _ in ran)
    expect(sorted(names) == [f"r0-{i:02}.txt" for i in range(40)], problems,
           f"not rank 0's 40 files: {sorted(names)}")
    expect(all(count == 1 for count in names.values()), problems,
           f"files run more than once: {[n for n, c in names.items() if c > 1]}")
    expect(len({rank for _, rank in ran}) > 1, problems, "every file ran on one rank")
    expect(re.search(r"^each +succeeded .* 40 succeeded$", run.output, re.M), problems,
           "no summary line 'each  succeeded ... 40 succeeded'")
    return problems, run


@case
def resume_across_ranks(lockstep, work):
    """rank 0's journal records every rank's instances: after a run under MPI that failed 30 of
    300, `--resume` of its run directory (--dry-run in one process and under mpirun: the plan,
    printed once; then for real under mpirun) reuses the 270 and runs exactly the 30 again,
    across ranks."""
    ok, out, first = (os.path.join(work, name) for name in ("ok", "resume.txt", "first"))
    args = ["run", pipeline("resume.yaml"), "--set", f"vars.ok={ok}", "--set", f"vars.out={out}"]
    run = mpirun(lockstep, work, args + ["--run-dir", first])
    problems = []
    expect(run.status != 0, problems, "the first run did not fail")
    expect(os.path.exists(os.path.join(first, "rank-0", "journal")), problems,
           "no journal in RUN_DIR/rank-0")
    open(ok, "w", encoding="utf-8").close()
    # In one process, the MPI run's directory names rank 0's journal.
    planned = subprocess.run([lockstep] + args + ["--resume", first, "--dry-run"], cwd=work,
                             capture_output=True, text=True, check=False)
    expect("work/cmd: 270 of 300 reused; 30 run again:" in planned.stderr, problems,
           f"one process plans otherwise: {planned.stderr}")
    # Under mpirun, rank 0 plans and prints it, once; --dry-run runs nothing on any rank.
    dry = mpirun(lockstep, work, args + ["--resume", first, "--dry-run"])
    expect(dry.status == 0 and dry.output.count("work/cmd: 270 of 300 reused; 30 run again:") == 1,
           problems, f"--dry-run under mpirun: {dry}")
    expect(len(lines(out)) == 300, problems, "--dry-run ran a job")
    resumed = mpirun(lockstep, work, args + ["--resume", first, "--run-dir",
                                             os.path.join(work, "second")])
    expect(resumed.status == 0, problems, f"the resumed run failed: {resumed}")
    expect(re.search(r"^work +succeeded .* 300 succeeded \(270 reused\)$", resumed.output, re.M),
           problems, "no summary line 'work  succeeded ... 300 succeeded (270 reused)'")
    ran = lines(out) if os.path.exists(out) else []
    again = sorted(int(item) for item, count in
                   collections.Counter(item for item, _ in ran).items() if count > 1)
    expect(len(ran) == 330 and again == list(range(3, 300, 10)), problems,
           f"{len(ran)} runs; run twice: {again}")
    expect(len({rank for item, rank in ran[300:]}) > 1, problems, "the 30 ran on one rank")
    return problems, Run(resumed.status, run.output + resumed.output)


@case
def srun(lockstep, work):
    """srun --mpi=pmix -n 3, where a Slurm cluster runs (skipped elsewhere): the ranks split a
    stage (each index once, on more than one rank) and a sequential stage, and rank 0's summary
    and report count all of them."""
    if shutil.which("srun") is None or shutil.which("sinfo") is None:
        raise Skip("no srun on PATH (Slurm is not installed)")
    nodes = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True,
                           check=False, timeout=30)
    if nodes.returncode != 0 or not re.search(r"^(idle|mix|alloc)", nodes.stdout, re.M):
        raise Skip("no Slurm node up (sinfo: " + (nodes.stdout + nodes.stderr).strip() + ")")
    out = os.path.join(work, "srun.txt")
    report = os.path.join(work, "report.json")
    done = subprocess.run(["srun", "-n", str(RANKS), "--overcommit", "--mpi=pmix", lockstep, "run",
                           pipeline("srun.yaml"), "--set", f"vars.out={out}", "--report", report],
                          cwd=work, capture_output=True, text=True, check=False, timeout=240)
    run = Run(done.returncode, done.stdout + done.stderr)
    problems = []
    expect(run.status == 0, problems, "exit status is not 0")
    ran = lines(out) if os.path.exists(out) else []
    split = collections.Counter(item for item, _ in ran if not item.startswith("s"))
    expect(sorted(map(int, split)) == list(range(300)) and set(split.values()) == {1}, problems,
           "not each of the 300 indices exactly once")
    expect(len({rank for _, rank in ran}) > 1, problems, "every instance ran on one rank")
    expect(sorted(item for item, _ in ran if item.startswith("s")) ==
           [f"s{i}" for i in range(6)], problems, "the sequential stage did not run each once")
    expect(run.output.count("total  succeeded") == 1 and
           re.search(r"^total +succeeded .* 306 succeeded$", run.output, re.M), problems,
           "no one summary line 'total  succeeded ... 306 succeeded'")
    if os.path.exists(report):
        counts = [stage["counts"]["succeeded"] for stage in json.load(open(report))["stages"]]
        expect(counts == [300, 6], problems, f"the report counts {counts}, not [300, 6]")
    else:
        problems.append("no report")
    return problems, run


def rank_processes(lockstep, rank):
    """The pids of the `lockstep` processes of MPI rank RANK: not their commands, nor the
    process each forks to watch its commands' groups (tools/cli/group_guard.cpp)."""
    def is_lockstep(pid):
        try:
            return os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(lockstep)
        except OSError:
            return False

    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or not is_lockstep(pid):
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as file:
                env = file.read().split(b"\0")
            with open(f"/proc/{pid}/stat", encoding="utf-8") as file:
                parent = file.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env and not is_lockstep(parent):
            found.append(pid)
    return found


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@case
def differing_pipeline(lockstep, work):
    """Rank 2 loads a copy with one byte changed: exit 2 naming rank 2 and its file; nothing ran."""
    source = pipeline("long-jobs.yaml")
    with open(source, encoding="utf-8") as file:
        text = file.read()
    same = os.path.join(work, "same.yaml")
    changed = os.path.join(work, "changed.yaml")
    with open(same, "w", encoding="utf-8") as file:
        file.write(text)
    with open(changed, "w", encoding="utf-8") as file:
        file.write(text.replace("# Six", "# six", 1))  # one byte of a comment
    out = os.path.join(work, "never.txt")
    wrapper = ('if [ "$OMPI_COMM_WORLD_RANK" = 2 ]; then f=changed.yaml; else f=same.yaml; fi; '
               f'exec "$LOCKSTEP" run "$f" --set vars.out={out}')
    run = mpirun(lockstep, work, [], wrapper=wrapper)
    problems = []
    expect(run.status == 2, problems, "exit status is not 2")
    expect(re.search(r"^rank 2: pipeline changed\.yaml differs from rank 0's same\.yaml",
                     run.output, re.M), problems, "no line naming rank 2 and changed.yaml")
    expect(not re.search(r"^rank [01]:", run.output, re.M), problems, "rank 0 or 1 was blamed")
    expect(not os.path.exists(out), problems, "a job ran")
    return problems, run


@case
def failure_on_rank_1(lockstep, work):
    """Instances on rank 1 fail: rank 0's summary counts them; exit status 1."""
    out = os.path.join(work, "fails.txt")
    run = mpirun(lockstep, work, ["run", pipeline("fails-on-rank-1.yaml"), "--set",
                                  f"vars.out={out}"])
    problems = []
    expect(run.status == 1, problems, "exit status is not 1")
    records = lines(out) if os.path.exists(out) else []
    on_1 = sum(1 for r in records if r[1] == "1")
    expect(on_1 > 0, problems, "rank 1 ran nothing: the case proves nothing")
    want = f"total +failed +\\S+ +{30 - on_1} succeeded, {on_1} failed"
    expect(re.search("^" + want + "$", run.output, re.M), problems,
           f"no summary line /{want}/ (rank 1 ran {on_1})")
    return problems, run


def kind_records(records, stage):
    """The records of kinds.yaml's STAGE: (index, start ns, end ns, rank), by index."""
    return sorted((int(r[1]), int(r[2]), int(r[3]), r[4]) for r in records if r[0] == stage)


def most_at_once(records):
    """The most instances running at once, from their recorded starts and ends."""
    events = sorted([(r[1], 1) for r in records] + [(r[2], -1) for r in records])
    running = most = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


@case
def sequential_across_ranks(lockstep, work):
    """kind: sequential under MPI: its 9 instances run once each, in order, never two at once in
    the whole job, on every rank (rank 0's kind hands them out in turn)."""
    run, problems, records = run_recording(lockstep, work, "kinds.yaml", "kinds.txt")
    one = kind_records(records, "one")
    expect([r[0] for r in one] == list(range(9)), problems,
           f"not each of the 9 instances once: {[r[0] for r in one]}")
    expect({r[3] for r in one} == {"0", "1", "2"}, problems,
           f"not on every rank: ranks {sorted({r[3] for r in one})}")
    expect(most_at_once(one) == 1, problems, f"{most_at_once(one)} instances ran at once, not 1")
    by_start = [r[0] for r in sorted(one, key=lambda r: r[1])]
    expect(by_start == sorted(by_start), problems, f"not run in order: {by_start}")
    expect(re.search(r"^one +succeeded +\S+ +9 succeeded$", run.output, re.M), problems,
           "no summary line 'one  succeeded ... 9 succeeded'")
    return problems, run


@case
def batches_across_ranks(lockstep, work):
    """kind: stages.batches under MPI: each wave of 4 starts after the one before ended on every
    rank, and the waves run on several ranks at once."""
    run, problems, records = run_recording(lockstep, work, "kinds.yaml", "kinds.txt")
    waves = kind_records(records, "waves")
    expect([r[0] for r in waves] == list(range(12)), problems,
           f"not each of the 12 instances once: {[r[0] for r in waves]}")
    for wave in range(1, 3):
        before = [r for r in waves if r[0] // 4 == wave - 1]
        this = [r for r in waves if r[0] // 4 == wave]
        if before and this:
            gap = min(r[1] for r in this) - max(r[2] for r in before)
            expect(gap > 0, problems,
                   f"wave {wave + 1} started {-gap / 1e6:.1f} ms before wave {wave} ended")
    spread = [len({r[3] for r in waves if r[0] // 4 == w}) for w in range(3)]
    expect(all(n > 1 for n in spread), problems, f"a wave ran on one rank: ranks per wave {spread}")
    expect(most_at_once(waves) <= 4, problems, f"{most_at_once(waves)} ran at once, more than 4")
    expect(re.search(r"^waves +succeeded +\S+ +12 succeeded$", run.output, re.M), problems,
           "no summary line 'waves  succeeded ... 12 succeeded'")
    return problems, run


@case
def race_across_ranks(lockstep, work):
    """kind: stages.race under MPI: racers on all 3 ranks; once racer 0 won (on rank 1), the other
    two are cancelled where they run (they would run 60 s); every rank reads the winner."""
    began = time.monotonic()
    run, problems, records = run_recording(lockstep, work, "kinds.yaml", "kinds.txt")
    took = time.monotonic() - began
    started = {r[1]: r[4] for r in records if r[0] == "race-start"}
    expect(sorted(started) == ["0", "1", "2"], problems, f"racers started: {sorted(started)}")
    expect(sorted(started.values()) == ["0", "1", "2"], problems,
           f"the racers did not run one on each rank: {started}")
    expect(not [r for r in records if r[0] == "race-end"], problems,
           "a losing racer ran to its end")
    expect(took < 50, problems, f"took {took:.0f} s: the losers were not cancelled")
    expect(re.search(r"^race +succeeded +\S+ +1 succeeded, 2 cancelled$", run.output, re.M),
           problems, "no summary line 'race  succeeded ... 1 succeeded, 2 cancelled'")
    winners = [(r[1], r[4]) for r in records if r[0] == "winner"]
    expect(sorted(winners) == [("race/r[0]", "0"), ("race/r[0]", "1"), ("race/r[0]", "2")],
           problems, f"not every rank read the winner (a stage output of rank 0): {winners}")
    return problems, run


@case
def canary_across_ranks(lockstep, work):
    """kind: stages.canary under MPI: the canary (on rank 1) ends before any other instance starts,
    on any rank; the rest run on several ranks. A canary that fails keeps the rest from every
    rank."""
    run, problems, records = run_recording(lockstep, work, "kinds.yaml", "kinds.txt")
    gate = kind_records(records, "gate")
    expect([r[0] for r in gate] == list(range(9)), problems,
           f"not each of the 9 instances once: {[r[0] for r in gate]}")
    if gate:
        canary, rest = gate[0], gate[1:]
        expect(canary[3] == "1", problems, f"the canary ran on rank {canary[3]}, not 1")
        early = [r[0] for r in rest if r[1] <= canary[2]]
        expect(not early, problems, f"instances {early} started before the canary ended")
        expect(len({r[3] for r in rest}) > 1, problems, "the rest ran on one rank only")
    expect(re.search(r"^gate +succeeded +\S+ +9 succeeded$", run.output, re.M), problems,
           "no summary line 'gate  succeeded ... 9 succeeded'")
    # The canary fails on rank 1: no other instance runs, on any rank.
    out = os.path.join(work, "canary-fails.txt")
    failing = mpirun(lockstep, work, ["run", pipeline("canary-fails.yaml"), "--set",
                                      f"vars.out={out}"])
    run.output += "\n--- canary-fails.yaml:\n" + failing.output
    expect(failing.status == 1, problems, f"canary-fails.yaml: exit status {failing.status}, not 1")
    ran = lines(out) if os.path.exists(out) else []
    gate_ran = [r for r in ran if r[0] == "gate"]
    expect(gate_ran == [["gate", "0", "1"]], problems,
           f"canary-fails.yaml: gate ran {gate_ran}, not the canary alone")
    expect(len([r for r in ran if r[0] == "after"]) == 3, problems,
           "canary-fails.yaml: stage after did not run its 3 instances")
    expect(re.search(r"^gate +failed +\S+ +1 failed, 8 skipped$", failing.output, re.M), problems,
           "canary-fails.yaml: no summary line 'gate  failed ... 1 failed, 8 skipped'")
    return problems, run


WHOLE_RUN = {"mix": 24, "quick": 20000}  # instances of whole-run.yaml's stages


def whole_run(lockstep, work, flag, name):
    """whole-run.yaml under mpirun with FLAG WORK/NAME: the run (exit status 1: its failures),
    its problems so far, the recorded lines of stage mix, and the file rank 0 wrote (None if
    none)."""
    out = os.path.join(work, "whole-run.txt")
    written = os.path.join(work, name)
    run = mpirun(lockstep, work, ["run", pipeline("whole-run.yaml"), "--set", f"vars.out={out}",
                                  flag, written])
    problems = []
    expect(run.status == 1, problems, "exit status is not 1")
    records = lines(out) if os.path.exists(out) else []
    failing = {int(r[0]): r[1] for r in records if int(r[0]) % 7 == 3}
    expect(sorted(int(r[0]) for r in records) == list(range(24)) and len(failing) == 3, problems,
           f"stage mix did not run its 24 instances once, 3 of them failing: {records}")
    expect(any(rank != "0" for rank in failing.values()), problems,
           f"every failing instance ran on rank 0: the case proves nothing ({failing})")
    expect(os.path.exists(written), problems, f"rank 0 wrote no {name}")
    text = None
    if os.path.exists(written):
        with open(written, encoding="utf-8") as file:
            text = file.read()
    return run, problems, failing, text


@case
def report_sums(lockstep, work):
    """--report under MPI: rank 0's report counts, times and lists every rank's instances."""
    run, problems, failing, text = whole_run(lockstep, work, "--report", "report.json")
    if text is None:
        return problems, run
    report = json.loads(text)
    stages = {stage["name"]: stage for stage in report["stages"]}
    for name, instances in WHOLE_RUN.items():
        stage = stages.get(name, {})
        expect(stage.get("instances") == instances, problems,
               f"stage {name}: {stage.get('instances')} instances, not {instances}")
        timed = sum(job["count"] for job in stage.get("durations", []))
        expect(timed == instances, problems,
               f"stage {name}: {timed} instances timed (durations), not {instances}")
    counts = stages.get("mix", {}).get("counts", {})
    expect(counts.get("failed") == 3 and counts.get("succeeded") == 21, problems,
           f"stage mix counts {counts}, not 21 succeeded and 3 failed")
    listed = {f["index"]: str(f.get("rank", 0)) for f in stages.get("mix", {}).get("failures", [])}
    expect(listed == failing, problems, f"failures listed {sorted(listed.items())} (index, rank), "
                                        f"not those of every rank: {sorted(failing.items())}")
    return problems, run


@case
def trace_per_rank(lockstep, work):
    """--trace under MPI: a process per rank and bulkhead, each instance in exactly one slice."""
    run, problems, failing, text = whole_run(lockstep, work, "--trace", "trace.json")
    if text is None:
        return problems, run
    events = json.loads(text)["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    for rank in range(RANKS):
        expect(f"rank {rank} \u00b7 default" in processes.values(), problems,
               f"no process 'rank {rank} \u00b7 default': {sorted(processes.values())}")
    seen = collections.Counter()
    ranks_of = collections.defaultdict(set)  # stage mix: index -> the ranks of its slices
    for event in events:
        if event.get("cat") != "attempt":
            continue
        args, stage = event["args"], event["name"].split("/")[0]
        rank = processes.get(event["pid"], "?").split(" ")[1]
        if "runs" in args:
            indices = [i for first, last in args["runs"] for i in range(first, last + 1)]
        elif args.get("instances", 1) > 1:
            indices = range(args["first"], args["last"] + 1)
        else:
            indices = [int(re.search(r"\[(\d+)\]", event["name"]).group(1))]
        for index in indices:
            seen[(stage, index)] += 1
            if stage == "mix":
                ranks_of[index].add(rank)
    for name, instances in WHOLE_RUN.items():
        want = {(name, i) for i in range(instances)}
        twice = sorted(k for k, n in seen.items() if n > 1)
        missing = sorted(want - set(seen))
        expect(not missing and not [k for k in twice if k[0] == name], problems,
               f"stage {name}: instances not in exactly one slice (missing {missing[:5]}, "
               f"twice {twice[:5]})")
    records = lines(os.path.join(work, "whole-run.txt"))
    wrong = [r for r in records if ranks_of.get(int(r[0])) != {r[1]}]
    expect(not wrong, problems, f"mix instances in another rank's process: {wrong[:5]}")
    return problems, run


@case
def html(lockstep, work):
    """--html under MPI: rank 0 writes the page, which names the failures of the other ranks
    and has timeline rows of each rank's workers."""
    run, problems, failing, text = whole_run(lockstep, work, "--html", "page.html")
    if text is None:
        return problems, run
    for rank in range(1, RANKS):
        expect(f'"rank":{rank}' in text, problems, f"no timeline row of rank {rank}'s workers")
    for index, rank in sorted(failing.items()):
        expect(f"mix/check[{index}]" in text, problems,
               f"the page does not name failure mix/check[{index}] (rank {rank})")
    return problems, run


@case
def outputs_across_ranks(lockstep, work):
    """from_outputs, ${outputs.*} and if: read outputs made on every rank, as in one process."""
    run, problems, records = run_recording(lockstep, work, "outputs.yaml", "outputs.txt")
    made = [r for r in records if r[0] == "made"]
    used = [r for r in records if r[0] == "used"]
    names = [f"item-{i}" for i in range(40)]
    expect(sorted(int(r[1]) for r in made) == list(range(40)), problems,
           "stage make did not run each of its 40 instances once")
    expect(len({r[2] for r in made}) > 1, problems, "stage make ran on one rank only")
    # `use` ran (its if: read the one `go`, published by instance 39 on whichever rank), once per
    # name, each instance with the name of its index, on several ranks.
    expect(sorted(int(r[1]) for r in used) == list(range(40)), problems,
           f"stage use did not run each of its 40 instances once ({len(used)} records)")
    wrong = [r[:4] for r in used if r[2] != f"item-{r[1]}"]
    expect(not wrong, problems, f"instances of use with another's item: {wrong[:5]}")
    expect(len({r[3] for r in used}) > 1, problems, "stage use ran on one rank only")
    # Every instance, on every rank, read all 40 names in instance order.
    partial = [r[:4] for r in used if r[4:] != names]
    expect(not partial, problems, f"instances that read other names than the 40: {partial[:5]}")
    expect(re.search(r"^total +succeeded +\S+ +80 succeeded$", run.output, re.M), problems,
           "no summary line 'total succeeded ... 80 succeeded'")
    return problems, run


@case
def repeat_until_across_ranks(lockstep, work):
    """repeat.until on an output published on any rank: every rank stops after iteration 3."""
    run, problems, records = run_recording(lockstep, work, "until.yaml", "until.txt")
    ran = sorted((int(r[0]), int(r[1])) for r in records)
    expect(ran == [(i, n) for i in range(1, 4) for n in range(9)], problems,
           f"not iterations 1 to 3 of 9 instances each, once: {ran}")
    expect(len({r[2] for r in records}) > 1, problems, "every instance ran on one rank")
    expect(re.search(r"^loop +succeeded +3 +\S+ +27 succeeded$", run.output, re.M), problems,
           "no summary line 'loop succeeded 3 ... 27 succeeded'")
    return problems, run


@case
def failure_lines_on_rank_0(lockstep, work):
    """The failure lines of ranks 1 and 2 are printed by rank 0, once each; theirs print none."""
    out = os.path.join(work, "failure-lines.txt")
    # Each rank's stderr in a file of its own: rank 0's must name every failure.
    wrapper = (f'exec "$LOCKSTEP" run {pipeline("failure-lines.yaml")} --set vars.out={out} '
               '2> stderr-$OMPI_COMM_WORLD_RANK.txt')
    run = mpirun(lockstep, work, [], wrapper=wrapper)
    problems = []
    expect(run.status == 1, problems, "exit status is not 1")
    records = lines(out) if os.path.exists(out) else []
    failing = sorted(int(r[0]) for r in records if r[1] != "0")
    expect({r[1] for r in records if r[1] != "0"} == {"1", "2"}, problems,
           "ranks 1 and 2 did not both run instances: the case proves nothing")
    stderr = []
    for rank in range(RANKS):
        path = os.path.join(work, f"stderr-{rank}.txt")
        with open(path, encoding="utf-8", errors="replace") as file:
            stderr.append(file.read())
        run.output += f"\n--- {path}:\n" + stderr[-1]
    printed = sorted(int(m) for m in re.findall(
        r"^lockstep: some-fail/check\[(\d+)\] failed: shell command exited with status 1\d\d$",
        stderr[0], re.M))
    expect(printed == failing, problems,
           f"rank 0 named failures {printed}, not those of ranks 1 and 2: {failing}")
    for index in failing:
        expect(f"status {100 + index}\n" in stderr[0], problems,
               f"the line of instance {index} has another's exit status")
    expect(not re.search("^lockstep: ", stderr[1] + stderr[2], re.M), problems,
           "rank 1 or 2 printed a failure line itself")
    want = f"total +failed +\\S+ +{15 - len(failing)} succeeded, {len(failing)} failed"
    expect(re.search("^" + want + "$", stderr[0], re.M), problems, f"no summary line /{want}/")
    return problems, run


@case
def stop_on_every_rank(lockstep, work):
    """on_failure: stop on rank 1 cancels the 30 s jobs of ranks 0 and 2 at once."""
    out = os.path.join(work, "stop.txt")
    begun = time.monotonic()
    run = mpirun(lockstep, work, ["run", pipeline("stop.yaml"), "--set", f"vars.out={out}"])
    took = time.monotonic() - begun
    problems = []
    expect(run.status == 1, problems, "exit status is not 1")
    records = lines(out) if os.path.exists(out) else []
    fails = [int(r[3]) for r in records if r[0] == "fail"]
    cancels = {r[2]: int(r[3]) for r in records if r[0] == "cancelled"}
    expect(len(fails) == 1, problems, f"{len(fails)} failures recorded, not 1")
    expect(set(cancels) == {"0", "2"}, problems,
           f"the running jobs of ranks 0 and 2 were not both cancelled: {sorted(cancels)}")
    if fails:
        for rank, at in sorted(cancels.items()):
            # Within 2 s of the failure (a stop takes milliseconds; the jobs, 30 s).
            late = (at - fails[0]) / 1e9
            expect(-0.1 < late < 2, problems, f"rank {rank}'s job was cancelled {late:.3f} s after "
                                              "the failure, not within 2 s")
    expect(took < 20, problems, f"the run took {took:.1f} s: the 30 s jobs ran on")
    expect(not any(r[0] == "after" for r in records), problems, "stage after ran")
    # Every instance ended once: 1 failed, the other 29 cancelled (running or not started).
    expect(re.search(r"^long +stopped +\S+ +1 failed, 29 cancelled$", run.output, re.M), problems,
           "no summary line 'long stopped ... 1 failed, 29 cancelled'")
    expect(re.search(r"^total +failed +\S+ +1 failed, 29 cancelled, 1 skipped$", run.output, re.M),
           problems, "no summary line 'total failed ... 1 failed, 29 cancelled, 1 skipped'")
    return problems, run


def summary(output):
    """The summary table and the notes after it, wall times and column widths left out."""
    start = output.find("stage  ")
    if start < 0:
        return []
    rows = []
    for line in output[start:].splitlines():
        if line.startswith("---"):
            break  # mpirun's own text
        line = re.sub(r"\b[0-9][0-9.]*(ns|us|µs|ms|s|m|h)\b", "WALL", line)
        rows.append(" ".join(line.split()))
    return rows


@case
def same_summary(lockstep, work):
    """needs, repeat, if: and a failure that continues: rank 0's summary is a one-process run's."""
    args = ["run", pipeline("graph.yaml")]
    alone = subprocess.run([lockstep] + args, cwd=work, capture_output=True, text=True,
                           timeout=120, check=False)
    run = mpirun(lockstep, work, args)
    problems = []
    expect(alone.returncode == 1 and run.status == 1, problems,
           f"exit status {alone.returncode} alone and {run.status} under mpirun, not 1 and 1")
    want = summary(alone.stdout + alone.stderr)
    got = summary(run.output)
    expect(len(want) == 7, problems, f"the run alone printed no summary of 7 lines: {want}")
    # Stages side by side (a and b need nothing) are listed as they end: alone, in either order;
    # under MPI, one at a time in pipeline order. The same lines, in any order.
    expect(sorted(got) == sorted(want), problems, "the summaries differ:\n    " +
           "\n    ".join(want) + "\n  under mpirun:\n    " + "\n    ".join(got))
    return problems, run


@case
def ranks_mpi_does_not_see(lockstep, work):
    """Launched as 3 ranks (as the environment says) but MPI sees 1: exit 2, nothing ran."""
    out = os.path.join(work, "never.txt")
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="3")
    done = subprocess.run([lockstep, "run", pipeline("long-jobs.yaml"), "--set", f"vars.out={out}"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False)
    run = Run(done.returncode, done.stdout + done.stderr)
    problems = []
    expect(run.status == 2, problems, "exit status is not 2")
    expect("lockstep run: error: launched as 3 ranks, but MPI sees 1" in run.output, problems,
           "no message saying so")
    expect(not os.path.exists(out), problems, "a job ran")
    return problems, run


def run_case(name, lockstep, work):
    if shutil.which("mpirun") is None:
        print("skipped: no mpirun on PATH (tools/install-deps installs openmpi-bin)")
        return SKIPPED
    version_text = subprocess.run([lockstep, "--version"], capture_output=True, text=True,
                                  check=False).stdout
    if "MPI: available" not in version_text:
        print("skipped: the MPI backend is not built (" + version_text.strip().splitlines()[-1] + ")")
        return SKIPPED
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        problems, run = CASES[name](lockstep, work)
    except Skip as skip:
        print(f"skipped: {skip}")
        return SKIPPED
    if not problems:
        return 0
    print(f"{name}: {CASES[name].__doc__}")
    for problem in problems:
        print(f"  - {problem}")
    print(run)
    return 1


def quoted(doc):
    """Problems with the pipelines DOC quotes (tests/support/quoted_pipelines.py)."""
    return quoted_pipelines.problems(os.path.join(HERE, "..", "..", doc), doc,
                                     "tests/mpi/pipelines", PIPELINES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list")
    run = commands.add_parser("run")
    run.add_argument("name", choices=sorted(CASES))
    run.add_argument("--lockstep", required=True)
    run.add_argument("--work", required=True)
    quote = commands.add_parser("quoted")
    quote.add_argument("doc")
    options = parser.parse_args()
    if options.command == "list":
        print("\n".join(CASES))
        return 0
    if options.command == "quoted":
        problems = list(quoted(options.doc))
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    return run_case(options.name, os.path.abspath(options.lockstep), os.path.abspath(options.work))


if __name__ == "__main__":
    sys.exit(main())
