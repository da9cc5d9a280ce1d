"""`lockstep validate`: one line on stdout with what a run would do, every diagnostic on stderr
(FILE:LINE:COL: error: ..., exit status 2); every fixture of tests/fixtures/pipelines/good and
bad."""
from spec import PIPELINES, case, expected_lines, first_line, last_line, regex

case("validate_counts", "validate {pipelines}/cli/counts.yaml", exit=0, stderr="",
     stdout="{pipelines}/cli/counts.yaml: ok: 3 stages, 5 jobs, 1,000,010 instances"
            " + 1 fan-out decided at run time, 2 bulkheads\n")
case("validate_repeat", "validate {pipelines}/cli/repeat.yaml", exit=0, stderr="",
     stdout="{pipelines}/cli/repeat.yaml: ok: 3 stages, 3 jobs, up to 11 instances, 1 bulkhead\n")
# --set repeats, and its value is everything after the first '=' (validate accepts "a=b").
case("validate_set",
     "validate {pipelines}/cli/tiny.yaml --set vars.greeting=hey --set vars.greeting=a=b",
     exit=0, stderr="",
     stdout="{pipelines}/cli/tiny.yaml: ok: 2 stages, 3 jobs, 10 instances, 1 bulkhead\n")
case("validate_warning", "validate {pipelines}/cli/empty_range.yaml", exit=0,
     stderr_has=regex(r"empty_range\.yaml:[0-9]+:[0-9]+: warning: .*has no values"),
     stderr_lacks="error",
     stdout="{pipelines}/cli/empty_range.yaml: ok: 1 stage, 2 jobs, 1 instance, 1 bulkhead\n")
case("validate_error", "validate {pipelines}/cli/bad_marker.yaml", exit=2, stdout="",
     stderr_has=[
         first_line(regex(r"{pipelines}/cli/bad_marker\.yaml:[0-9]+:[0-9]+: error: .*forever.*")),
         last_line("lockstep: 1 error")])
case("validate_no_such_file", "validate {pipelines}/cli/no_such.yaml", exit=2, stdout="",
     stderr_has=regex(r"no_such\.yaml.*error"))

# Every good fixture: exit 0, not a word on stderr, the summary line on stdout. The loader's own
# tests read the fixtures with HOME and USER set as here.
FIXED_HOME = {"HOME": "/home/ann", "USER": "ann"}
for good in sorted(PIPELINES.glob("good/*.yaml")):
    case(f"validate_good.{good.stem}", f"validate {{pipelines}}/good/{good.name}", exit=0,
         env=FIXED_HOME, stderr="",
         stdout=regex(rf"{{pipelines}}/good/{good.stem}\.yaml: ok: [0-9]+ stages?, [0-9]+ jobs?, "
                      r".*instances?.*, [0-9]+ bulkheads?\n"))

# Every bad-input fixture: exit 2, nothing on stdout, and stderr holds each line of its sibling
# .expected file (and may say more, such as the count of errors).
for bad in sorted(PIPELINES.glob("bad/*.yaml")):
    pipeline = f"{{pipelines}}/bad/{bad.name}"
    case(f"validate_bad.{bad.stem}", f"validate {pipeline}", exit=2, env=FIXED_HOME, stdout="",
         stderr_has=["error", expected_lines(pipeline)])
