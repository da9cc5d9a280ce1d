// The model made from good YAML: defaults, bulkhead resolution, fan-out kinds, retry and timeout
// inheritance, vars and --set.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "support.hpp"

namespace lockstep::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a minimal pipeline gets every default") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: hello
    jobs:
      - id: say
        type: echo
        params: { message: hi }
)");
  CHECK(pipeline.file == "pipe.yaml");
  CHECK(pipeline.name == "pipe");  // the file's stem
  CHECK_FALSE(pipeline.threads.has_value());
  REQUIRE(pipeline.stages.size() == 1);
  const auto& stage = pipeline.stages[0];
  CHECK(stage.name == "hello");
  CHECK(stage.kind == "parallel");
  CHECK(stage.on_failure == OnFailure::stop);
  CHECK_FALSE(stage.repeat.has_value());
  CHECK(stage.where.line == 3);
  REQUIRE(stage.jobs.size() == 1);
  const auto& job = stage.jobs[0];
  CHECK(job.id == "say");
  CHECK(job.where.line == 5);
  REQUIRE(job.type != nullptr);
  CHECK(job.type->qualified_name == "core.echo");
  CHECK(job.params.get<std::string>("message") == "hi");
  CHECK(job.templates.empty());
  CHECK(job.foreach.kind == FanOut::Kind::none);
  CHECK(job.bulkhead == "default");
  CHECK(job.retry.attempts == 1);
  CHECK_FALSE(job.timeout.has_value());
  CHECK_FALSE(job.continue_on_error);
  REQUIRE(pipeline.bulkheads.size() == 1);
  CHECK(pipeline.bulkheads[0].name == "default");
  CHECK(pipeline.bulkheads[0].workers ==
        static_cast<int>(std::max(1U, std::thread::hardware_concurrency())));
}

TEST_CASE("top-level keys are read") {
  auto pipeline = parse_good(R"(version: 1
name: demo
description: a demo
threads: 3
stages:
  - name: s
    description: the only stage
    on_failure: continue
    kind: parallel
    with: {}
    jobs: [{ id: j, type: noop }]
)");
  CHECK(pipeline.name == "demo");
  CHECK(pipeline.description == "a demo");
  CHECK(pipeline.threads == 3);
  CHECK(pipeline.stages[0].description == "the only stage");
  CHECK(pipeline.stages[0].on_failure == OnFailure::continue_);
}

TEST_CASE("a job's bulkhead is its own, else its stage's, else defaults', else default") {
  const char* yaml = R"(version: 1
bulkheads:
  io: { workers: 4, queue: 64 }
  net: { workers: 2, queue: 4, max_wait: 5s }
  own: { workers: 1 }
defaults: { bulkhead: io }
stages:
  - name: a
    bulkhead: net
    jobs:
      - { id: mine, type: noop, bulkhead: own }
      - { id: stages, type: noop }
  - name: b
    jobs:
      - { id: defaults, type: noop }
)";
  auto pipeline = parse_good(yaml);
  CHECK(job_of(pipeline, "a", "mine").bulkhead == "own");
  CHECK(job_of(pipeline, "a", "stages").bulkhead == "net");
  CHECK(job_of(pipeline, "b", "defaults").bulkhead == "io");
  // Declared ones only: no job uses `default`.
  REQUIRE(pipeline.bulkheads.size() == 3);
  CHECK(pipeline.bulkheads[0].name == "io");
  CHECK(pipeline.bulkheads[0].workers == 4);
  CHECK(pipeline.bulkheads[0].queue == 64);
  CHECK_FALSE(pipeline.bulkheads[0].max_wait.has_value());
  CHECK(pipeline.bulkheads[1].name == "net");
  CHECK(pipeline.bulkheads[1].max_wait == Duration(5s));
  CHECK_FALSE(pipeline.bulkheads[2].queue.has_value());
  CHECK(pipeline.bulkheads[1].where.line == 4);
}

TEST_CASE("a declared default bulkhead replaces the implicit one") {
  auto pipeline = parse_good(R"(version: 1
bulkheads: { default: { workers: 3 } }
stages: [{ name: s, jobs: [{ id: j, type: noop }] }]
)");
  REQUIRE(pipeline.bulkheads.size() == 1);
  CHECK(pipeline.bulkheads[0].workers == 3);
  CHECK(pipeline.stages[0].jobs[0].bulkhead == "default");
}

TEST_CASE("an unused declared bulkhead is a warning, not an error") {
  auto parsed = parse(R"(version: 1
bulkheads: { spare: { workers: 1 } }
stages: [{ name: s, jobs: [{ id: j, type: noop }] }]
)");
  CHECK(parsed.pipeline.has_value());
  CHECK(parsed.text() == "pipe.yaml:2:14: warning: bulkhead 'spare' is not used by any job\n");
}

