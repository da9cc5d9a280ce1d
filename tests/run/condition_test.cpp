// `if:` as the runner decides it, on a Pipeline built in code (as an embedder would): a stage or
// job whose condition is false runs nothing and counts every instance as skipped, with the reason
// as its stage's note; a condition over outputs reads what the stages it needs published; the
// stages that need a skipped stage still run.
#include <catch2/catch.hpp>

#include <atomic>

#include "run_support.hpp"

namespace lockstep::test {

namespace {

Condition condition(std::string expression, std::optional<bool> holds = std::nullopt) {
  Condition made;
  made.expression = std::move(expression);
  made.holds = holds;
  return made;
}

}  // namespace

TEST_CASE("a stage whose condition is false is skipped, and the stages needing it still run") {
  ProbeTypes types;
  std::atomic<int> ran{0};
  types.behave([&](JobContext&) { ++ran; });
  auto gated = stage("gated", {job(types.probe(), "x", range(0, 5))});
  gated.condition = condition("${vars.mode} == 'fast'", false);
  auto p = pipeline({gated, stage("after", {job(types.probe(), "y", range(0, 2))})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  REQUIRE(result.stages.size() == 2);
  CHECK(result.stages[0].status == StageStatus::skipped);
  CHECK(result.stages[0].iterations == 0);
  CHECK(result.stages[0].counts[JobState::skipped] == 5);
  CHECK(result.stages[0].counts.sum() == 5);
  CHECK(result.stages[0].note == "if: ${vars.mode} == 'fast' is false");
  CHECK(result.stages[1].status == StageStatus::succeeded);
  CHECK(ran.load() == 2);
  CHECK(result.totals[JobState::skipped] == 5);
  CHECK(result.totals[JobState::succeeded] == 2);
}

TEST_CASE("a job's condition over outputs of a needed stage is read when its stage starts") {
  ProbeTypes types;
  std::atomic<int> ran_use{0}, ran_other{0};
  types.behave([&](JobContext& ctx) {
    const auto n = ctx.params().get<std::int64_t>("n");
    if (n == 1) ctx.output("ready", ctx.index() == 0 ? "no" : "yes");  // the last instance's wins
    if (n == 2) ++ran_use;
    if (n == 3) ++ran_other;
  });
  auto probe = job(types.probe(), "check", range(0, 2));
  probe.params.set("n", std::int64_t{1});
  auto use = job(types.probe(), "use", range(0, 3));
  use.params.set("n", std::int64_t{2});
  use.condition = condition("${outputs.probe.check.ready}");
  auto other = job(types.probe(), "other", range(0, 4));
  other.params.set("n", std::int64_t{3});
  other.condition = condition("!${outputs.probe.check.ready} || ${outputs.probe.check.none} != ''");
  auto p = pipeline({stage("probe", {probe}), stage("work", {use, other})});
  Recorder recorder;
  const auto result = run(p, &recorder);
  REQUIRE(result.exit_code() == 0);
  CHECK(ran_use.load() == 3);
  CHECK(ran_other.load() == 0);
  const auto& work = result.stages[1];
  CHECK(work.status == StageStatus::succeeded);
  CHECK(work.counts[JobState::succeeded] == 3);
  CHECK(work.counts[JobState::skipped] == 4);
  CHECK(work.note ==
        "job 'other': if: !${outputs.probe.check.ready} || ${outputs.probe.check.none} != '' is "
        "false (${outputs.probe.check.ready} is 'yes', ${outputs.probe.check.none} is '') "
        "(4 instances skipped)");
}

TEST_CASE("a condition built in code that does not parse skips, and says why") {
  ProbeTypes types;
  auto gated = stage("gated", {job(types.probe(), "x")});
  gated.condition = condition("${vars.mode} = 'fast'");
  const auto result = run(pipeline({gated}));
  CHECK(result.stages[0].status == StageStatus::skipped);
  CHECK(result.stages[0].counts[JobState::skipped] == 1);
  CHECK(result.stages[0].note ==
        "if: ${vars.mode} = 'fast' cannot be read: '=' is not an operator");
}

}  // namespace lockstep::test
