"""Bulkheads with `isolation: process`: a crash, an exit, a limit or a hang is one instance's
failure with its cause, and the run goes on; in thread mode a crash still ends lockstep, with a
note naming the instance, and a job that ignores its timeout is named while it runs on."""
import collections
import json

from spec import case, line, regex, row

FAULTS = "--plugin-path {test_plugins}/faults"
ISOLATION = "{pipelines}/../pipelines/isolation"

case("isolation_causes", f"run {ISOLATION}/causes.yaml {FAULTS} --run-dir {{scratch}}/run",
     exit=1, stdout="", needs=["test_plugins"],
     stderr_has=[line("lockstep: s/segv failed: crashed: SIGSEGV"),
                 line("lockstep: s/abort failed: crashed: SIGABRT"),
                 line("lockstep: s/exit failed: exited with status 3"),
                 line("lockstep: s/spin failed: killed: cpu time limit 1s"),
                 line("lockstep: s/hang timed_out: timed out after 1s: killed with its worker "
                      "process 500ms after it was cancelled: it ignores cancellation"),
                 line("lockstep: s/flaky failed after 2 attempts: crashed: SIGSEGV"),
                 # Log lines and outputs come back from the worker as they come.
                 line("[s/hang] info: hanging"),
                 line("[s/log[1]] info: instance 1 of s/log[1]"),
                 line("[after/log] info: instance 0 of after/log"),
                 row("s  failed  @WALL@  2 succeeded, 5 failed, 1 timed_out"),
                 row("after  succeeded  @WALL@  1 succeeded")])
# Where lockstep may make a cgroup per worker, the kernel kills a worker past its limit
# (sanitizer builds included: the limit counts memory used, not address space reserved)...
case("isolation_memory_cgroup", f"run {ISOLATION}/memory.yaml {FAULTS} --run-dir {{scratch}}/run",
     exit=1, stdout="", needs=["test_plugins", "memory_cgroup"],
     stderr_has=[line("lockstep: s/alloc failed: killed: memory limit 256 MiB"),
                 row("s  failed  @WALL@  1 succeeded, 1 failed")])
# ... else (here: told not to) the worker limits its address space. RLIMIT_AS cannot hold a
# sanitizer's shadow memory: on a release build only.
case("isolation_memory", f"run {ISOLATION}/memory.yaml {FAULTS} --run-dir {{scratch}}/run",
     exit=1, stdout="", needs=["test_plugins", "uninstrumented"], env={"LOCKSTEP_CGROUP": "off"},
     stderr_has=[line("lockstep: s/alloc failed: memory limit 256 MiB reached (std::bad_alloc)"),
                 row("s  failed  @WALL@  1 succeeded, 1 failed")])
def each_index_once(path, count, first_item):
    """`path` holds each of 0 .. count-1 once, one to a line with its item first_item + index:
    every instance ran, none twice, each with its own item."""
    def check(run):
        file = run.path(path)
        lines = [line.split() for line in file.read_text().splitlines()] if file.exists() else []
        indices = sorted(int(fields[0]) for fields in lines)
        if indices != list(range(count)):
            missing = sorted(set(range(count)) - set(indices))
            twice = sorted(i for i, n in collections.Counter(indices).items() if n > 1)
            yield f"{file}: {len(indices)} lines; never ran: {missing[:10]}; ran twice: {twice[:10]}"
        wrong = [fields for fields in lines if fields[1:] != [str(first_item + int(fields[0]))]]
        if wrong:
            yield f"{file}: {len(wrong)} instances with a wrong item, e.g. {wrong[:3]}"
    check.__doc__ = f"{path} holds each index of 0..{count - 1} once, with item {first_item} + index"
    return check


case("isolation_every_tenth", f"run {ISOLATION}/every_tenth.yaml {FAULTS} --run-dir {{scratch}}/run",
     exit=0, stdout="", needs=["test_plugins"], check=each_index_once("{scratch}/ran.txt", 2000, 1000),
     stderr_has=[line("lockstep: s/crash failed: crashed: SIGSEGV (200 instances)"),
                 row("s  succeeded  @WALL@  1,800 succeeded, 200 failed")])


