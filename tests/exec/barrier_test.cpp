// Barriers: Batch::wait() returns only when every job of the round has ended, no job of the next
// round starts before that, and the batch is reusable round after round.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::JobState;
using namespace lockstep::test;

namespace {

// Start and end of one job: steady_clock times and tickets from one global atomic sequence
// (a total order consistent with happens-before, independent of clock resolution).
struct Stamp {
  Clock::time_point start{}, end{};
  std::uint64_t start_ticket = 0, end_ticket = 0;
  bool ran = false;
};

}  // namespace

TEST_CASE("no job of round k+1 starts before every job of round k has ended", "[barrier]") {
  const int rounds = 1000;
  const int on_a = 3, on_b = 2, per_round = on_a + on_b;
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 2});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});

  std::vector<Stamp> stamps(static_cast<std::size_t>(rounds * per_round));
  std::atomic<std::uint64_t> sequence{0};
  lockstep::Batch batch;  // one batch, reused every round, spanning two bulkheads
  for (int r = 0; r < rounds; ++r) {
    for (int j = 0; j < per_round; ++j) {
      Stamp* s = &stamps[static_cast<std::size_t>(r * per_round + j)];
      // Mostly tiny jobs, with now and then one that blocks for a while on either bulkhead:
      // a barrier that only spins for a bounded time before giving up would miss those.
      const bool slow = (r % 10 == 0 && j == 0) || (r % 10 == 5 && j == per_round - 1);
      auto job = [s, &sequence, j, slow] {
        s->start_ticket = sequence.fetch_add(1);
        s->start = Clock::now();
        s->ran = true;
        if (slow)
          std::this_thread::sleep_for(1ms);
        else if (j % 2 == 0)
          spin_for(std::chrono::microseconds(j * 5));
        s->end = Clock::now();
        s->end_ticket = sequence.fetch_add(1);
      };
      REQUIRE((j < on_a ? a : b).dispatch(batch, job) == lockstep::Admission::admitted);
    }
    const auto result = batch.wait();
    REQUIRE(result.total() == static_cast<std::size_t>(per_round));
    REQUIRE(result.count(JobState::succeeded) == static_cast<std::size_t>(per_round));
    REQUIRE(batch.outstanding() == 0);
  }

  int violations = 0;
  for (int r = 0; r + 1 < rounds; ++r) {
    auto begin = stamps.begin() + r * per_round;
    auto next = begin + per_round;
    const auto last_end =
        std::max_element(begin, next, [](auto& x, auto& y) { return x.end < y.end; })->end;
    const auto last_end_ticket = std::max_element(begin, next, [](auto& x, auto& y) {
                                   return x.end_ticket < y.end_ticket;
                                 })->end_ticket;
    const auto first_start = std::min_element(next, next + per_round, [](auto& x, auto& y) {
                               return x.start < y.start;
                             })->start;
    const auto first_start_ticket = std::min_element(next, next + per_round, [](auto& x, auto& y) {
                                      return x.start_ticket < y.start_ticket;
                                    })->start_ticket;
    if (first_start < last_end || first_start_ticket < last_end_ticket) {
      if (violations++ < 5) {
        UNSCOPED_INFO(
            "round "
            << r + 1 << " started "
            << std::chrono::duration_cast<std::chrono::nanoseconds>(last_end - first_start).count()
            << " ns before round " << r << " ended");
      }
    }
  }
  CHECK(violations == 0);
  CHECK(std::all_of(stamps.begin(), stamps.end(), [](auto& s) { return s.ran; }));
  CHECK(a.stats().ended[JobState::succeeded] == static_cast<std::size_t>(rounds * on_a));
  CHECK(b.stats().ended[JobState::succeeded] == static_cast<std::size_t>(rounds * on_b));
}

TEST_CASE("wait returns only after every job of the round has ended", "[barrier]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "slow", .workers = 2, .queue = 8});
  lockstep::Batch batch;
  std::atomic<int> ended{0};
  for (int round = 0; round < 20; ++round) {
    ended = 0;
    for (int i = 0; i < 10; ++i) {
      pool.dispatch(batch, [&, i] {
        std::this_thread::sleep_for(i == 9 ? 2ms : std::chrono::microseconds(100 * (i % 3)));
        ended.fetch_add(1);
      });
    }
    const auto result = batch.wait();
    REQUIRE(ended.load() == 10);
    REQUIRE(result.total() == 10);
  }
}

