// impls.hpp — one function per implementation and workload. Each sets up its pool (untimed),
// runs a warm-up (untimed), then times the workload and returns its duration in nanoseconds.
// Each throws std::runtime_error when the implementation lost or failed a job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace lockstep_bench {

// `jobs` jobs dispatched one by one from this thread, then waited for.
struct JobsSpec {
  int workers = 1;
  std::size_t jobs = 0;
  std::uint32_t iters = 0;  // spin() steps per job; 0: empty jobs
  std::size_t warmup = 0;   // jobs dispatched (and waited for) before timing
};

// `rounds` rounds of `jobs_per_round` empty jobs, each round dispatched then waited for.
struct RoundsSpec {
  int workers = 1;
  std::size_t rounds = 0;
  std::size_t jobs_per_round = 2;
  std::size_t warmup = 0;  // rounds before timing
};

// The same jobs, one after the other on this thread.
double serial_jobs(const JobsSpec& spec);

// The queue a bulkhead given only `workers` gets.
int lockstep_default_queue(int workers);
// lockstep: an Engine with one Bulkhead of spec.workers; `queue` empty means the default.
double lockstep_jobs(const JobsSpec& spec, std::optional<int> queue);
double lockstep_rounds(const RoundsSpec& spec);
// lockstep::Dispatcher(workers), default queue: the origin's API.
double dispatcher_jobs(const JobsSpec& spec);
double dispatcher_rounds(const RoundsSpec& spec);

// Raw oneTBB: global_control(workers + 1), task_arena(workers, 0), enqueue + an atomic counter.
double tbb_jobs(const JobsSpec& spec);
// oneTBB as its docs show it: task_group::run for every job, then wait(), from this thread
// inside a task_arena(workers + 1, 1), so that `workers` worker threads run the jobs while this
// one produces them (and joins in at wait()).
double tbb_group_jobs(const JobsSpec& spec);
// The limit: parallel_for over the jobs' indices in task_arena(workers, 1), no producer at all.
double tbb_parallel_for_jobs(const JobsSpec& spec);
// Raw oneTBB barrier rounds: a task_group inside one arena.execute (its best case) ...
double tbb_group_rounds(const RoundsSpec& spec);
// ... and enqueue from this (external) thread + counter wait, like a dispatcher does.
double tbb_enqueue_rounds(const RoundsSpec& spec);

// A plain thread pool: one mutex, one condition variable for work, one for "all done".
double pool_jobs(const JobsSpec& spec);
double pool_rounds(const RoundsSpec& spec);

// Debian's libthread-pool-dev (rvaser/thread_pool 4.0: ThreadPool::Submit returns a future),
// when it was found at configure time.
bool have_deb_pool() noexcept;
double deb_pool_jobs(const JobsSpec& spec);
double deb_pool_rounds(const RoundsSpec& spec);

}  // namespace lockstep_bench
