// peers_tbb.cpp — raw oneTBB, sized like a lockstep bulkhead of `workers`:
// global_control(max_allowed_parallelism = workers + 1) and task_arena(workers, 0 reserved).
#include <cstddef>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "done_counter.hpp"
#include "impls.hpp"
#include "work.hpp"

namespace lockstep_bench {
namespace {

struct TbbPool {
  explicit TbbPool(int workers)
      : control(tbb::global_control::max_allowed_parallelism,
                static_cast<std::size_t>(workers) + 1),
        arena(workers, 0) {
    arena.initialize();
  }
  tbb::global_control control;
  tbb::task_arena arena;
};

}  // namespace

double tbb_jobs(const JobsSpec& spec) {
  TbbPool pool(spec.workers);
  DoneCounter done;
  const std::uint32_t iters = spec.iters;
  auto batch = [&](std::size_t n) {
    done.reset(n);
    for (std::size_t i = 0; i < n; ++i) {
      pool.arena.enqueue([&done, iters, i] {
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

double tbb_group_jobs(const JobsSpec& spec) {
  tbb::global_control control(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(spec.workers) + 1);
  tbb::task_arena arena(spec.workers + 1, 1);
  const std::uint32_t iters = spec.iters;
  double ns = 0;
  arena.execute([&] {
    tbb::task_group group;
    auto batch = [&](std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) group.run([iters, i] { job_body(iters, i); });
      group.wait();
    };
    batch(spec.warmup);
    const auto start = Clock::now();
    batch(spec.jobs);
    ns = elapsed_ns(start, Clock::now());
  });
  return ns;
}

double tbb_parallel_for_jobs(const JobsSpec& spec) {
  tbb::global_control control(tbb::global_control::max_allowed_parallelism,
                              static_cast<std::size_t>(spec.workers));
  tbb::task_arena arena(spec.workers, 1);
  const std::uint32_t iters = spec.iters;
  double ns = 0;
  arena.execute([&] {
    auto batch = [&](std::size_t n) {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n),
                        [iters](const tbb::blocked_range<std::size_t>& range) {
                          for (auto i = range.begin(); i != range.end(); ++i) job_body(iters, i);
                        });
    };
    batch(spec.warmup);
    const auto start = Clock::now();
    batch(spec.jobs);
    ns = elapsed_ns(start, Clock::now());
  });
  return ns;
}

double tbb_group_rounds(const RoundsSpec& spec) {
  TbbPool pool(spec.workers);
  double ns = 0;
  pool.arena.execute([&] {
    tbb::task_group group;
    auto round = [&] {
      for (std::size_t j = 0; j < spec.jobs_per_round; ++j) group.run([] { job_body(0, 0); });
      group.wait();
    };
    for (std::size_t r = 0; r < spec.warmup; ++r) round();
    const auto start = Clock::now();
    for (std::size_t r = 0; r < spec.rounds; ++r) round();
    ns = elapsed_ns(start, Clock::now());
  });
  return ns;
}

double tbb_enqueue_rounds(const RoundsSpec& spec) {
  TbbPool pool(spec.workers);
  DoneCounter done;
  auto round = [&] {
    done.reset(spec.jobs_per_round);
    for (std::size_t j = 0; j < spec.jobs_per_round; ++j) {
      pool.arena.enqueue([&done] {
        job_body(0, 0);
        done.arrive();
      });
    }
    done.wait();
  };
  for (std::size_t r = 0; r < spec.warmup; ++r) round();
  const auto start = Clock::now();
  for (std::size_t r = 0; r < spec.rounds; ++r) round();
  return elapsed_ns(start, Clock::now());
}

}  // namespace lockstep_bench
