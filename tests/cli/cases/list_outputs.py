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


# ${outputs.*} in params, on threads and in worker processes: values picked ([N]) and joined
# ([*]), quoted as one word in shell code; a reference with several values, none at its index,
# or none at all fails its instance, naming the reference and what to write.
OUTPUT_PARAMS = "{pipelines}/cli/output_params.yaml"


def nothing_left_in(directory):
    """No lockstep-* entry is left in `directory` (the run's TMPDIR): core.command's output files
    and a worker process's TMPDIR went with the run, even though workers end by SIGKILL."""
    def check(run):
        left = sorted(p.name for p in run.path(directory).iterdir() if p.name.startswith("lockstep-"))
        if left:
            yield f"left in {run.path(directory)}: {left}"
    check.__doc__ = f"no lockstep-* entry left in {directory}"
    return check


for isolation in ("thread", "process"):
    case(f"output_params_{isolation}",
         f"run {OUTPUT_PARAMS} --isolation {isolation} --run-dir {{scratch}}/run", exit=0,
         stdout="", env={"TMPDIR": "{scratch}"}, check=nothing_left_in("{scratch}"),
         stderr_has=[line("[use/ok] info: files a b c; second c; many m1"),
                     line("[use/shell] info: <a b>"),
                     line("lockstep: use/several failed: {pipelines}/cli/output_params.yaml:21:60: "
                          "parameter 'message': '${outputs.fetch.list.files}': 'fetch.list.files' "
                          "has 2 values (write [N] after it for the value at N (from 0), or [*] "
                          "for all)"),
                     line("lockstep: use/far failed: {pipelines}/cli/output_params.yaml:22:56: "
                          "parameter 'message': '${outputs.fetch.many.message[5]}': "
                          "'fetch.many.message' has 2 values, none at 5 (values are numbered from "
                          "0 in instance order, then a list's order)"),
                     line("lockstep: use/none failed: {pipelines}/cli/output_params.yaml:23:57: "
                          "parameter 'message': '${outputs.fetch.quiet.x}': no instance published "
                          "'fetch.quiet.x' (its instances may have failed or been skipped, or "
                          "published other keys)"),
                     row("use  succeeded  @WALL@  2 succeeded, 3 failed")])
