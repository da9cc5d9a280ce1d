"""`lockstep run --report FILE`: the JSON report, checked field by field against docs/report.md
(check_report.py); a report that cannot be written is an error, never a silent loss."""
import json

import check_report
from spec import case, last_line, no_file, row


def report_holds(instances, expect=None):
    """The report at {scratch}/report.json passes check_report.py: its counts add up to
    `instances`, and the facts of the fixture named by `expect` hold."""
    def check(run):
        report = json.loads(run.path("{scratch}/report.json").read_text(encoding="utf-8"))
        yield from check_report.problems(report, instances, expect)
    check.__doc__ = f"the report of {instances} instances ({expect})"
    return check


# A run with failures after retries, a timeout and rejections.
case("run_report", "run {pipelines}/cli/report.yaml --report {scratch}/report.json", exit=1,
     check=report_holds(13, expect="report"))
# Per stage, the slowest instances with their items (a file's path, an item, a matrix cell) and
# per job the percentiles of run times, from jobs that sleep for visibly different times.
case("run_report_slowest", "run {pipelines}/cli/slowest.yaml --report {scratch}/report.json",
     exit=0, check=report_holds(16, expect="slowest"))

# A report path that cannot be written stops the run before any job (the marker is not written);
# one that fails as it is written turns a successful run's status into 2, and only that.
case("run_report_unwritable",
     "run {pipelines}/cli/marker.yaml --set vars.marker={scratch}/never.txt"
     " --report {scratch}/no-such-dir/report.json", exit=2, stdout="",
     stderr="lockstep: cannot write report '{scratch}/no-such-dir/report.json': "
            "No such file or directory\n",
     check=no_file("{scratch}/never.txt"))
case("run_report_write_fails", "run {pipelines}/cli/tiny.yaml --report /dev/full", exit=2,
     stdout="", needs=["/dev/full"],
     stderr_has=[row("total  succeeded..."),
                 last_line("lockstep: cannot write report '/dev/full': No space left on device")])
case("run_report_write_fails_run_failed", "run {pipelines}/cli/fails.yaml --report /dev/full",
     exit=1, stdout="", needs=["/dev/full"],
     stderr_has="lockstep: cannot write report '/dev/full': ")

# An output that would overwrite an input or the other output runs nothing.
case("run_report_is_the_pipeline", "run {pipelines}/cli/tiny.yaml --report {pipelines}/cli/tiny.yaml",
     exit=2, stdout="",
     stderr="lockstep run: error: --report {pipelines}/cli/tiny.yaml is the pipeline "
            "({pipelines}/cli/tiny.yaml): choose another file\n")
case("run_report_is_the_trace", "run {pipelines}/cli/tiny.yaml --report r.json --trace ./r.json",
     exit=2, stdout="",
     stderr="lockstep run: error: --report and --trace are the same file (r.json): "
            "choose another file\n")
case("run_html_is_the_pipeline", "run {pipelines}/cli/tiny.yaml --html {pipelines}/cli/tiny.yaml",
     exit=2, stdout="",
     stderr="lockstep run: error: --html {pipelines}/cli/tiny.yaml is the pipeline "
            "({pipelines}/cli/tiny.yaml): choose another file\n")
case("run_html_is_the_report", "run {pipelines}/cli/tiny.yaml --report r.json --html ./r.json",
     exit=2, stdout="",
     stderr="lockstep run: error: --report and --html are the same file (r.json): "
            "choose another file\n")
