// peers_deb_pool.cpp — Debian's libthread-pool-dev (rvaser/thread_pool 4.0), when found.
// Its only submission call, Submit(), makes a packaged_task and a future per job; the batch is
// waited for with a counter (case 1/2) or the round's futures (case 3).
#include <cstddef>
#include <future>
#include <stdexcept>
#include <vector>

#include "done_counter.hpp"
#include "impls.hpp"
#include "work.hpp"

#if LOCKSTEP_BENCH_HAVE_DEB_POOL
#include <thread_pool/thread_pool.hpp>
#endif

namespace lockstep_bench {

#if LOCKSTEP_BENCH_HAVE_DEB_POOL

bool have_deb_pool() noexcept { return true; }

double deb_pool_jobs(const JobsSpec& spec) {
  thread_pool::ThreadPool pool(static_cast<std::size_t>(spec.workers));
  DoneCounter done;
  const std::uint32_t iters = spec.iters;
  auto batch = [&](std::size_t n) {
    done.reset(n);
    for (std::size_t i = 0; i < n; ++i) {
      // The future is dropped at once: a packaged_task's future does not block when destroyed.
      (void)pool.Submit([&done, iters, i] {
        job_body(iters, i);
        done.arrive();
      });
    }
    done.wait();
  };
  batch(spec.warmup);
  const auto start = Clock::now();
  batch(spec.jobs);
  return elapsed_ns(start, Clock::now());
}

double deb_pool_rounds(const RoundsSpec& spec) {
  thread_pool::ThreadPool pool(static_cast<std::size_t>(spec.workers));
  std::vector<std::future<void>> futures;
  futures.reserve(spec.jobs_per_round);
  auto round = [&] {
    futures.clear();
    for (std::size_t j = 0; j < spec.jobs_per_round; ++j)
      futures.push_back(pool.Submit([] { job_body(0, 0); }));
    for (auto& f : futures) f.get();
  };
  for (std::size_t r = 0; r < spec.warmup; ++r) round();
  const auto start = Clock::now();
  for (std::size_t r = 0; r < spec.rounds; ++r) round();
  return elapsed_ns(start, Clock::now());
}

#else

bool have_deb_pool() noexcept { return false; }
double deb_pool_jobs(const JobsSpec&) { throw std::runtime_error("libthread-pool-dev not found"); }
double deb_pool_rounds(const RoundsSpec&) {
  throw std::runtime_error("libthread-pool-dev not found");
}

#endif

}  // namespace lockstep_bench
