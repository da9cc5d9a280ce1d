#include "interrupt_watch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "lockstep/pipeline/exit_codes.hpp"

namespace lockstep::cli {

void block_interrupts_in_threads_to_come() noexcept {
  sigset_t interrupts;
  sigemptyset(&interrupts);
  sigaddset(&interrupts, SIGINT);
  sigaddset(&interrupts, SIGTERM);
  sigaddset(&interrupts, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &interrupts, nullptr);
}

InterruptWatch::InterruptWatch(std::function<void()> on_interrupt)
    : on_interrupt_(std::move(on_interrupt)) {
  sigemptyset(&watched_);
  sigaddset(&watched_, SIGINT);
  sigaddset(&watched_, SIGTERM);
  sigaddset(&watched_, SIGHUP);
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
      continue;
    }
    kill_child_process_groups();
    // The run ends soon now that its commands are gone, and writes its report; a job that does
    // not end (a plugin's loop that ignores cancellation) must not keep us.
    const auto deadline = std::chrono::steady_clock::now() + kQuitGrace;
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::nanoseconds::zero()) break;
      const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timespec timeout{.tv_sec = wait / 1'000'000'000, .tv_nsec = wait % 1'000'000'000};
      sigtimedwait(&watched_, nullptr, &timeout);
      if (stopping_.load()) return;
    }
    kill_child_process_groups();
    std::_Exit(kExitInterrupted);
  }
}

void kill_child_process_groups() noexcept {
  struct Process {
    long pid, parent, group;
  };
  std::vector<Process> processes;
  try {
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return;
    while (const dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      const std::string path = std::string("/proc/") + entry->d_name + "/stat";
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      char text[512];
      const auto got = ::read(fd, text, sizeof text - 1);
      ::close(fd);
      if (got <= 0) continue;
      text[got] = '\0';
      // "PID (COMM) STATE PPID PGRP ...": COMM may hold anything, ')' included.
      const char* after = std::strrchr(text, ')');
      if (after == nullptr) continue;
      char state = 0;
      long parent = 0, group = 0;
      if (std::sscanf(after + 1, " %c %ld %ld", &state, &parent, &group) != 3) continue;
      processes.push_back({pid, parent, group});
    }
    ::closedir(proc);
  } catch (...) {
    return;  // no memory: the group guard still acts when we exit
  }
  // Every descendant, found before any is killed (a killed worker's commands would move to
  // PID 1): the children and, through worker processes (isolation: process), their commands.
  const long our_group = ::getpgrp();
  std::vector<long> ours{::getpid()};
  for (std::size_t next = 0; next < ours.size(); ++next) {
    for (const auto& process : processes) {
      if (process.parent == ours[next]) ours.push_back(process.pid);
    }
  }
  for (std::size_t k = 1; k < ours.size(); ++k) {
    const auto found = std::find_if(processes.begin(), processes.end(),
                                    [&](const Process& p) { return p.pid == ours[k]; });
    if (found->group == found->pid && found->group != our_group) {
      ::kill(static_cast<pid_t>(-found->group), SIGKILL);
    } else {
      ::kill(static_cast<pid_t>(found->pid), SIGKILL);
    }
  }
}

}  // namespace lockstep::cli
