// stages.canary: the first `count` instances run first; the rest only after every one of them
// succeeded. When a canary does not succeed, the rest never run and end as skipped.
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

TEST_CASE("canary runs the rest only after the canary succeeded") {
  const int count = GENERATE(1, 2);
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 6 } }
stages:
  - name: deploy
    kind: stages.canary
    with: { count: )" +
                  std::to_string(count) + R"( }
    bulkhead: pool
    jobs:
      - { id: host, type: core.sleep, foreach: { range: { from: 0, to: 6 } }, params: { duration: 20ms } }
)");
  INFO("count " << count);
  REQUIRE(run.result().exit_code() == 0);
  REQUIRE(run.count("deploy", JobState::succeeded) == 6);
  const auto hosts = run.recorder().attempts("deploy", "host");
  REQUIRE(hosts.size() == 6);
  for (std::size_t canary = 0; canary < static_cast<std::size_t>(count); ++canary) {
    for (std::size_t other = static_cast<std::size_t>(count); other < hosts.size(); ++other) {
      INFO(hosts[other].id << " after canary " << hosts[canary].id);
      CHECK(hosts[other].start >= hosts[canary].end);
    }
  }
}

TEST_CASE("canary that fails keeps the rest from running: they end skipped, and the log says why") {
  const bool stop = GENERATE(true, false);
  PipelineRun run(std::string(R"(
version: 1
plugins: [stages]
stages:
  - name: deploy
    kind: canary
    on_failure: )") +
                  (stop ? "stop" : "continue") + R"(
    jobs:
      - { id: first, type: core.fail, params: { message: health check failed } }
      - { id: host, type: core.noop, foreach: { range: { from: 0, to: 4 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  INFO("on_failure " << (stop ? "stop" : "continue") << "\n" << run.log().all());
  const auto& recorder = run.recorder();
  CHECK(recorder.state_of("deploy/first") == JobState::failed);
  for (int i = 0; i < 4; ++i) {
    const auto id = "deploy/host[" + std::to_string(i) + "]";
    CHECK(recorder.state_of(id) == JobState::skipped);
    CHECK_FALSE(recorder.ran(id));
  }
  CHECK(run.count("deploy", JobState::skipped) == 4);
  CHECK(run.log().has("canary deploy/first failed: health check failed"));
  CHECK(run.log().has("1 canary did not succeed: the other 4 instances do not run"));
  CHECK(run.stage("deploy").status == (stop ? StageStatus::stopped : StageStatus::failed));
  CHECK(run.stage("later").status == (stop ? StageStatus::skipped : StageStatus::succeeded));
}

TEST_CASE("canary allowed to fail still keeps the rest from running") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
stages:
  - name: deploy
    kind: stages.canary
    jobs:
      - { id: first, type: core.fail, continue_on_error: true }
      - { id: host, type: core.noop, foreach: { range: { from: 0, to: 3 } } }
)");
  CHECK(run.result().exit_code() == 0);  // the one failure is allowed
  CHECK(run.count("deploy", JobState::failed) == 1);
  CHECK(run.count("deploy", JobState::skipped) == 3);
}

TEST_CASE("canary of a stage with no more instances than canaries runs them all") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
stages:
  - name: deploy
    kind: stages.canary
    with: { count: 5 }
    jobs:
      - { id: host, type: core.noop, foreach: { range: { from: 0, to: 3 } } }
)");
  CHECK(run.result().exit_code() == 0);
  CHECK(run.count("deploy", JobState::succeeded) == 3);
}

}  // namespace
}  // namespace lockstep::stages_test
