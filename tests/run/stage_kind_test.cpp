// Stage kinds on the runner: what the StageContext gives a kind, and what the framework enforces
// whatever the kind does (the barrier, every instance ending once, a throwing kind failing its
// stage).
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;
using namespace std::chrono_literals;

namespace {

RegisteredStageKind kind_of(KindBody body) { return lambda_kind(std::move(body)); }

StageSpec with_kind(StageSpec spec, const RegisteredStageKind& kind) {
  spec.kind = kind.qualified_name;
  spec.kind_type = &kind;
  return spec;
}

RunResult run_with(const Pipeline& p, Recorder& recorder, Runner** out = nullptr) {
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&recorder}});
  if (out) *out = &runner;
  return runner.run();
}

void check_each_ended_once(const Recorder& recorder, std::size_t expected) {
  const auto ends = recorder.instance_ends();
  CHECK(ends.size() == expected);
  for (const auto& [id, count] : ends) {
    INFO(id);
    CHECK(count == 1);
  }
}

}  // namespace

TEST_CASE("instances a kind never dispatches end as skipped, and the summary says how many") {
  ProbeTypes types;
  const auto kind = kind_of([](StageContext& stage) {
    for (int i = 0; i < 3; ++i) stage.dispatch(*stage.next());
  });
  auto p = pipeline({with_kind(stage("s", {job(types.probe(), "j", range(0, 10))}), kind),
                     stage("after", {job(types.probe(), "k")})});
  Recorder recorder;
  const auto result = run_with(p, recorder);
  REQUIRE(result.stages.size() == 2);
  CHECK(result.stages[0].status == StageStatus::succeeded);
  CHECK(result.stages[0].counts[JobState::succeeded] == 3);
  CHECK(result.stages[0].counts[JobState::skipped] == 7);
  CHECK(result.stages[0].note == "7 of 10 instances not dispatched by stage kind 'app.test'");
  CHECK(recorder.state_of("s/j[9]") == JobState::skipped);
  CHECK(result.stages[1].counts[JobState::succeeded] == 1);
  check_each_ended_once(recorder, 11);
  CHECK(result.exit_code() == 0);
}

TEST_CASE("a kind that throws fails its stage with its message; on_failure decides what follows") {
  ProbeTypes types;
  const auto kind = kind_of([](StageContext& stage) {
    stage.dispatch(*stage.next());
    stage.dispatch(*stage.next());
    throw std::runtime_error("the kind gave up");
  });
  auto s = with_kind(stage("s", {job(types.probe(), "j", range(0, 5))}), kind);

  SECTION("stop: later stages are skipped") {
    auto p = pipeline({s, stage("after", {job(types.probe(), "k", range(0, 4))})});
    Recorder recorder;
    const auto result = run_with(p, recorder);
    CHECK(result.stages[0].status == StageStatus::stopped);
    CHECK(result.stages[0].note ==
          "stage kind 'app.test' failed: the kind gave up; 3 of 5 "
          "instances not dispatched by stage kind 'app.test'");
    // What it dispatched was cancelled, or had ended already.
    CHECK(result.stages[0].counts[JobState::succeeded] +
              result.stages[0].counts[JobState::cancelled] ==
          2);
    CHECK(result.stages[0].counts[JobState::skipped] == 3);
    CHECK(result.stages[1].status == StageStatus::skipped);
    CHECK(result.stages[1].counts[JobState::skipped] == 4);
    CHECK(result.exit_code() == 1);
  }
  SECTION("continue: later stages run") {
    s.on_failure = OnFailure::continue_;
    auto p = pipeline({s, stage("after", {job(types.probe(), "k", range(0, 4))})});
    Recorder recorder;
    const auto result = run_with(p, recorder);
    CHECK(result.stages[0].status == StageStatus::failed);
    CHECK(result.stages[1].status == StageStatus::succeeded);
    CHECK(result.stages[1].counts[JobState::succeeded] == 4);
    CHECK(result.exit_code() == 1);
  }
}

TEST_CASE("wait() is a barrier inside the stage: a wave starts after the previous one ended") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) { ctx.sleep_for(2ms); });
  std::vector<StateCounts> waves;
  const auto kind = kind_of([&](StageContext& stage) {
    while (true) {
      int taken = 0;
      for (; taken < 3; ++taken) {
        auto instance = stage.next();
        if (!instance) break;
        stage.dispatch(*instance);
      }
      if (taken == 0) return;
      waves.push_back(stage.wait());
    }
  });
  auto p = pipeline({with_kind(stage("s", {job(types.probe(), "j", range(0, 9))}), kind)},
                    {{"pool", 4, 8}});
  Recorder recorder;
  const auto result = run_with(p, recorder);
  CHECK(result.stages[0].counts[JobState::succeeded] == 9);
  REQUIRE(waves.size() == 3);
  for (const auto& wave : waves) CHECK(wave[JobState::succeeded] == 3);
  const auto attempts = recorder.attempts();
  REQUIRE(attempts.size() == 9);
  for (const auto& a : attempts) {
    for (const auto& b : attempts) {
      if (a.index / 3 < b.index / 3) {
        INFO(a.id << " before " << b.id);
        CHECK(a.end <= b.start);
      }
    }
  }
}

