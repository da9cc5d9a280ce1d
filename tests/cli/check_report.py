#!/usr/bin/env python3
"""Checks a `lockstep run --report` file against docs/report.md.

  check_report.py REPORT --instances N [--expect FIXTURE] [--interrupted] [--slowest N]

(or, from Python, problems(report, ...): the CLI cases of cases/report.py call it). For every
report: it parses, its totals add up to N and to the stages' counts, every state is
there, each listed instance has its attempts and messages, the bulkhead figures are in range,
each stage has its warnings, its jobs' duration percentiles in order and at most N (--slowest,
10 by default) slowest instances, slowest first.
--expect report: the extra facts of tests/fixtures/pipelines/cli/report.yaml (retries, a timeout,
rejections); --expect slowest: those of tests/fixtures/pipelines/cli/slowest.yaml (which
instances were the slowest, and their items); --interrupted: the run was interrupted and its
instances counted as cancelled.
"""
import argparse
import json
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


def check_durations(where, stage):
    """Per job: how many instances ran, and percentiles of their run times in order."""
    for durations in stage["durations"]:
        at = f"{where} durations of {durations['job']}"
        count = durations["count"]
        check(isinstance(count, int) and 0 <= count <= stage["instances"], f"{at}: count {count}")
        figures = [durations[f"{p}_seconds"] for p in ("p50", "p95", "p99", "max")]
        check(all(f >= 0 for f in figures) and figures == sorted(figures),
              f"{at}: p50, p95, p99, max {figures}")
        if count == 0:
            check(figures == [0, 0, 0, 0], f"{at}: no instance ran, figures {figures}")
    ran = sum(durations["count"] for durations in stage["durations"])
    check(ran <= stage["instances"], f"{where}: {ran} timed of {stage['instances']} instances")


def check_slowest(where, stage, most):
    """At most `most` instances, slowest first, each with its item, attempts and state."""
    slowest = stage["slowest"]
    ran = sum(durations["count"] for durations in stage["durations"])
    check(len(slowest) == min(most, ran), f"{where}: {len(slowest)} slowest listed, "
                                          f"{ran} instances ran, at most {most}")
    times = [instance["duration_seconds"] for instance in slowest]
    check(times == sorted(times, reverse=True), f"{where}: slowest not slowest first: {times}")
    jobs = {durations["job"]: durations for durations in stage["durations"]}
    for instance in slowest:
        at = f"{where} slowest {instance['id']}"
        check(isinstance(instance["item"], str), f"{at}: item {instance['item']!r}")
        check(instance["attempts"] >= 1, f"{at}: attempts {instance['attempts']}")
        check(instance["state"] in STATES and instance["state"] != "skipped", f"{at}: state")
        if check(instance["job"] in jobs, f"{at}: job {instance['job']} has no durations"):
            check(instance["duration_seconds"] <= jobs[instance["job"]]["max_seconds"],
                  f"{at}: slower than its job's max")


def check_report(report, instances, most_slowest=10):
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
        check(isinstance(stage["warnings"], list) and
              all(isinstance(w, str) for w in stage["warnings"]), f"{where}: warnings")
        check_durations(where, stage)
        check_slowest(where, stage, most_slowest)
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


def expect_slowest_fixture(report):
    """The facts of tests/fixtures/pipelines/cli/slowest.yaml: in stage scan, the file 400ms.txt
    sleeps longest, then the item 200ms, every other instance 10ms or less; in stage grid, the
    matrix cell wait=150ms."""
    check(report["status"] == "succeeded", f"status {report['status']}")
    stages = {stage["name"]: stage for stage in report["stages"]}
    scan = stages["scan"]["slowest"]
    check(len(scan) == 10, f"scan: {len(scan)} slowest listed of 14, expected 10")
    if check(len(scan) >= 2, "scan: fewer than two slowest"):
        check(scan[0]["job"] == "read" and scan[0]["item"].endswith("/slowest/400ms.txt"),
              f"scan: the slowest is {scan[0]['id']} ({scan[0]['item']}), not 400ms.txt")
        check(scan[0]["id"] == "scan/read[1]" and scan[0]["attempts"] == 1 and
              scan[0]["state"] == "succeeded", f"scan: the slowest is {scan[0]}")
        check(scan[1]["id"] == "scan/nap[1]" and scan[1]["item"] == "200ms",
              f"scan: the second slowest is {scan[1]['id']} ({scan[1]['item']}), not nap[1] 200ms")
    durations = {d["job"]: d for d in stages["scan"]["durations"]}
    check(list(durations) == ["read", "nap"], f"scan: durations of {list(durations)}")
    check(durations["read"]["count"] == 3 and durations["nap"]["count"] == 11,
          f"scan: counts {durations['read']['count']}, {durations['nap']['count']}")
    # The histogram's buckets are a quarter of a power of two wide: 1ms and 200ms fall far apart.
    check(durations["nap"]["p50_seconds"] < durations["nap"]["max_seconds"],
          f"scan: nap p50 {durations['nap']['p50_seconds']} is not below its max")
    grid = stages["grid"]["slowest"]
    check([cell["item"] for cell in grid] == ["tag=x, wait=150ms", "tag=x, wait=1ms"],
          f"grid: slowest items {[cell['item'] for cell in grid]}")


def expect_interrupted(report):
    check(report["status"] == "interrupted" and report["exit_code"] == 130,
          f"status {report['status']}, exit code {report.get('exit_code')}")
    check(report["totals"]["cancelled"] > 0, "no instance counted as cancelled")
    statuses = [stage["status"] for stage in report["stages"]]
    check(statuses == ["interrupted", "skipped"], f"stage statuses {statuses}")


def problems(report, instances, expect=None, most_slowest=10, interrupted=False):
    """What is wrong with a parsed report (see the module's comment), as messages."""
    failures.clear()
    try:
        check_report(report, instances, most_slowest)
        if expect == "report":
            expect_report_fixture(report)
        if expect == "slowest":
            expect_slowest_fixture(report)
        if interrupted:
            expect_interrupted(report)
    except (KeyError, TypeError) as error:
        failures.append(f"missing or mistyped field: {error!r}")
    return list(failures)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("report")
    parser.add_argument("--instances", type=int, required=True)
    parser.add_argument("--expect", choices=["report", "slowest"])
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--interrupted", action="store_true")
    args = parser.parse_args()

    with open(args.report, encoding="utf-8") as file:
        report = json.load(file)
    found = problems(report, args.instances, args.expect, args.slowest, args.interrupted)
    if found:
        print("check_report: " + "\ncheck_report: ".join(found), file=sys.stderr)
        print(json.dumps(report, indent=2)[:20000], file=sys.stderr)
        sys.exit(1)
    print(f"check_report: ok ({args.report})")


if __name__ == "__main__":
    main()
