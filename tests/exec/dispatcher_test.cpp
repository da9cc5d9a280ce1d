// Dispatcher: the origin's API, with a reusable barrier, a clear error after finalize, and no
// leak of threads or memory when finalize is forgotten.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lockstep/engine.hpp"
#include "support/process.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

TEST_CASE("a dispatcher needs at least one worker", "[dispatcher]") {
  CHECK_THROWS_AS(lockstep::Dispatcher(0), std::invalid_argument);
  CHECK_THROWS_AS(lockstep::Dispatcher(-1), std::invalid_argument);
  CHECK_THROWS_AS(lockstep::Dispatcher(-1000), std::invalid_argument);
  CHECK_NOTHROW(lockstep::Dispatcher(1));
}

TEST_CASE("a dispatcher rejects a negative queue or max_wait", "[dispatcher]") {
  CHECK_THROWS_AS(lockstep::Dispatcher(1, {.queue = -1}), std::invalid_argument);
  CHECK_THROWS_AS(lockstep::Dispatcher(1, {.max_wait = std::chrono::nanoseconds(-1)}),
                  std::invalid_argument);
  CHECK_NOTHROW(lockstep::Dispatcher(1, {.queue = 0}));
}

TEST_CASE("a dispatcher's wait is a barrier that can be used round after round", "[dispatcher]") {
  const int rounds = 300;
  const int per_round = 6;
  lockstep::Dispatcher pool(2);
  std::atomic<std::uint64_t> sequence{0};
  std::vector<std::uint64_t> first_start(rounds, UINT64_MAX), last_end(rounds, 0);
  std::vector<std::atomic<int>> ran(rounds);
  std::mutex mutex;
  for (int r = 0; r < rounds; ++r) {
    for (int j = 0; j < per_round; ++j) {
      const bool slow = r % 10 == 0 && j == 0;  // now and then a job that blocks a while
      REQUIRE(pool.dispatch([&, r, slow] {
        const auto start = sequence.fetch_add(1);
        if (slow) std::this_thread::sleep_for(1ms);
        ran[static_cast<std::size_t>(r)].fetch_add(1);
        const auto end = sequence.fetch_add(1);
        std::lock_guard lock(mutex);
        auto i = static_cast<std::size_t>(r);
        first_start[i] = std::min(first_start[i], start);
        last_end[i] = std::max(last_end[i], end);
      }) == Admission::admitted);
    }
    const auto result = pool.wait();
    REQUIRE(result.total() == static_cast<std::size_t>(per_round));
    REQUIRE(result.count(JobState::succeeded) == static_cast<std::size_t>(per_round));
    REQUIRE(ran[static_cast<std::size_t>(r)].load() == per_round);
  }
  int violations = 0;
  for (std::size_t r = 0; r + 1 < static_cast<std::size_t>(rounds); ++r)
    if (first_start[r + 1] < last_end[r]) ++violations;
  CHECK(violations == 0);
  const auto stats = pool.stats();
  CHECK(stats.ended[JobState::succeeded] == static_cast<std::size_t>(rounds * per_round));
  CHECK(stats.peak_running <= 2);
  CHECK(stats.peak_queued <= lockstep::default_queue(2));
  pool.finalize();
}

TEST_CASE("finalize waits for every job and reports the last round", "[dispatcher]") {
  lockstep::Dispatcher pool(2);
  std::atomic<int> ended{0};
  for (int i = 0; i < 40; ++i)
    pool.dispatch([&] {
      std::this_thread::sleep_for(200us);
      ended.fetch_add(1);
    });
  const auto result = pool.finalize();
  CHECK(ended.load() == 40);
  CHECK(result.count(JobState::succeeded) == 40);
  const auto again = pool.finalize();  // calling it again returns an empty result
  CHECK(again.total() == 0);
  CHECK(again.failures.empty());
}

TEST_CASE("dispatch after finalize throws a logic_error that says why", "[dispatcher]") {
  lockstep::Dispatcher pool(1);
  pool.dispatch([] {});
  pool.finalize();
  std::atomic<int> ran{0};
  try {
    pool.dispatch([&] { ran.fetch_add(1); });
    FAIL("dispatch after finalize did not throw");
  } catch (const std::logic_error& e) {
    const std::string message = e.what();
    INFO("message: " << message);
    CHECK(message.find("finalize") != std::string::npos);
  }
  CHECK_THROWS_AS(pool.try_dispatch([&] { ran.fetch_add(1); }), std::logic_error);
  CHECK(ran.load() == 0);
}

TEST_CASE("the dispatcher's default queue fills 4,096 places", "[dispatcher]") {
  lockstep::Dispatcher pool(2);
  Gate gate;
  std::atomic<int> started{0};
  constexpr int kPlaces = 4096;  // 2 workers + default_queue(2)
  for (int i = 0; i < kPlaces; ++i) {
    REQUIRE(pool.try_dispatch([&] {
      started.fetch_add(1);
      gate.wait_for();
    }) == Admission::admitted);
  }
  CHECK(pool.try_dispatch([] {}) == Admission::rejected);
  gate.open();
  const auto result = pool.wait();
  CHECK(started.load() == kPlaces);
  CHECK(result.count(JobState::succeeded) == kPlaces);
  CHECK(result.count(JobState::rejected) == 1);
}

TEST_CASE("the dispatcher's destructor waits for its jobs", "[dispatcher]") {
  std::atomic<int> ended{0};
  {
    lockstep::Dispatcher pool(2);
    for (int i = 0; i < 20; ++i)
      pool.dispatch([&] {
        std::this_thread::sleep_for(500us);
        ended.fetch_add(1);
      });
  }
  CHECK(ended.load() == 20);
}

TEST_CASE("forgetting finalize leaks no thread", "[dispatcher]") {
  const int iterations = 200;
  std::atomic<int> ran{0};
  int after_first = -1;
  int highest = 0;
  for (int it = 0; it < iterations; ++it) {
    {
      lockstep::Dispatcher pool(2);
      for (int i = 0; i < 10; ++i) pool.dispatch([&] { ran.fetch_add(1); });
      if (it % 2 == 0) pool.wait();  // half of them with a pending round, half without
    }                                // no finalize
    const int threads = process_thread_count();
    REQUIRE(threads > 0);
    if (it == 0) after_first = threads;
    highest = std::max(highest, threads);
  }
  INFO("threads after the first dispatcher: " << after_first << ", highest: " << highest);
  CHECK(ran.load() == iterations * 10);
  CHECK(highest <= after_first + 4);
}

TEST_CASE("many dispatchers alive at once each keep their own bound", "[dispatcher]") {
  std::vector<std::unique_ptr<lockstep::Dispatcher>> pools;
  std::vector<std::unique_ptr<PeakGauge>> gauges;
  for (int i = 0; i < 4; ++i) {
    pools.push_back(std::make_unique<lockstep::Dispatcher>(i + 1));
    gauges.push_back(std::make_unique<PeakGauge>());
  }
  for (int n = 0; n < 200; ++n) {
    for (std::size_t i = 0; i < pools.size(); ++i) {
      PeakGauge* gauge = gauges[i].get();
      pools[i]->dispatch([gauge] {
        gauge->enter();
        std::this_thread::sleep_for(20us);
        gauge->leave();
      });
    }
  }
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const auto result = pools[i]->finalize();
    CHECK(result.count(JobState::succeeded) == 200);
    CHECK(gauges[i]->peak() <= static_cast<int>(i) + 1);
    CHECK(pools[i]->stats().peak_running <= static_cast<int>(i) + 1);
  }
}
