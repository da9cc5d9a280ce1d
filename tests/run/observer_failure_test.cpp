// An observer that throws never costs an instance its count, never hangs a stage: the run goes
// on, its counts add up, and its warnings say what happened.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "run_support.hpp"

using namespace lockstep;
using namespace lockstep::test;

namespace {

class ThrowingObserver final : public RunObserver {
 public:
  void stage_started(const StageSpec&, int) override { throw std::runtime_error("stage started"); }
  void attempt_started(const AttemptEvent&) override { throw std::runtime_error("attempt"); }
  void attempt_ended(const AttemptEvent&) override { throw std::runtime_error("attempt"); }
  void instance_ended(const InstanceEvent&) override { throw std::runtime_error("ended"); }
  void stage_ended(const StageSpec&, int, const StageSummary&) override { throw 42; }
};

}  // namespace

TEST_CASE("an observer that throws is a warning of the run; every instance is still counted") {
  ProbeTypes types;
  types.behave([](JobContext& ctx) {
    if (ctx.index() % 10 == 3) throw std::runtime_error("a failing instance");
  });
  auto s = stage("s", {job(types.probe(), "j", range(0, 100))});
  s.on_failure = OnFailure::continue_;
  ThrowingObserver throwing;
  Recorder recorder;  // after the throwing one: it still sees every instance
  QuietLog quiet;
  const auto p = pipeline({s, stage("after", {job(types.probe(), "k")})});
  Runner runner(p, {.log = &quiet, .observers = {&throwing, &recorder}});
  const auto result = runner.run();
  CHECK(result.totals.sum() == 101);
  CHECK(result.totals[JobState::failed] == 10);
  CHECK(result.stages[1].counts[JobState::succeeded] == 1);
  CHECK(recorder.instance_ends().size() == 101);
  REQUIRE(result.warnings.size() == 1);
  CHECK_THAT(result.warnings[0], Catch::StartsWith("an observer threw: stage started ("));
}
