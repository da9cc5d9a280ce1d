// stages.batches: waves of `size` instances in stream order, a barrier between waves, never more
// than `size` at once; a wave with a failure ends the stage unless on_failure is continue.
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

TEST_CASE("batches never starts a wave before the one before has ended, nor runs more than size") {
  // Eight workers: without waves, all seven instances would run at once. The stream is a[0],
  // a[1], b[0] .. b[4]: waves a[0] a[1] b[0] | b[1] b[2] b[3] | b[4].
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 8 } }
stages:
  - name: rollout
    kind: stages.batches
    with: { size: 3 }
    bulkhead: pool
    jobs:
      - { id: a, type: core.sleep, foreach: { range: { from: 0, to: 2 } }, params: { duration: 20ms } }
      - { id: b, type: core.sleep, foreach: { range: { from: 0, to: 5 } }, params: { duration: 20ms } }
)");
  REQUIRE(run.result().exit_code() == 0);
  REQUIRE(run.count("rollout", JobState::succeeded) == 7);
  auto stream = run.recorder().attempts("rollout", "a");
  for (const auto& b : run.recorder().attempts("rollout", "b")) stream.push_back(b);
  REQUIRE(stream.size() == 7);

  const auto wave_of = [](std::size_t position) { return position / 3; };
  for (std::size_t i = 0; i < stream.size(); ++i) {
    for (std::size_t j = 0; j < stream.size(); ++j) {
      if (wave_of(j) != wave_of(i) + 1) continue;
      INFO(stream[j].id << " (wave " << wave_of(j) + 1 << ") after " << stream[i].id);
      CHECK(stream[j].start >= stream[i].end);
    }
  }
  CHECK(peak_concurrency(stream) <= 3);
}

TEST_CASE("batches stops after a wave with a failure, and the later waves end skipped") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 4 } }
stages:
  - name: rollout
    kind: batches
    with: { size: 2 }
    bulkhead: pool
    jobs:
      - { id: good, type: core.sleep, params: { duration: 20ms } }
      - { id: bad, type: core.fail }
      - { id: rest, type: core.noop, foreach: { range: { from: 0, to: 4 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  // The failure stops the stage: `good`, of the same wave, ends as it would in any kind (it
  // finishes when it was running, is cancelled when it was still queued).
  const auto good = run.recorder().state_of("rollout/good");
  CHECK((good == JobState::succeeded || good == JobState::cancelled));
  CHECK(run.recorder().state_of("rollout/bad") == JobState::failed);
  for (int i = 0; i < 4; ++i) {
    CHECK(run.recorder().state_of("rollout/rest[" + std::to_string(i) + "]") == JobState::skipped);
  }
  CHECK(run.count("rollout", JobState::skipped) == 4);
  CHECK(run.stage("rollout").status == StageStatus::stopped);
  CHECK(run.stage("later").status == StageStatus::skipped);
  CHECK(run.log().has("wave 1 had a failure"));
}

TEST_CASE("batches with on_failure continue runs every wave after a failure") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 4 } }
stages:
  - name: rollout
    kind: stages.batches
    with: { size: 2 }
    on_failure: continue
    bulkhead: pool
    jobs:
      - { id: bad, type: core.fail }
      - { id: rest, type: core.sleep, foreach: { range: { from: 0, to: 4 } }, params: { duration: 10ms } }
)");
  CHECK(run.stage("rollout").status == StageStatus::failed);
  CHECK(run.count("rollout", JobState::failed) == 1);
  CHECK(run.count("rollout", JobState::succeeded) == 4);
  // Waves: bad rest[0] | rest[1] rest[2] | rest[3].
  const auto& recorder = run.recorder();
  CHECK(recorder.attempt("rollout/rest[1]").start >= recorder.attempt("rollout/rest[0]").end);
  CHECK(recorder.attempt("rollout/rest[3]").start >= recorder.attempt("rollout/rest[2]").end);
  CHECK(peak_concurrency(recorder.attempts("rollout")) <= 2);
}

}  // namespace
}  // namespace lockstep::stages_test
