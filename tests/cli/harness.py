#!/usr/bin/env python3
"""Runs the end-to-end cases of the `lockstep` command (tests/cli/cases/*.py, written in the words
of spec.py), one per ctest test cli.NAME.

  harness.py list [--with test_plugins]           the names of the cases, one a line (CMake
                                                  registers a test for each at configure time)
  harness.py run NAME --lockstep PATH --test-plugins DIR --plugin-dir DIR --render-plugins DIR
                 --version VERSION --scratch-root DIR
  harness.py check [--name NAME] [--exit N] [--env NAME=VALUE] [--stdout-empty]
                   [--stdout-regex RE] [--stdout-lacks-regex RE] [--stderr-... the same]
                   -- PROGRAM ARGS...             one command checked the same way without a
                                                  case file, for lockstep_cli_test() in CMake

A failed case prints its command, each expectation that failed, and what the command printed.
"""
import argparse
import importlib.util
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the cases import spec and the check_*.py modules
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import spec  # noqa: E402  (after the path is set)

SOURCE = spec.SOURCE
TIMEOUT_SECONDS = 60


def load_cases():
    """Every case of cases/*.py, in file order; a name used twice is an error."""
    for path in sorted((HERE / "cases").glob("*.py")):
        module_spec = importlib.util.spec_from_file_location(f"cases.{path.stem}", path)
        module_spec.loader.exec_module(importlib.util.module_from_spec(module_spec))
    names = {}
    for case in spec.CASES:
        if case.name in names:
            sys.exit(f"harness.py: case {case.name} at {case.where} and at {names[case.name]}")
        names[case.name] = case.where
    return spec.CASES


def available(needs, with_):
    have = {"test_plugins": "test_plugins" in with_, "dot": shutil.which("dot") is not None,
            "/dev/full": os.path.exists("/dev/full"), "uninstrumented": "uninstrumented" in with_,
            # Known only when the case runs (run_case): listed, then skipped where lacking.
            "memory_cgroup": True}
    return all(have[need] for need in needs)


SKIPPED = 77  # ctest's SKIP_RETURN_CODE for these tests


def lacks_memory_cgroup(lockstep):
    """Why lockstep cannot make a memory cgroup here (as its --version says), or None."""
    version = subprocess.run([lockstep, "--version"], capture_output=True, text=True).stdout
    return None if "limits of worker processes: cgroup" in version else version.strip()


# ---- running one command and judging what it did ------------------------------------------------

class Run:
    """What a check function gets: the command's status and output, and `path(text)` to turn a
    text with {places} into a path."""

    def __init__(self, args, status, stdout, stderr, places):
        self.args, self.status, self.stdout, self.stderr = args, status, stdout, stderr
        self.places = places

    def path(self, text):
        return pathlib.Path(spec.fill(text, self.places))


def run_command(program, case, places, cwd):
    args = [spec.fill(arg, places) for arg in case.args]
    env = {name: value for name, value in os.environ.items() if name != "LOCKSTEP_PLUGIN_PATH"}
    added = {name: spec.fill(value, places) for name, value in case.env.items()}
    env.update(added)
    shown = " ".join([f"{name}={shlex.quote(value)}" for name, value in added.items()] +
                     [shlex.quote(str(program))] + [shlex.quote(arg) for arg in args])
    if cwd is not None:
        shown = f"cd {shlex.quote(str(cwd))} && {shown}"
    try:
        done = subprocess.run([str(program)] + args, env=env, cwd=cwd, capture_output=True,
                              timeout=TIMEOUT_SECONDS)
        status, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as timeout:
        status, out, err = f"none: killed after {TIMEOUT_SECONDS} s", timeout.stdout, timeout.stderr
    except OSError as error:  # no such program, not executable
        status, out, err = f"none: {error}", b"", b""
    decode = lambda data: (data or b"").decode("utf-8", errors="replace")  # noqa: E731
    return shown, Run(args, status, decode(out), decode(err), places)


def stream_problems(case, stream, text, places):
    problems = []
    exact = case.exact.get(stream)
    if isinstance(exact, str) and text != spec.fill(exact, places):
        problems.append(f"{stream} is not exactly {spec.fill(exact, places)!r}")
    elif isinstance(exact, spec.Regex) and not re.fullmatch(exact.pattern(places), text):
        problems.append(f"{stream} as a whole does not match {exact}")
    elif isinstance(exact, spec.ExpectedLines):
        problems += exact_lines_problems(stream, exact.lines(places), text, places)
    for expected in case.has[stream]:
        items = expected.lines(places) if isinstance(expected, spec.ExpectedLines) else [expected]
        for item in items:
            if not item.found(text, places):
                problems.append(f"{stream} does not hold {item}")
    for unexpected in case.lacks[stream]:
        if unexpected.found(text, places):
            problems.append(f"{stream} holds what it must not: {unexpected}")
    return problems


def exact_lines_problems(stream, want, text, places):
    got = text.splitlines()
    problems = []
    if len(got) != len(want):
        problems.append(f"{stream} has {len(got)} lines, expected {len(want)}")
    for number, (item, actual) in enumerate(zip(want, got), start=1):
        if not re.fullmatch(item.line_pattern(places), actual):
            problems.append(f"{stream} line {number} is {actual!r}, expected {item}")
    return problems


