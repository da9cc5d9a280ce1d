#!/usr/bin/env bash
# check_interrupt.sh LOCKSTEP PIPELINE WORKDIR — Ctrl-C during `lockstep run`: SIGINT once the
# long commands are running must end the run with status 130 and its summary (the interrupted
# stage, the skipped one), long before the 60 s sleeps, and leave no process of the run behind;
# its --report counts every instance, those interrupted as cancelled, and its --html page is
# written too.
set -u
lockstep=$1 pipeline=$2 work=$3
fail() { echo "check_interrupt: $*" >&2; echo "--- stderr of lockstep run:" >&2; cat "$work/err" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work"
"$lockstep" run "$pipeline" --set "vars.work=$work" --report "$work/report.json" \
  --html "$work/page.html" >"$work/out" 2>"$work/err" &
pid=$!

# Each command writes its process id, then becomes `sleep 60` under that same id.
started=0
for _ in $(seq 600); do
  started=$(find "$work" -name 'pid.*' | wc -l)
  ((started >= 2)) && break
  sleep 0.05
done
((started >= 2)) || fail "the commands did not start within 30 s"

sent=$(date +%s%N)
kill -INT "$pid"
wait "$pid"
status=$?
elapsed_ms=$((($(date +%s%N) - sent) / 1000000))
echo "check_interrupt: exit status $status, ${elapsed_ms} ms after SIGINT"

((status == 130)) || fail "exit status $status, expected 130"
# Bound far below the 60 s the jobs would take: proves they were cancelled, not waited for.
((elapsed_ms < 10000)) || fail "took ${elapsed_ms} ms to stop"
grep -q 'interrupted' "$work/err" || fail "no 'interrupted' in the summary"
grep -Eq '^never +skipped' "$work/err" || fail "the later stage is not reported as skipped"
[[ ! -e "$work/never-ran" ]] || fail "a job of the later stage ran"
for file in "$work"/pid.*; do
  child=$(cat "$file")
  if kill -0 "$child" 2>/dev/null; then
    kill -KILL "$child"
    fail "process $child of a command is still alive"
  fi
done
# 4 commands + 100 naps + the marker of the skipped stage.
python3 "$(dirname "$0")/check_report.py" "$work/report.json" --instances 105 --interrupted ||
  fail "the report is not what it should be"
grep -q '"status":"interrupted"' "$work/page.html" || fail "the page does not say 'interrupted'"
tail -n 1 "$work/err" | grep -qx "page: $work/page.html" || fail "the page's path is not last"
echo "check_interrupt: ok"
