// `kind: sequential` (built in): one instance at a time, in stream order; the first failure stops
// the stage unless its on_failure is continue.
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

TEST_CASE("sequential never runs two instances at once, and runs them in order") {
  // Four workers: the parallel kind would run all four naps together.
  PipelineRun run(R"(
version: 1
bulkheads: { pool: { workers: 4 } }
stages:
  - name: steps
    kind: sequential
    bulkhead: pool
    jobs:
      - id: nap
        type: core.sleep
        foreach: { range: { from: 0, to: 4 } }
        params: { duration: 20ms }
      - id: last
        type: core.noop
)");
  REQUIRE(run.result().exit_code() == 0);
  REQUIRE(run.count("steps", JobState::succeeded) == 5);
  auto attempts = run.recorder().attempts("steps", "nap");
  attempts.push_back(run.recorder().attempt("steps/last"));  // the stream goes on past a job
  REQUIRE(attempts.size() == 5);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    INFO(attempts[i - 1].id << " then " << attempts[i].id);
    CHECK(attempts[i].start >= attempts[i - 1].end);
  }
}

TEST_CASE("sequential stops at the first failure: the rest end skipped, and so do later stages") {
  PipelineRun run(R"(
version: 1
bulkheads: { pool: { workers: 4 } }
stages:
  - name: steps
    kind: sequential
    bulkhead: pool
    jobs:
      - { id: before, type: core.noop, foreach: { range: { from: 0, to: 2 } } }
      - { id: broken, type: core.fail, params: { message: step 3 broke } }
      - { id: after, type: core.noop, foreach: { range: { from: 0, to: 3 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  const auto& recorder = run.recorder();
  CHECK(run.result().exit_code() == 1);
  CHECK(run.stage("steps").status == StageStatus::stopped);
  CHECK(run.count("steps", JobState::succeeded) == 2);
  CHECK(run.count("steps", JobState::failed) == 1);
  CHECK(run.count("steps", JobState::skipped) == 3);
  CHECK(recorder.state_of("steps/broken") == JobState::failed);
  for (int i = 0; i < 3; ++i) {
    const auto id = "steps/after[" + std::to_string(i) + "]";
    CHECK(recorder.state_of(id) == JobState::skipped);
    CHECK_FALSE(recorder.ran(id));
  }
  CHECK(run.stage("later").status == StageStatus::skipped);
  CHECK(run.count("later", JobState::skipped) == 1);
}

TEST_CASE("sequential with on_failure continue runs every instance, one at a time") {
  PipelineRun run(R"(
version: 1
bulkheads: { pool: { workers: 4 } }
stages:
  - name: steps
    kind: sequential
    on_failure: continue
    bulkhead: pool
    jobs:
      - { id: broken, type: core.fail }
      - { id: after, type: core.sleep, foreach: { range: { from: 0, to: 3 } }, params: { duration: 10ms } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  CHECK(run.result().exit_code() == 1);
  CHECK(run.stage("steps").status == StageStatus::failed);
  CHECK(run.count("steps", JobState::failed) == 1);
  CHECK(run.count("steps", JobState::succeeded) == 3);
  CHECK(run.stage("later").status == StageStatus::succeeded);
  auto attempts = run.recorder().attempts("steps", "after");
  attempts.insert(attempts.begin(), run.recorder().attempt("steps/broken"));
  REQUIRE(attempts.size() == 4);
  for (std::size_t i = 1; i < attempts.size(); ++i) {
    INFO(attempts[i - 1].id << " then " << attempts[i].id);
    CHECK(attempts[i].start >= attempts[i - 1].end);
  }
}

}  // namespace
}  // namespace lockstep::stages_test
