"""Progress of `lockstep run` with stderr not a terminal (as under ctest): --progress=always prints
plain lines, at least each stage's final one before the summary, with no carriage return or
escape sequence; auto, never and --quiet print none."""
from spec import case, regex, row

STAGE_END = r"\[#+\] 100%"  # a stage's bar when all its instances have ended
PAINTED = ["\r", "\x1b"]     # what only a terminal's progress would print
TOTAL = row("total  succeeded...")

case("run_progress_plain",
     "run {pipelines}/cli/tiny.yaml --progress=always --run-dir {scratch}/logs", exit=0, stdout="",
     stderr_has=[regex(rf"(?m)^hello {STAGE_END}  8/8  .*  succeeded\n"
                       rf"again \(2 iterations\) {STAGE_END}  2/2  .*  succeeded\n"),
                 # the last progress line comes before the summary table
                 regex(r"succeeded\n.*\nstage +status")],
     stderr_lacks=PAINTED)
case("run_progress_auto_not_a_terminal", "run {pipelines}/cli/tiny.yaml --run-dir {scratch}/logs",
     exit=0, stdout="", stderr_has=TOTAL, stderr_lacks=[regex(STAGE_END), *PAINTED])
case("run_progress_never",
     "run {pipelines}/cli/tiny.yaml --progress=never --run-dir {scratch}/logs", exit=0, stdout="",
     stderr_has=TOTAL, stderr_lacks=regex(STAGE_END))
case("run_progress_quiet",
     "run {pipelines}/cli/tiny.yaml --progress=always --quiet --run-dir {scratch}/logs", exit=0,
     stdout="", stderr_has=TOTAL, stderr_lacks=regex(STAGE_END))
