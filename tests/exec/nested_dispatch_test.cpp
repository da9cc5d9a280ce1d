// Nested dispatch: a job may dispatch into its own bulkhead (even when it is full) or into another
// one, and wait for what it dispatched, without deadlock. Each scenario runs under a watchdog
// that ends the test with a message instead of hanging the suite if the engine deadlocks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::Admission;
using lockstep::JobState;
using namespace lockstep::test;

TEST_CASE("a job dispatching into its own full bulkhead runs the child inline", "[nested]") {
  struct Seen {
    Admission admission = Admission::cancelled;
    bool child_ran_before_dispatch_returned = false;
    bool same_thread = false;
    lockstep::BatchResult inner, outer;
    lockstep::BulkheadStats stats;
  };
  const auto seen = run_with_watchdog<Seen>("dispatch into own full bulkhead", [] {
    Seen s;
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "solo", .workers = 1, .queue = 0});
    lockstep::Batch outer;
    pool.dispatch(outer, [&] {
      lockstep::Batch inner;
      std::atomic<bool> child_ran{false};
      std::thread::id child_thread;
      const auto parent_thread = std::this_thread::get_id();
      s.admission = pool.dispatch(inner, [&] {
        child_thread = std::this_thread::get_id();
        child_ran = true;
      });
      s.child_ran_before_dispatch_returned = child_ran.load();
      s.inner = inner.wait();
      s.same_thread = child_thread == parent_thread;
    });
    s.outer = outer.wait();
    s.stats = pool.stats();
    return s;
  });
  CHECK(seen.admission == Admission::admitted);
  CHECK(seen.child_ran_before_dispatch_returned);  // "runs at once, inline"
  CHECK(seen.same_thread);                         // "on the dispatching worker"
  CHECK(seen.inner.count(JobState::succeeded) == 1);
  CHECK(seen.outer.count(JobState::succeeded) == 1);
  CHECK(seen.stats.ended[JobState::succeeded] == 2);
  CHECK(seen.stats.ended.sum() == 2);
  // The parent is suspended while its child runs on the same thread: still one at a time.
  CHECK(seen.stats.peak_running <= 1);
}

TEST_CASE("an inline child's failure is reported to the batch it was dispatched into", "[nested]") {
  struct Seen {
    lockstep::BatchResult inner, outer;
  };
  const auto seen = run_with_watchdog<Seen>("failing inline child", [] {
    Seen s;
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "solo", .workers = 1, .queue = 0});
    lockstep::Batch outer;
    pool.dispatch(outer, [&] {
      lockstep::Batch inner;
      pool.dispatch(inner, {"child", [] { throw std::runtime_error("child broke"); }});
      s.inner = inner.wait();
    });
    s.outer = outer.wait();
    return s;
  });
  CHECK(seen.inner.count(JobState::failed) == 1);
  REQUIRE(seen.inner.failures.size() == 1);
  CHECK(seen.inner.failures[0].job == "child");
  CHECK(seen.inner.failures[0].message.find("child broke") != std::string::npos);
  CHECK(seen.outer.count(JobState::succeeded) == 1);  // the parent itself did not throw
}

TEST_CASE(
    "jobs dispatching children into their own bulkhead and waiting on a batch never "
    "deadlock",
    "[nested]") {
  // With as many parents as workers the queue is empty when the children come, so they queue
  // up, and both workers are held by parents waiting for them: only the help given by a
  // waiting thread (or another way around it) can run them.
  const int queue = GENERATE(0, 1, 4);
  const int parents = GENERATE(2, 4);
  CAPTURE(queue, parents);
  struct Seen {
    int children_ran = 0;
    std::vector<lockstep::BatchResult> inner;
    lockstep::BatchResult outer;
    lockstep::BulkheadStats stats;
  };
  const auto seen = run_with_watchdog<Seen>("children waited on in own bulkhead", [queue, parents] {
    Seen s;
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "tree", .workers = 2, .queue = queue});
    std::atomic<int> children{0};
    std::mutex mutex;
    lockstep::Batch outer;
    for (int p = 0; p < parents; ++p) {
      pool.dispatch(outer, [&] {
        lockstep::Batch kids;
        for (int c = 0; c < 10; ++c) {
          pool.dispatch(kids, [&] {
            std::this_thread::sleep_for(100us);
            children.fetch_add(1);
          });
        }
        auto r = kids.wait();
        std::lock_guard lock(mutex);
        s.inner.push_back(std::move(r));
      });
    }
    s.outer = outer.wait();
    s.children_ran = children.load();
    s.stats = pool.stats();
    return s;
  });
  CHECK(seen.children_ran == parents * 10);
  REQUIRE(seen.inner.size() == static_cast<std::size_t>(parents));
  for (const auto& r : seen.inner) CHECK(r.count(JobState::succeeded) == 10);
  CHECK(seen.outer.count(JobState::succeeded) == static_cast<std::size_t>(parents));
  CHECK(seen.stats.ended[JobState::succeeded] == static_cast<std::size_t>(parents * 11));
  CHECK(seen.stats.peak_running <= 2);
  CHECK(seen.stats.peak_queued <= queue);
}

