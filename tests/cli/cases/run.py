"""`lockstep run`: the jobs' log lines and, at the end, the summary table on stderr; the exit
status of the run (0 all succeeded or failed as allowed, 1 failures, 2 nothing ran)."""
from spec import case, file_holds, last_line, line, no_file, regex, row

case("run", "run {pipelines}/cli/tiny.yaml", exit=0, stdout="",
     stderr_has=["hello a", "hello b", "hello c",
                 row("stage  status  iterations  wall  instances"),
                 row("hello  succeeded  @WALL@  8 succeeded"),
                 row("again  succeeded  2  @WALL@  2 succeeded"),
                 last_line(row("total  succeeded  @WALL@  10 succeeded"))])
# The value of --set is everything after the first '='.
case("run_set_and_threads", "run {pipelines}/cli/tiny.yaml --set vars.greeting=how=dy --threads 1",
     exit=0, stdout="",
     stderr_has=[line("[hello/greet[0]] info: how=dy a"), line("[hello/greet[2]] info: how=dy c"),
                 row("total  succeeded  @WALL@  10 succeeded")],
     stderr_lacks="hello a")
# The thread-cap warning names the cap as the user set it: the pipeline's `threads`, or --threads.
case("run_thread_cap_key", "run {pipelines}/cli/thread_cap.yaml", exit=0, stdout="",
     stderr_has="lockstep: warning: threads 1 is below the 4 workers of all bulkheads",
     stderr_lacks="max_threads")
case("run_thread_cap_flag", "run {pipelines}/cli/thread_cap.yaml --threads 3", exit=0, stdout="",
     stderr_has="lockstep: warning: --threads 3 is below the 4 workers of all bulkheads",
     stderr_lacks="max_threads")

case("run_failure", "run {pipelines}/cli/fails.yaml", exit=1, stdout="",
     stderr_has=[line("lockstep: first/boom failed: boom on purpose"),
                 row("stage  status  wall  instances"),
                 row("first  stopped  @WALL@  1 failed"),
                 row("second  skipped  @WALL@  4 skipped"),
                 last_line(row("total  failed  @WALL@  1 failed, 4 skipped"))])
case("run_allowed_failure", "run {pipelines}/cli/allowed_failure.yaml", exit=0, stdout="",
     stderr_has=[row("first  succeeded  @WALL@  1 succeeded, 1 failed"),
                 row("second  succeeded  @WALL@  1 succeeded"),
                 last_line(row("total  succeeded  @WALL@  2 succeeded, 1 failed"))])
# At most 20 failures are shown one by one, then how many more there were.
case("run_many_failures", "run {pipelines}/cli/many_failures.yaml", exit=1, stdout="",
     stderr_has=[regex(r"lockstep: all/boom.* failed: failed on purpose \([0-9]+\)\n"),
                 line("lockstep: 5 more failures not shown"),
                 row("all  failed  @WALL@  25 failed"),
                 last_line(row("total  failed  @WALL@  25 failed"))])

# A pipeline with an error runs nothing: the file its first stage would write is never written
# (and the same pipeline without the error does write it).
case("run_writes_marker", "run {pipelines}/cli/marker.yaml --set vars.marker={scratch}/written.txt",
     exit=0, stdout="", stderr_has=last_line(row("total  succeeded  @WALL@  2 succeeded")),
     check=file_holds("{scratch}/written.txt", "ran"))
case("run_error_runs_nothing",
     "run {pipelines}/cli/bad_marker.yaml --set vars.marker={scratch}/never.txt", exit=2,
     stdout="", stderr_has=regex(r"bad_marker\.yaml:[0-9]+:[0-9]+: error: .*forever"),
     stderr_lacks=[row("stage  status..."), "wrote"], check=no_file("{scratch}/never.txt"))
# A shell_program that does not exist stops the run before anything runs (validate_bad checks
# every message).
case("run_missing_shell_program", "run {pipelines}/bad/shell_program.yaml", exit=2, stdout="",
     stderr_has="shell_program.yaml:16:26: error: job 'missing' (core.command): "
                "parameter 'shell_program' names no program in PATH",
     stderr_lacks=["this must not run", line("stage ...")])
