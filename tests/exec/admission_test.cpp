// Admission: dispatch blocks while workers + queue jobs are admitted and not ended; try_dispatch
// never blocks; dispatch_for and max_wait give up and the job ends rejected.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

namespace {

// Fills a bulkhead: `workers` jobs running and `queue` queued, all held until release().
struct Filler {
  Gate gate;
  std::atomic<int> started{0};
  std::atomic<int> ended{0};

  void fill(lockstep::Bulkhead& pool, lockstep::Batch& batch) {
    for (int i = 0; i < pool.workers() + pool.queue_capacity(); ++i) {
      REQUIRE(pool.try_dispatch(batch, [this] {
        started.fetch_add(1);
        gate.wait_for();
        ended.fetch_add(1);
      }) == Admission::admitted);
    }
    REQUIRE(eventually([&] { return started.load() == pool.workers(); }));
  }
  void release() { gate.open(); }
};

}  // namespace

TEST_CASE("try_dispatch on a full bulkhead rejects and the job ends rejected", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "full", .workers = 1, .queue = 2});
  lockstep::Batch batch;
  Filler filler;
  filler.fill(pool, batch);

  std::atomic<int> rejected_ran{0};
  const auto t0 = Clock::now();
  CHECK(pool.try_dispatch(batch, {"extra", [&] { rejected_ran.fetch_add(1); }}) ==
        Admission::rejected);
  CHECK(pool.try_dispatch(batch, [&] { rejected_ran.fetch_add(1); }) == Admission::rejected);
  CHECK(Clock::now() - t0 < 5s);  // never blocks (the held jobs are held for 20 s)

  auto stats = pool.stats();
  CHECK(stats.ended[JobState::rejected] == 2);  // ended at once, before the batch's wait
  CHECK(stats.admitted == 3);
  CHECK(batch.outstanding() == 3);

  filler.release();
  const auto result = batch.wait();
  CHECK(rejected_ran.load() == 0);
  CHECK(result.count(JobState::succeeded) == 3);
  CHECK(result.count(JobState::rejected) == 2);
  CHECK(result.total() == 5);
  REQUIRE(result.failures.size() == 2);
  CHECK(result.failures[0].job == "extra");
  CHECK(result.failures[0].bulkhead == "full");
  CHECK(result.failures[0].state == JobState::rejected);
  CHECK_FALSE(result.failures[0].message.empty());
  CHECK(result.failures[1].state == JobState::rejected);
  stats = pool.stats();
  CHECK(stats.ended[JobState::rejected] == 2);
  CHECK(stats.ended[JobState::succeeded] == 3);
  CHECK(stats.ended.sum() == 5);
}

TEST_CASE("dispatch_for gives up after its timeout and the job ends rejected", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "full", .workers = 2, .queue = 1});
  lockstep::Batch batch;
  Filler filler;
  filler.fill(pool, batch);

  std::atomic<int> ran{0};
  const auto t0 = Clock::now();
  CHECK(pool.dispatch_for(
            batch, [&] { ran.fetch_add(1); }, 50ms) == Admission::rejected);
  const auto waited = Clock::now() - t0;
  CHECK(waited >= 49ms);  // it did wait for room
  CHECK(waited < 10s);    // and gave up (the held jobs are held for 20 s)
  CHECK(pool.stats().ended[JobState::rejected] == 1);

  filler.release();
  const auto result = batch.wait();
  CHECK(ran.load() == 0);
  CHECK(result.count(JobState::rejected) == 1);
  CHECK(result.count(JobState::succeeded) == 3);
}

TEST_CASE("dispatch_for admits the job when room appears in time", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "full", .workers = 1, .queue = 0});
  lockstep::Batch batch;
  Filler filler;
  filler.fill(pool, batch);

  std::atomic<bool> returned{false};
  std::atomic<int> ran{0};
  Admission admission = Admission::cancelled;
  std::latch about_to_dispatch(1);
  std::thread dispatcher([&] {
    about_to_dispatch.count_down();
    admission = pool.dispatch_for(
        batch, [&] { ran.fetch_add(1); }, 60s);
    returned = true;
  });
  about_to_dispatch.wait();
  CHECK(stays_false([&] { return returned.load(); }));  // blocked while full
  filler.release();
  CHECK(eventually([&] { return returned.load(); }));
  dispatcher.join();
  CHECK(admission == Admission::admitted);
  const auto result = batch.wait();
  CHECK(ran.load() == 1);
  CHECK(result.count(JobState::succeeded) == 2);
}

TEST_CASE("max_wait turns a blocking dispatch on a full bulkhead into a rejection", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead(
      {.name = "impatient", .workers = 1, .queue = 1, .max_wait = std::chrono::milliseconds(40)});
  REQUIRE(pool.max_wait().has_value());
  CHECK(*pool.max_wait() == 40ms);
  lockstep::Batch batch;
  Filler filler;
  filler.fill(pool, batch);

  std::atomic<int> ran{0};
  const auto t0 = Clock::now();
  CHECK(pool.dispatch(batch, {"late", [&] { ran.fetch_add(1); }}) == Admission::rejected);
  const auto waited = Clock::now() - t0;
  CHECK(waited >= 39ms);
  CHECK(waited < 10s);

  filler.release();
  const auto result = batch.wait();
  CHECK(ran.load() == 0);
  CHECK(result.count(JobState::rejected) == 1);
  REQUIRE(result.failures.size() == 1);
  CHECK(result.failures[0].job == "late");
  CHECK(result.failures[0].state == JobState::rejected);
}

