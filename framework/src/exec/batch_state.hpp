// The shared state behind lockstep::Batch: outstanding jobs, this round's counts and failures,
// cancellation, and the bulkheads a waiting thread may help.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "lockstep/batch.hpp"

namespace lockstep::detail {

class BulkheadCore;

class BatchState {
 public:
  BatchState() = default;
  ~BatchState();

  // A job was admitted into this round; it will call finish_one() exactly once.
  void job_admitted() noexcept;
  // An admitted job ended. Must be the job's last touch of the batch: the batch may be gone after.
  void finish_one() noexcept;
  // A job ended without being admitted (rejected, or cancelled at dispatch).
  void job_ended_at_dispatch(Failure failure);
  // Records why an admitted job did not succeed; call before its finish_one().
  void record_failure(Failure failure);

  bool done() const noexcept { return outstanding_.load(std::memory_order_acquire) == 0; }
  std::size_t outstanding() const noexcept { return outstanding_.load(std::memory_order_relaxed); }

  const std::stop_source& stop_source() const noexcept { return stop_; }
  void cancel() noexcept { stop_.request_stop(); }
  bool cancelled() const noexcept { return stop_.stop_requested(); }

  // Remembers a bulkhead this batch dispatched into, so that wait() can help it.
  void note_bulkhead(BulkheadCore& core);

  // The barrier: helps the batch's bulkheads, then blocks until done; returns and resets the round.
  BatchResult wait();

 private:
  std::vector<std::shared_ptr<BulkheadCore>> live_bulkheads();
  void help_until_done();
  void block_until_done();

  alignas(64) std::atomic<std::int64_t> outstanding_{0};
  alignas(64) std::atomic<std::uint64_t> entered_{0};  // jobs of this round, admitted or not

  std::stop_source stop_;

  // Guards failures_ and counts_ and the final 1 -> 0 step of outstanding_ (see finish_one).
  std::mutex mutex_;
  std::condition_variable all_done_;
  std::vector<Failure> failures_;
  StateCounts unsuccessful_;  // all but succeeded, which is entered_ minus these

  std::mutex bulkheads_mutex_;
  std::vector<std::weak_ptr<BulkheadCore>> bulkheads_;
  std::atomic<const BulkheadCore*> last_bulkhead_{nullptr};
};

}  // namespace lockstep::detail
