#include "group_guard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

namespace lockstep::cli {

namespace {

// The guard's whole life: list the groups it is told of, kill those left at end of file.
// Only system calls after fork(): no allocation, no stdio.
[[noreturn]] void guard(int from_lockstep) {
  // Ctrl-C reaches lockstep's process group, the guard's too: it must outlive lockstep.
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGTSTP}) ::signal(signal, SIG_IGN);
  // Hold nothing of lockstep's: not its stdout (a `| cat` would wait for us), not its locks.
  const int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  for (int fd = 3; fd < 4096; ++fd) {
    if (fd != from_lockstep) ::close(fd);
  }
  static pid_t groups[16384];  // at most this many commands running at once are remembered
  int count = 0;
  static char buffer[4096];
  char number[24];
  int length = 0;
  for (;;) {
    const auto got = ::read(from_lockstep, buffer, sizeof buffer);
    if (got < 0) continue;  // EINTR
    if (got == 0) break;
    for (ssize_t i = 0; i < got; ++i) {
      const char c = buffer[i];
      if (c != '\n') {
        if (length < static_cast<int>(sizeof number) - 1) number[length++] = c;
        continue;
      }
      number[length] = '\0';
      length = 0;
      const pid_t group = static_cast<pid_t>(std::strtol(number + 1, nullptr, 10));
      if (group <= 1) continue;
      if (number[0] == '+' && count < static_cast<int>(sizeof groups / sizeof groups[0])) {
        groups[count++] = group;
      } else if (number[0] == '-') {
        for (int k = 0; k < count; ++k) {
          if (groups[k] == group) {
            groups[k] = groups[--count];
            break;
          }
        }
      }
    }
  }
  for (int k = 0; k < count; ++k) ::kill(-groups[k], SIGKILL);
  ::_exit(0);
}

}  // namespace

bool GroupGuard::start() noexcept {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return false;
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    return false;
  }
  if (pid == 0) {
    ::close(ends[1]);
    guard(ends[0]);
  }
  ::close(ends[0]);
  char value[48];
  std::snprintf(value, sizeof value, "%d:%ld", ends[1], static_cast<long>(::getpid()));
  return ::setenv("LOCKSTEP_GROUP_GUARD", value, 1) == 0;
}

}  // namespace lockstep::cli
