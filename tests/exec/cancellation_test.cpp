// Cancellation of batches and bulkheads: queued jobs never start, running jobs see their token,
// later dispatches end cancelled at once, and a cancelled batch is usable again after wait().
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

namespace {

// What the long-running job saw.
struct Sleeper {
  std::atomic<int> started{0};
  std::atomic<int> woke_early{0};
  std::atomic<int> slept_fully{0};
  std::atomic<long long> slept_ns{0};

  // A job that sleeps 30 s on its token and ends cancelled if it was woken.
  lockstep::Task task() {
    return [this](const lockstep::CancelToken& token) {
      started.fetch_add(1);
      const auto t0 = Clock::now();
      const bool full = token.sleep_for(30s);
      slept_ns.store(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
      (full ? slept_fully : woke_early).fetch_add(1);
      token.throw_if_cancelled();
    };
  }
};

}  // namespace

TEST_CASE("cancelling a batch stops its queued jobs and wakes its running ones", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2, .queue = 10});
  lockstep::Batch batch;
  Sleeper sleeper;
  for (int i = 0; i < 2; ++i) REQUIRE(pool.dispatch(batch, sleeper.task()) == Admission::admitted);
  REQUIRE(eventually([&] { return sleeper.started.load() == 2; }));

  std::atomic<int> queued_started{0};
  for (int i = 0; i < 10; ++i)
    REQUIRE(pool.try_dispatch(batch, [&] { queued_started.fetch_add(1); }) == Admission::admitted);
  CHECK(pool.stats().queued == 10);

  batch.cancel();
  CHECK(batch.cancelled());
  const auto result = batch.wait();

  CHECK(queued_started.load() == 0);
  CHECK(sleeper.woke_early.load() == 2);
  CHECK(sleeper.slept_fully.load() == 0);
  CHECK(std::chrono::nanoseconds(sleeper.slept_ns.load()) < 15s);  // nominal 30 s
  CHECK(result.count(JobState::cancelled) == 12);
  CHECK(result.total() == 12);
  REQUIRE(result.failures.size() == 12);
  for (const auto& f : result.failures) {
    CHECK(f.state == JobState::cancelled);
    CHECK(f.bulkhead == "p");
  }
  const auto stats = pool.stats();
  CHECK(stats.ended[JobState::cancelled] == 12);
  CHECK(stats.queued == 0);
  CHECK(stats.running == 0);
  CHECK_FALSE(pool.cancelled());  // the batch was cancelled, not the bulkhead
}

TEST_CASE("cancelling a batch leaves other batches on the same bulkhead alone", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 1, .queue = 8});
  lockstep::Batch doomed, kept;
  Sleeper sleeper;
  pool.dispatch(doomed, sleeper.task());
  REQUIRE(eventually([&] { return sleeper.started.load() == 1; }));
  std::atomic<int> kept_ran{0}, doomed_ran{0};
  for (int i = 0; i < 3; ++i) {
    pool.dispatch(doomed, [&] { doomed_ran.fetch_add(1); });
    pool.dispatch(kept, [&] { kept_ran.fetch_add(1); });
  }
  doomed.cancel();
  const auto doomed_result = doomed.wait();
  const auto kept_result = kept.wait();
  CHECK(doomed_ran.load() == 0);
  CHECK(kept_ran.load() == 3);
  CHECK(doomed_result.count(JobState::cancelled) == 4);
  CHECK(kept_result.count(JobState::succeeded) == 3);
  CHECK_FALSE(kept.cancelled());
}

TEST_CASE("cancelling a bulkhead is for good", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 1, .queue = 5});
  lockstep::Batch batch;
  Sleeper sleeper;
  pool.dispatch(batch, sleeper.task());
  REQUIRE(eventually([&] { return sleeper.started.load() == 1; }));
  std::atomic<int> queued_started{0};
  for (int i = 0; i < 5; ++i) pool.dispatch(batch, [&] { queued_started.fetch_add(1); });

  pool.cancel();
  CHECK(pool.cancelled());
  CHECK_FALSE(batch.cancelled());  // the bulkhead was cancelled, not the batch
  auto result = batch.wait();
  CHECK(queued_started.load() == 0);
  CHECK(sleeper.woke_early.load() == 1);
  CHECK(result.count(JobState::cancelled) == 6);

  // Every later dispatch ends as cancelled at once, in the next rounds too.
  std::atomic<int> later_ran{0};
  CHECK(pool.dispatch(batch, [&] { later_ran.fetch_add(1); }) == Admission::cancelled);
  CHECK(pool.try_dispatch(batch, [&] { later_ran.fetch_add(1); }) == Admission::cancelled);
  CHECK(pool.dispatch_for(
            batch, [&] { later_ran.fetch_add(1); }, 1s) == Admission::cancelled);
  CHECK(batch.outstanding() == 0);
  result = batch.wait();
  CHECK(later_ran.load() == 0);
  CHECK(result.count(JobState::cancelled) == 3);
  CHECK(result.total() == 3);
  CHECK(pool.cancelled());
  CHECK(pool.stats().ended[JobState::cancelled] == 9);
}

