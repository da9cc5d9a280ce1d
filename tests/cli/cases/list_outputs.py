"""List outputs: a job publishes a list under one key (core.output_list, ctx.output(key, list));
a from_outputs fan-out makes an instance of each element, in instance order, then element order,
on threads and in worker processes alike; a key published twice keeps the second (a resumed
run publishes a reused instance's list again: tests/cli/resume/check.py lists)."""
from spec import case, line, row

PIPELINE = "{pipelines}/cli/list_outputs.yaml"
FANNED = [line(f"[each/read[{i}]] info: {i}: {name}")
          for i, name in enumerate(["a1.txt", "a2.txt", "b1.txt", "b2.txt", "c1.txt", "c2.txt"])]

for isolation in ("thread", "process"):
    case(f"list_outputs_{isolation}",
         f"run {PIPELINE} --isolation {isolation} --run-dir {{scratch}}/run", exit=0, stdout="",
         stderr_has=FANNED + [line("[each/replaced[0]] info: replaced: second"),
                              row("each  succeeded  @WALL@  7 succeeded")],
         stderr_lacks=["replaced: first"])

