"""`lockstep run --run-dir DIR`: each instance's log lines in a file of its own under DIR/jobs,
every line in DIR/run.log as JSON, "logs: DIR" at the end; job lines still on stderr (with
--quiet only warnings and errors); a --run-dir that cannot be made runs nothing."""
import json
import re

from spec import case, line


def run_dir_holds(directory):
    """Each instance's file under DIR/jobs holds its own lines and no other's (stdout and stderr
    in either order: they come through two pipes); jobs that log nothing have no file; DIR/run.log
    has one JSON object per line, with a UTC time, level, stage, job and index."""
    def check(run):
        root = run.path(directory)
        expected_files = {"say.0.log": ["err a", "out a"], "say.1.log": ["err b", "out b"],
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
