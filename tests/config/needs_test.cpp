// `needs:` as the loader reads it, and stage_needs(): a stage without `needs` needs the stage
// before it. The mistakes (unknown, itself, cycles, from_outputs of a stage not needed) are
// fixtures: tests/fixtures/pipelines/bad/needs_*.yaml.
#include <catch2/catch.hpp>

#include "support.hpp"

namespace lockstep::test {

TEST_CASE("needs are read with their positions; without them a stage needs the one before") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - name: d
    needs: [b, c]
    jobs: [{ id: j, type: noop }]
  - name: a
    needs: []
    jobs: [{ id: j, type: noop }]
  - name: b
    jobs: [{ id: j, type: noop }]
  - name: c
    needs: [a]
    jobs: [{ id: j, type: noop }]
)");
  REQUIRE(pipeline.stages.size() == 4);
  const auto& d = pipeline.stages[0];
  REQUIRE(d.needs.has_value());
  REQUIRE(d.needs->size() == 2);
  CHECK((*d.needs)[0].stage == "b");
  CHECK((*d.needs)[0].where.line == 4);
  CHECK((*d.needs)[0].where.column == 13);
  CHECK((*d.needs)[1].stage == "c");
  REQUIRE(pipeline.stages[1].needs.has_value());
  CHECK(pipeline.stages[1].needs->empty());
  CHECK_FALSE(pipeline.stages[2].needs.has_value());
  const auto needs = stage_needs(pipeline);
  CHECK(needs[0] == std::vector<std::size_t>{2, 3});
  CHECK(needs[1].empty());
  CHECK(needs[2] == std::vector<std::size_t>{1});  // b: the stage before it, a
  CHECK(needs[3] == std::vector<std::size_t>{1});
}

TEST_CASE("a pipeline without needs is a chain") {
  auto pipeline = parse_good(R"(version: 1
stages:
  - { name: a, jobs: [{ id: j, type: noop }] }
  - { name: b, jobs: [{ id: j, type: noop }] }
  - { name: c, jobs: [{ id: j, type: noop }] }
)");
  CHECK(stage_needs(pipeline) == std::vector<std::vector<std::size_t>>{{}, {0}, {1}});
}

TEST_CASE("from_outputs of a stage needed through another is allowed") {
  parse_good(R"(version: 1
stages:
  - { name: fetch, jobs: [{ id: get, type: echo, params: { message: hi } }] }
  - { name: parse, needs: [fetch], jobs: [{ id: j, type: noop }] }
  - name: list
    needs: [parse]
    jobs:
      - { id: use, type: echo, params: { message: "${item}" }, foreach: { from_outputs: fetch.get.message } }
)");
}

TEST_CASE("from_outputs may read a stage written after its own, when it needs it") {
  const auto pipeline = parse_good(R"(version: 1
stages:
  - name: list
    needs: [fetch]
    jobs:
      - { id: use, type: echo, params: { message: "${item}" }, foreach: { from_outputs: fetch.get.message } }
  - { name: fetch, needs: [], jobs: [{ id: get, type: echo, params: { message: hi } }] }
)");
  CHECK(pipeline.stages.at(0).jobs.at(0).foreach.reference == "fetch.get.message");
}

TEST_CASE("reading a key that a job's type does not publish is an error, with a did-you-mean") {
  const auto parsed = parse(R"(version: 1
stages:
  - { name: fetch, jobs: [{ id: get, type: echo, params: { message: hi } }] }
  - name: use
    if: ${outputs.fetch.get.mesage} == 'hi'
    jobs:
      - { id: a, type: echo, params: { message: "${item}" }, foreach: { from_outputs: fetch.get.line } }
      - { id: b, type: echo, params: { message: "${outputs.fetch.get.messages}" } }
      - { id: c, type: command, params: { shell: "echo ${outputs.fetch.get.message}" } }
)");
  CHECK(parsed.text() ==
        "pipe.yaml:5:9: error: the 'if' of stage 'use' reads the output 'mesage' of job 'get', "
        "which its type core.echo does not publish (did you mean 'message'?)\n"
        "pipe.yaml:7:87: error: 'from_outputs' in job 'a' reads the output 'line' of job 'get', "
        "which its type core.echo does not publish (core.echo publishes: message)\n"
        "pipe.yaml:8:50: error: a parameter of job 'b' reads the output 'messages' of job 'get', "
        "which its type core.echo does not publish (did you mean 'message'?)\n");
}

}  // namespace lockstep::test
