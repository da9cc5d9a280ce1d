// The shared state behind lockstep::Batch: outstanding jobs, this round's counts and failures,
// cancellation, and the bulkheads a waiting thread may help.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "lockstep/engine/batch.hpp"
#include "lockstep/engine/cancel_token.hpp"

namespace lockstep::inline LOCKSTEP_ABI::detail {

class BulkheadCore;

class BatchState {
 public:
  BatchState() = default;
  ~BatchState();

  // A job was admitted into this round; it will be counted by finish() exactly once.
  void job_admitted() noexcept;
  // `count` admitted jobs ended, `succeeded` of them successfully (the others were recorded with
  // record_failure). Must be the caller's last touch of the batch: once its last jobs are
  // counted, the batch may be destroyed by its waiter.
  void finish(std::int64_t count, std::int64_t succeeded) noexcept;
  // A job ended without being admitted (rejected, or cancelled at dispatch).
  void job_ended_at_dispatch(Failure failure);
  // Records why an admitted job did not succeed; call before it is counted by finish().
  void record_failure(Failure failure);

  bool done() const noexcept { return outstanding_.load(std::memory_order_acquire) == 0; }
  std::size_t outstanding() const noexcept {
    return static_cast<std::size_t>(outstanding_.load(std::memory_order_relaxed) & kJobsMask);
  }

  // This round's cancellation: reset (not replaced) by wait(), when no job of the batch runs.
  const CancelSource& cancel_source() const noexcept { return cancel_; }
  void cancel() noexcept { cancel_.cancel(); }
  bool cancelled() const noexcept { return cancel_.cancelled(); }

  // Remembers a bulkhead this batch dispatched into, so that wait() can help it.
  void note_bulkhead(BulkheadCore& core);

  // The barrier: helps the batch's bulkheads, then blocks until done; returns and resets the round.
  BatchResult wait();

 private:
  // In outstanding_ beside the count of jobs: a waiter sleeps on all_done_ (see finish()).
  static constexpr std::int64_t kSleeper = std::int64_t{1} << 62;
  static constexpr std::int64_t kJobsMask = kSleeper - 1;

  void collect_live_bulkheads();
  void help_until_done();
  // With mutex_ held: returns once every job has ended.
  void block_until_done(std::unique_lock<std::mutex>& lock);

  // Jobs admitted and not yet counted by finish(), and kSleeper. Every job is counted in the
  // round in which it ends, so a round's counts always add up, even while other threads dispatch
  // into the batch during wait().
  alignas(64) std::atomic<std::int64_t> outstanding_{0};
  alignas(64) std::atomic<std::uint64_t> succeeded_{0};

  // On a line of its own: every dispatch and every job reads it, and runners write succeeded_
  // once per burst (together they were a cache miss per dispatched job).
  alignas(64) CancelSource cancel_;

  // Guards failures_, unsuccessful_, and setting kSleeper and clearing it (see finish).
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::vector<Failure> failures_;
  StateCounts unsuccessful_;               // all but succeeded
  std::atomic<bool> any_failure_{false};  // this round recorded one: wait() must take the mutex

  std::mutex bulkheads_mutex_;
  std::vector<std::weak_ptr<BulkheadCore>> bulkheads_;
  std::atomic<const BulkheadCore*> last_bulkhead_{nullptr};
  // The bulkheads the waiting thread helps, kept between rounds so that a wait allocates nothing.
  std::vector<std::shared_ptr<BulkheadCore>> helping_;
};

}  // namespace lockstep::detail