TEST_CASE("next_ended reports instances as they end; cancel() ends the others as cancelled") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() == 2) return;                // the quick one
    if (!ctx.sleep_for(60s)) throw Cancelled{};  // the others wait for the cancel
  });
  std::vector<EndedInstance> seen;
  const auto kind = kind_of([&](StageContext& stage) {
    while (auto instance = stage.next()) stage.dispatch(*instance);
    while (auto ended = stage.next_ended()) {
      seen.push_back(*ended);
      if (ended->state == JobState::succeeded) {
        stage.output("winner", ended->id);
        stage.cancel();
      }
    }
  });
  auto p = pipeline({with_kind(stage("s", {job(types.probe(), "j", range(0, 4))}), kind)},
                    {{"pool", 4, 0}});
  Recorder recorder;
  QuietLog quiet;
  Runner runner(p, {.log = &quiet, .observers = {&recorder}});
  const auto result = runner.run();
  CHECK(result.stages[0].counts[JobState::succeeded] == 1);
  CHECK(result.stages[0].counts[JobState::cancelled] == 3);
  REQUIRE(seen.size() == 4);
  CHECK(seen.front().id == "s/j[2]");
  CHECK(seen.front().instance.index == 2);
  CHECK(seen.front().instance.position == 2);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].state == JobState::cancelled);
  CHECK(runner.outputs().get("s.stage.winner") == "s/j[2]");
  // Cancelled: a cancellation does not count against the stage.
  CHECK(result.stages[0].status == StageStatus::succeeded);
  check_each_ended_once(recorder, 4);
}

TEST_CASE("a kind that owns failures decides the stage's status") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() == 0) throw std::runtime_error("mirror down");
  });
  bool stopped_early = true;
  const auto kind = kind_of([&](StageContext& stage) {
    stage.own_failures();
    stage.dispatch(*stage.next());
    stage.wait();
    stopped_early = stage.stopping();
    stage.dispatch(*stage.next());
  });
  auto p = pipeline({with_kind(stage("s", {job(types.probe(), "j", range(0, 2))}), kind)});
  Recorder recorder;
  const auto result = run_with(p, recorder);
  CHECK_FALSE(stopped_early);
  CHECK(result.stages[0].status == StageStatus::succeeded);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  CHECK(result.stages[0].counts[JobState::succeeded] == 1);
  CHECK(result.exit_code() == 0);
}

TEST_CASE("dispatch() refuses once a failure stopped the stage; the instance ends cancelled") {
  ProbeTypes types;
  types.behave([](JobContext&) { throw std::runtime_error("no"); });
  std::vector<bool> dispatched;
  const auto kind = kind_of([&](StageContext& stage) {
    dispatched.push_back(stage.dispatch(*stage.next()));
    stage.wait();
    dispatched.push_back(stage.dispatch(*stage.next()));
  });
  auto p = pipeline({with_kind(stage("s", {job(types.probe(), "j", range(0, 3))}), kind)});
  Recorder recorder;
  const auto result = run_with(p, recorder);
  CHECK(dispatched == std::vector<bool>{true, false});
  CHECK(result.stages[0].status == StageStatus::stopped);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  CHECK(result.stages[0].counts[JobState::cancelled] == 1);
  CHECK(result.stages[0].counts[JobState::skipped] == 1);
  check_each_ended_once(recorder, 3);
}

TEST_CASE("built-in sequential: one instance at a time, in order; stops at the first failure") {
  ProbeTypes types;
  Registry registry;
  const auto* sequential = registry.lookup_stage_kind("sequential").kind;
  REQUIRE(sequential != nullptr);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  types.behave([&](JobContext& ctx) {
    const int now = ++running;
    most.store(std::max(most.load(), now));
    ctx.sleep_for(1ms);
    --running;
    if (ctx.id() == "s/b[2]") throw std::runtime_error("b's third");
  });
  auto s = with_kind(stage("s", {job(types.probe(), "a", range(0, 3)),
                                 job(types.probe(), "b", range(3, 8), "other")}),
                     *sequential);
  Recorder recorder;
  const auto result = run_with(pipeline({s}, {{"pool", 4, 4}, {"other", 4, 4}}), recorder);
  CHECK(most.load() == 1);
  auto attempts = recorder.attempts();
  std::ranges::sort(attempts, {}, &Recorder::Attempt::start);
  REQUIRE(attempts.size() == 6);  // a[0..2], b[0..2]; b[2] failed
  for (std::size_t i = 1; i < attempts.size(); ++i) CHECK(attempts[i - 1].end <= attempts[i].start);
  CHECK(attempts.back().id == "s/b[2]");
  CHECK(result.stages[0].status == StageStatus::stopped);
  CHECK(result.stages[0].counts[JobState::succeeded] == 5);
  CHECK(result.stages[0].counts[JobState::failed] == 1);
  CHECK(result.stages[0].counts[JobState::skipped] == 2);
}

TEST_CASE("a kind's truthy `repeat.until` output ends a repeated stage") {
  ProbeTypes types;
  const auto kind = kind_of([](StageContext& stage) {
    stage.dispatch_rest();
    stage.wait();
    if (stage.iteration() == 3) stage.output("done", "true");
  });
  auto s = with_kind(stage("s", {job(types.probe(), "j", range(0, 4))}), kind);
  s.repeat = Repeat{.times = {}, .max = 10, .until = "done", .where = {}};
  Recorder recorder;
  const auto result = run_with(pipeline({s}), recorder);
  CHECK(result.stages[0].iterations == 3);
  CHECK(result.stages[0].counts[JobState::succeeded] == 12);
}
