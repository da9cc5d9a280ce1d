"""`if:` on stages and jobs: a false condition skips every instance of its stage or job, with the
reason in the summary and in the JSON report's stage record; the stages that need a skipped stage
still run; a condition over outputs of a needed stage is decided when that stage has ended; a
malformed expression or a bad reference exits 2 at its exact column, before anything runs."""
import json

from spec import case, line, row

PIPELINE = "{pipelines}/cli/conditions.yaml"


def stage_records(run):
    report = json.loads(run.path("{scratch}/report.json").read_text(encoding="utf-8"))
    return {stage["name"]: stage for stage in report["stages"]}


def report_says(expected):
    """Each stage's status, skipped count and note in the JSON report, as `expected` gives them."""
    def check(run):
        stages = stage_records(run)
        for name, (status, skipped, note) in expected.items():
            stage = stages.get(name)
            if stage is None:
                yield f"no stage '{name}' in the report"
                continue
            got = (stage["status"], stage["counts"]["skipped"], stage["note"])
            if got != (status, skipped, note):
                yield f"stage '{name}': expected {(status, skipped, note)}, got {got}"
    return check


# Mode slow: `fast` is skipped (decided from vars before the run), `after-gate` runs since gate
# published open=yes, its `extra` job is skipped; `last` runs though `fast` was skipped.
FAST_FALSE = "if: ${vars.mode} == 'fast' is false (${vars.mode} is 'slow')"
EXTRA_FALSE = ("job 'extra': if: ${outputs.gate.check.open} != 'yes' is false "
               "(${outputs.gate.check.open} is 'yes') (2 instances skipped)")
case("conditions_false_skips",
     f"run {PIPELINE} --report {{scratch}}/report.json", exit=0, stdout="",
     stderr_has=[line("[after-gate/main] info: through the gate"),
                 line("[last/end] info: the end"),
                 row("fast  skipped  @WALL@  3 skipped"),
                 row("after-gate  succeeded  @WALL@  1 succeeded, 2 skipped"),
                 row("total  succeeded  @WALL@  3 succeeded, 5 skipped"),
                 line("fast: " + FAST_FALSE),
                 line("after-gate: " + EXTRA_FALSE)],
     stderr_lacks=["fast a", "extra 0"],
     check=report_says({"fast": ("skipped", 3, FAST_FALSE),
                        "after-gate": ("succeeded", 2, EXTRA_FALSE),
                        "last": ("succeeded", 0, "")}))

# Mode fast: `fast` runs; `after-gate` runs through its `||`.
case("conditions_true_runs",
     f"run {PIPELINE} --set vars.mode=fast", exit=0, stdout="",
     stderr_has=[line("[fast/run[0]] info: fast a"),
                 line("[fast/run[2]] info: fast c"),
                 row("fast  succeeded  @WALL@  3 succeeded"),
                 row("total  succeeded  @WALL@  6 succeeded, 2 skipped")],
     stderr_lacks=["fast: if:"])

# Over the outputs of a needed stage: gate publishes open=no, so the stage's condition is false
# (with the value it read); with open=maybe and mode fast, the stage runs and so does `extra`.
GATE_NO = ("if: ${outputs.gate.check.open} || ${vars.mode} == 'fast' is false "
           "(${outputs.gate.check.open} is 'no', ${vars.mode} is 'slow')")
case("conditions_over_outputs_false",
     f"run {PIPELINE} --set vars.gate=no --report {{scratch}}/report.json", exit=0, stdout="",
     stderr_has=[row("after-gate  skipped  @WALL@  3 skipped"),
                 row("last  succeeded  @WALL@  1 succeeded"),
                 line("after-gate: " + GATE_NO)],
     stderr_lacks=["through the gate"],
     check=report_says({"after-gate": ("skipped", 3, GATE_NO)}))
case("conditions_over_outputs_true",
     f"run {PIPELINE} --set vars.gate=maybe --set vars.mode=fast", exit=0, stdout="",
     stderr_has=[line("[after-gate/extra[0]] info: extra 0"),
                 line("[after-gate/extra[1]] info: extra 1"),
                 row("after-gate  succeeded  @WALL@  3 succeeded"),
                 row("total  succeeded  @WALL@  8 succeeded")],
     stderr_lacks=["if:"])

# Mistakes: exit 2 at the exact column, nothing run (no job's log line, no summary).
case("conditions_bad_expression", "run {pipelines}/bad/condition_syntax.yaml", exit=2, stdout="",
     stderr_has=[line("{pipelines}/bad/condition_syntax.yaml:7:22: error: '=' is not an operator "
                      "in 'if' in stage 'a' (compare with ==)"),
                 line("{pipelines}/bad/condition_syntax.yaml:14:14: error: '(' is not closed in "
                      "'if' in job 'j' (add a ')')")],
     stderr_lacks=["total"])
case("conditions_unknown_stage", "run {pipelines}/bad/condition_references.yaml", exit=2,
     stdout="",
     stderr_has=[line("{pipelines}/bad/condition_references.yaml:16:40: error: unknown stage "
                      "'prob' in the 'if' of job 'j' (did you mean 'probe'?)"),
                 "which stage 'side' does not need (add 'probe' to the 'needs' of stage 'side'"],
     stderr_lacks=["total"])

# `lockstep graph` labels each conditional stage and job with its condition; one decided when the
# pipeline was loaded says how.
case("conditions_graph", f"graph {PIPELINE}", exit=0, stderr="",
     stdout_has=[line("    label=\"fast\\nparallel\\nif: ${vars.mode} == 'fast' (false)\";"),
                 line("    label=\"after-gate\\nparallel\\nif: ${outputs.gate.check.open} || "
                      "${vars.mode} == 'fast'\";"),
                 line("    \"stage2.job1\" [label=\"extra\\ncore.echo\\nbulkhead: default\\n"
                      "×2 range 0..2\\nif: ${outputs.gate.check.open} != 'yes'\", "
                      "fillcolor=\"#cfe2f3\"];")])

