// A bounded spin before blocking: waking a blocked thread costs microseconds, far more than the
// jobs lockstep is built for, so waits spin briefly first (and yield, since the machine may have
// fewer cores than busy threads).
#pragma once

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Whether `threads` busy threads leave a core to spare for one more: spinning on a machine with
// no core to spare takes the core from a thread that has work, so waits there yield instead.
inline bool cores_to_spare(int threads) noexcept {
  static const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return threads < cores;
}

class Backoff {
 public:
  // `spin`: pause a while before yielding; without, yield from the start.
  explicit Backoff(bool spin = true) noexcept : start_(spin ? 0 : kSpins), count_(start_) {}

  // Returns false once the spin budget is spent: time to block.
  bool pause() noexcept {
    if (count_ < kSpins) {
      cpu_relax();
    } else if (count_ < kSpins + kYields) {
      std::this_thread::yield();
    } else {
      return false;
    }
    ++count_;
    return true;
  }
  void reset() noexcept { count_ = start_; }

 private:
  static constexpr int kSpins = 64;
  static constexpr int kYields = 16;
  int start_;
  int count_;
};

}  // namespace lockstep::detail