TEST_CASE("max_wait does not reject a job that finds room", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead(
      {.name = "patient", .workers = 2, .queue = 2, .max_wait = std::chrono::seconds(20)});
  lockstep::Batch batch;
  std::atomic<int> ran{0};
  for (int i = 0; i < 500; ++i) {
    REQUIRE(pool.dispatch(batch, [&] {
      std::this_thread::sleep_for(20us);
      ran.fetch_add(1);
    }) == Admission::admitted);
  }
  const auto result = batch.wait();
  CHECK(ran.load() == 500);
  CHECK(result.count(JobState::succeeded) == 500);
}

TEST_CASE("dispatch blocks while the bulkhead is full and returns once a job ends", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "full", .workers = 2, .queue = 1});
  lockstep::Batch batch;
  Filler filler;
  filler.fill(pool, batch);  // 2 running, 1 queued: workers + queue taken
  auto stats = pool.stats();
  CHECK(stats.running == 2);
  CHECK(stats.queued == 1);

  std::atomic<bool> returned{false};
  std::atomic<int> ran{0};
  Admission admission = Admission::cancelled;
  std::latch about_to_dispatch(1);
  std::thread dispatcher([&] {
    about_to_dispatch.count_down();
    admission = pool.dispatch(batch, [&] { ran.fetch_add(1); });
    returned = true;
  });
  about_to_dispatch.wait();
  // Not past dispatch while workers + queue jobs are held.
  CHECK(stays_false([&] { return returned.load(); }));
  CHECK(filler.ended.load() == 0);
  CHECK(pool.stats().queued == 1);

  filler.release();
  CHECK(eventually([&] { return returned.load(); }));
  dispatcher.join();
  CHECK(admission == Admission::admitted);
  const auto result = batch.wait();
  CHECK(ran.load() == 1);
  CHECK(result.count(JobState::succeeded) == 4);
  CHECK(pool.stats().peak_queued <= 1);
  CHECK(pool.stats().peak_running <= 2);
}

TEST_CASE("dispatch admits exactly one waiting job per freed place", "[admission]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "one", .workers = 1, .queue = 0});
  lockstep::Batch batch;

  // One held job fills the bulkhead; two threads wait in dispatch with jobs that are held too.
  Gate first_gate, second_gate;
  std::atomic<int> started{0};
  REQUIRE(pool.dispatch(batch, [&] {
    started.fetch_add(1);
    first_gate.wait_for();
  }) == Admission::admitted);
  REQUIRE(eventually([&] { return started.load() == 1; }));

  std::atomic<int> returned{0};
  std::latch both_dispatching(2);
  auto dispatch_held = [&] {
    both_dispatching.count_down();
    pool.dispatch(batch, [&] {
      started.fetch_add(1);
      second_gate.wait_for();
    });
    returned.fetch_add(1);
  };
  std::thread t1(dispatch_held), t2(dispatch_held);
  both_dispatching.wait();
  CHECK(stays_false([&] { return returned.load() > 0; }));

  first_gate.open();  // one place frees up: exactly one of the two gets it
  CHECK(eventually([&] { return returned.load() == 1; }));
  CHECK(stays_false([&] { return returned.load() > 1; }));
  CHECK(pool.stats().running + pool.stats().queued <= 1);

  second_gate.open();
  CHECK(eventually([&] { return returned.load() == 2; }));
  t1.join();
  t2.join();
  const auto result = batch.wait();
  CHECK(result.count(JobState::succeeded) == 3);
  CHECK(started.load() == 3);
}

TEST_CASE("a dispatcher's try_dispatch rejects when it is full", "[admission]") {
  lockstep::Dispatcher pool(1, {.queue = 1});
  Gate gate;
  std::atomic<int> started{0};
  REQUIRE(pool.try_dispatch([&] {
    started.fetch_add(1);
    gate.wait_for();
  }) == Admission::admitted);
  REQUIRE(pool.try_dispatch([&] { started.fetch_add(1); }) == Admission::admitted);
  CHECK(pool.try_dispatch([&] { started.fetch_add(100); }) == Admission::rejected);
  gate.open();
  const auto result = pool.wait();
  CHECK(started.load() == 2);
  CHECK(result.count(JobState::succeeded) == 2);
  CHECK(result.count(JobState::rejected) == 1);
  CHECK(pool.stats().ended[JobState::rejected] == 1);
}

TEST_CASE("a dispatcher with max_wait rejects instead of blocking forever", "[admission]") {
  lockstep::Dispatcher pool(1, {.queue = 0, .max_wait = std::chrono::milliseconds(30)});
  Gate gate;
  std::atomic<int> started{0};
  REQUIRE(pool.dispatch([&] {
    started.fetch_add(1);
    gate.wait_for();
  }) == Admission::admitted);
  REQUIRE(eventually([&] { return started.load() == 1; }));
  const auto t0 = Clock::now();
  CHECK(pool.dispatch([&] { started.fetch_add(100); }) == Admission::rejected);
  CHECK(Clock::now() - t0 >= 29ms);
  gate.open();
  const auto result = pool.wait();
  CHECK(started.load() == 1);
  CHECK(result.count(JobState::rejected) == 1);
  CHECK(result.count(JobState::succeeded) == 1);
}
