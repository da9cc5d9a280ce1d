"""`needs:` on stages: a stage starts when every stage it needs has ended, stages whose needs have
ended run side by side, `on_failure: stop` skips exactly the stages that need the failed one, and
a `needs` that names no stage, the stage itself or a cycle is refused before anything runs. The
orderings are read from the times the jobs wrote (nanoseconds), never from how long things took."""
import json

from spec import case, line, row


def times(run, names):
    """{name: (start, end)} from {scratch}/NAME.start and NAME.end."""
    found = {}
    for name in names:
        start = run.path("{scratch}/" + name + ".start")
        end = run.path("{scratch}/" + name + ".end")
        if start.exists() and end.exists():
            found[name] = (int(start.read_text()), int(end.read_text()))
    return found


def diamond_order(run):
    """a before b and c; b and c overlap; d after both; the report lists needs and times."""
    t = times(run, "abcd")
    if len(t) != 4:
        yield f"times of a, b, c and d expected, found those of {sorted(t)}"
        return
    for after in "bc":
        if t["a"][1] > t[after][0]:
            yield f"{after} started before a ended"
    if not (t["b"][0] < t["c"][1] and t["c"][0] < t["b"][1]):
        yield f"b {t['b']} and c {t['c']} did not overlap"
    for before in "bc":
        if t[before][1] > t["d"][0]:
            yield f"d started before {before} ended"
    report = json.loads(run.path("{scratch}/report.json").read_text(encoding="utf-8"))
    stages = {stage["name"]: stage for stage in report["stages"]}
    needs = {name: stage["needs"] for name, stage in stages.items()}
    if needs != {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}:
        yield f"the report's needs are {needs}"
    end = {name: s["start_seconds"] + s["wall_seconds"] for name, s in stages.items()}
    for before in "bc":
        if stages["d"]["start_seconds"] < end[before] - 1e-6:
            yield f"the report has d start before {before} ended"
    trace = json.loads(run.path("{scratch}/trace.json").read_text(encoding="utf-8"))
    lanes = {e["name"]: e["tid"] for e in trace["traceEvents"] if e.get("cat") == "stage"}
    if lanes.get("b") == lanes.get("c"):
        yield f"b and c share a track of the trace's stages: {lanes}"


case("needs_diamond",
     "run {pipelines}/cli/diamond.yaml --set vars.work={scratch}"
     " --report {scratch}/report.json --trace {scratch}/trace.json",
     exit=0, stdout="", check=diamond_order)


def chains_interleave(run):
    """Each chain in order; q1 (needs: []) started before p1 ended, q2 before p2 ended."""
    t = times(run, ["p1", "p2", "q1", "q2"])
    if len(t) != 4:
        yield f"times of p1, p2, q1 and q2 expected, found those of {sorted(t)}"
        return
    for first, then in (("p1", "p2"), ("q1", "q2")):
        if t[first][1] > t[then][0]:
            yield f"{then} started before {first} ended"
    for mine, other in (("p1", "q1"), ("p2", "q2")):
        if not (t[mine][0] < t[other][1] and t[other][0] < t[mine][1]):
            yield f"{mine} {t[mine]} and {other} {t[other]} did not overlap"


case("needs_two_chains", "run {pipelines}/cli/two_chains.yaml --set vars.work={scratch}",
     exit=0, stdout="", check=chains_interleave)


def chain_in_order(run):
    """Without needs, every instance of a stage ends before any of the next starts."""
    stages = ["one", "two", "three"]
    t = times(run, [f"{stage}-{i}" for stage in stages for i in range(2)])
    if len(t) != 6:
        yield f"6 instances' times expected, found {sorted(t)}"
        return
    for before, after in zip(stages, stages[1:]):
        last_end = max(t[f"{before}-{i}"][1] for i in range(2))
        first_start = min(t[f"{after}-{i}"][0] for i in range(2))
        if last_end > first_start:
            yield f"{after} started before {before} ended"


case("needs_default_chain", "run {pipelines}/cli/chain.yaml --set vars.work={scratch}",
     exit=0, stdout="", check=chain_in_order)

# build fails and stops: test and ship (which need it, directly or not) are skipped; docs and
# lint (which do not) run. The summary lists stages by start time, skipped ones last.
case("needs_stop_skips_dependents", "run {pipelines}/cli/needs_stop.yaml", exit=1, stdout="",
     stderr_has=[line("lockstep: build/compile failed: broken"),
                 row("build  stopped  @WALL@  1 failed"),
                 row("docs  succeeded  @WALL@  2 succeeded"),
                 row("lint  succeeded  @WALL@  1 succeeded"),
                 row("test  skipped  @WALL@  3 skipped"),
                 row("ship  skipped  @WALL@  1 skipped"),
                 row("total  failed  @WALL@  3 succeeded, 1 failed, 4 skipped")])

# Mistakes in needs: exit 2, nothing run (each fixture's exact lines are checked by the config
# tests; here, that `run` refuses them).
for name, message in [
        ("unknown", "unknown stage 'fetc' in 'needs' of stage 'parse' (did you mean 'fetch'?)"),
        ("self", "stage 'parse' needs itself"),
        ("cycle", "the stages form a cycle: 'b' needs 'd' (at 8:16), 'd' needs 'c' (at 14:13), "
                  "'c' needs 'b' (at 11:13)"),
        ("from_outputs", "which stage 'side' does not need")]:
    case(f"needs_refused_{name}", f"run {{pipelines}}/bad/needs_{name}.yaml", exit=2, stdout="",
         stderr_has=[message])
