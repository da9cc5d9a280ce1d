#!/usr/bin/env python3
"""Shell injection through the real `lockstep`: values that would run a command if they were
pasted into core.command's `shell` reach it as data, one value each, byte for byte.

  check_shell_injection.py LOCKSTEP SOURCE_DIR WORK CASE

CASE is one of the vectors: items, from_outputs, files, set, env, round_trip, raw. Each case
writes a pipeline into a fresh WORK/CASE, runs it there and checks that the file MARKER, which
every hostile value tries to create, never appears, and that each job wrote exactly its value
(unquoted, inside '...' and inside "..."). `raw` checks the explicit paste, ${raw:...}, and the
warning `lockstep validate` gives when data from outside the pipeline reaches it.
"""
import json
import os
import shutil
import subprocess
import sys

# Each tries to create MARKER in the working directory if pasted as shell code.
HOSTILE = [
    "x; touch MARKER",
    "$(touch MARKER)",
    "`touch MARKER`",
    "'; touch MARKER; echo '",
    '"; touch MARKER; echo "',
    "x && touch MARKER",
    "x | touch MARKER",
    "x\ntouch MARKER",
    "$(touch MARKER)'\"`touch MARKER`\"'",
]
# Bytes that quoting must keep: quotes, spaces, newlines, $, backticks, non-ASCII.
ROUND_TRIP = [
    "it's",
    'say "hi"',
    "two  spaces and\ta tab",
    "line one\nline two\n",
    "$HOME ${HOME} $$ $1",
    "`date`",
    "back\\slash\\",
    "\u00e9t\u00e9 \u20ac \U0001f600",
    "*",
    "",
    "-n",
]
# The three places a ${...} can stand in shell code: each job writes what its shell saw.
PLACES = {
    "word": "printf %s {ref} > out/word-${{index}}",
    "single": "printf %s '{ref}' > out/single-${{index}}",
    "double": 'printf %s "{ref}" > out/double-${{index}}',
}

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def yaml_string(text):
    """A YAML double-quoted scalar: JSON's escapes are YAML's, and UTF-8 as it is."""
    return json.dumps(text, ensure_ascii=False)


def jobs_writing(ref, foreach, indent="      "):
    lines = []
    for place, line in PLACES.items():
        lines += [f"{indent}- id: {place}", f"{indent}  type: core.command",
                  f"{indent}  foreach: {foreach}" if foreach else "",
                  f"{indent}  params:", f"{indent}    shell: {yaml_string(line.format(ref=ref))}"]
    return "\n".join(line for line in lines if line)


def run(lockstep, work, args, env=None, expect_exit=0):
    result = subprocess.run([lockstep] + args, cwd=work, capture_output=True, timeout=60,
                            env=env)
    check(result.returncode == expect_exit,
          f"{' '.join(args)}: exit {result.returncode}, expected {expect_exit}\n"
          f"stderr:\n{result.stderr.decode(errors='replace')}")
    return result


def check_outputs(work, values):
    """out/PLACE-INDEX holds values[INDEX] exactly, for each place; MARKER does not exist."""
    check(not os.path.exists(os.path.join(work, "MARKER")), "MARKER was created: a value ran")
    for place in PLACES:
        for index, value in enumerate(values):
            expected = value if isinstance(value, bytes) else value.encode()
            path = os.path.join(work, "out", f"{place}-{index}")
            if not check(os.path.exists(path), f"{place}: no out/{place}-{index}"):
                continue
            with open(path, "rb") as file:
                got = file.read()
            check(got == expected, f"{place} #{index}: wrote {got!r}, expected {expected!r}")


def pipeline(work, text):
    path = os.path.join(work, "pipe.yaml")
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
    os.makedirs(os.path.join(work, "out"), exist_ok=True)
    return path


def items_case(lockstep, work, values):
    # An item is pipeline text too: its `$` is written `$$`.
    items = "[" + ", ".join(yaml_string(v.replace("$", "$$")) for v in values) + "]"
    pipeline(work, f"version: 1\nstages:\n  - name: s\n    jobs:\n"
                   f"{jobs_writing('${item}', '{ items: ' + items + ' }')}\n")
    run(lockstep, work, ["run", "pipe.yaml", "--run-dir", "logs"])
    check_outputs(work, values)


def case_items(lockstep, source, work):
    items_case(lockstep, work, HOSTILE)


def case_round_trip(lockstep, source, work):
    items_case(lockstep, work, ROUND_TRIP)


def case_from_outputs(lockstep, source, work):
    # core.output publishes each hostile value; the next stage fans out over what was published.
    items = "[" + ", ".join(yaml_string(v.replace("$", "$$")) for v in HOSTILE) + "]"
    pipeline(work, f"""version: 1
stages:
  - name: publish
    jobs:
      - id: p
        type: core.output
        foreach: {{ items: {items} }}
        params:
          values: {{ v: "${{item}}" }}
  - name: use
    jobs:
{jobs_writing('${item}', '{ from_outputs: publish.p.v }')}
""")
    run(lockstep, work, ["run", "pipe.yaml", "--run-dir", "logs"])
    check_outputs(work, HOSTILE)


