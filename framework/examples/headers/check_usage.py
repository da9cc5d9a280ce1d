#!/usr/bin/env python3
"""ctest's example.header_usage_compiled: the usage example at the top of every public header must
be a verbatim run of lines of one of the compiled example programs, so that it compiles, runs and
stays true (each program checks its own result).

A header's usage example is the first run of lines of its leading comment indented by three
spaces ("//   code"); it may hold empty comment lines ("//") and ends at the first prose line.
In the program the same lines follow each other, each with the same extra indentation (the
snippet may sit inside a function); an empty comment line stands for an empty line.

Usage: check_usage.py INCLUDE_DIR SOURCE... (a SOURCE directory stands for its *.cpp files)
"""
import pathlib
import sys


def usage_example(header):
    """The snippet's lines (without '//   ') and the header line number of its first line."""
    lines = header.read_text().splitlines()
    snippet, first = [], None
    for number, line in enumerate(lines, 1):
        if not line.startswith("//"):
            break  # the leading comment ended
        if line.startswith("//   "):
            if first is None:
                first = number
            snippet.append(line[5:].rstrip())
        elif line.strip() == "//" and first is not None:
            snippet.append("")
        elif first is not None:
            break  # prose after the example
    while snippet and snippet[-1] == "":
        snippet.pop()
    return snippet, first


def matched_lines(snippet, lines, start):
    """How many lines of the snippet match the file from line index `start` on."""
    indent = None
    for offset, want in enumerate(snippet):
        if start + offset >= len(lines):
            return offset
        have = lines[start + offset].rstrip()
        if want == "":
            if have.strip():
                return offset
            continue
        if indent is None:
            if not have.endswith(want) or have[: len(have) - len(want)].strip():
                return offset
            indent = have[: len(have) - len(want)]
        elif have != indent + want.rstrip():
            return offset
    return len(snippet)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    include = pathlib.Path(argv[1])
    sources = []
    for arg in argv[2:]:
        path = pathlib.Path(arg)
        sources += sorted(path.glob("*.cpp")) if path.is_dir() else [path]
    texts = {source: source.read_text().splitlines() for source in sources}

    headers = sorted(include.rglob("*.hpp"))
    errors = 0
    for header in headers:
        name = header.relative_to(include)
        snippet, first = usage_example(header)
        if not snippet:
            print(f"{name}:1: no usage example (lines '//   code' in the leading comment)")
            errors += 1
            continue
        best = (-1, None, 0)  # lines matched, source, line number
        for source, lines in texts.items():
            for start in range(len(lines)):
                count = matched_lines(snippet, lines, start)
                if count > best[0]:
                    best = (count, source, start + 1)
                if count == len(snippet):
                    break
            if best[0] == len(snippet):
                break
        count, source, line = best
        if count == len(snippet):
            continue
        errors += 1
        differs = first + count
        if count == 0:
            print(f"{name}:{differs}: usage example is in no compiled example; its first line "
                  f"is nowhere: '{snippet[0]}'")
        else:
            print(f"{name}:{differs}: usage example is in no compiled example; the closest, "
                  f"{source.name}:{line}, differs at this line: '{snippet[count]}'")
    if errors:
        print(f"check_usage: {errors} of {len(headers)} headers' usage examples are not compiled")
        return 1
    print(f"check_usage: the usage examples of {len(headers)} headers are compiled examples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
