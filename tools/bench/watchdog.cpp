// watchdog.cpp — one detached thread, started on first use, sleeping until the armed deadline.
#include "watchdog.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace lockstep_bench {
namespace {

struct WatchdogState {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  std::string what;
  std::function<std::string()> detail;
  bool started = false;

  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (!deadline) {
        changed.wait(lock);
        continue;
      }
      const auto until = *deadline;
      if (changed.wait_until(lock, until) == std::cv_status::timeout && deadline &&
          *deadline == until) {
        std::fprintf(stderr, "lockstep-bench: %s did not finish in time; giving up (hang?)\n",
                     what.c_str());
        std::fflush(stderr);
        auto describe = detail;
        lock.unlock();
        if (describe) {
          std::fprintf(stderr, "lockstep-bench: state: %s\n", describe().c_str());
          std::fflush(stderr);
        }
        std::_Exit(124);
      }
    }
  }
};

WatchdogState& state() {
  static WatchdogState* s = new WatchdogState;  // never destroyed: its thread is detached
  return *s;
}

}  // namespace

Watchdog& Watchdog::instance() {
  static Watchdog dog;
  return dog;
}

void Watchdog::arm(std::string what, std::chrono::seconds limit) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (!s.started) {
    std::thread([&s] { s.run(); }).detach();
    s.started = true;
  }
  s.what = std::move(what);
  s.deadline = std::chrono::steady_clock::now() + limit;
  s.changed.notify_all();
}

void Watchdog::disarm() {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.deadline.reset();
  s.changed.notify_all();
}

void Watchdog::set_detail(std::function<std::string()> detail) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.detail = std::move(detail);
}

}  // namespace lockstep_bench
