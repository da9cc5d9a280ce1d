// work.cpp — calibration of the ~1 µs job, and the serial reference run.
#include <algorithm>
#include <cmath>
#include <vector>

#include "impls.hpp"
#include "stats.hpp"
#include "work.hpp"

namespace lockstep_bench {

std::uint32_t calibrate_spin(double target_ns) {
  constexpr std::uint32_t kProbeIters = 1000;
  constexpr std::size_t kProbeJobs = 20'000;
  std::vector<double> per_iter;
  for (int probe = 0; probe < 7; ++probe) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < kProbeJobs; ++i) job_body(kProbeIters, i);
    per_iter.push_back(elapsed_ns(start, Clock::now()) / double(kProbeJobs * kProbeIters));
  }
  const double ns_per_iter = summarize(per_iter).median;
  return static_cast<std::uint32_t>(std::max(1.0, std::round(target_ns / ns_per_iter)));
}

double serial_jobs(const JobsSpec& spec) {
  for (std::size_t i = 0; i < spec.warmup; ++i) job_body(spec.iters, i);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < spec.jobs; ++i) job_body(spec.iters, i);
  return elapsed_ns(start, Clock::now());
}

}  // namespace lockstep_bench