TEST_CASE("a running job sees cancellation by polling its token", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 1});
  lockstep::Batch batch;
  std::atomic<bool> started{false}, saw_cancel{false};
  pool.dispatch(batch, [&](const lockstep::CancelToken& token) {
    started = true;
    const auto until = Clock::now() + kGuard;
    while (!token.cancelled() && Clock::now() < until) std::this_thread::yield();
    saw_cancel = token.cancelled();
  });
  REQUIRE(eventually([&] { return started.load(); }));
  batch.cancel();
  const auto result = batch.wait();
  CHECK(saw_cancel.load());
  // The job returned normally after seeing cancellation; either outcome is one terminal state.
  CHECK(result.total() == 1);
  CHECK(result.count(JobState::succeeded) + result.count(JobState::cancelled) == 1);
}

TEST_CASE("a job throwing lockstep::Cancelled ends cancelled", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2});
  lockstep::Batch batch;
  for (int i = 0; i < 10; ++i) pool.dispatch(batch, [] { throw lockstep::Cancelled(); });
  const auto result = batch.wait();
  CHECK(result.count(JobState::cancelled) == 10);
  CHECK(result.count(JobState::failed) == 0);
  CHECK_FALSE(batch.cancelled());
}

TEST_CASE("a job throwing anything after its token was cancelled ends cancelled", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2});
  lockstep::Batch batch;
  std::atomic<int> started{0};
  for (int i = 0; i < 2; ++i) {
    pool.dispatch(batch, [&, i](const lockstep::CancelToken& token) {
      started.fetch_add(1);
      token.sleep_for(30s);
      if (i == 0) throw std::runtime_error("interrupted");
      throw 5;
    });
  }
  REQUIRE(eventually([&] { return started.load() == 2; }));
  batch.cancel();
  const auto result = batch.wait();
  CHECK(result.count(JobState::cancelled) == 2);
  CHECK(result.count(JobState::failed) == 0);
}

TEST_CASE("dispatching into a cancelled batch ends the job cancelled at once", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 1, .queue = 0});
  lockstep::Batch batch;
  batch.cancel();
  std::atomic<int> ran{0};
  CHECK(pool.dispatch(batch, [&] { ran.fetch_add(1); }) == Admission::cancelled);
  CHECK(pool.try_dispatch(batch, [&] { ran.fetch_add(1); }) == Admission::cancelled);
  CHECK(pool.dispatch_for(batch, {"named", [&] { ran.fetch_add(1); }}, 1s) == Admission::cancelled);
  const auto result = batch.wait();
  CHECK(ran.load() == 0);
  CHECK(result.count(JobState::cancelled) == 3);
  REQUIRE(result.failures.size() == 3);
  CHECK(result.failures[2].job == "named");
  CHECK(result.failures[2].state == JobState::cancelled);
  CHECK(pool.stats().admitted == 0);
  CHECK(pool.stats().ended[JobState::cancelled] == 3);
}

TEST_CASE("a cancelled batch is usable again after wait", "[cancel]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "p", .workers = 2});
  lockstep::Batch batch;
  for (int round = 0; round < 20; ++round) {
    Sleeper sleeper;
    pool.dispatch(batch, sleeper.task());
    REQUIRE(eventually([&] { return sleeper.started.load() == 1; }));
    batch.cancel();
    auto result = batch.wait();
    REQUIRE(result.count(JobState::cancelled) == 1);
    REQUIRE_FALSE(batch.cancelled());

    std::atomic<int> ran{0};
    std::atomic<bool> token_clean{true};
    for (int i = 0; i < 5; ++i) {
      REQUIRE(pool.dispatch(batch, [&](const lockstep::CancelToken& token) {
        if (token.cancelled()) token_clean = false;
        ran.fetch_add(1);
      }) == Admission::admitted);
    }
    result = batch.wait();
    REQUIRE(ran.load() == 5);
    REQUIRE(token_clean.load());
    REQUIRE(result.count(JobState::succeeded) == 5);
  }
}

TEST_CASE("cancelling the engine cancels every bulkhead", "[cancel]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 1});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});
  lockstep::Batch batch;
  Sleeper sa, sb;
  a.dispatch(batch, sa.task());
  b.dispatch(batch, sb.task());
  REQUIRE(eventually([&] { return sa.started.load() == 1 && sb.started.load() == 1; }));
  engine.cancel();
  const auto result = batch.wait();
  CHECK(a.cancelled());
  CHECK(b.cancelled());
  CHECK(result.count(JobState::cancelled) == 2);
  CHECK(sa.woke_early.load() + sb.woke_early.load() == 2);
  CHECK(a.dispatch(batch, [] {}) == Admission::cancelled);
  CHECK(batch.wait().count(JobState::cancelled) == 1);
}

TEST_CASE("cancelling a dispatcher stops its queued jobs and wakes its running ones", "[cancel]") {
  lockstep::Dispatcher pool(1, {.queue = 4});
  Sleeper sleeper;
  pool.dispatch(sleeper.task());
  REQUIRE(eventually([&] { return sleeper.started.load() == 1; }));
  std::atomic<int> queued_started{0};
  for (int i = 0; i < 4; ++i) pool.dispatch([&] { queued_started.fetch_add(1); });
  pool.cancel();
  const auto result = pool.wait();
  CHECK(queued_started.load() == 0);
  CHECK(sleeper.woke_early.load() == 1);
  CHECK(result.count(JobState::cancelled) == 5);
  CHECK(pool.stats().ended[JobState::cancelled] == 5);
}
