// tools/cli/interrupt_watch.hpp — SIGINT and SIGTERM during `lockstep run`.
//
//   InterruptWatch watch([&runner] { runner.interrupt(); });   // before the runner starts threads
//   auto result = runner.run();                                 // result.interrupted: exit 130
//
// The first signal calls `on_interrupt` on a thread of the watch's own (never in a signal handler,
// so it may lock and log): the runner admits nothing more and cancels what runs, which kills the
// process groups of running commands. A second signal ends the process at once with status 130.
// Both signals are blocked in the calling thread and so in every thread it creates afterwards;
// core.command resets the mask of the processes it starts.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace lockstep::cli {

class InterruptWatch {
 public:
  explicit InterruptWatch(std::function<void()> on_interrupt);
  ~InterruptWatch();  // stops watching; restores the signal mask
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  void watch();

  std::function<void()> on_interrupt_;
  sigset_t watched_{};
  sigset_t previous_mask_{};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace lockstep::cli
