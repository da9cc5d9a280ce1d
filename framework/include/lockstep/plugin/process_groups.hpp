// lockstep/plugin/process_groups.hpp — for jobs that start processes: tell lockstep about each
// process group you start, so that none outlives lockstep, kill -9 included.
//
//   pid_t pid = spawn_in_own_group();         // posix_spawn with POSIX_SPAWN_SETPGROUP, group 0
//   lockstep::note_group_started(pid);        // its group is SIGKILLed if lockstep dies first
//   int status = 0;
//   waitpid(pid, &status, 0);
//   lockstep::note_group_reaped(pid);
//
// `lockstep run` starts a small guard process that lists these groups and SIGKILLs those still
// alive when lockstep exits, however it exits (worker processes pass them on to it as well). In
// a program that embeds lockstep without the guard, both are no-ops.
#pragma once

#include <sys/types.h>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

LOCKSTEP_API void note_group_started(pid_t group) noexcept;
LOCKSTEP_API void note_group_reaped(pid_t group) noexcept;
// The guard's pipe in this process, or -1: for a program that starts processes which start
// processes of their own, and passes the guard on to them (lockstep's worker processes do).
LOCKSTEP_API int group_guard_fd() noexcept;

}  // namespace lockstep
