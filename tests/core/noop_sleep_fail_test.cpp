// core.noop, core.sleep and core.fail.
#include "core_harness.hpp"

namespace lockstep::test {

TEST_CASE("noop succeeds and logs nothing") {
  Harness harness;
  auto result = harness.run("core.noop", {});
  CHECK(result.ok());
  CHECK(result.total() == 1);
  CHECK(harness.log.lines().empty());
}

TEST_CASE("noop takes no parameters") {
  CHECK_THAT(validation_errors(core_type("core.noop"), {param("duration", "1s")}),
             Catch::Contains("unknown parameter 'duration'"));
}

TEST_CASE("sleep waits for its duration and succeeds") {
  Harness harness;
  const auto start = Clock::now();
  auto result = harness.run("core.sleep", {param("duration", "200ms")});
  CHECK(result.ok());
  CHECK(Clock::now() - start >= 200ms);
}

TEST_CASE("sleep wakes on cancel and ends cancelled long before its duration") {
  Harness harness;
  harness.start("core.sleep", {param("duration", "60s")});
  REQUIRE(eventually([&] { return harness.pool().stats().running == 1; }));
  const auto start = Clock::now();
  harness.cancel();
  auto result = harness.wait();
  CHECK(Clock::now() - start < 10s);
  CHECK(result.count(JobState::cancelled) == 1);
  // "cancelled" is what the engine records for a job that ended by throwing lockstep::Cancelled
  // (one cancelled before it started says so).
  CHECK(failure_message(result) == "cancelled");
}

TEST_CASE("sleep requires a duration") {
  CHECK_THAT(validation_errors(core_type("core.sleep"), {}),
             Catch::Contains("missing required parameter 'duration'"));
  CHECK_THAT(validation_errors(core_type("core.sleep"), {param("duration", "soon")}),
             Catch::Contains("must be a duration"));
}

TEST_CASE("fail fails with its default message") {
  Harness harness;
  auto result = harness.run("core.fail", {});
  CHECK(result.count(JobState::failed) == 1);
  CHECK(failure_message(result) == "failed on purpose");
}

TEST_CASE("fail's message reaches the batch's failures") {
  Harness harness;
  auto result = harness.run("core.fail", {param("message", "the disk is on fire")});
  CHECK(result.count(JobState::failed) == 1);
  REQUIRE(result.failures.size() == 1);
  CHECK(result.failures.front().job == "stage/job");
  CHECK(result.failures.front().message == "the disk is on fire");
}

}  // namespace lockstep::test