def each_instance_observed(run):
    """The report and the trace see each of the 2,000 instances once, as thread mode would:
    instances in worker processes go in batches; the trace shows each failed attempt with its
    item, and the successes between them as runs (a slice naming its first and last index and,
    when they are not back to back, its runs; or one instance with its item), all inside their
    stage."""
    report = json.loads(run.path("{scratch}/report.json").read_text(encoding="utf-8"))
    counts = report["stages"][0]["counts"]
    if (counts["succeeded"], counts["failed"]) != (1800, 200):
        yield f"the report counts {counts}"
    failures = report["stages"][0]["failures"]
    if len(failures) + report["stages"][0]["failures_not_listed"] != 200:
        yield f"the report lists {len(failures)} failures"
    # Every 10th instance crashes: indices 9, 19, ...
    wrong = [failure["id"] for failure in failures if failure["index"] % 10 != 9]
    if wrong:
        yield f"failures of instances that did not crash: {wrong[:5]}"
    trace = json.loads(run.path("{scratch}/trace.json").read_text(encoding="utf-8"))
    events = trace["traceEvents"]
    stage = next(e for e in events if e.get("cat") == "stage")
    attempts = [e for e in events if e.get("cat") == "attempt"]
    def items(args):  # the items of a slice: the job's items are 1000 + index
        if "runs" in args:  # runs of successes merged: [first, last] of each
            return [1000 + i for first, last in args["runs"] for i in range(first, last + 1)]
        if "instances" in args:
            return range(1000 + args["first"], 1000 + args["last"] + 1)
        return [int(args["item"])]
    seen = collections.Counter(item for e in attempts for item in items(e["args"]))
    if sorted(seen) != list(range(1000, 3000)) or max(seen.values()) != 1:
        twice = [item for item, n in seen.items() if n > 1]
        yield f"the trace has {len(attempts)} slices; items twice: {twice[:5]}"
    states = collections.Counter((e["args"]["state"], item % 10 == 9)
                                 for e in attempts for item in items(e["args"]))
    if states != {("succeeded", False): 1800, ("failed", True): 200}:
        yield f"the trace's instances end (state, crashing item): {dict(states)}"
    outside = [e["name"] for e in attempts
               if e["ts"] < stage["ts"] or e["ts"] + e["dur"] > stage["ts"] + stage["dur"]]
    if outside:
        yield f"{len(outside)} attempts outside their stage's time, e.g. {outside[:3]}"


case("isolation_every_tenth_observed",
     f"run {ISOLATION}/every_tenth.yaml {FAULTS} --run-dir {{scratch}}/run"
     " --report {scratch}/report.json --trace {scratch}/trace.json",
     exit=0, stdout="", needs=["test_plugins"], check=each_instance_observed,
     stderr_has=row("s  succeeded  @WALL@  1,800 succeeded, 200 failed"))
# Thread mode: the crash ends lockstep (139: SIGSEGV), but first names what crashed it. A
# sanitizer's own SIGSEGV handler would turn the signal into exit status 1: it is turned off here.
case("isolation_thread_crash", f"run {ISOLATION}/thread_crash.yaml {FAULTS} --run-dir {{scratch}}/run",
     exit=-11, stdout="", needs=["test_plugins"],
     env={"ASAN_OPTIONS": "{asan_options}handle_segv=0",
          "TSAN_OPTIONS": "{tsan_options}handle_segv=0"},
     stderr_has=line("lockstep: crashed (SIGSEGV) while running: s/segv[2]"))
case("isolation_thread_overdue",
     f"run {ISOLATION}/thread_overdue.yaml {FAULTS} --run-dir {{scratch}}/run", exit=1, stdout="",
     needs=["test_plugins"],
     stderr_has=[line("[s/hang] warning: timed out after 500ms, still running 500ms later: it "
                      "ignores cancellation"),
                 line("lockstep: s/hang timed_out: timed out after 500ms")])
# Limits belong to worker processes; a mistake in them is an error before anything runs.
case("isolation_unknown_mode", f"run {ISOLATION}/causes.yaml {FAULTS} --isolation fork",
     exit=2, stdout="", needs=["test_plugins"],
     stderr_has=regex(r"--isolation: fork not in \{thread,process\}"))
