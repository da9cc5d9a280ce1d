// stages.race: every instance runs; the first success wins and is published as the stage output
// `winner`; the others are cancelled, whether they were running, queued or not dispatched yet.
#include "stages_harness.hpp"

namespace lockstep::stages_test {
namespace {

TEST_CASE("race cancels the losers as soon as one instance succeeds, and publishes the winner") {
  // Three racers that would sleep for a minute, and one quick one, dispatched last.
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 4 } }
stages:
  - name: fetch
    kind: stages.race
    bulkhead: pool
    jobs:
      - { id: slow, type: core.sleep, foreach: { range: { from: 0, to: 3 } }, params: { duration: 60s } }
      - { id: fast, type: core.sleep, params: { duration: 10ms } }
  - name: use
    jobs:
      - id: show
        type: core.echo
        foreach: { from_outputs: fetch.stage.winner }
        params: { message: "won by ${item}" }
)");
  const auto& recorder = run.recorder();
  REQUIRE(run.result().exit_code() == 0);
  CHECK(run.stage("fetch").status == StageStatus::succeeded);
  CHECK(run.output("fetch.stage.winner") == "fetch/fast");
  CHECK(run.output("fetch.stage.winner_index") == "0");
  CHECK(run.log().has("[use/show[0]] won by fetch/fast"));

  const auto winner = recorder.attempt("fetch/fast");
  CHECK(winner.state == JobState::succeeded);
  for (const auto& loser : recorder.attempts("fetch", "slow")) {
    INFO(loser.id);
    CHECK(recorder.state_of(loser.id) == JobState::cancelled);
    CHECK(loser.end >= winner.end);                             // lost to the winner...
    CHECK(loser.end < loser.start + std::chrono::seconds(60));  // ...long before its nap ended
  }
  CHECK(run.count("fetch", JobState::cancelled) == 3);
}

TEST_CASE("a repeated race starts each iteration afresh: one iteration's cancel does not reach the next") {
  // The stage keeps its plans and feeders from one iteration to the next; the cancellation of
  // iteration 1's losers must not cancel iteration 2's racers before they run.
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 4 } }
stages:
  - name: fetch
    kind: stages.race
    bulkhead: pool
    repeat: { times: 3 }
    jobs:
      - { id: slow, type: core.sleep, foreach: { range: { from: 0, to: 2 } }, params: { duration: 60s } }
      - { id: fast, type: core.sleep, params: { duration: 10ms } }
)");
  const auto& recorder = run.recorder();
  REQUIRE(run.result().exit_code() == 0);
  CHECK(run.stage("fetch").iterations == 3);
  for (int iteration = 1; iteration <= 3; ++iteration) {
    const auto fast = "fetch@" + std::to_string(iteration) + "/fast";
    INFO(fast);
    CHECK(recorder.ran(fast));
    CHECK(recorder.state_of(fast) == JobState::succeeded);
  }
  CHECK(run.count("fetch", JobState::succeeded) == 3);
  CHECK(run.count("fetch", JobState::cancelled) == 6);
}

TEST_CASE("race ends the racers it never dispatched as cancelled, not skipped") {
  // One worker and a queue of one: `fast` runs, slow[0] waits in the queue, and dispatching
  // slow[1] blocks until fast has won. Every slow racer lost, none of them ran for long.
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { narrow: { workers: 1, queue: 1 } }
stages:
  - name: fetch
    kind: race
    bulkhead: narrow
    jobs:
      - { id: fast, type: core.sleep, params: { duration: 10ms } }
      - { id: slow, type: core.sleep, foreach: { range: { from: 0, to: 5 } }, params: { duration: 60s } }
)");
  const auto& recorder = run.recorder();
  REQUIRE(run.result().exit_code() == 0);
  CHECK(run.output("fetch.stage.winner") == "fetch/fast");
  for (int i = 0; i < 5; ++i) {
    const auto id = "fetch/slow[" + std::to_string(i) + "]";
    INFO(id);
    CHECK(recorder.state_of(id) == JobState::cancelled);
    if (recorder.ran(id)) {
      const auto attempt = recorder.attempt(id);
      CHECK(attempt.end < attempt.start + std::chrono::seconds(60));
    }
  }
  CHECK(run.count("fetch", JobState::cancelled) == 5);
  CHECK(run.count("fetch", JobState::skipped) == 0);
}

TEST_CASE("race without a success fails its stage, its failures counted, and publishes no winner") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
stages:
  - name: fetch
    kind: stages.race
    on_failure: continue
    jobs:
      - { id: mirror, type: core.fail, foreach: { range: { from: 0, to: 3 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  CHECK(run.result().exit_code() == 1);
  CHECK(run.stage("fetch").status == StageStatus::failed);
  CHECK(run.count("fetch", JobState::failed) == 3);
  CHECK_FALSE(run.output("fetch.stage.winner").has_value());
  CHECK(run.stage("later").status == StageStatus::succeeded);
}

TEST_CASE("race of racers allowed to fail still fails its stage when nobody won") {
  // A race without a winner is a failure of the stage, with the kind's message, even when no
  // single failure counts.
  PipelineRun run(R"(
version: 1
plugins: [stages]
stages:
  - name: fetch
    kind: stages.race
    on_failure: continue
    jobs:
      - { id: mirror, type: core.fail, continue_on_error: true, foreach: { range: { from: 0, to: 2 } } }
  - name: later
    jobs: [{ id: x, type: core.noop }]
)");
  CHECK(run.stage("fetch").status == StageStatus::failed);
  CHECK(run.stage("fetch").note.find("no instance of the race succeeded") != std::string::npos);
  CHECK(run.count("fetch", JobState::failed) == 2);
  CHECK(run.stage("later").status == StageStatus::succeeded);
  CHECK(run.result().exit_code() == 1);
}

TEST_CASE("race goes on past a failed racer to its winner: the race owns its failures") {
  PipelineRun run(R"(
version: 1
plugins: [stages]
bulkheads: { pool: { workers: 3 } }
stages:
  - name: fetch
    kind: stages.race
    bulkhead: pool
    jobs:
      - { id: broken, type: core.fail }
      - { id: ok, type: core.sleep, params: { duration: 20ms } }
      - { id: slow, type: core.sleep, params: { duration: 60s } }
)");
  CHECK(run.result().exit_code() == 0);
  CHECK(run.stage("fetch").status == StageStatus::succeeded);
  CHECK(run.output("fetch.stage.winner") == "fetch/ok");
  CHECK(run.recorder().state_of("fetch/broken") == JobState::failed);  // recorded as it was
  CHECK(run.recorder().state_of("fetch/slow") == JobState::cancelled);
}

}  // namespace
}  // namespace lockstep::stages_test
