// lockstep/engine/batch.hpp — a barrier: a set of jobs you can wait for, cancel, and reuse.
//
//   lockstep::Engine engine;
//   auto& pool = engine.add_bulkhead({.name = "cpu", .workers = 4});
//   lockstep::Batch round;
//   for (int step = 0; step < 100; ++step) {
//     for (int i = 0; i < 64; ++i) pool.dispatch(round, [&, i] { relax(i); });
//     auto result = round.wait();          // barrier: every job of this round has ended
//     if (!result.ok()) { for (auto& f : result.failures) log(f.job, f.message); break; }
//   }
//
// A batch may span several bulkheads. wait() returns when every job dispatched into the batch
// so far has reached a terminal state, reports all of them (not just the first failure), and
// resets the batch for the next round. A thread blocked in wait() helps: while a bulkhead of the
// batch has a free worker slot, the waiting thread runs queued jobs itself, so a job that waits
// for jobs it dispatched into its own bulkhead cannot deadlock it. The destructor waits too.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "lockstep/engine/job_state.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace detail {
class BatchState;
}

// One job that did not succeed.
struct Failure {
  std::string job;       // the task's id, or "<bulkhead>#<n>"
  std::string bulkhead;  // where it was dispatched
  JobState state;        // failed, timed_out, cancelled or rejected
  std::string message;   // the exception's what(), or why it was rejected or cancelled
};

struct BatchResult {
  StateCounts counts;             // per terminal state; counts.sum() jobs ended in this round
  std::vector<Failure> failures;  // every job that did not succeed, in the order they ended

  bool ok() const noexcept { return counts.sum() == counts[JobState::succeeded]; }
  std::size_t count(JobState s) const noexcept { return counts[s]; }
  std::size_t total() const noexcept { return counts.sum(); }
};

class LOCKSTEP_API Batch {
 public:
  Batch();
  ~Batch();  // waits for the batch's jobs; never throws
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Blocks until every job dispatched so far has ended, then returns this round's results and
  // starts a new round (counts and failures reset; a cancelled batch is usable again). A round
  // reports the jobs that ended in it: while other threads keep dispatching, each job is counted
  // in exactly one round, and every round's counts add up. One thread waits at a time.
  BatchResult wait();

  // Queued jobs of this batch end as cancelled without running; running ones see their token
  // cancelled; jobs dispatched later in this round end as cancelled at once.
  void cancel() noexcept;
  bool cancelled() const noexcept;

  // Jobs dispatched and not yet ended.
  std::size_t outstanding() const noexcept;

 private:
  friend class Bulkhead;    // dispatches into the state; nothing else sees it
  friend class Dispatcher;  // the same, without a second Task on the way (see Dispatcher::State)
  detail::BatchState& state() noexcept { return *state_; }

  std::unique_ptr<detail::BatchState> state_;
};

}  // namespace lockstep
