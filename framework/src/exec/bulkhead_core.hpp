// The machinery behind lockstep::Bulkhead.
//
// Admission: `taken_ - released` jobs are admitted and not yet ended, `released` being the sum
// of the worker slots' counts of places given back; dispatch takes a place while that is below
// workers + queue and blocks (on a condition variable, after a short spin) otherwise. Counters
// that only grow, rather than one that goes up and down, and one per worker slot, so that neither
// the dispatching thread and the workers nor two workers pass one cache line back and forth on
// every job: a dispatcher compares against `released_seen_`, a sum it read earlier (never above
// the real one, so the check is never too lenient), and sums the slots again only when that
// check finds the bulkhead full.
//
// Execution: admitted jobs wait in `queue_`, a bounded array of workers + queue entries. Runners
// pop and run them: drainer tasks enqueued on the bulkhead's task_arena, and threads blocked in
// Batch::wait() that help. `runners_` bounds them to `workers`, so at most `workers` jobs of a
// bulkhead run at once. A drainer runs jobs back to back until the queue is empty, so oneTBB sees
// one task per burst, not one per job. Invariant (no lost job): whenever the queue is non-empty, a
// runner exists or is pending — a producer spawns one after pushing, and a runner that stops
// re-checks the queue after giving up its place (both sides read-modify-write drain_state_, so one
// sees the other). And no job waits while a worker is free: a dispatcher that finds a drainer
// pending spawns nobody, and that drainer, once it has popped a job, wakes the next if the queue
// is still non-empty. One exception, bounded: a drainer watching for a waiting thread that runs
// the jobs itself (watch_for_helper()) leaves a job for up to two polls, a few microseconds.
//
// Worker slots: a runner holds one of `workers` slots while it is a runner (taken after it took
// its runner place, given back before it gives that up, so there is always a free one), which
// current_worker_slot() reports and which keeps each runner's statistics on its own cache line.
#pragma once

#include <tbb/task_arena.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "exec/bounded_queue.hpp"
#include "lockstep/engine/bulkhead.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

class BatchState;

class BulkheadCore : public std::enable_shared_from_this<BulkheadCore> {
 public:
  using Clock = std::chrono::steady_clock;

  // Expects validated options (see Engine::add_bulkhead).
  explicit BulkheadCore(BulkheadOptions options);
  ~BulkheadCore();

  // How long dispatch may wait for room: not at all, up to `wait`, or for as long as it takes.
  // The clock is read only once dispatch finds no room.
  struct Patience {
    bool blocking = true;
    std::optional<std::chrono::nanoseconds> wait;
  };
  Admission dispatch(BatchState& batch, Task&& task, const Patience& patience);

  // Runs queued jobs on the calling thread while the batch is not done and this thread may be a
  // runner of this bulkhead. Returns whether it ran anything.
  bool help(BatchState& batch);

  void cancel() noexcept;
  bool cancelled() const noexcept { return cancel_.cancelled(); }

  // Blocks until every admitted job has ended and every drainer has left.
  void quiesce();

  const BulkheadOptions& options() const noexcept { return options_; }
  int queue_capacity() const noexcept { return queue_capacity_; }
  BulkheadStats stats() const;
  void reset_peaks() noexcept;

 private:
  class RunnerScope;

  struct Entry {
    Task task;
    BatchState* batch = nullptr;
    std::uint64_t seq = 0;
    Clock::time_point admitted_at;
  };

  // Per worker slot, so that runners never share a cache line.
  struct alignas(64) SlotStats {
    std::atomic<std::int64_t> released{0};  // places given back by jobs run in this slot, ever
    std::array<std::atomic<std::uint64_t>, kJobStateCount> ended{};
    std::atomic<std::int64_t> queue_wait_ns{0};
    std::atomic<std::int64_t> busy_ns{0};
    std::array<std::atomic<std::uint64_t>, DurationHistogram::kBuckets> queue_waits{};
    // One past the highest bucket of queue_waits ever counted: stats() reads no further (waits
    // are mostly short, and the runner reads the stats twice a stage).
    std::atomic<std::int64_t> queue_wait_buckets{0};
  };

  // admission: each returns the places taken right after its own (>= 1; at most `capacity_`,
  // perhaps more than are taken by now), or 0 when it took none
  std::int64_t try_take_place() noexcept;
  std::int64_t wait_for_place(BatchState& batch, const Patience& patience);
  // The places given back so far (the slots' sum), also remembered in released_seen_.
  std::int64_t look_at_released() noexcept;
  std::int64_t released() const noexcept;   // the slots' sum, without remembering it
  std::int64_t in_flight() const noexcept;  // taken_ - released(), as of now
  void release_place(SlotStats& slot) noexcept;
  Admission end_at_dispatch(BatchState& batch, Task& task, JobState state, std::string message);