TEST_CASE("retry, timeout and continue_on_error are inherited from defaults field by field") {
  auto pipeline = parse_good(R"(version: 1
defaults:
  timeout: 30s
  retry: { attempts: 2, backoff: 100ms }
  continue_on_error: true
stages:
  - name: s
    jobs:
      - { id: inherits, type: noop }
      - id: overrides
        type: noop
        retry: { attempts: 5, max_backoff: 2s }
        timeout: 1m30s
        continue_on_error: no
)");
  const auto& inherits = job_of(pipeline, "s", "inherits");
  CHECK(inherits.retry.attempts == 2);
  CHECK(inherits.retry.backoff == Duration(100ms));
  CHECK_FALSE(inherits.retry.max_backoff.has_value());
  CHECK(inherits.timeout == Duration(30s));
  CHECK(inherits.continue_on_error);
  const auto& overrides = job_of(pipeline, "s", "overrides");
  CHECK(overrides.retry.attempts == 5);
  CHECK(overrides.retry.backoff == Duration(100ms));
  CHECK(overrides.retry.max_backoff == Duration(2s));
  CHECK(overrides.timeout == Duration(90s));
  CHECK_FALSE(overrides.continue_on_error);
}

TEST_CASE("repeat with times, and with max and until") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: ten
    repeat: { times: 10 }
    jobs: [{ id: j, type: noop }]
  - name: loop
    repeat: { max: 100, until: converged }
    jobs: [{ id: j, type: noop }]
  - name: capped
    repeat: { max: 3 }
    jobs: [{ id: j, type: noop }]
)");
  REQUIRE(pipeline.stages.size() == 3);
  CHECK(pipeline.stages[0].repeat->times == 10);
  CHECK_FALSE(pipeline.stages[0].repeat->max.has_value());
  CHECK(pipeline.stages[1].repeat->max == 100);
  CHECK(pipeline.stages[1].repeat->until == "converged");
  CHECK_FALSE(pipeline.stages[1].repeat->times.has_value());
  CHECK(pipeline.stages[2].repeat->max == 3);
  CHECK(pipeline.stages[2].repeat->until.empty());
}

TEST_CASE("fan-out over items, of scalars and of maps") {
  auto pipeline = parse_good(R"(version: 1
vars: { dir: data }
stages:
  - name: s
    jobs:
      - id: scalars
        type: noop
        foreach: { items: [a, "${vars.dir}/b", 3] }
      - id: maps
        type: noop
        foreach: { items: [{ name: x, size: 1 }, { name: y, size: 2 }] }
)");
  const auto& scalars = job_of(pipeline, "s", "scalars").foreach;
  CHECK(scalars.kind == FanOut::Kind::items);
  REQUIRE(scalars.items.size() == 3);
  CHECK(scalars.items[1].value == "data/b");
  CHECK(scalars.items[2].value == "3");
  CHECK(scalars.items[0].fields.empty());
  CHECK(scalars.where.line == 8);
  const auto& maps = job_of(pipeline, "s", "maps").foreach;
  REQUIRE(maps.items.size() == 2);
  CHECK(maps.items[1].fields == StringMap{{"name", "y"}, {"size", "2"}});
  CHECK(maps.items[1].value == "{name: y, size: 2}");
}

TEST_CASE("fan-out over a range, counting up or down") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: s
    jobs:
      - { id: up, type: noop, foreach: { range: { from: 0, to: 1000000 } } }
      - { id: down, type: noop, foreach: { range: { from: 10, to: -10, step: -3 } } }
)");
  const auto& up = job_of(pipeline, "s", "up").foreach;
  CHECK(up.kind == FanOut::Kind::range);
  CHECK(up.from == 0);
  CHECK(up.to == 1000000);
  CHECK(up.step == 1);
  const auto& down = job_of(pipeline, "s", "down").foreach;
  CHECK(down.from == 10);
  CHECK(down.to == -10);
  CHECK(down.step == -3);
}

