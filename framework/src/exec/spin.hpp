// A bounded spin before blocking: waking a blocked thread costs microseconds, far more than the
// jobs lockstep is built for, so waits spin briefly first (and yield, since the machine may have
// fewer cores than busy threads).
#pragma once

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace lockstep::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Whether `threads` busy threads leave a core to spare: spinning on a machine with fewer cores
// than busy threads takes the core from a thread that has work, so waits there only yield.
inline bool cores_to_spare(int threads) noexcept {
  static const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return threads < cores;
}

class Backoff {
 public:
  // `spin`: spin first (when there are cores to spare), else only yield.
  explicit Backoff(bool spin = true) noexcept : count_(spin ? 0 : kSpins) {}

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
  void reset() noexcept { count_ = 0; }

 private:
  static constexpr int kSpins = 64;
  static constexpr int kYields = 16;
  int count_ = 0;
};

}  // namespace lockstep::detail
