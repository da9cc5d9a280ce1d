// peers_pool.cpp — the plain mutex + condition-variable thread pool (simple_pool.hpp).
#include <cstddef>

#include "impls.hpp"
#include "simple_pool.hpp"
#include "work.hpp"

namespace lockstep_bench {

double pool_jobs(const JobsSpec& spec) {
  SimplePool pool(spec.workers);
  const std::uint32_t iters = spec.iters;
  auto batch = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) pool.submit([iters, i] { job_body(iters, i); });
    pool.wait();
  };
  batch(spec.warmup);
  const auto start = Clock::now();
  batch(spec.jobs);
  return elapsed_ns(start, Clock::now());
}

double pool_rounds(const RoundsSpec& spec) {
  SimplePool pool(spec.workers);
  auto round = [&] {
    for (std::size_t j = 0; j < spec.jobs_per_round; ++j) pool.submit([] { job_body(0, 0); });
    pool.wait();
  };
  for (std::size_t r = 0; r < spec.warmup; ++r) round();
  const auto start = Clock::now();
  for (std::size_t r = 0; r < spec.rounds; ++r) round();
  return elapsed_ns(start, Clock::now());
}

}  // namespace lockstep_bench
