"""`lockstep run --run-dir DIR`: each job's log lines in its file under DIR/jobs (a fan-out's led
by their index), the first instances' and the failures' also in files of their own, every line in
DIR/run.log as JSON, "logs: DIR" at the end; job lines still on stderr (with --quiet only warnings
and errors); a --run-dir that cannot be made runs nothing. 20,000 instances make a bounded number
of files and take no more than twice their text on disk; --log-max bounds what the lines take."""
import json
import os
import re

from spec import case, line


def run_dir_holds(directory):
    """Each instance's file under DIR/jobs holds its own lines and no other's (stdout and stderr
    in either order: they come through two pipes), the job's file all of them led by their index;
    jobs that log nothing have no file; DIR/run.log has one JSON object per line, with a UTC time,
    level, stage, job and index."""
    def check(run):
        root = run.path(directory)
        expected_files = {"say.0.log": ["err a", "out a"], "say.1.log": ["err b", "out b"],
                          "say.log": ["[0] err a", "[0] out a", "[1] err b", "[1] out b"],
                          "solo.log": ["solo out"]}
        for name, lines in expected_files.items():
            file = root / "jobs" / "talk" / name
            actual = sorted(file.read_text(encoding="utf-8").splitlines()) \
                if file.exists() else f"(no file {file})"
            if actual != lines:
                yield f"jobs/talk/{name} holds {actual}, expected {lines}"
        files = sorted(str(path.relative_to(root)) for path in (root / "jobs").rglob("*")
                       if path.is_file())
        if files != [f"jobs/talk/{name}" for name in sorted(expected_files)]:
            yield f"the job files are {files}: only the jobs that logged should have one"
        seen = []
        for record in (root / "run.log").read_text(encoding="utf-8").splitlines():
            entry = json.loads(record)
            if not re.fullmatch(r"[0-9]+-[0-9]{2}-[0-9]{2}T[0-9:]+\.[0-9]{3}Z", entry["ts"]):
                yield f"run.log line without a UTC time: {record}"
            seen.append(f"{entry['stage']}/{entry['job']}/{entry.get('index', '-')} "
                        f"{entry['level']} {entry['msg']}")
        expected = ["talk/say/0 info out a", "talk/say/0 warning err a", "talk/say/1 info out b",
                    "talk/say/1 warning err b", "talk/solo/- info solo out"]
        if sorted(seen) != expected:
            yield f"run.log holds {sorted(seen)}, expected {expected}"
    check.__doc__ = f"the logs under {directory}"
    return check


case("run_dir", "run {pipelines}/cli/run_dir.yaml --run-dir {scratch}/loud", exit=0, stdout="",
     stderr_has=[line("[talk/say[0]] info: out a"), line("[talk/say[1]] warning: err b"),
                 line("logs: {scratch}/loud")],
     check=run_dir_holds("{scratch}/loud"))
case("run_dir_quiet", "run {pipelines}/cli/run_dir.yaml --quiet --run-dir {scratch}/quiet", exit=0,
     stdout="",
     stderr_has=[line("[talk/say[0]] warning: err a"), line("logs: {scratch}/quiet")],
     stderr_lacks="info: out", check=run_dir_holds("{scratch}/quiet"))
case("run_dir_not_writable",
     "run {pipelines}/cli/run_dir.yaml --run-dir {pipelines}/cli/run_dir.yaml/logs", exit=2,
     stdout="",
     stderr="lockstep run: error: --run-dir: {pipelines}/cli/run_dir.yaml is not a directory\n")


