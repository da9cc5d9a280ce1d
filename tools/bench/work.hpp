// work.hpp — the body every benchmarked job runs, identical for every implementation:
// nothing (iters == 0) or a dependent xorshift chain of `iters` steps whose result is kept
// alive, so the compiler can neither drop nor hoist it.
#pragma once

#include <chrono>
#include <cstdint>

namespace lockstep_bench {

// Makes `value` observable to the compiler without a store (like benchmark::DoNotOptimize).
inline void keep(std::uint64_t value) noexcept { __asm__ volatile("" : : "r"(value)); }

inline std::uint64_t spin(std::uint32_t iters, std::uint64_t seed) noexcept {
  std::uint64_t x = seed | 1U;
  for (std::uint32_t i = 0; i < iters; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

// The job: `seed` is the job's index, so no two jobs compute the same thing.
inline void job_body(std::uint32_t iters, std::uint64_t seed) noexcept {
  if (iters != 0) keep(spin(iters, seed));
}

using Clock = std::chrono::steady_clock;

inline double elapsed_ns(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::nano>(end - start).count();
}

// Iterations of spin() that take about `target_ns` on this thread (median of 7 probes).
std::uint32_t calibrate_spin(double target_ns);

}  // namespace lockstep_bench
