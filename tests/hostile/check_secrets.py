#!/usr/bin/env python3
"""Secrets never leave lockstep: a pipeline passes one through params, `env`, argv, shell code in
each quoting place, an output and a fan-out over it, a failure message and a log line; every byte
of every artifact (the run directory, the report, the trace) and of stdout and stderr, for
`run`, `validate` and `graph`, holds no copy of it, raw or escaped, and *** stands there instead.

  check_secrets.py LOCKSTEP WORK

Then the mistakes: a secret that is not set, one shorter than 4 characters, ${secrets.NAME} of an
undeclared name or outside a job's params.
"""
import json
import os
import shutil
import subprocess
import sys

# Quotes, a $, a backtick and a backslash: shell quoting and JSON escape it, masking must not miss
# any of its written forms.
SECRET = "tok3n-'q\"$x`b\\z-7781"

PIPELINE = r"""version: 1
name: secret-use
secrets: [HOSTILE_TOKEN]
stages:
  - name: use
    jobs:
      - id: echo
        type: core.echo
        params: { message: "token ${secrets.HOSTILE_TOKEN}" }
      - id: argv
        type: core.command
        params:
          argv: [printf, "%s\n", "${secrets.HOSTILE_TOKEN}"]
      - id: shell
        type: core.command
        params:
          env: { TOKEN: "${secrets.HOSTILE_TOKEN}" }
          shell: |
            printf 'env %s\n' "$$TOKEN"
            printf 'bare %s\n' ${secrets.HOSTILE_TOKEN}
            printf 'single %s\n' '${secrets.HOSTILE_TOKEN}'
            printf 'double %s\n' "${secrets.HOSTILE_TOKEN}"
            printf 'out=%s\n' "$$TOKEN" >> "$$LOCKSTEP_OUTPUT"
      - id: fail
        type: core.fail
        params: { message: "could not log in with ${secrets.HOSTILE_TOKEN}" }
        continue_on_error: true
  - name: again
    jobs:
      - id: each
        type: core.echo
        foreach: { from_outputs: use.shell.out }
        params: { message: "${item}" }
"""

WRONG_VALUE = """version: 1
secrets: [HOSTILE_TOKEN]
stages:
  - name: s
    jobs:
      - id: nap
        type: core.sleep
        params: { duration: "${secrets.HOSTILE_TOKEN}" }
"""

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def forms(value):
    """The secret as written raw, in JSON, and shell-quoted: none may appear anywhere."""
    single = value.replace("'", "'\\''")
    double = "".join("\\" + c if c in '\\"$`' else c for c in value)
    found = set()
    for shell in (value, single, double):
        found.add(shell.encode())
        found.add(json.dumps(shell)[1:-1].encode())
    return found


def no_copy(where, data):
    for form in forms(SECRET):
        check(form not in data, f"{where}: holds the secret as {form!r}")


def run(lockstep, work, args, env, expect_exit):
    result = subprocess.run([lockstep] + args, cwd=work, capture_output=True, timeout=60, env=env)
    check(result.returncode == expect_exit,
          f"{' '.join(args)}: exit {result.returncode}, expected {expect_exit}\n"
          f"{result.stderr.decode(errors='replace')}")
    no_copy(f"{args[0]} stdout", result.stdout)
    no_copy(f"{args[0]} stderr", result.stderr)
    return result


def write(path, text):
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} LOCKSTEP WORK")
    lockstep, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ, HOSTILE_TOKEN=SECRET)
    write(os.path.join(work, "use.yaml"), PIPELINE)

    result = run(lockstep, work, ["run", "use.yaml", "--run-dir", "logs", "--report",
                                  "report.json", "--trace", "trace.json", "--progress=always"],
                 env, 0)
    stderr = result.stderr.decode(errors="replace")
    for line in ("[use/echo] info: token ***", "[use/argv] info: ***", "[use/shell] info: env ***",
                 "[use/shell] info: bare ***", "[use/shell] info: single ***",
                 "[use/shell] info: double ***", "[again/each[0]] info: ***",
                 "lockstep: use/fail failed: could not log in with ***"):
        check(line in stderr.splitlines(), f"run: no line {line!r} in stderr:\n{stderr}")
    files = 0
    for directory, _, names in os.walk(work):
        for name in names:
            path = os.path.join(directory, name)
            if name.endswith(".yaml"):
                continue
            with open(path, "rb") as file:
                no_copy(os.path.relpath(path, work), file.read())
            files += 1
    check(files >= 4, f"only {files} artifacts written")
    with open(os.path.join(work, "report.json"), "rb") as file:
        check(b"***" in file.read(), "report.json: no *** where the secret was")

    run(lockstep, work, ["validate", "use.yaml"], env, 0)
    run(lockstep, work, ["graph", "use.yaml"], env, 0)

    # A message that quotes a value quotes *** instead.
    write(os.path.join(work, "wrong.yaml"), WRONG_VALUE)
    result = run(lockstep, work, ["validate", "wrong.yaml"], env, 2)
    check(b"wrong.yaml:8:29: error: job 'nap' (core.sleep): parameter 'duration' must be a "
          b"duration, got '***'" in result.stderr, f"wrong value: {result.stderr!r}")

    # Mistakes: unset, too short, undeclared, outside params.
    unset = {k: v for k, v in env.items() if k != "HOSTILE_TOKEN"}
    result = run(lockstep, work, ["validate", "use.yaml"], unset, 2)
    check(b"use.yaml:3:11: error: secret 'HOSTILE_TOKEN' is not set (set the environment variable "
          b"HOSTILE_TOKEN before lockstep starts)" in result.stderr, f"unset: {result.stderr!r}")
    result = run(lockstep, work, ["validate", "use.yaml"], dict(env, HOSTILE_TOKEN="abc"), 2)
    check(b"use.yaml:3:11: error: secret 'HOSTILE_TOKEN' is shorter than 4 characters" in
          result.stderr, f"too short: {result.stderr!r}")
    write(os.path.join(work, "misuse.yaml"), """version: 1
secrets: [HOSTILE_TOKEN]
stages:
  - name: ${secrets.HOSTILE_TOKEN}
    jobs:
      - id: say
        type: core.echo
        params: { message: "${secrets.OTHER}" }
""")
    result = run(lockstep, work, ["validate", "misuse.yaml"], env, 2)
    check(b"misuse.yaml:4:11: error: '${secrets.HOSTILE_TOKEN}' is not allowed here (a secret goes "
          b"in a job's params only, where every output masks it as ***)" in result.stderr,
          f"outside params: {result.stderr!r}")
    check(b"misuse.yaml:8:29: error: undefined secret 'secrets.OTHER' (name its environment "
          b"variable under 'secrets': secrets: [OTHER])" in result.stderr,
          f"undeclared: {result.stderr!r}")

    for failure in failures:
        print(f"check_secrets: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print("check_secrets: ok")


if __name__ == "__main__":
    main()