def bounded(directory, most_files):
    """At most `most_files` files under DIR; their disk blocks at most twice their bytes; the job's
    file every line once, led by its index, and no more than twice the text the job logged; of
    the instances past the first 100, only the one that failed has a file of its own."""
    def check(run):
        root = run.path(directory)
        files = [path for path in root.rglob("*") if path.is_file()]
        if len(files) > most_files:
            yield f"{len(files)} files under {directory}, expected at most {most_files}"
        text = sum(path.stat().st_size for path in files)
        on_disk = sum(path.stat().st_blocks * 512 for path in files)
        if on_disk > 2 * text:
            yield f"{on_disk} bytes on disk for {text} bytes of text: more than twice"
        logged = [f"instance {index} says hello" for index in range(20000)]
        echo = root / "jobs" / "say" / "echo.log"
        lines = echo.read_text(encoding="utf-8").splitlines() if echo.exists() else []
        if sorted(lines) != sorted(f"[{index}] {line}" for index, line in enumerate(logged)):
            yield f"{echo} does not hold every line once, led by its index"
        logged_bytes = sum(len(line) + 1 for line in logged)
        if echo.exists() and echo.stat().st_size > 2 * logged_bytes:
            yield f"{echo} takes {echo.stat().st_size} bytes for {logged_bytes} bytes of lines"
        own = sorted(path.name for path in (root / "jobs" / "say").glob("echo.*.log"))
        if own != sorted(f"echo.{index}.log" for index in range(100)):
            yield f"instance files of say/echo: {len(own)}, expected echo.0.log to echo.99.log"
        probes = sorted(path.name for path in (root / "jobs" / "check").glob("probe.*.log"))
        if probes != sorted(f"probe.{index}.log" for index in [*range(100), 150]):
            yield f"instance files of check/probe: {probes}, expected the first 100 and the " \
                  "failed one's, probe.150.log"
        failed = root / "jobs" / "check" / "probe.150.log"
        if failed.exists() and failed.read_text(encoding="utf-8") != "probe 150\n":
            yield f"{failed} holds {failed.read_text(encoding='utf-8')!r}, expected 'probe 150'"
    check.__doc__ = f"the bounds of {directory}"
    return check


case("run_dir_bounded", "run {pipelines}/cli/run_dir_many.yaml --quiet --run-dir {scratch}/many",
     exit=1, stdout="", stderr_has=[line("logs: {scratch}/many")],
     # The first 100 instances' files of each job, 2 jobs' files, 1 failure's, run.log, journal
     # and lock: however many instances the jobs have.
     check=bounded("{scratch}/many", most_files=2 * 100 + 2 + 1 + 3))


def within_log_max(directory, log_max):
    """The job lines in DIR take at most `log_max` bytes (run.log's lines of jobs and the files
    under DIR/jobs), some were written, and run.log ends with one note of the limit."""
    def check(run):
        root = run.path(directory)
        records = (root / "run.log").read_text(encoding="utf-8").splitlines()
        notes = [record for record in records if "job" not in json.loads(record)]
        if len(notes) != 1 or "limit of" not in notes[0] or records[-1] != notes[0]:
            yield f"run.log should end with one note of the limit, has {notes}"
        of_jobs = sum(len(record) + 1 for record in records if record not in notes)
        of_jobs += sum(path.stat().st_size for path in (root / "jobs").rglob("*")
                       if path.is_file())
        if not 0 < of_jobs <= log_max:
            yield f"the job lines take {of_jobs} bytes, expected some and at most {log_max}"
    check.__doc__ = f"the job lines in {directory} within --log-max {log_max}"
    return check


case("run_dir_log_max", "run {pipelines}/cli/run_dir.yaml --quiet --log-max 600 "
     "--run-dir {scratch}/capped", exit=0, stdout="",
     stderr_has=line("lockstep: warning: the job logs in {scratch}/capped reached --log-max 600: "
                     "later lines are not there (--log-max none lifts the limit)"),
     check=within_log_max("{scratch}/capped", 600))
case("run_dir_log_max_none", "run {pipelines}/cli/run_dir.yaml --quiet --log-max none "
     "--run-dir {scratch}/all", exit=0, stdout="", stderr_lacks="--log-max",
     check=run_dir_holds("{scratch}/all"))
# 1k (any case) is 1024 bytes: more than these lines take.
case("run_dir_log_max_unit", "run {pipelines}/cli/run_dir.yaml --quiet --log-max 1k "
     "--run-dir {scratch}/room", exit=0, stdout="", stderr_lacks="--log-max",
     check=run_dir_holds("{scratch}/room"))
case("run_dir_log_max_not_a_size", "run {pipelines}/cli/run_dir.yaml --log-max 10X", exit=2,
     stdout="",
     stderr_has="lockstep run: error: --log-max: '10X' is not a size: write bytes, a number "
                "followed by K, M, G or T (powers of 1024), or none",
     stderr_lacks="out a")
case("run_dir_log_max_too_big", "run {pipelines}/cli/run_dir.yaml --log-max 99999999999T",
     exit=2, stdout="", stderr_has="--log-max: '99999999999T' is more bytes than a size can hold")
