// done_counter.hpp — how the peers without a barrier of their own wait for a batch: every job
// bumps an atomic counter, the last one wakes the waiting thread (std::atomic::wait: a futex,
// no spinning thread competing with the workers for the two cores).
#pragma once

#include <atomic>
#include <cstddef>

namespace lockstep_bench {

class DoneCounter {
 public:
  // Before the batch's first job is submitted (submission publishes target_ to the workers).
  void reset(std::size_t target) noexcept {
    target_ = target;
    count_.store(0, std::memory_order_relaxed);
  }

  void arrive() noexcept {
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == target_) count_.notify_all();
  }

  void wait() const noexcept {
    for (std::size_t seen = count_.load(std::memory_order_acquire); seen < target_;
         seen = count_.load(std::memory_order_acquire)) {
      count_.wait(seen, std::memory_order_acquire);
    }
  }

 private:
  std::atomic<std::size_t> count_{0};
  std::size_t target_ = 0;
};

}  // namespace lockstep_bench
