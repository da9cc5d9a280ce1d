#include "interrupt_watch.hpp"

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "lockstep/pipeline/exit_codes.hpp"

namespace lockstep::cli {

InterruptWatch::InterruptWatch(std::function<void()> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  sigemptyset(&watched_);
  sigaddset(&watched_, SIGINT);
  sigaddset(&watched_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &watched_, &previous_mask_);
  thread_ = std::thread([this] { watch(); });
}

InterruptWatch::~InterruptWatch() {
  stopping_.store(true);
  pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait(); ignored when stopping
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void InterruptWatch::watch() {
  for (int received = 0;;) {
    int signal = 0;
    if (sigwait(&watched_, &signal) != 0) continue;
    if (stopping_.load()) return;
    if (++received == 1) {
      static constexpr char kMessage[] =
          "\nlockstep: interrupted: cancelling running jobs (press Ctrl-C again to quit at once)\n";
      [[maybe_unused]] auto written = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      on_interrupt_();
    } else {
      std::_Exit(kExitInterrupted);
    }
  }
}

}  // namespace lockstep::cli
