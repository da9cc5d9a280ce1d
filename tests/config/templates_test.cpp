// Parameters that differ per instance: split off as templates (vars and env resolved, instance
// references kept) and checked at load time with sample instances.
#include <catch2/catch.hpp>

#include "support.hpp"

namespace lockstep::test {
namespace {

const JobSpec& only_job(const Pipeline& pipeline) {
  REQUIRE(pipeline.stages.size() == 1);
  REQUIRE(pipeline.stages[0].jobs.size() == 1);
  return pipeline.stages[0].jobs[0];
}

TEST_CASE("parameters with instance references become templates, the others params") {
  auto pipeline = parse_good(R"(version: 1
vars: { dir: "/d$$" }
stages:
  - name: s
    jobs:
      - id: run
        type: command
        params:
          argv: [echo, "${vars.dir}/${item}", "$${item}"]
          cwd: "${vars.dir}"
          env: { N: "${index}" }
        foreach: { items: [a, b] }
)");
  const auto& job = only_job(pipeline);
  CHECK(job.params.get<std::string>("cwd") == "/d$");
  CHECK_FALSE(job.params.has("argv"));
  CHECK_FALSE(job.params.has("env"));
  CHECK(job.params.has("grace"));  // defaults of the non-template parameters are filled in
  REQUIRE(job.templates.size() == 2);
  CHECK(job.templates[0].name == "argv");
  const auto& argv = job.templates[0].value;
  REQUIRE(argv.kind == RawValue::Kind::list);
  REQUIRE(argv.items.size() == 3);
  CHECK(argv.items[0].text == "echo");
  CHECK(argv.items[1].text == "/d$$/${item}");  // the var's `$` escaped for the runner's pass
  CHECK(argv.items[1].where.line == 9);
  CHECK(argv.items[2].text == "$${item}");
  CHECK(job.templates[1].name == "env");
  REQUIRE(job.templates[1].value.kind == RawValue::Kind::map);
  CHECK(job.templates[1].value.entries[0].value.text == "${index}");
}

TEST_CASE("an escaped reference is not a template") {
  auto pipeline = parse_good(R"(version: 1
stages: [{ name: s, jobs: [{ id: j, type: echo, params: { message: "cost $${item}" } }] }]
)");
  const auto& job = only_job(pipeline);
  CHECK(job.templates.empty());
  CHECK(job.params.get<std::string>("message") == "cost ${item}");
}

TEST_CASE("iteration is allowed in params without foreach") {
  auto pipeline = parse_good(R"(version: 1
stages: [{ name: s, jobs: [{ id: j, type: echo, params: { message: "round ${iteration}" } }] }]
)");
  REQUIRE(only_job(pipeline).templates.size() == 1);
}

TEST_CASE("a required parameter given as a template is not missing") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: s
    jobs: [{ id: nap, type: sleep, params: { duration: "${item}" }, foreach: { items: [1ms, 2ms] } }]
)");
  CHECK(only_job(pipeline).templates.size() == 1);
}

TEST_CASE("every item is checked against the parameter's spec") {
  auto parsed = parse(R"(version: 1
stages:
  - name: s
    jobs: [{ id: nap, type: sleep, params: { duration: "${item}" }, foreach: { items: [1s, oops] } }]
)");
  CHECK_FALSE(parsed.pipeline.has_value());
  CHECK(parsed.text() ==
        "pipe.yaml:4:56: error: job 'nap' (core.sleep): parameter 'duration' must be a duration, "
        "got 'oops' (write it like 250ms, 5s, 2m, 1h30m)\n");
}

TEST_CASE("the first and last value of a range are checked") {
  // "0" is a duration, "4" is not: only the last instance can show the mistake.
  auto parsed = parse(R"(version: 1
stages:
  - name: s
    jobs:
      - id: nap
        type: sleep
        params: { duration: "${item}" }
        foreach: { range: { from: 0, to: 5 } }
)");
  CHECK(parsed.text() ==
        "pipe.yaml:7:29: error: job 'nap' (core.sleep): parameter 'duration' must be a duration, "
        "got '4' (write it like 250ms, 5s, 2m, 1h30m)\n");
}

TEST_CASE("item fields are checked against the matrix axes and map keys") {
  auto matrix = parse(R"(version: 1
stages:
  - name: s
    jobs:
      - id: m
        type: echo
        params: { message: "${item.os} ${item.nn}" }
        foreach: { matrix: { os: [x], n: [1] } }
)");
  CHECK(matrix.text() ==
        "pipe.yaml:7:40: error: undefined item field 'item.nn' (did you mean 'item.n'?)\n");

  auto maps = parse(R"(version: 1
stages:
  - name: s
    jobs:
      - id: m
        type: echo
        params: { message: "${item.weight}" }
        foreach: { items: [{ weight: 1 }, { name: b }] }
)");
  CHECK(maps.text() ==
        "pipe.yaml:7:29: error: undefined item field 'item.weight' (the item has: name)\n");
}

TEST_CASE("item and index are errors in a job without foreach") {
  auto parsed = parse(R"(version: 1
stages:
  - name: s
    jobs: [{ id: j, type: echo, params: { message: "${index}" } }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:4:53: error: '${index}' is not defined here (only a job with foreach has an "
        "${index})\n");
}

TEST_CASE("instance references outside params are errors that say where they belong") {
  // Even in the items of a job with foreach: an item cannot depend on its own instance.
  auto parsed = parse(R"(version: 1
vars: { a: "${item}" }
stages:
  - name: s
    jobs: [{ id: j, type: noop, foreach: { items: ["${index}"] } }]
)");
  const std::string why =
      " (${item}, ${item.KEY}, ${index} and ${iteration} differ per instance: only a job's "
      "'params' can use them)\n";
  CHECK(parsed.text() == "pipe.yaml:2:13: error: '${item}' is not allowed here" + why +
                             "pipe.yaml:5:53: error: '${index}' is not allowed here" + why);
}

TEST_CASE("the type's own check runs on a sample instance") {
  auto parsed = parse(R"(version: 1
stages:
  - name: s
    jobs: [{ id: c, type: command, params: { argv: ["${item}"], shell: "x" }, foreach: { items: [a] } }]
)");
  CHECK(parsed.text() ==
        "pipe.yaml:4:18: error: job 'c' (core.command): give either 'argv' or "
        "'shell', not both\n");
}

TEST_CASE("only the names of from_outputs and files references are checked") {
  auto good = parse(R"(version: 1
stages:
  - name: a
    jobs: [{ id: o, type: output, params: { values: { k: "1s" } } }]
  - name: b
    jobs:
      - { id: n, type: sleep, params: { duration: "${item}" }, foreach: { from_outputs: a.o.k } }
      - { id: f, type: echo, params: { message: "${item.name}" }, foreach: { files: "*.txt" } }
)");
  INFO(good.text());
  CHECK(good.pipeline.has_value());
  auto bad = parse(R"(version: 1
stages:
  - name: b
    jobs:
      - { id: f, type: echo, params: { message: "${item.nam}" }, foreach: { files: "*.txt" } }
)");
  CHECK(bad.text() ==
        "pipe.yaml:5:50: error: undefined item field 'item.nam' (did you mean 'item.name'?)\n");
}

}  // namespace
}  // namespace lockstep::test
