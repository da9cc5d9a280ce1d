"""Checks a Chrome trace that `lockstep run --trace FILE` wrote (cases/trace.py calls it):

  problems(trace, workers={"three": 3, "one": 1}, attempts=41,
           stages=["first", "mixed", "again@1", "again@2", "flaky"], range_items=True)

Checks that the trace is JSON in the trace event format; that each bulkhead is a process named
after it with a track per worker ("worker N"); that every attempt is there once (instance id and
attempt number), on a track below its bulkhead's workers; that two slices on one track never
overlap; that the barriers come in stage order, each after every slice of its stage iteration
and before every slice of the next ones. With range_items (every job fans out over a range
from 0 by 1), that each slice carries its item, the index, in its args and after its id in its
name ("first/nap[3] 3").
"""
import collections
import re

# Times are microseconds with the nanoseconds as decimals: allow one nanosecond of rounding.
EPSILON_US = 0.001

failures = []


def fail(message):
    failures.append(message)


def stage_of(instance_id):
    """'again@2/nap[3]' -> 'again@2': the stage iteration a slice belongs to."""
    return instance_id.split("/", 1)[0]


def check_range_item(s):
    """'first/nap[3] 3': a slice of a range fan-out from 0 names its item, the index, and has it
    in its args."""
    match = re.fullmatch(r"(\S+)\[(\d+)\](?: (.*))?", s["name"])
    if not match:
        fail(f"{s['name']} is not named 'stage/job[index] item'")
        return
    index = match.group(2)
    if s["args"].get("item") != index:
        fail(f"{s['name']}: args.item {s['args'].get('item')!r}, expected {index!r}")
    if match.group(3) != index:
        fail(f"{s['name']}: the name does not end with its item {index!r}")


def problems(trace, workers, attempts, stages, range_items=False):
    """What is wrong with a parsed trace (see the module's comment), as messages."""
    failures.clear()
    try:
        check(trace, workers, attempts, stages, range_items)
    except (KeyError, TypeError) as error:
        fail(f"missing or mistyped field: {error!r}")
    return list(failures)


def check(trace, workers, attempts, stages, range_items):
    events = trace["traceEvents"]

    # Processes and tracks, from the metadata events.
    process_names = {e["pid"]: e["args"]["name"] for e in events
                     if e["ph"] == "M" and e["name"] == "process_name"}
    pid_of = {name: pid for pid, name in process_names.items()}
    for name in list(workers) + ["stages"]:
        if name not in pid_of:
            fail(f"no process named '{name}' (processes: {sorted(process_names.values())})")
    if failures:
        return
    track_names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
                   if e["ph"] == "M" and e["name"] == "thread_name"}
    for name, count in workers.items():
        for tid in range(count):
            if track_names.get((pid_of[name], tid)) != f"worker {tid}":
                fail(f"bulkhead '{name}' has no track 'worker {tid}'")
    bulkhead_of = {pid_of[name]: name for name in workers}

    # Every attempt once, on a track of its bulkhead.
    slices = [e for e in events if e["ph"] == "X" and e.get("cat") == "attempt"]
    if len(slices) != attempts:
        fail(f"{len(slices)} attempt slices, expected {attempts}")
    seen = collections.Counter((s["name"], s["args"]["attempt"]) for s in slices)
    for key, times in seen.items():
        if times != 1:
            fail(f"attempt {key[1]} of {key[0]} appears {times} times")
    for s in slices:
        bulkhead = bulkhead_of.get(s["pid"])
        if bulkhead is None:
            fail(f"{s['name']} is on pid {s['pid']}, which is no bulkhead")
        elif not 0 <= s["tid"] < workers[bulkhead]:
            fail(f"{s['name']} is on track {s['tid']} of '{bulkhead}', which has "
                 f"{workers[bulkhead]} workers")
        if s["dur"] < 0:
            fail(f"{s['name']} lasts {s['dur']} µs")
        for key in ("job", "attempt", "state"):
            if key not in s["args"]:
                fail(f"{s['name']} has no '{key}' in its args")
        if s["args"].get("state") != "succeeded" and not s["args"].get("message"):
            fail(f"{s['name']} did not succeed and says not why")
        if range_items:
            check_range_item(s)

    # One worker runs one attempt at a time: slices on a track never overlap.
    tracks = collections.defaultdict(list)
    for s in slices:
        tracks[(s["pid"], s["tid"])].append(s)
    for (pid, tid), on_track in tracks.items():
        on_track.sort(key=lambda s: s["ts"])
        for before, after in zip(on_track, on_track[1:]):
            if after["ts"] < before["ts"] + before["dur"] - EPSILON_US:
                fail(f"on '{bulkhead_of.get(pid)}' worker {tid}, {after['name']} starts at "
                     f"{after['ts']} µs, before {before['name']} ended at "
                     f"{before['ts'] + before['dur']} µs")

    # Barriers in stage order, each after its stage's slices and before the next stages' ones.
    barriers = sorted((e for e in events if e["ph"] == "i" and e.get("cat") == "barrier"),
                      key=lambda e: e["ts"])
    names = [b["name"] for b in barriers]
    expected = [f"barrier: {stage}" for stage in stages]
    if names != expected:
        fail(f"barriers {names}, expected {expected}")
    for barrier in barriers:
        if barrier.get("s") != "g":
            fail(f"{barrier['name']} is not a global instant")
    at = {b["name"][len("barrier: "):]: b["ts"] for b in barriers}
    for s in slices:
        stage = stage_of(s["name"])
        if stage not in stages:
            fail(f"{s['name']} belongs to no stage iteration of {stages}")
            continue
        end = s["ts"] + s["dur"]
        if stage in at and end > at[stage] + EPSILON_US:
            fail(f"{s['name']} ends at {end} µs, after the barrier of {stage} at {at[stage]} µs")
        for earlier in stages[:stages.index(stage)]:
            if earlier in at and s["ts"] < at[earlier] - EPSILON_US:
                fail(f"{s['name']} starts at {s['ts']} µs, before the barrier of {earlier}")
    spans = [e["name"] for e in sorted(
        (e for e in events if e["ph"] == "X" and e.get("cat") == "stage"), key=lambda e: e["ts"])]
    if spans != stages:
        fail(f"stage slices {spans}, expected {stages}")
