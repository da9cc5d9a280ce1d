#include <sys/resource.h>

#include <algorithm>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

int thread_limit() noexcept {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NPROC, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kMaxThreads;
  // The limit counts every thread of this user, lockstep's own (main, feeders, timers) included.
  constexpr rlim_t kOwnThreads = 16;
  return static_cast<int>(std::clamp<rlim_t>(
      limit.rlim_cur > kOwnThreads ? limit.rlim_cur - kOwnThreads : 1, 1, kMaxThreads));
}

}  // namespace lockstep
