#!/usr/bin/env python3
"""Checks a `lockstep run --report` file against docs/report.md.

  check_report.py REPORT --instances N [--run LOCKSTEP PIPELINE --exit STATUS]
                  [--expect FIXTURE] [--interrupted]

With --run, first runs `LOCKSTEP run PIPELINE --report REPORT` and checks its exit status. Then,
for every report: it parses, its totals add up to N and to the stages' counts, every state is
there, each listed instance has its attempts and messages, the bulkhead figures are in range.
--expect report: the extra facts of tests/fixtures/pipelines/cli/report.yaml (retries, a timeout,
rejections); --interrupted: the run was interrupted and its instances counted as cancelled.
"""
import argparse
import json
import subprocess
import sys

STATES = ["succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped"]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def check_counts(where, counts):
    check(sorted(counts) == sorted(STATES), f"{where}: states {sorted(counts)}")
    check(all(isinstance(n, int) and n >= 0 for n in counts.values()), f"{where}: counts {counts}")


def check_bulkhead(where, usage):
    waits = [usage[f"queue_wait_{p}_seconds"] for p in ("p50", "p95", "p99", "max")]
    check(all(w >= 0 for w in waits) and waits == sorted(waits), f"{where}: waits {waits}")
    check(0 <= usage["utilisation"] <= 1, f"{where}: utilisation {usage['utilisation']}")
    check(0 <= usage["peak_running"] <= usage["workers"], f"{where}: peak_running")
    check(0 <= usage["peak_queued"] <= usage["queue"], f"{where}: peak_queued")


def check_failure(where, failure, stage):
    where = f"{where} {failure.get('id')}"
    check(failure["stage"] == stage["name"], f"{where}: stage {failure['stage']}")
    check(failure["state"] in STATES and failure["state"] != "succeeded", f"{where}: state")
    ran = failure["attempts"]
    check(isinstance(ran, int) and ran >= 0, f"{where}: attempts {ran}")
    if failure["state"] in ("failed", "timed_out"):
        check(ran >= 1, f"{where}: {failure['state']} without an attempt")
        check(len(failure["messages"]) == ran and all(failure["messages"]),
              f"{where}: {ran} attempts, messages {failure['messages']}")
    check(isinstance(failure["params"], dict), f"{where}: params {failure['params']}")


def check_report(report, instances):
    check(report["schema_version"] == 1, f"schema_version {report['schema_version']}")
    check(report["status"] in ("succeeded", "failed", "interrupted"), f"status {report['status']}")
    totals = report["totals"]
    check_counts("totals", totals)
    check(sum(totals.values()) == report["instances"] == instances,
          f"totals add up to {sum(totals.values())}, instances {report['instances']}, "
          f"expected {instances}")
    for state in STATES:
        in_stages = sum(stage["counts"][state] for stage in report["stages"])
        check(in_stages == totals[state], f"{state}: stages add up to {in_stages}, "
                                          f"totals say {totals[state]}")
    for stage in report["stages"]:
        where = f"stage {stage['name']}"
        check_counts(where, stage["counts"])
        check(sum(stage["counts"].values()) == stage["instances"], f"{where}: instances")
        for usage in stage["bulkheads"]:
            check_bulkhead(f"{where} bulkhead {usage['name']}", usage)
        for failure in stage["failures"]:
            check_failure(where, failure, stage)
        listed = len(stage["failures"]) + stage["failures_not_listed"]
        check(listed + stage["counts"]["succeeded"] == stage["instances"],
              f"{where}: {listed} failures listed or not, {stage['instances']} instances")


def expect_report_fixture(report):
    """The facts of tests/fixtures/pipelines/cli/report.yaml."""
    stages = {stage["name"]: stage for stage in report["stages"]}
    totals = report["totals"]
    check(report["status"] == "failed" and report["exit_code"] == 1, "status and exit code")
    check(totals["failed"] == 2 and totals["timed_out"] == 1, f"totals {totals}")
    check(totals["rejected"] > 0, "no rejected instance")
    for stage in report["stages"]:  # a short run: every instance that did not succeed listed
        check(stage["failures_not_listed"] == 0, f"stage {stage['name']}: not all listed")
    booms = [f for f in stages["mixed"]["failures"] if f["job"] == "boom"]
    check(len(booms) == 2, f"boom instances listed: {len(booms)}")
    for boom in booms:
        check(boom["attempts"] == 2 and boom["messages"] == ["boom on purpose"] * 2,
              f"{boom['id']}: attempts {boom['attempts']}, messages {boom['messages']}")
        check(boom["params"].get("message") == "boom on purpose", f"{boom['id']}: params")
    hang = [f for f in stages["mixed"]["failures"] if f["job"] == "hang"]
    check(len(hang) == 1 and hang[0]["state"] == "timed_out", f"hang: {hang}")
    narrow = [b for b in stages["crowded"]["bulkheads"] if b["name"] == "narrow"]
    if check(len(narrow) == 1, "stage crowded does not report bulkhead narrow"):
        check(narrow[0]["rejected"] == stages["crowded"]["counts"]["rejected"] > 0,
              f"narrow rejected {narrow[0]['rejected']}")
        check(narrow[0]["peak_running"] == 1, f"narrow peak_running {narrow[0]['peak_running']}")
    check(stages["last"]["status"] == "succeeded", "the last stage did not run")


def expect_interrupted(report):
    check(report["status"] == "interrupted" and report["exit_code"] == 130,
          f"status {report['status']}, exit code {report.get('exit_code')}")
    check(report["totals"]["cancelled"] > 0, "no instance counted as cancelled")
    statuses = [stage["status"] for stage in report["stages"]]
    check(statuses == ["interrupted", "skipped"], f"stage statuses {statuses}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--instances", type=int, required=True)
    parser.add_argument("--run", nargs=2, metavar=("LOCKSTEP", "PIPELINE"))
    parser.add_argument("--exit", type=int, default=0)
    parser.add_argument("--expect", choices=["report"])
    parser.add_argument("--interrupted", action="store_true")
    args = parser.parse_args()

    if args.run:
        lockstep, pipeline = args.run
        run = subprocess.run([lockstep, "run", pipeline, "--report", args.report],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != args.exit:
            sys.exit(f"check_report: exit status {run.returncode}, expected {args.exit}\n"
                     f"--- stderr:\n{run.stderr}")
    with open(args.report, encoding="utf-8") as file:
        report = json.load(file)
    try:
        check_report(report, args.instances)
        if args.expect == "report":
            expect_report_fixture(report)
        if args.interrupted:
            expect_interrupted(report)
    except (KeyError, TypeError) as error:
        failures.append(f"missing or mistyped field: {error!r}")
    if failures:
        print("check_report: " + "\ncheck_report: ".join(failures), file=sys.stderr)
        print(json.dumps(report, indent=2)[:20000], file=sys.stderr)
        sys.exit(1)
    print(f"check_report: ok ({args.report})")


if __name__ == "__main__":
    main()
