// Isolation: jobs that block (sleep, wait on a condition, spin) in one bulkhead never delay the
// jobs of another. The one timing figure here is the issue's own: bulkhead B's 1,000 short jobs
// finish while A's jobs are still in their 2 s sleep (checked by flags, not by a threshold).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

namespace {

struct BResult {
  lockstep::BatchResult result;
  Clock::duration elapsed;
  int ran;
};

// 1,000 short jobs on `b`, then wait for them.
BResult run_short_jobs(lockstep::Bulkhead& b) {
  std::atomic<int> ran{0};
  lockstep::Batch batch;
  const auto t0 = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(b.dispatch(batch, [&] { ran.fetch_add(1, std::memory_order_relaxed); }) ==
            Admission::admitted);
  }
  auto result = batch.wait();
  return {std::move(result), Clock::now() - t0, ran.load()};
}

}  // namespace

TEST_CASE("a bulkhead whose jobs sleep never delays another", "[isolation]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 2, .queue = 4});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});
  REQUIRE(engine.warnings().empty());

  constexpr auto kSleep = 2s;
  std::atomic<int> a_started{0};
  std::atomic<int> a_done{0};
  std::atomic<int> a_slept_fully{0};
  lockstep::Batch a_batch;
  // Two sleepers occupy A's workers and four more fill A's queue: A is saturated.
  for (int i = 0; i < 6; ++i) {
    REQUIRE(a.dispatch(a_batch, [&](const lockstep::CancelToken& token) {
      a_started.fetch_add(1);
      const bool slept = token.sleep_for(kSleep);
      if (slept) a_slept_fully.fetch_add(1);
      a_done.fetch_add(1);
      token.throw_if_cancelled();
    }) == Admission::admitted);
  }
  REQUIRE(eventually([&] { return a_started.load() == 2; }));

  const auto b_run = run_short_jobs(b);
  const int a_done_when_b_finished = a_done.load();

  CHECK(b_run.ran == 1000);
  CHECK(b_run.result.count(JobState::succeeded) == 1000);
  CHECK(a_done_when_b_finished == 0);  // A was still asleep when B's barrier returned
  CHECK(b_run.elapsed < kSleep);
  CHECK(a.stats().running == 2);

  a_batch.cancel();
  const auto a_result = a_batch.wait();
  CHECK(a_started.load() == 2);  // the queued four never started
  CHECK(a_slept_fully.load() == 0);
  CHECK(a_result.count(JobState::cancelled) == 6);
  CHECK(a_result.total() == 6);
}

TEST_CASE("a bulkhead whose jobs block on a condition never delays another", "[isolation]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 2});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});

  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> a_started{0};
  std::atomic<int> a_done{0};
  std::atomic<int> a_timed_out{0};
  lockstep::Batch a_batch;
  for (int i = 0; i < 6; ++i) {
    a.dispatch(a_batch, [&] {  // not cancellable: a plain blocking wait
      a_started.fetch_add(1);
      std::unique_lock lock(mutex);
      if (!cv.wait_for(lock, kGuard, [&] { return released; })) a_timed_out.fetch_add(1);
      a_done.fetch_add(1);
    });
  }
  REQUIRE(eventually([&] { return a_started.load() == 2; }));

  const auto b_run = run_short_jobs(b);
  const int a_done_when_b_finished = a_done.load();

  {
    std::lock_guard lock(mutex);
    released = true;
  }
  cv.notify_all();
  const auto a_result = a_batch.wait();

  CHECK(b_run.ran == 1000);
  CHECK(b_run.result.count(JobState::succeeded) == 1000);
  CHECK(a_done_when_b_finished == 0);
  CHECK(a_timed_out.load() == 0);
  CHECK(a_result.count(JobState::succeeded) == 6);
}

TEST_CASE("a bulkhead whose jobs spin on the CPU never starves another", "[isolation]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 2});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1});

  std::atomic<bool> release{false};
  std::atomic<int> a_started{0};
  std::atomic<int> a_done{0};
  lockstep::Batch a_batch;
  for (int i = 0; i < 6; ++i) {
    a.dispatch(a_batch, [&] {
      a_started.fetch_add(1);
      const auto until = Clock::now() + kGuard;
      while (!release.load(std::memory_order_acquire) && Clock::now() < until) {
      }
      a_done.fetch_add(1);
    });
  }
  REQUIRE(eventually([&] { return a_started.load() == 2; }));

  const auto b_run = run_short_jobs(b);
  const int a_done_when_b_finished = a_done.load();
  release = true;
  const auto a_result = a_batch.wait();

  CHECK(b_run.ran == 1000);
  CHECK(a_done_when_b_finished == 0);
  CHECK(a_result.count(JobState::succeeded) == 6);
}

TEST_CASE("a blocked dispatcher never delays another dispatcher", "[isolation]") {
  lockstep::Dispatcher blocked(2);
  lockstep::Dispatcher other(1);
  std::atomic<int> started{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 2; ++i) {
    blocked.dispatch([&](const lockstep::CancelToken& token) {
      started.fetch_add(1);
      token.sleep_for(2s);
      done.fetch_add(1);
    });
  }
  REQUIRE(eventually([&] { return started.load() == 2; }));

  std::atomic<int> ran{0};
  for (int i = 0; i < 1000; ++i) other.dispatch([&] { ran.fetch_add(1); });
  const auto result = other.wait();
  const int done_when_other_finished = done.load();
  blocked.cancel();
  blocked.finalize();

  CHECK(ran.load() == 1000);
  CHECK(result.count(JobState::succeeded) == 1000);
  CHECK(done_when_other_finished == 0);
}

TEST_CASE("cancelling one bulkhead leaves the jobs of another in the same batch alone",
          "[isolation]") {
  lockstep::Engine engine;
  auto& a = engine.add_bulkhead({.name = "a", .workers = 1, .queue = 4});
  auto& b = engine.add_bulkhead({.name = "b", .workers = 1, .queue = 4});
  lockstep::Batch batch;
  Gate release_b;
  std::atomic<int> a_ran{0}, b_ran{0};
  std::atomic<bool> b_token_cancelled{false};
  for (int i = 0; i < 5; ++i) {
    a.dispatch(batch, [&](const lockstep::CancelToken& token) {
      a_ran.fetch_add(1);
      token.sleep_for(30s);
      token.throw_if_cancelled();
    });
    b.dispatch(batch, [&](const lockstep::CancelToken& token) {
      release_b.wait_for();
      if (token.cancelled()) b_token_cancelled = true;
      b_ran.fetch_add(1);
    });
  }
  REQUIRE(eventually([&] { return a_ran.load() == 1; }));
  a.cancel();
  release_b.open();
  const auto result = batch.wait();
  CHECK(a_ran.load() == 1);
  CHECK(b_ran.load() == 5);
  CHECK_FALSE(b_token_cancelled.load());
  CHECK(result.count(JobState::cancelled) == 5);
  CHECK(result.count(JobState::succeeded) == 5);
  CHECK_FALSE(b.cancelled());
  CHECK(a.cancelled());
}
