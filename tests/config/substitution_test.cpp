// ${vars.NAME} and ${env.NAME} in every value of a pipeline, not only in strings: numbers,
// durations, booleans, names, references. Per-instance references stay in params; a bad value
// shows the text it was made from; a bad reference is one error, at the column of its `${`.
#include <catch2/catch.hpp>

#include <chrono>

#include "support.hpp"

namespace lockstep::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("vars and env work in numbers, durations, booleans and every other value") {
  // Block style: in a { ... } map, a reference would have to be quoted, and so be a string.
  auto pipeline = parse_good(R"(version: 1
name: ${vars.name}
description: for ${env.USER}
threads: ${vars.three}
vars:
  name: subst
  three: 3
  wait: 250ms
  pool: io
  yes: true
  policy: continue
  first: make
bulkheads:
  io:
    workers: ${vars.three}
    queue: 1${vars.three}
    max_wait: ${vars.wait}
defaults:
  bulkhead: ${vars.pool}
  timeout: ${vars.three}s
  retry:
    attempts: ${vars.three}
    backoff: ${vars.wait}
  continue_on_error: ${vars.yes}
stages:
  - name: make
    description: ${vars.three} rounds
    on_failure: ${vars.policy}
    repeat:
      times: ${vars.three}
    jobs:
      - id: out
        type: output
        description: on ${vars.pool}
        bulkhead: ${vars.pool}
        timeout: ${vars.wait}
        continue_on_error: ${vars.yes}
        retry:
          max_backoff: ${vars.three}s
        params: { values: { k: v } }
  - name: use
    bulkhead: ${vars.pool}
    repeat:
      max: ${vars.three}
      until: ${vars.name}
    jobs:
      - id: span
        type: noop
        foreach:
          range:
            from: -${vars.three}
            to: ${vars.three}0
            step: ${vars.three}
      - id: each
        type: echo
        params: { message: "${item}" }
        foreach:
          from_outputs: ${vars.first}.out.k
)");
  CHECK(pipeline.name == "subst");
  CHECK(pipeline.description == "for ann");
  CHECK(pipeline.threads == 3);
  REQUIRE(pipeline.bulkheads.size() == 1);
  CHECK(pipeline.bulkheads[0].workers == 3);
  CHECK(pipeline.bulkheads[0].queue == 13);
  CHECK(pipeline.bulkheads[0].max_wait == Duration(250ms));

  const auto& make = pipeline.stages[0];
  CHECK(make.description == "3 rounds");
  CHECK(make.on_failure == OnFailure::continue_);
  CHECK(make.repeat->times == 3);
  const auto& out = job_of(pipeline, "make", "out");
  CHECK(out.bulkhead == "io");
  CHECK(out.timeout == Duration(250ms));
  CHECK(out.continue_on_error);
  CHECK(out.retry.attempts == 3);  // defaults', merged field by field
  CHECK(out.retry.backoff == Duration(250ms));
  CHECK(out.retry.max_backoff == Duration(3s));

  const auto& use = pipeline.stages[1];
  CHECK(use.repeat->max == 3);
  CHECK(use.repeat->until == "subst");
  const auto& span = job_of(pipeline, "use", "span");
  CHECK(span.bulkhead == "io");
  CHECK(span.timeout == Duration(3s));
  CHECK(span.continue_on_error);
  CHECK(span.foreach.from == -3);
  CHECK(span.foreach.to == 30);
  CHECK(span.foreach.step == 3);
  CHECK(job_of(pipeline, "use", "each").foreach.reference == "make.out.k");
}

TEST_CASE("names, ids, types, kinds and items take references too") {
  auto pipeline = parse_good(R"(version: 1
vars: { stage: first, job: one, type: core.echo, kind: parallel, dir: data }
stages:
  - name: ${vars.stage}
    kind: ${vars.kind}
    jobs:
      - id: ${vars.job}
        type: ${vars.type}
        params: { message: "${item.os}" }
        foreach: { matrix: { os: ["${vars.dir}", "${env.USER}"] } }
  - name: second
    jobs:
      - id: each
        type: echo
        params: { message: "${item}" }
        foreach: { from_outputs: "${vars.stage}.${vars.job}.message" }
)");
  const auto& one = job_of(pipeline, "first", "one");
  CHECK(one.type->qualified_name == "core.echo");
  CHECK(one.foreach.axes.at(0).values == std::vector<std::string>{"data", "ann"});
  CHECK(job_of(pipeline, "second", "each").foreach.reference == "first.one.message");
}

TEST_CASE("a substituted value is never read again, and $$ is a $ in any value") {
  auto pipeline = parse_good(R"(version: 1
vars: { literal: "$${vars.a}" }
description: ${vars.literal} costs $$5
stages:
  - name: s
    description: "$${env.HOME}"
    jobs: [{ id: j, type: noop, foreach: { items: ["${vars.literal}"] } }]
)");
  CHECK(pipeline.description == "${vars.a} costs $5");
  CHECK(pipeline.stages[0].description == "${env.HOME}");
  CHECK(pipeline.stages[0].jobs[0].foreach.items[0].value == "${vars.a}");
}

