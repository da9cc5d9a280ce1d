#!/usr/bin/env python3
"""Runs the retry-isolation reproduction with --trace and checks its recorded times.

  check_retry_isolation.py LOCKSTEP PIPELINE WORKDIR

`nap` (2 x sleep 3) fills the `slow` bulkhead (1 worker, no queue); `flaky`, on `fast`, fails its
first attempt and is retried after 50 ms. Its second attempt must start within 0.5 s of the first
one's end, before the first nap ends: never held back by the full bulkhead beside it.
"""
import json
import os
import shutil
import subprocess
import sys


def main():
    lockstep, pipeline, workdir = sys.argv[1:4]
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    trace_path = os.path.join(workdir, "trace.json")
    run = subprocess.run(
        [lockstep, "run", pipeline, "--trace", trace_path, "--progress=never",
         "--set", "vars.marker=" + os.path.join(workdir, "marker"),
         "--run-dir", os.path.join(workdir, "logs")],
        capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        print(f"lockstep exited with {run.returncode}:\n{run.stderr}")
        return 1
    with open(trace_path, encoding="utf-8") as file:
        events = json.load(file)["traceEvents"]
    attempts = {}
    for e in events:
        if e["ph"] == "X" and e.get("cat") == "attempt":
            attempts.setdefault(e["args"]["job"], []).append(e)
    flaky = sorted(attempts.get("flaky", []), key=lambda e: e["args"]["attempt"])
    naps = sorted(attempts.get("nap", []), key=lambda e: e["ts"])
    if len(flaky) != 2 or len(naps) != 2:
        print(f"expected 2 attempts of flaky and 2 of nap, got {len(flaky)} and {len(naps)}")
        return 1
    failed_end = flaky[0]["ts"] + flaky[0]["dur"]
    retry_start = flaky[1]["ts"]
    first_nap_end = naps[0]["ts"] + naps[0]["dur"]
    gap_s = (retry_start - failed_end) / 1e6
    print(f"retry started {gap_s:.3f} s after the failed attempt ended; the first nap ended "
          f"{(first_nap_end - failed_end) / 1e6:.3f} s after it")
    problems = []
    if flaky[0]["args"]["state"] != "failed" or flaky[1]["args"]["state"] != "succeeded":
        problems.append("flaky's attempts should have failed, then succeeded")
    if gap_s >= 0.5:
        problems.append(f"the retry started {gap_s:.3f} s after the failure, not within 0.5 s")
    if retry_start >= first_nap_end:
        problems.append("the retry waited until the first nap ended")
    for problem in problems:
        print("check_retry_isolation: " + problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