TEST_CASE("a batch's wait result counts add up", "[barrier]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "mix", .workers = 2});
  lockstep::Batch batch;

  SECTION("an empty round") {
    const auto result = batch.wait();
    CHECK(result.total() == 0);
    CHECK(result.ok());
    CHECK(result.failures.empty());
  }
  SECTION("a mixed round, then a clean one on the same batch") {
    for (int i = 0; i < 30; ++i) {
      pool.dispatch(batch, [i] {
        if (i % 3 == 0) throw std::runtime_error("job " + std::to_string(i));
      });
    }
    auto result = batch.wait();
    CHECK(result.total() == 30);
    CHECK(result.count(JobState::succeeded) == 20);
    CHECK(result.count(JobState::failed) == 10);
    CHECK(result.failures.size() == 10);
    CHECK(result.failures.size() == result.total() - result.count(JobState::succeeded));
    CHECK_FALSE(result.ok());

    for (int i = 0; i < 7; ++i) pool.dispatch(batch, [] {});
    result = batch.wait();  // the counts and failures were reset by the previous wait
    CHECK(result.total() == 7);
    CHECK(result.count(JobState::succeeded) == 7);
    CHECK(result.failures.empty());
    CHECK(result.ok());
  }
}

TEST_CASE("wait covers jobs dispatched into the batch by jobs of the same batch", "[barrier]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 1});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});
  lockstep::Batch batch;
  std::atomic<int> grandchildren{0};
  for (int round = 0; round < 50; ++round) {
    grandchildren = 0;
    a.dispatch(batch, [&] {
      for (int i = 0; i < 3; ++i)
        b.dispatch(batch, [&] {
          std::this_thread::sleep_for(50us);
          grandchildren.fetch_add(1);
        });
    });
    const auto result = batch.wait();
    REQUIRE(grandchildren.load() == 3);
    REQUIRE(result.total() == 4);
    REQUIRE(result.count(JobState::succeeded) == 4);
  }
}

TEST_CASE("outstanding counts jobs dispatched and not yet ended", "[barrier]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2, .queue = 4});
  lockstep::Batch batch;
  Gate release;
  CHECK(batch.outstanding() == 0);
  for (int i = 0; i < 5; ++i) pool.dispatch(batch, [&] { release.wait_for(); });
  CHECK(batch.outstanding() == 5);
  release.open();
  const auto result = batch.wait();
  CHECK(result.count(JobState::succeeded) == 5);
  CHECK(batch.outstanding() == 0);
}

TEST_CASE("a batch's destructor waits for its jobs", "[barrier]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2});
  std::atomic<int> ended{0};
  {
    lockstep::Batch batch;
    for (int i = 0; i < 6; ++i)
      pool.dispatch(batch, [&] {
        std::this_thread::sleep_for(2ms);
        ended.fetch_add(1);
      });
  }
  CHECK(ended.load() == 6);
}

// After tiny rounds the thread in wait() runs a round's jobs itself, and a worker that starts
// meanwhile watches rather than takes them (see BulkheadCore::watch_for_helper). It must still
// take what the waiting thread does not: a job nobody waits for, and the rest of a round while
// the waiting thread is busy with a long job.
TEST_CASE("after rounds the waiting thread ran itself, workers still take the jobs it does not",
          "[barrier]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "rounds", .workers = 2});
  lockstep::Batch batch;
  auto tiny_rounds = [&] {
    for (int r = 0; r < 500; ++r) {
      pool.dispatch(batch, [] {});
      pool.dispatch(batch, [] {});
      REQUIRE(batch.wait().count(JobState::succeeded) == 2);
    }
  };
  for (int attempt = 0; attempt < 20; ++attempt) {
    CAPTURE(attempt);
    tiny_rounds();
    // Nobody waits for this batch: a worker alone can start the job.
    TimedLatch started(2);
    pool.dispatch(batch, [&] { started.arrive_and_wait_for(); });
    REQUIRE(started.arrive_and_wait_for());
    REQUIRE(batch.wait().count(JobState::succeeded) == 1);

    tiny_rounds();
    // Two jobs that must run at once: whichever the waiting thread takes first waits for the
    // other, which only a worker can run.
    TimedLatch both(2);
    std::atomic<int> met{0};
    for (int i = 0; i < 2; ++i) {
      pool.dispatch(batch, [&] {
        if (both.arrive_and_wait_for()) met.fetch_add(1);
      });
    }
    REQUIRE(batch.wait().count(JobState::succeeded) == 2);
    REQUIRE(met.load() == 2);
  }
}