TEST_CASE("a value wrong after substitution shows the text it was made from") {
  auto parsed = parse(R"(version: 1
vars: { ten: ten, zero: 0, pool: oi }
bulkheads: { io: { workers: 1 } }
stages:
  - name: s
    jobs:
      - id: j
        type: noop
        bulkhead: ${vars.pool}
        retry:
          attempts: ${vars.zero}
        foreach:
          range:
            from: 0
            to: ${vars.ten}
)");
  CHECK_FALSE(parsed.pipeline.has_value());
  CHECK(parsed.text() ==
        "pipe.yaml:9:19: error: unknown bulkhead 'oi' (from ${vars.pool}) (did you mean 'io'?)\n"
        "pipe.yaml:11:21: error: 'attempts' in 'retry' in job 'j' must be at least 1, got 0 "
        "(from ${vars.zero})\n"
        "pipe.yaml:15:17: error: 'to' in 'range' in job 'j' must be an integer, got 'ten' "
        "(from ${vars.ten})\n");
}

TEST_CASE("a quoted reference is a string where a number is expected, as in params") {
  auto parsed = parse(R"(version: 1
vars: { n: 2 }
stages:
  - name: s
    jobs: [{ id: j, type: noop, retry: { attempts: "${vars.n}" } }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:5:52: error: 'attempts' in 'retry' in job 'j' must be an integer, got '2' "
        "(from ${vars.n}) (remove the quotes: a quoted value is a string; a { ... } map, where "
        "a reference needs them, must then be written one key a line)\n");
}

TEST_CASE("a bad reference is one error at its ${, and nothing more about its value") {
  // No "must be a duration", no "unknown bulkhead", no "missing workers": the value is unknown.
  auto parsed = parse(R"(version: 1
bulkheads:
  io:
    workers: ${vars.n}
stages:
  - name: s
    with:
      width: ${vars.w}
    jobs:
      - id: j
        type: noop
        bulkhead: ${env.POOL}
        timeout: 5${vars.unit}
)");
  CHECK_FALSE(parsed.pipeline.has_value());
  const std::string declare = " (declare it under 'vars', before any variable that uses it)\n";
  CHECK(parsed.text() == "pipe.yaml:4:14: error: undefined variable 'vars.n'" + declare +
                             "pipe.yaml:8:14: error: undefined variable 'vars.w'" + declare +
                             "pipe.yaml:12:19: error: undefined environment variable 'env.POOL'\n"
                             "pipe.yaml:13:19: error: undefined variable 'vars.unit'" +
                             declare);
}

TEST_CASE("per-instance references outside params say that params is where they belong") {
  auto parsed = parse(R"(version: 1
stages:
  - name: s
    repeat:
      times: ${iteration}
    jobs:
      - id: j
        type: echo
        params: { message: "${item} ${index} ${iteration}" }
        foreach: { files: "${item}/*.txt" }
)");
  const std::string why =
      " (${item}, ${item.KEY}, ${index} and ${iteration} differ per instance: only a job's "
      "'params' can use them)\n";
  CHECK(parsed.text() == "pipe.yaml:5:14: error: '${iteration}' is not allowed here" + why +
                             "pipe.yaml:10:28: error: '${item}' is not allowed here" + why);
}

TEST_CASE("keys are never substituted") {
  auto parsed = parse(R"(version: 1
vars: { name: io }
bulkheads:
  ${vars.name}:
    workers: 1
stages: [{ name: s, jobs: [{ id: j, type: noop }] }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:4:3: error: bulkhead name '${vars.name}' is not valid (use letters, digits, "
        "'_' and '-')\n");
}

TEST_CASE("a plugin hidden by a bad reference gives its jobs no second error") {
  auto parsed = parse(R"(version: 1
plugins: ["${vars.dir}/libmine.so"]
stages: [{ name: s, jobs: [{ id: j, type: other.thing }] }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:2:12: error: undefined variable 'vars.dir' (declare it under 'vars', before "
        "any variable that uses it)\n");
}

TEST_CASE("from_outputs names a stage its own needs, and says so for its own or a later one") {
  auto parsed = parse(R"(version: 1
stages:
  - name: make
    jobs: [{ id: x, type: output, params: { values: { k: v } } }]
  - name: use
    jobs:
      - { id: own, type: noop, foreach: { from_outputs: use.own.k } }
      - { id: later, type: noop, foreach: { from_outputs: last.y.k } }
      - { id: typo, type: noop, foreach: { from_outputs: mkae.x.k } }
  - name: last
    jobs: [{ id: y, type: noop }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:7:57: error: 'from_outputs' in job 'own' reads the outputs of its own stage (a "
        "fan-out's instances are made when its stage starts: publish 'k' in a stage that this "
        "one needs)\n"
        "pipe.yaml:8:59: error: 'from_outputs' in job 'later' reads the outputs of stage 'last', "
        "which stage 'use' does not need (stage 'last' runs after stage 'use' (it needs it): read "
        "a stage that 'use' needs)\n"
        "pipe.yaml:9:58: error: unknown stage 'mkae' in 'from_outputs' in job 'typo' (did you "
        "mean 'make'?)\n");
}

}  // namespace
}  // namespace lockstep::test
