#!/usr/bin/env python3
"""What the libraries export: lockstep's public names, in the ABI's inline namespace, and the few
internals marked LOCKSTEP_INTERNAL_API for the tests — nothing else of lockstep's.

  check_exports.py ABI_VERSION LIBRARY...   exit 1 with a line per symbol that should be hidden
"""
import re
import subprocess
import sys

# What LOCKSTEP_INTERNAL_API marks (framework/src headers the tests and tools include).
INTERNAL = ("lockstep::run::RunningAttempts", "lockstep::run::add_attempt_message",
            "lockstep::run::wait_percentiles",
            "lockstep::run::serve_worker", "lockstep::run::MemoryCgroup",
            "lockstep::run::encode_outputs", "lockstep::run::decode_outputs",
            "lockstep::run::encode_rank_counts", "lockstep::run::decode_rank_counts",
            "lockstep::run::held_text", "lockstep::run::progress_values",
            "lockstep::run::add_progress",
            "lockstep::run::encode_stage_message", "lockstep::run::decode_stage_message",
            "lockstep::run::EventForwarder", "lockstep::run::EventReplay",
            "lockstep::run::wanted_of_ranks", "lockstep::run::encode_wanted",
            "lockstep::run::decode_wanted",
            "lockstep::config::", "lockstep::report::")
WRAPPERS = re.compile(r"^(typeinfo name for |typeinfo for |vtable for |VTT for |guard variable for "
                      r"|non-virtual thunk to |virtual thunk to )")


def exported(library):
    out = subprocess.run(["nm", "-DC", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            yield WRAPPERS.sub("", parts[2])


def main(abi, libraries):
    public = f"lockstep::abi_v{abi}::"
    problems, count = [], 0
    for library in libraries:
        for name in exported(library):
            if not name.startswith("lockstep::"):
                continue  # templates of std and Boost instantiated in the library
            count += name.startswith(public)
            if "LOCKSTEP_ABI" in name:
                problems.append(f"{library}: {name}: a file used LOCKSTEP_ABI without export.hpp")
            elif not name.startswith(public) and not name.startswith(INTERNAL):
                problems.append(f"{library}: {name}: exported, but neither public nor internal API")
    for problem in problems:
        print(problem)
    if count == 0:
        print(f"no symbol of {public} exported: is the ABI version {abi} right?")
        return 1
    print(f"check_exports: {count} public symbols, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
