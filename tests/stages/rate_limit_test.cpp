// stages.rate_limit: at most `per_second` dispatches a second, the k-th instance (from 0) admitted
// no earlier than k / per_second after the stage started; pacing ends when the stage stops.
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

TEST_CASE("rate_limit starts instance k no earlier than k intervals after the stage started") {
  // 20 a second: one every 50ms. Six workers, so that nothing but the kind holds an instance
  // back: without pacing all six would start at once.
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { api: { workers: 6 } }
stages:
  - name: notify
    kind: stages.rate_limit
    with: { per_second: 20 }
    bulkhead: api
    jobs:
      - { id: post, type: core.noop, foreach: { range: { from: 0, to: 6 } } }
)");
  REQUIRE(run.result().exit_code() == 0);
  const auto posts = run.recorder().attempts("notify", "post");
  REQUIRE(posts.size() == 6);
  const auto stage_start = run.recorder().stage_start("notify");
  const auto interval = std::chrono::milliseconds(50);
  // Instance k is admitted at least one interval after instance k-1 was: at least k intervals
  // after the stage started, whatever the scheduler did in between. It starts after that.
  for (std::size_t k = 0; k < posts.size(); ++k) {
    const std::chrono::duration<double, std::milli> into = posts[k].start - stage_start;
    INFO(posts[k].id << " started " << into.count() << "ms into the stage");
    CHECK(posts[k].start >= stage_start + static_cast<int>(k) * interval);
  }
}

TEST_CASE("rate_limit stops pacing when the stage stops: the rest end skipped at once") {
  // One a hundred seconds: the second dispatch would be due long after the failure of the first
  // instance stops the stage.
  PipelineRun run(R"(
version: 1
plugins: [stages]
stages:
  - name: notify
    kind: rate_limit
    with: { per_second: 0.01 }
    jobs:
      - { id: broken, type: core.fail }
      - { id: post, type: core.noop, foreach: { range: { from: 0, to: 3 } } }
)");
  const auto& stage = run.stage("notify");
  CHECK(stage.status == StageStatus::stopped);
  CHECK(run.count("notify", JobState::failed) == 1);
  CHECK(run.count("notify", JobState::skipped) == 3);
  CHECK(stage.wall < std::chrono::seconds(100));  // the kind did not wait for the next slot
}

}  // namespace
}  // namespace lockstep::stages_test