def judge(case, run):
    problems = []
    if run.status != case.exit:
        problems.append(f"exit status {run.status}, expected {case.exit}")
    problems += stream_problems(case, "stdout", run.stdout, run.places)
    problems += stream_problems(case, "stderr", run.stderr, run.places)
    for check in case.checks:
        try:
            problems += list(check(run) or ())
        except Exception as error:  # a check that cannot read what it checks fails the case
            problems.append(f"{check.__doc__ or check.__name__}: {type(error).__name__}: {error}")
    return problems


def report(title, shown, run, problems):
    if not problems:
        print(f"ok: {title}\n  {shown}")
        return 0
    print(f"FAILED: {title}\n  {shown}")
    for problem in problems:
        print(f"  - {problem}")
    for label, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        print(f"--- {label} ({len(text.splitlines())} lines):")
        print(text, end="" if text.endswith("\n") or not text else "\n")
    print(f"--- exit status: {run.status}")
    return 1


# ---- the three commands -----------------------------------------------------------------------

def list_cases(options):
    for case in load_cases():
        case_file = case.where.split(":")[0].rsplit("/", 1)[-1]
        if options.from_ and case_file not in options.from_:
            continue
        if available(case.needs, options.with_):
            print(case.name)
    return 0


def run_case(options):
    cases = {case.name: case for case in load_cases()}
    if options.name not in cases:
        sys.exit(f"harness.py: no case named {options.name!r} in {HERE / 'cases'}")
    case = cases[options.name]
    scratch = pathlib.Path(options.scratch_root).resolve() / case.name
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    places = {
        "pipelines": spec.PIPELINES, "source": SOURCE,
        "test_plugins": options.test_plugins, "plugin_dir": options.plugin_dir,
        "render_plugins": options.render_plugins, "version": options.version,
        "plugin_abi": plugin_abi(), "scratch": scratch,
        # A case may add to the sanitizers' options (a sanitizer build's test environment sets
        # them): "{asan_options}handle_segv=0".
        "asan_options": sanitizer_options("ASAN_OPTIONS"),
        "tsan_options": sanitizer_options("TSAN_OPTIONS")}
    lockstep = pathlib.Path(options.lockstep).resolve()  # it runs in the scratch directory
    if "memory_cgroup" in case.needs and (why := lacks_memory_cgroup(lockstep)):
        print(f"cli.{case.name}: skipped: lockstep cannot make a memory cgroup here:\n{why}")
        return SKIPPED
    shown, run = run_command(lockstep, case, places, cwd=scratch)
    return report(f"cli.{case.name} ({case.where})", shown, run, judge(case, run))


def sanitizer_options(name):
    """The options in the environment variable `name`, ready for one more: "a=1:" or ""."""
    options = os.environ.get(name, "")
    return f"{options}:" if options else ""


def plugin_abi():
    """The plugin ABI this source declares (framework/include/lockstep/export.hpp)."""
    header = (SOURCE / "framework/include/lockstep/export.hpp").read_text(encoding="utf-8")
    return re.search(r"#define LOCKSTEP_ABI_VERSION ([0-9]+)", header).group(1)


def check_command(options):
    """One command, described by flags instead of a case file (see the module's comment)."""
    streams = {}
    for stream in ("stdout", "stderr"):
        if getattr(options, f"{stream}_empty"):
            streams[stream] = ""
        streams[f"{stream}_has"] = [spec.regex(t) for t in getattr(options, f"{stream}_regex")]
        streams[f"{stream}_lacks"] = [spec.regex(t)
                                      for t in getattr(options, f"{stream}_lacks_regex")]
    env = dict(item.split("=", 1) for item in options.env)
    case = spec.Case(options.name, options.command[1:], options.exit, "harness.py check", env=env,
                     **streams)
    shown, run = run_command(options.command[0], case, {}, cwd=None)
    return report(options.name, shown, run, judge(case, run))


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="mode", required=True)
    listing = commands.add_parser("list")
    listing.add_argument("--from", dest="from_", action="append", default=[],
                         help="only the cases of this file of cases/ (run.py, ...)")
    listing.add_argument("--with", dest="with_", action="append", default=[],
                         choices=["test_plugins", "uninstrumented"])
    listing.set_defaults(do=list_cases)
    running = commands.add_parser("run")
    running.add_argument("name")
    for option in ("lockstep", "test-plugins", "plugin-dir", "render-plugins", "version",
                   "scratch-root"):
        running.add_argument(f"--{option}", required=True)
    running.set_defaults(do=run_case)
    checking = commands.add_parser("check")
    checking.add_argument("--name", default="the command", help="what to call it in messages")
    checking.add_argument("--exit", type=int, default=0)
    checking.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    for stream in ("stdout", "stderr"):
        checking.add_argument(f"--{stream}-empty", action="store_true")
        for kind in ("regex", "lacks-regex"):
            checking.add_argument(f"--{stream}-{kind}", action="append", default=[])
    checking.add_argument("command", nargs="+", help="PROGRAM ARGS... (after --)")
    checking.set_defaults(do=check_command)
    return parser.parse_args(argv)


if __name__ == "__main__":
    options = parse(sys.argv[1:])
    sys.exit(options.do(options))
