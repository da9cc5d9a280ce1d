// tools/cli/group_guard.hpp — no process that a run starts outlives lockstep, kill -9 included.
//
//   GroupGuard::start();   // first thing in `lockstep run`: before any thread, lock or child
//
// Forks a small guard process that holds the read end of a pipe. core.command writes "+PGID"
// to it when it starts a command in a process group of its own and "-PGID" once it has reaped
// it (lockstep/plugin/process_groups.hpp; found through LOCKSTEP_GROUP_GUARD). When lockstep exits,
// however it exits, the kernel closes the write end; the guard reads end of file and SIGKILLs
// every group still listed, then exits. A process that a command started and moved to a
// group of its own (setsid) escapes it, as it escapes cancellation.
#pragma once

namespace lockstep::cli {

struct GroupGuard {
  // False when the guard could not be started (lockstep runs on, unguarded).
  static bool start() noexcept;
};

}  // namespace lockstep::cli
