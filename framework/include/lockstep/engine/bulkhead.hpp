// lockstep/engine/bulkhead.hpp — a named, bounded pool: at most `workers` of its jobs run at once
// and at most `queue` more wait for a worker. Bulkheads are isolated from each other: jobs that
// block in one never delay another (see Engine for the thread budget that makes this true).
//
//   lockstep::Engine engine;
//   auto& net = engine.add_bulkhead({.name = "net", .workers = 2, .queue = 4,
//                                     .max_wait = std::chrono::seconds(5)});
//   lockstep::Batch batch;
//   net.dispatch(batch, {"get-a", [] { fetch("a"); }});   // blocks while 2 run and 4 wait
//   if (net.try_dispatch(batch, [] { fetch("b"); }) != lockstep::Admission::admitted)
//     std::puts("net is full: the job ended as rejected");  // try_dispatch() never blocks
//   batch.wait();
//
// Each bulkhead is one oneTBB task_arena of `workers` slots, none reserved for external threads.
// A job that dispatches into its own full bulkhead does not wait for room (its own worker could
// be the one it waits for, which deadlocks the origin's dispatcher): the new job runs at once,
// inline, on the dispatching worker. Dispatching into another full bulkhead waits as usual.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/duration_histogram.hpp"
#include "lockstep/engine/job_state.hpp"
#include "lockstep/engine/task.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace detail {
class BulkheadCore;
}

struct BulkheadOptions {
  std::string name{};
  int workers = 1;                                     // >= 1: jobs running at once
  std::optional<int> queue{};                          // >= 0: admitted jobs waiting; default_queue
  std::optional<std::chrono::nanoseconds> max_wait{};  // dispatch() gives up after this
};

// The queue of a bulkhead whose options give none (and of a Dispatcher's): 4,096 - workers, so
// that workers + queue is 4,096 places (at least 2 x workers). Room for a producer to run ahead:
// one that finds the bulkhead full sleeps until half the queue is free, so a large queue pays a
// thread wake-up per two thousand jobs, not per job. A queued job costs 128 bytes here plus
// what its callable captures beyond 16 bytes; set `queue` to bound that, or to make dispatch
// block early (docs/performance.md).
LOCKSTEP_API int default_queue(int workers) noexcept;

// What dispatch did with a job.
enum class Admission : unsigned char {
  admitted,   // the job is queued or running; it will end in exactly one terminal state
  rejected,   // no room in time; the job ended as JobState::rejected
  cancelled,  // the batch or bulkhead is cancelled; the job ended as JobState::cancelled
};

struct BulkheadStats {
  StateCounts ended;             // jobs that reached each terminal state
  std::uint64_t admitted = 0;    // jobs that got a place (queued or ran)
  int running = 0;               // jobs running now
  int peak_running = 0;          // never above workers; since reset_peaks()
  std::int64_t queued = 0;       // admitted jobs waiting for a worker now
  std::int64_t peak_queued = 0;  // never above the queue bound; since reset_peaks()
  // Total time admitted jobs spent waiting for a worker: measured for each of the first 4,096
  // jobs, then estimated from every 16th (a clock read costs as much as an empty job).
  std::chrono::nanoseconds queue_wait{};
  // The same waits by length, each sampled one counted 16 times past the first 4,096, so that
  // counts estimate jobs. Ever-growing: subtract two snapshots for what happened in between.
  DurationHistogram queue_wait_histogram{};
  std::chrono::nanoseconds queue_wait_max{};  // longest sampled wait since reset_peaks()
  // Total time workers spent running jobs, sampled like queue_wait; over workers x a wall time,
  // the bulkhead's utilisation. A job's nested jobs of its own bulkhead count within its time.
  std::chrono::nanoseconds busy{};
};

// Which of its bulkhead's `workers` places the calling thread holds while it runs a job: 0 to
// workers - 1, and -1 outside a job. Two jobs of one bulkhead running at the same time never hold
// the same slot, except a job and the nested jobs of its own bulkhead that it runs on its thread
// (dispatched into its full bulkhead, or run while it waits for a batch): those share its slot.
// Inside nested jobs of another bulkhead, their slot in that bulkhead.
LOCKSTEP_API int current_worker_slot() noexcept;

class LOCKSTEP_API Bulkhead {
 public:
  ~Bulkhead();  // waits until every admitted job has ended
  Bulkhead(const Bulkhead&) = delete;
  Bulkhead& operator=(const Bulkhead&) = delete;

  // Blocks while `workers + queue` jobs are admitted and not ended; returns once the job is
  // admitted (queued or running), not when it starts or ends. With max_wait set, gives up after
  // that long and the job ends as rejected. A dispatcher that had to sleep is woken when half
  // the queue is free (a quarter of a queue shorter than 64, at least one place), so that it
  // refills the queue in a burst instead of paying a wake-up per job; it also looks for a place
  // at least every millisecond.
  Admission dispatch(Batch& batch, Task task);

  // Never blocks: admits the job if there is room now, else the job ends as rejected.
  [[nodiscard]] Admission try_dispatch(Batch& batch, Task task);

  // Waits at most `timeout` for room, then the job ends as rejected.
  Admission dispatch_for(Batch& batch, Task task, std::chrono::nanoseconds timeout);

  // For good: queued jobs end as cancelled without running, running jobs see their token
  // cancelled, and every later dispatch ends as cancelled at once.
  void cancel() noexcept;
  bool cancelled() const noexcept;

  const std::string& name() const noexcept;
  int workers() const noexcept;
  int queue_capacity() const noexcept;
  std::optional<std::chrono::nanoseconds> max_wait() const noexcept;
  BulkheadStats stats() const;
  // Peaks (running, queued, queue_wait_max) start again from now, e.g. at each stage of a run.
  void reset_peaks() noexcept;

 private:
  friend class Engine;      // the only maker of bulkheads (Engine::add_bulkhead)
  friend class Dispatcher;  // dispatches into the core directly (see Dispatcher::State)
  explicit Bulkhead(std::shared_ptr<detail::BulkheadCore> core) noexcept;

  std::shared_ptr<detail::BulkheadCore> core_;
};

}  // namespace lockstep
