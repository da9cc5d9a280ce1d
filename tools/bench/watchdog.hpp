// watchdog.hpp — turns a hang into a report: if a measurement does not end in time, print what
// was running (and, when the implementation registered one, a description of its state) and
// exit with status 124.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace lockstep_bench {

class Watchdog {
 public:
  static Watchdog& instance();

  // Until disarm(): after `limit`, report `what` and exit the process.
  void arm(std::string what, std::chrono::seconds limit);
  void disarm();

  // What to print about the running implementation's state if it hangs (called from the
  // watchdog thread). Empty function: nothing.
  void set_detail(std::function<std::string()> detail);

 private:
  Watchdog() = default;
};

// Registers a detail function for the lifetime of a scope.
class WatchdogDetail {
 public:
  explicit WatchdogDetail(std::function<std::string()> detail) {
    Watchdog::instance().set_detail(std::move(detail));
  }
  ~WatchdogDetail() { Watchdog::instance().set_detail({}); }
  WatchdogDetail(const WatchdogDetail&) = delete;
  WatchdogDetail& operator=(const WatchdogDetail&) = delete;
};

}  // namespace lockstep_bench