TEST_CASE("a job can dispatch into another bulkhead and wait for the results", "[nested]") {
  struct Seen {
    int ran = 0;
    lockstep::BatchResult inner, outer;
  };
  const auto seen = run_with_watchdog<Seen>("dispatch into another bulkhead", [] {
    Seen s;
    lockstep::Engine engine;
    auto& front = engine.add_bulkhead({.name = "front", .workers = 1});
    auto& back = engine.add_bulkhead({.name = "back", .workers = 2, .queue = 1});
    std::atomic<int> ran{0};
    lockstep::Batch outer;
    front.dispatch(outer, [&] {
      lockstep::Batch inner;
      for (int i = 0; i < 100; ++i) back.dispatch(inner, [&] { ran.fetch_add(1); });
      s.inner = inner.wait();
    });
    s.outer = outer.wait();
    s.ran = ran.load();
    return s;
  });
  CHECK(seen.ran == 100);
  CHECK(seen.inner.count(JobState::succeeded) == 100);
  CHECK(seen.outer.count(JobState::succeeded) == 1);
}

TEST_CASE("a job dispatching into another full bulkhead waits for room", "[nested]") {
  struct Seen {
    bool blocked_while_full = false;
    bool got_through = false;
    Admission admission = Admission::cancelled;
    bool child_ran = false;
    lockstep::BatchResult result;
  };
  const auto seen = run_with_watchdog<Seen>("dispatch into another full bulkhead", [] {
    Seen s;
    lockstep::Engine engine;
    auto& a = engine.add_bulkhead({.name = "a", .workers = 1});
    auto& b = engine.add_bulkhead({.name = "b", .workers = 1, .queue = 0});
    lockstep::Batch batch;
    Gate release_b;
    std::atomic<bool> b_busy{false};
    b.dispatch(batch, [&] {
      b_busy = true;
      release_b.wait_for();
    });
    if (!eventually([&] { return b_busy.load(); })) return s;

    std::atomic<bool> returned{false};
    std::atomic<bool> child_ran{false};
    std::atomic<int> admission{-1};
    a.dispatch(batch, [&] {
      admission = static_cast<int>(b.dispatch(batch, [&] { child_ran = true; }));
      returned = true;
    });
    // A different bulkhead: no inline run, the job in A waits for B's place.
    s.blocked_while_full = stays_false([&] { return returned.load(); });
    release_b.open();
    s.got_through = eventually([&] { return returned.load(); });
    s.result = batch.wait();
    s.admission = static_cast<Admission>(admission.load());
    s.child_ran = child_ran.load();
    return s;
  });
  CHECK(seen.blocked_while_full);
  CHECK(seen.got_through);
  CHECK(seen.admission == Admission::admitted);
  CHECK(seen.child_ran);
  CHECK(seen.result.count(JobState::succeeded) == 3);
}

TEST_CASE("a dispatcher's job dispatching into its full dispatcher runs the child inline",
          "[nested]") {
  struct Seen {
    bool child_ran_before_return = false;
    Admission admission = Admission::cancelled;
    lockstep::BatchResult result;
  };
  const auto seen = run_with_watchdog<Seen>("dispatcher nested dispatch", [] {
    Seen s;
    lockstep::Dispatcher pool(1, {.queue = 0});
    std::atomic<bool> child_ran{false};
    pool.dispatch([&] {
      s.admission = pool.dispatch([&] { child_ran = true; });
      s.child_ran_before_return = child_ran.load();
    });
    s.result = pool.wait();
    pool.finalize();
    return s;
  });
  CHECK(seen.admission == Admission::admitted);
  CHECK(seen.child_ran_before_return);
  CHECK(seen.result.count(JobState::succeeded) == 2);
}

TEST_CASE("deeply nested dispatch into a full bulkhead does not deadlock", "[nested]") {
  const auto depth_reached = run_with_watchdog<int>("recursive dispatch", [] {
    lockstep::Engine engine;
    auto& pool = engine.add_bulkhead({.name = "deep", .workers = 1, .queue = 0});
    std::atomic<int> deepest{0};
    std::function<void(int)> descend = [&](int level) {
      deepest = std::max(deepest.load(), level);
      if (level == 20) return;
      lockstep::Batch child;
      pool.dispatch(child, [&descend, level] { descend(level + 1); });
      child.wait();
    };
    lockstep::Batch root;
    pool.dispatch(root, [&] { descend(1); });
    root.wait();
    return deepest.load();
  });
  CHECK(depth_reached == 20);
}