  // runners
  void spawn_drainer_if_needed() noexcept;
  void run_as_drainer();
  // A drainer that ran out of jobs waits a moment for more before it gives its worker back, so
  // that a producer just slower than the workers finds a runner instead of paying for a new
  // drainer (a task_arena::enqueue, often a thread woken). Not while the thread waiting at the
  // barrier runs the jobs itself (it would take them from it). It spins briefly, then yields, no
  // more than oneTBB's idle workers spend looking for work anyway; where the workers leave no
  // core to spare it only yields, so that the producer it waits for gets the core (measured on
  // 2 cores, 1M empty jobs: 58 to 97 ns a job yielding, 138 spinning, 196 not lingering).
  // Returns whether jobs came.
  bool linger_for_work() noexcept;
  // A drainer that starts while a thread waiting for a batch has lately been running the jobs
  // itself (help()) watches the queue instead of taking them: two threads passing a round's few
  // short jobs between them cost more than one running them all (measured: a round of 2 empty
  // jobs 0.78 µs against 0.28). It keeps its runner place and counts as lingering, so that
  // dispatchers spawn nobody meanwhile; it looks at the queue only every few microseconds,
  // leaving the waiting thread's lines alone in between; and it takes the front job once that
  // has waited through a whole poll (the waiting thread is busy with a long job, or nobody
  // waits). Returns whether to drain; false once the queue stayed empty for a while.
  bool watch_for_helper() noexcept;
  bool try_become_runner() noexcept;
  void stop_being_runner() noexcept;
  // Runs `first`, then more queued jobs until the queue is empty or `until` is done. A thread
  // that already counts as running (a job helping its own bulkhead) is not counted again.
  void run_burst(Entry& first, const BatchState* until, bool count_as_running);
  // Runs one job and records how it ended, except in its batch: the caller counts it there.
  // `own_time`: its time is not already part of an enclosing job's of this bulkhead.
  JobState run_entry(Entry& entry, SlotStats& slot, bool holds_place, bool own_time);
  JobState run_job(Entry& entry, SlotStats& slot, bool holds_place);  // run_entry, untimed
  // Apart, so that the untimed path saves no registers for it: it costs a few per empty job.
  [[gnu::noinline]] JobState run_timed(Entry& entry, SlotStats& slot, bool holds_place,
                                       bool own_time);
  void record_wait(SlotStats& slot, std::chrono::nanoseconds wait, std::int64_t weight) noexcept;
  void run_inline(BatchState& batch, Task&& task);
  int take_slot() noexcept;
  void give_back_slot(int slot) noexcept;
  void note_queued_peak(std::int64_t in_flight) noexcept;
  std::string identity(const Entry& entry) const;
  void note_running_peak(int running) noexcept;

  // Lines are grouped by who writes them: written on every dispatch, on every burst of a
  // runner, or almost never. A line that one side writes and the other reads on every job costs
  // a cache miss per job (measured: the dispatcher's count of admissions next to the runners'
  // count of running jobs was a third of the time of an empty job's dispatch).

  // Read only, after construction.
  const BulkheadOptions options_;
  const int queue_capacity_;
  const std::int64_t capacity_;      // workers + queue
  const std::int64_t wake_at_free_;  // blocked dispatchers wake once this many places are free
  const std::int64_t look_every_;    // a runner looks for blocked dispatchers' room this often
  const bool may_spin_;  // cores_to_spare(workers): an idle drainer may spin, not just yield
  std::unique_ptr<SlotStats[]> slots_;
  // Bit i of word i / 64 set: worker slot i is held by a runner.
  std::unique_ptr<std::atomic<std::uint64_t>[]> slots_held_;
  tbb::task_arena arena_;
  BoundedQueue<Entry> queue_;  // never more entries than places, so a push always fits
  CancelSource cancel_;

  // Written by dispatchers.
  alignas(64) std::atomic<std::int64_t> taken_{0};  // places taken by admissions, ever
  std::atomic<std::int64_t> released_seen_{0};      // a sum released() had (dispatchers' copy)
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::int64_t> peak_queued_{0};
  std::array<std::atomic<std::uint64_t>, kJobStateCount> ended_at_dispatch_{};

  // Written when a dispatcher blocks, or the bulkhead ends.
  alignas(64) std::atomic<int> blocked_dispatchers_{0};
  // Set by the release that found enough free places for a blocked dispatcher and woke it;
  // cleared by that dispatcher before it looks again, so that one wake-up is sent per sleep.
  std::atomic<bool> wake_sent_{false};
  std::atomic<bool> quiescing_{false};
  std::mutex admission_mutex_;
  std::condition_variable place_freed_;

  // Written by runners as they start, stop, or linger.
  // Low half: runners, the threads entitled to run jobs (drainers, started or pending, and
  // helpers); high half: drainers enqueued that have not started yet (at most one at a time, so a
  // burst of dispatches wakes one worker, which wakes the next if there is more to do).
  // One word, so that "nobody pending and a runner place free" is decided atomically.
  alignas(64) std::atomic<std::uint64_t> drain_state_{0};
  std::atomic<int> live_drainers_{0};
  std::mutex lifetime_mutex_;
  std::condition_variable drained_;

  // Written by a drainer as it starts and stops lingering, read by every dispatch: apart from
  // drain_state_, which a thread that waits for a batch writes as it helps.
  // 1: a runner in linger_for_work() or watch_for_helper()
  alignas(64) std::atomic<int> lingering_{0};
  // Set by a waiting thread that ran jobs in help(), cleared by a watching drainer that had to
  // take one: whether a starting drainer should watch_for_helper() first.
  std::atomic<bool> helper_keeps_up_{false};

  // Written by runners per burst, or per timed job.
  alignas(64) std::atomic<int> running_{0};
  std::atomic<int> peak_running_{0};
  std::atomic<std::int64_t> queue_wait_max_ns_{0};
};

}  // namespace lockstep::inline LOCKSTEP_ABI::detail
