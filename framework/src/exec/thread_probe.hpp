// Can this process start N more threads? oneTBB starts its workers as jobs arrive, and when the
// system refuses one (a thread limit, too little address space for its stack) it throws inside a
// worker thread, which ends the process. Starting the threads once first, and ending them, turns
// that into an answer before any job runs.
#pragma once

#include <cstddef>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

// How many of `count` threads, each with a stack of `stack_bytes`, could be started at once (they
// are started, then ended): `count` when all of them.
LOCKSTEP_INTERNAL_API int startable_threads(int count, std::size_t stack_bytes) noexcept;

}  // namespace lockstep::detail
