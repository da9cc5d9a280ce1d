// Tells lockstep's group guard (tools/cli/group_guard.hpp) which process groups core.command
// has started and which it has reaped, so that the guard can SIGKILL those still alive when
// lockstep dies, kill -9 included. A no-op when no guard runs (lockstep as a library, a test).
//
//   auto pid = spawn(...);               // the leader of a group of its own
//   note_group_started(pid);
//   ... waitpid(pid) ...
//   note_group_reaped(pid);
#pragma once

#include <sys/types.h>

namespace lockstep::core {

void note_group_started(pid_t group) noexcept;
void note_group_reaped(pid_t group) noexcept;

}  // namespace lockstep::core
