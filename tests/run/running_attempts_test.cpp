// The running-time bookkeeping behind the progress ETA: marks on worker slots, stamped by the
// first snapshot that sees them. Times are given, never waited for.
#include <catch2/catch.hpp>

#include <chrono>

#include "run/running_attempts.hpp"

namespace lockstep::test {
namespace {

using namespace std::chrono_literals;
using run::RunningAttempts;

const RunningAttempts::Clock::time_point t0{std::chrono::hours(1)};

TEST_CASE("a running attempt is timed from the first snapshot that sees it") {
  RunningAttempts attempts(2);
  CHECK(attempts.spent(t0).running == 0);
  {
    const auto mark = attempts.mark(1);
    const auto first = attempts.spent(t0);
    CHECK(first.running == 1);
    CHECK(first.total == 0s);
    const auto later = attempts.spent(t0 + 5s);
    CHECK(later.running == 1);
    CHECK(later.total == 5s);
    CHECK(later.longest == 5s);
  }
  CHECK(attempts.spent(t0 + 6s).running == 0);
}

TEST_CASE("several running attempts add up, the longest kept apart") {
  RunningAttempts attempts(3);
  const auto first = attempts.mark(0);
  attempts.spent(t0);
  const auto second = attempts.mark(2);
  attempts.spent(t0 + 2s);
  const auto spent = attempts.spent(t0 + 5s);
  CHECK(spent.running == 2);
  CHECK(spent.total == 8s);  // 5s + 3s
  CHECK(spent.longest == 5s);
}

TEST_CASE("a slot outside the bulkhead's is not tracked") {
  RunningAttempts attempts(1);
  const auto outside = attempts.mark(-1);
  const auto beyond = attempts.mark(1);
  CHECK(attempts.spent(t0).running == 0);
}

TEST_CASE("a new attempt on a slot starts its own time") {
  RunningAttempts attempts(1);
  {
    const auto mark = attempts.mark(0);
    attempts.spent(t0);
  }
  const auto next = attempts.mark(0);
  attempts.spent(t0 + 10s);
  CHECK(attempts.spent(t0 + 11s).longest == 1s);
}

}  // namespace
}  // namespace lockstep::test
