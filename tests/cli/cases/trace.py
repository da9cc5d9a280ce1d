"""`lockstep run --trace FILE`: a Chrome trace (check_trace.py: every attempt on a worker track of
its bulkhead, no overlap on a track, barriers in order, each fan-out attempt with its item), the
times it records, and a trace that cannot be written."""
import collections
import json

import check_trace
from spec import case, last_line, no_file, row


def trace_of(run):
    return json.loads(run.path("{scratch}/trace.json").read_text(encoding="utf-8"))


def trace_holds(run):
    """The trace of trace.yaml: two bulkheads of 3 and 1 workers, 41 attempts, the stage
    iterations in this order, every job a range fan-out from 0."""
    yield from check_trace.problems(trace_of(run), workers={"three": 3, "one": 1}, attempts=41,
                                    stages=["first", "mixed", "again@1", "again@2", "flaky"],
                                    range_items=True)


case("run_trace",
     "run {pipelines}/cli/trace.yaml --trace {scratch}/trace.json --progress=never"
     " --run-dir {scratch}/logs", exit=0, check=trace_holds)


def each_short_instance_once(run):
    """300,000 short instances: every one in exactly one slice of the trace (a slice's `runs`,
    or its `first` to `last`, or the one instance its item names: the range is from 0), in
    slices named by their first and last index, and fewer slices than instances: they ran many
    to a chunk, and chunks merge."""
    slices = [e for e in trace_of(run)["traceEvents"] if e.get("cat") == "attempt"]
    seen = collections.Counter()
    for s in slices:
        args = s["args"]
        if "instances" in args:
            runs = args.get("runs", [[args["first"], args["last"]]])
        else:
            runs = [[int(args["item"]), int(args["item"])]]
        indices = [i for first, last in runs for i in range(first, last + 1)]
        seen.update(indices)
        if len(indices) != args.get("instances", 1):
            yield f"{s['name']}: {args.get('instances', 1)} instances, its runs hold {len(indices)}"
        if args.get("instances", 1) > 1 and not s["name"].startswith(
                f"s/noop[{args['first']}] .. [{args['last']}]"):
            yield f"{s['name']} is not named by its first and last index"
        if "runs" in args and not s["name"].endswith(f", {args['instances']} in {len(runs)} runs"):
            yield f"{s['name']} does not say it holds {len(runs)} runs"
    if sorted(seen) != list(range(300000)) or max(seen.values()) != 1:
        yield f"{len(seen)} instances in the trace, {sum(n > 1 for n in seen.values())} twice"
    if len(slices) >= 300000:
        yield f"{len(slices)} slices for 300,000 short instances"


case("run_trace_short_jobs",
     "run {pipelines}/cli/short_jobs.yaml --trace {scratch}/trace.json --progress=never"
     " --run-dir {scratch}/logs", exit=0, check=each_short_instance_once)


def retry_not_held_back(run):
    """`nap` (2 x sleep 3) fills the `slow` bulkhead (1 worker, no queue); `flaky`, on `fast`,
    fails its first attempt and is retried after 50 ms. Its second attempt starts within 0.5 s of
    the first one's end, before the first nap ends: never held back by the full bulkhead beside
    it."""
    attempts = {}
    for event in trace_of(run)["traceEvents"]:
        if event["ph"] == "X" and event.get("cat") == "attempt":
            attempts.setdefault(event["args"]["job"], []).append(event)
    flaky = sorted(attempts.get("flaky", []), key=lambda e: e["args"]["attempt"])
    naps = sorted(attempts.get("nap", []), key=lambda e: e["ts"])
    if len(flaky) != 2 or len(naps) != 2:
        yield f"expected 2 attempts of flaky and 2 of nap, got {len(flaky)} and {len(naps)}"
        return
    failed_end = flaky[0]["ts"] + flaky[0]["dur"]
    retry_start = flaky[1]["ts"]
    first_nap_end = naps[0]["ts"] + naps[0]["dur"]
    gap_s = (retry_start - failed_end) / 1e6
    print(f"retry started {gap_s:.3f} s after the failed attempt ended; the first nap ended "
          f"{(first_nap_end - failed_end) / 1e6:.3f} s after it")
    if flaky[0]["args"]["state"] != "failed" or flaky[1]["args"]["state"] != "succeeded":
        yield "flaky's attempts should have failed, then succeeded"
    if gap_s >= 0.5:
        yield f"the retry started {gap_s:.3f} s after the failure, not within 0.5 s"
    if retry_start >= first_nap_end:
        yield "the retry waited until the first nap ended"


case("run_retry_isolation",
     "run {pipelines}/cli/retry_isolation.yaml --trace {scratch}/trace.json --progress=never"
     " --set vars.marker={scratch}/marker --run-dir {scratch}/logs", exit=0,
     check=retry_not_held_back)

# The trace is the same kind of file as the report: a path it cannot write runs nothing, a failed
# write is an error.
case("run_trace_not_writable",
     "run {pipelines}/cli/marker.yaml --set vars.marker={scratch}/never.txt"
     " --trace {scratch}/no-such-dir/trace.json", exit=2, stdout="",
     stderr="lockstep: cannot write trace '{scratch}/no-such-dir/trace.json': "
            "No such file or directory\n",
     check=no_file("{scratch}/never.txt"))
case("run_trace_write_fails", "run {pipelines}/cli/tiny.yaml --trace /dev/full", exit=2, stdout="",
     needs=["/dev/full"],
     stderr_has=[row("total  succeeded..."),
                 last_line("lockstep: cannot write trace '/dev/full': No space left on device")])
