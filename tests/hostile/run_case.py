#!/usr/bin/env python3
"""Runs one case of the hostile corpus (tests/fixtures/hostile/) through the real `lockstep`.

  run_case.py LOCKSTEP CASE_FILE WORK [--no-limits]

A case is one file: a pipeline (NAME.yaml), or a generator (NAME.py) whose make(work, lockstep)
writes the inputs and returns the arguments of `lockstep` (or them and a dict of more @NAME@
substitutions for its expected lines). Its first comment lines say what it is and what
must happen:

  # hostile: a file of aliases to one 100 KB scalar              what it tries (required)
  # args: validate @FILE@                                          default: validate @FILE@
  # exit: 2                                                        required
  # stderr: @FILE@:9:5: error: this alias expands the document     a line that must be printed,
  #         past 32 MiB of text                                     continued on the next lines
  # stdout: ...                                                    the same on stdout
  # not-output: MARKER                                             must be on neither stream
  # no-control-bytes: yes                                          none on stderr but \n and \t
  # max-stderr-lines: 3                                            no follow-on errors
  # no-file: MARKER                                                must not exist in WORK after
  # file: report.json: "status": "error"                           WORK/report.json holds it
  # env: NAME=value                                                for lockstep
  # needs-limits: yes                                              only meaningful under them

@FILE@ is the case's file as given to lockstep (its copy in WORK, by name), @WORK@ the directory
it runs in. Each case runs under `ulimit -v` 1 GiB with a 10 s timeout, and must stay under
256 MiB of resident memory; --no-limits (sanitizer builds, which reserve terabytes of address
space) drops those three and gives it 120 s.
"""
import importlib.util
import os
import re
import resource
import shutil
import subprocess
import sys
import time

ADDRESS_SPACE = 1 << 30  # ulimit -v 1 GiB
MAX_RSS_KIB = 256 * 1024
SKIPPED = 77  # ctest's SKIP_RETURN_CODE

KEYS = {"hostile", "args", "exit", "stderr", "stdout", "not-output", "no-control-bytes",
        "max-stderr-lines", "no-file", "file", "env", "needs-limits"}


def read_header(path):
    """The case's `# key: value` lines, each key to a list of values (continuations joined)."""
    header = {}
    last = None
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if not line.startswith("#"):
                if line.strip() and not line.startswith("#!"):
                    break
                continue
            body = line[1:].rstrip("\n")
            match = re.match(r" ([a-z-]+): ?(.*)$", body)
            if match and match.group(1) in KEYS:
                last = match.group(1)
                header.setdefault(last, []).append(match.group(2))
            elif last and body.startswith("  ") and body.strip():
                header[last][-1] += " " + body.strip()  # a continuation line
            else:
                last = None
    return header


def limit_resources():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def main():
    args = sys.argv[1:]
    no_limits = "--no-limits" in args
    args = [a for a in args if a != "--no-limits"]
    if len(args) != 3:
        sys.exit(__doc__)
    lockstep, case_file, work = os.path.abspath(args[0]), os.path.abspath(args[1]), args[2]
    name = os.path.splitext(os.path.basename(case_file))[0]
    header = read_header(case_file)
    for key in ("hostile", "exit"):
        if key not in header:
            sys.exit(f"{case_file}: no '# {key}:' line")
    if header.get("needs-limits") and no_limits:
        print(f"{name}: skipped: it needs `ulimit -v`, which this build cannot run under")
        sys.exit(SKIPPED)

    work = os.path.abspath(os.path.join(work, name))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if case_file.endswith(".py"):
        spec = importlib.util.spec_from_file_location(f"hostile_{name}", case_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        made = module.make(work, lockstep)
        command, extra = made if isinstance(made, tuple) else (made, {})
        file_arg = command[1] if len(command) > 1 else ""
    else:
        shutil.copy(case_file, os.path.join(work, name + ".yaml"))
        file_arg = name + ".yaml"
        command = (header.get("args", ["validate @FILE@"])[0]).split()
        extra = {}

    def fill(text):
        text = text.replace("@FILE@", file_arg).replace("@WORK@", work)
        for key, value in extra.items():
            text = text.replace(key, value)
        return text

    command = [fill(a) for a in command]
    env = dict(os.environ)
    for assignment in header.get("env", []):
        key, _, value = fill(assignment).partition("=")
        env[key] = value

    started = time.monotonic()
    try:
        result = subprocess.run([lockstep] + command, cwd=work, env=env, capture_output=True,
                                timeout=120 if no_limits else 10,
                                preexec_fn=None if no_limits else limit_resources)
    except subprocess.TimeoutExpired:
        sys.exit(f"{name}: lockstep {' '.join(command)}: no end within the time limit")
    seconds = time.monotonic() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stdout = result.stdout.decode(errors="replace")
    stderr = result.stderr.decode(errors="replace")

    problems = []
    expected_exit = int(header["exit"][0])
    if result.returncode != expected_exit:
        problems.append(f"exit {result.returncode}, expected {expected_exit}")
    for stream, text in (("stderr", stderr), ("stdout", stdout)):
        for line in header.get(stream, []):
            if fill(line) not in text.splitlines():
                problems.append(f"no {stream} line: {fill(line)}")
    for text in header.get("not-output", []):
        if fill(text) in stdout or fill(text) in stderr:
            problems.append(f"printed what it must not: {fill(text)}")
    if header.get("no-control-bytes") and any(
            byte < 0x20 and byte not in b"\n\t" for byte in result.stderr):
        problems.append("a control character reached stderr")
    for count in header.get("max-stderr-lines", []):
        if len(stderr.splitlines()) > int(count):
            problems.append(f"{len(stderr.splitlines())} stderr lines, at most {count} expected")
    for path in header.get("no-file", []):
        if os.path.exists(os.path.join(work, fill(path))):
            problems.append(f"{fill(path)} exists: what the case tried to make happen, happened")
    for spec in header.get("file", []):
        path, _, content = fill(spec).partition(": ")
        try:
            with open(os.path.join(work, path), encoding="utf-8", errors="replace") as file:
                if content not in file.read():
                    problems.append(f"{path} does not hold: {content}")
        except OSError as error:
            problems.append(f"{path}: {error}")
    if not no_limits and rss > MAX_RSS_KIB:
        problems.append(f"{rss // 1024} MiB resident, more than {MAX_RSS_KIB // 1024} MiB")

    if problems:
        print(f"{name}: {header['hostile'][0]}\n  lockstep {' '.join(command)} (in {work})",
              file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"--- stdout:\n{stdout[:4000]}\n--- stderr:\n{stderr[:4000]}", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: ok in {seconds:.2f} s, {rss // 1024} MiB resident ({header['hostile'][0]})")


if __name__ == "__main__":
    main()
