// Test-side synchronisation helpers. Every wait here is bounded, so that a broken engine makes a
// test fail (or, for the watchdog, end the process with a message) instead of hanging the suite.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

namespace lockstep::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The generous guard used for anything that should happen "soon": far longer than any correct
// run needs (even under TSan), short enough that a broken engine fails rather than hangs.
inline constexpr auto kGuard = std::chrono::seconds(20);

// A one-shot event: jobs wait on it, the test opens it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool is_open() const {
    std::lock_guard lock(mutex_);
    return open_;
  }
  // True if the gate opened within `timeout`.
  bool wait_for(std::chrono::nanoseconds timeout = kGuard) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  bool open_ = false;
};

// std::latch with a timed wait.
class TimedLatch {
 public:
  explicit TimedLatch(long count) : count_(count) {}
  void count_down() {
    std::lock_guard lock(mutex_);
    if (count_ > 0 && --count_ == 0) cv_.notify_all();
  }
  // True if the count reached zero within `timeout`.
  bool wait_for(std::chrono::nanoseconds timeout = kGuard) const {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return count_ == 0; });
  }
  bool arrive_and_wait_for(std::chrono::nanoseconds timeout = kGuard) {
    count_down();
    return wait_for(timeout);
  }
  long count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  long count_;
};

// Polls `pred` until it holds or `timeout` passes; returns its last value. For conditions that
// a correct engine makes true soon (a job has started, a flag was set).
template <class Pred>
bool eventually(Pred pred, std::chrono::nanoseconds timeout = kGuard) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(200us);
  }
  return true;
}

// True if `pred` stays false for the whole of `window`. Used only to show that something is
// blocked: a correct engine passes whatever the window; a broken one fails almost always.
template <class Pred>
bool stays_false(Pred pred, std::chrono::nanoseconds window = 200ms) {
  const auto deadline = Clock::now() + window;
  while (Clock::now() < deadline) {
    if (pred()) return false;
    std::this_thread::sleep_for(1ms);
  }
  return !pred();
}

// Keeps the maximum of a running gauge: enter() when a job starts, leave() when it ends.
class PeakGauge {
 public:
  void enter() noexcept {
    const int now = current_.fetch_add(1, std::memory_order_acq_rel) + 1;
    int peak = peak_.load(std::memory_order_relaxed);
    while (now > peak && !peak_.compare_exchange_weak(peak, now, std::memory_order_acq_rel)) {
    }
  }
  void leave() noexcept { current_.fetch_sub(1, std::memory_order_acq_rel); }
  int current() const noexcept { return current_.load(std::memory_order_acquire); }
  int peak() const noexcept { return peak_.load(std::memory_order_acquire); }

 private:
  std::atomic<int> current_{0};
  std::atomic<int> peak_{0};
};

// Runs `fn` on its own thread and waits at most `timeout` for it. A deadlock cannot be unwound,
// so when the watchdog fires it prints what hung and ends the process with a failure (ctest
// runs each test case in its own process). `fn` must not use Catch assertions (they are not
// thread-safe in Catch2 v2): return what the test should check instead.
template <class R>
R run_with_watchdog(const char* what, std::function<R()> fn,
                    std::chrono::nanoseconds timeout = std::chrono::seconds(30)) {
  auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
  auto future = task->get_future();
  std::thread runner([task] { (*task)(); });
  if (future.wait_for(timeout) != std::future_status::ready) {
    std::fprintf(
        stderr, "\nWATCHDOG: %s did not finish within %lld s: deadlock. Aborting test.\n", what,
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()));
    std::fflush(stderr);
    std::_Exit(99);
  }
  runner.join();
  return future.get();
}

// Busy-waits for about `d` (CPU work of a known duration).
inline void spin_for(std::chrono::nanoseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

// LOCKSTEP_TEST_SCALE (default 1) multiplies the biggest loop counts.
inline int scale() {
  static const int value = [] {
    const char* env = std::getenv("LOCKSTEP_TEST_SCALE");
    const int v = env ? std::atoi(env) : 1;
    return v > 0 ? v : 1;
  }();
  return value;
}

}  // namespace lockstep::test
