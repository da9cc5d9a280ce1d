// LOCKSTEP_ASSERT(condition, message): an invariant of lockstep's own code, checked in debug,
// asan and tsan builds (no NDEBUG) and compiled out of release builds. A failure is a bug in
// lockstep, never a user's mistake: it prints where and why, then aborts, so a sanitizer or a
// debugger stops right there.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

[[noreturn]] inline void assertion_failed(const char* condition, const char* message,
                                          const char* file, int line) noexcept {
  std::fprintf(stderr, "%s:%d: lockstep internal error: %s (%s)\n", file, line, message,
               condition);
  std::abort();
}

}  // namespace lockstep::detail

#ifdef NDEBUG
#define LOCKSTEP_ASSERT(condition, message) static_cast<void>(0)
#else
#define LOCKSTEP_ASSERT(condition, message)                                                \
  ((condition) ? static_cast<void>(0)                                                      \
               : ::lockstep::detail::assertion_failed(#condition, message, __FILE__, __LINE__))
#endif