def case_files(lockstep, source, work):
    data = os.path.join(work, "data")
    os.makedirs(data)
    names = [b"$(touch MARKER).txt", b"a;touch MARKER.txt", b"it's.txt", b"sp ace.txt",
             b"`touch MARKER`.txt", b"\xff\xfe not utf-8.txt", b"new\nline.txt", b"\xc3\xa9.txt"]
    for name in names:
        open(os.path.join(os.fsencode(data), name), "wb").close()
    pipeline(work, f"version: 1\nstages:\n  - name: s\n    jobs:\n"
                   f"{jobs_writing('${item.name}', '{ files: data/* }')}\n")
    run(lockstep, work, ["run", "pipe.yaml", "--run-dir", "logs"])
    check_outputs(work, sorted(names))


def case_set(lockstep, source, work):
    # The shipped retry example with the value the issue used against its hand-written quotes.
    value = "x'; touch MARKER; echo '"
    shutil.copy(os.path.join(source, "configs/reference/retry.yaml"), work)
    run(lockstep, work, ["run", "retry.yaml", "--set", f"vars.marker={value}", "--run-dir", "logs"])
    check(not os.path.exists(os.path.join(work, "MARKER")), "retry.yaml: MARKER was created")
    check(os.path.exists(os.path.join(work, value)), f"retry.yaml: no file named {value!r}")
    # And every hostile value through --set, in each place.
    for index, evil in enumerate(HOSTILE):
        lines = [f"version: 1\nvars:\n  v: ~\nstages:\n  - name: s\n    jobs:\n"
                 f"{jobs_writing('${vars.v}', None)}\n"]
        pipeline(work, "".join(lines).replace("${index}", str(index)))
        run(lockstep, work, ["run", "pipe.yaml", "--set", f"vars.v={evil}", "--run-dir", "logs"])
    check_outputs(work, HOSTILE)


def case_env(lockstep, source, work):
    for index, evil in enumerate(HOSTILE):
        pipeline(work, f"version: 1\nstages:\n  - name: s\n    jobs:\n"
                       f"{jobs_writing('${env.EVIL}', None)}\n".replace("${index}", str(index)))
        env = dict(os.environ, EVIL=evil)
        run(lockstep, work, ["run", "pipe.yaml", "--run-dir", "logs"], env=env)
    check_outputs(work, HOSTILE)


def case_raw(lockstep, source, work):
    # Spelled out in the pipeline: pasted as shell code, no warning.
    pipeline(work, """version: 1
vars:
  make_marker: touch MARKER
stages:
  - name: s
    jobs:
      - id: paste
        type: core.command
        params:
          shell: ${raw:vars.make_marker}
""")
    result = run(lockstep, work, ["validate", "pipe.yaml"])
    check(b"warning" not in result.stderr, f"raw, spelled out: {result.stderr!r}")
    run(lockstep, work, ["run", "pipe.yaml", "--run-dir", "logs"])
    check(os.path.exists(os.path.join(work, "MARKER")), "raw: the pasted command did not run")
    # From --set: a warning at the reference, with the way out.
    result = run(lockstep, work, ["validate", "pipe.yaml", "--set", "vars.make_marker=true"])
    expected = (b"pipe.yaml:10:18: warning: job 'paste' (core.command): '${raw:vars.make_marker}'"
                b" pastes a value from --set vars.make_marker into shell code as it is: one "
                b"holding a quote, a ';' or a $(...) runs commands (write ${vars.make_marker} to "
                b"pass it as one quoted value)\n")
    check(expected in result.stderr, f"raw from --set: {result.stderr!r}")
    # Outside shell code, raw: is an error.
    pipeline(work, """version: 1
stages:
  - name: s
    jobs:
      - id: say
        type: core.echo
        params:
          message: ${raw:index}
""")
    result = run(lockstep, work, ["validate", "pipe.yaml"], expect_exit=2)
    check(b"pipe.yaml:8:20: error: '${raw:index}' pastes shell code, and this is no shell code "
          b"(raw: belongs in a shell command (core.command's 'shell'); here write ${index})"
          in result.stderr, f"raw outside shell code: {result.stderr!r}")


CASES = {name[5:]: function for name, function in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in CASES:
        sys.exit(f"usage: {sys.argv[0]} LOCKSTEP SOURCE_DIR WORK {{{','.join(CASES)}}}")
    lockstep, source, work, case = sys.argv[1:]
    work = os.path.join(work, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    CASES[case](os.path.abspath(lockstep), source, work)
    for failure in failures:
        print(f"check_shell_injection {case}: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"check_shell_injection {case}: ok")


if __name__ == "__main__":
    main()
