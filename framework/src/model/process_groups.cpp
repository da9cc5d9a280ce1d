#include "lockstep/plugin/process_groups.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace lockstep::inline LOCKSTEP_ABI {
namespace {

void tell(char sign, pid_t group) noexcept {
  const int fd = group_guard_fd();
  if (fd < 0) return;
  char line[32];
  const int length = std::snprintf(line, sizeof line, "%c%ld\n", sign, static_cast<long>(group));
  // One write of a few bytes to a pipe: atomic, never interleaved with another thread's.
  while (::write(fd, line, static_cast<std::size_t>(length)) < 0 && errno == EINTR) {
  }
}

}  // namespace

// LOCKSTEP_GROUP_GUARD is "FD:PID": the pipe to the guard, valid in process PID only (a
// lockstep started by a command inherits the variable, not the descriptor).
int group_guard_fd() noexcept {
  static const int fd = [] {
    const char* value = std::getenv("LOCKSTEP_GROUP_GUARD");
    int descriptor = -1;
    long pid = 0;
    if (value == nullptr || std::sscanf(value, "%d:%ld", &descriptor, &pid) != 2) return -1;
    return pid == static_cast<long>(::getpid()) ? descriptor : -1;
  }();
  return fd;
}

void note_group_started(pid_t group) noexcept { tell('+', group); }
void note_group_reaped(pid_t group) noexcept { tell('-', group); }

}  // namespace lockstep