TEST_CASE("fan-out over a matrix keeps the axes in written order") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: s
    jobs:
      - { id: m, type: noop, foreach: { matrix: { os: [x, y], n: [1, 2, 3] } } }
)");
  const auto& matrix = job_of(pipeline, "s", "m").foreach;
  CHECK(matrix.kind == FanOut::Kind::matrix);
  REQUIRE(matrix.axes.size() == 2);
  CHECK(matrix.axes[0].name == "os");
  CHECK(matrix.axes[0].values == std::vector<std::string>{"x", "y"});
  CHECK(matrix.axes[1].name == "n");
  CHECK(matrix.axes[1].values == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("fan-out over outputs of an earlier stage, and over files") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: list
    jobs: [{ id: ls, type: output, params: { values: { file: a } } }]
  - name: use
    jobs:
      - { id: each, type: echo, params: { message: "${item}" }, foreach: { from_outputs: list.ls.file } }
      - { id: glob, type: echo, params: { message: "${item.stem}" }, foreach: { files: "in/*.txt" } }
)");
  const auto& each = job_of(pipeline, "use", "each");
  CHECK(each.foreach.kind == FanOut::Kind::from_outputs);
  CHECK(each.foreach.reference == "list.ls.file");
  const auto& glob = job_of(pipeline, "use", "glob");
  CHECK(glob.foreach.kind == FanOut::Kind::files);
  CHECK(glob.foreach.pattern == "in/*.txt");  // pipe.yaml has no directory part
}

TEST_CASE("a files pattern is relative to the pipeline's directory") {
  Diagnostics diagnostics;
  PipelineOptions options{.set_vars = {}, .environment = test_environment()};
  auto pipeline = parse_pipeline(R"(version: 1
stages:
  - name: s
    jobs: [{ id: g, type: noop, foreach: { files: "../data/*.txt" } }]
)",
                                 "conf/sub/p.yaml", options, core_loader(), diagnostics);
  INFO(diagnostics.to_string());
  REQUIRE(pipeline.has_value());
  CHECK(pipeline->stages[0].jobs[0].foreach.pattern == "conf/data/*.txt");
  CHECK(pipeline->name == "p");
}

TEST_CASE("vars see env and earlier vars, and --set overrides them") {
  const char* yaml = R"(version: 1
vars:
  base: "${env.HOME}/work"
  out: "${vars.base}/out"
  cost: "$$5"
stages: [{ name: s, jobs: [{ id: j, type: echo, params: { message: "${vars.out}" } }] }]
)";
  auto plain = parse_good(yaml);
  CHECK(plain.vars ==
        StringMap{{"base", "/home/ann/work"}, {"cost", "$5"}, {"out", "/home/ann/work/out"}});
  CHECK(plain.stages[0].jobs[0].params.get<std::string>("message") == "/home/ann/work/out");

  auto set = parse_good(yaml, {.set_vars = {{"base", "/tmp/x"}}});
  CHECK(set.vars.at("base") == "/tmp/x");
  CHECK(set.vars.at("out") == "/tmp/x/out");
}

TEST_CASE("a var without a value must be given with --set") {
  const char* yaml = R"(version: 1
vars: { need: ~ }
stages: [{ name: s, jobs: [{ id: j, type: echo, params: { message: "${vars.need}" } }] }]
)";
  auto missing = parse(yaml);
  CHECK_FALSE(missing.pipeline.has_value());
  CHECK(missing.text() ==
        "pipe.yaml:2:9: error: variable 'vars.need' has no value (give it with --set "
        "vars.need=VALUE)\n");
  auto given = parse_good(yaml, {.set_vars = {{"need", "yes"}}});
  CHECK(given.stages[0].jobs[0].params.get<std::string>("message") == "yes");
}

TEST_CASE("a --set of an undeclared var is an error with a did-you-mean") {
  const char* yaml = R"(version: 1
vars: { input: data, x: 1 }
stages: [{ name: s, jobs: [{ id: j, type: noop }] }]
)";
  auto parsed = parse(yaml, {.set_vars = {{"inptu", "x"}}});
  CHECK_FALSE(parsed.pipeline.has_value());
  CHECK(parsed.text() ==
        "--set: error: unknown variable 'vars.inptu' (did you mean 'vars.input'?)\n");
  // As the user writes it after --set: vars.x, not x.
  CHECK(parse(yaml, {.set_vars = {{"y", "1"}}}).text() ==
        "--set: error: unknown variable 'vars.y' (did you mean 'vars.x'?)\n");
}

TEST_CASE("load_pipeline reads a file and names it in diagnostics") {
  Diagnostics diagnostics;
  auto missing = load_pipeline("no/such/pipe.yaml", {}, core_loader(), diagnostics);
  CHECK_FALSE(missing.has_value());
  CHECK(diagnostics.to_string() ==
        "no/such/pipe.yaml: error: cannot read the pipeline file (no such file)\n");
}

TEST_CASE("is_truthy accepts true, yes, on and 1 in any case") {
  for (auto word : {"true", "TRUE", "Yes", "on", "1"}) CHECK(is_truthy(word));
  for (auto word : {"false", "no", "0", "", "2", "truthy", "y"}) CHECK_FALSE(is_truthy(word));
}

}  // namespace
}  // namespace lockstep::test
