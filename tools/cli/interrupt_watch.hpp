// tools/cli/interrupt_watch.hpp — SIGINT, SIGTERM and SIGHUP during `lockstep run`.
//
//   InterruptWatch watch([&runner] { runner.interrupt(); });   // before the runner starts threads
//   auto result = runner.run();                                 // result.interrupted: exit 130
//   ...write the report while the watch lives, so that a signal cannot cut it short
//
// The first signal calls `on_interrupt` on a thread of the watch's own (never in a signal handler,
// so it may lock and log): the runner admits nothing more and cancels what runs, which kills the
// process groups of running commands. A second signal SIGKILLs the process group of every
// descendant of lockstep at once (worker processes and the commands their jobs started included) (a command that ignores SIGTERM included), then gives the run
// kQuitGrace to end and write its report; what is still going then ends with status 130.
// The signals are blocked in the calling thread and so in every thread it creates afterwards;
// core.command resets the mask of the processes it starts.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace lockstep::cli {

class InterruptWatch {
 public:
  static constexpr std::chrono::milliseconds kQuitGrace{800};

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

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in the threads it creates from
// now on, before a watch exists: what a library starts threads of its own for (MPI_Init does)
// must call it first. Otherwise the kernel may hand the signal to such a thread, where its
// default action ends the process at once: no summary, no report. A signal that comes before the
// watch waits, blocked, and the watch takes it when it starts.
void block_interrupts_in_threads_to_come() noexcept;

// SIGKILLs each descendant of this process: its whole process group when it leads one of its
// own (what core.command and worker processes start), else the process alone. Found in /proc.
void kill_child_process_groups() noexcept;

}  // namespace lockstep::cli
