// How long the attempts running on a bulkhead's worker slots have been at it, for the progress
// ETA, without a clock read on the per-job path: an attempt marks its slot (two relaxed stores,
// on a cache line of the slot's own); the first progress snapshot that sees the mark stamps it
// with the time, and later snapshots measure from that stamp. Times are therefore lower bounds,
// short by at most one snapshot interval, and only known while someone takes snapshots.
//
//   RunningAttempts running(bulkhead.workers());
//   { auto mark = running.mark(current_worker_slot()); job->run(context); }  // on a worker
//   auto spent = running.spent(Clock::now());                                // progress thread
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "lockstep/export.hpp"

namespace lockstep::run {

class LOCKSTEP_INTERNAL_API RunningAttempts {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RunningAttempts(int slots);

  // Marks `slot` as running an attempt while it lives; a slot outside [0, slots) is not tracked.
  class Mark {
   public:
    Mark(const Mark&) = delete;
    Mark& operator=(const Mark&) = delete;
    ~Mark() {
      if (state_ != nullptr) state_->store(outer_, std::memory_order_relaxed);
    }

   private:
    friend class RunningAttempts;
    // Inline, as mark() is: every attempt makes one, and a call each way costs more than the
    // two stores.
    explicit Mark(std::atomic<std::int64_t>* state) noexcept : state_(state) {
      if (state_ == nullptr) return;
      // Only this thread writes a slot while it runs on it, so a load and a store do (no RMW).
      outer_ = state_->load(std::memory_order_relaxed);
      state_->store(kUnseen, std::memory_order_relaxed);
    }
    std::atomic<std::int64_t>* state_;
    std::int64_t outer_ = kIdle;  // a nested attempt on a slot gives it back to the outer one
  };
  Mark mark(int slot) noexcept {
    return Mark(slot >= 0 && slot < count_ ? &slots_[static_cast<std::size_t>(slot)].state
                                           : nullptr);
  }

  struct Spent {
    std::uint64_t running = 0;         // attempts marked now
    std::chrono::nanoseconds total{};  // their time so far, summed (0 for one not seen before)
    std::chrono::nanoseconds longest{};
  };
  // Stamps the marks seen for the first time with `now`. Safe from any thread.
  Spent spent(Clock::time_point now) const noexcept;

 private:
  // A slot's state besides a stamp: no attempt, or one that no snapshot has seen yet.
  static constexpr std::int64_t kIdle = 0;
  static constexpr std::int64_t kUnseen = -1;
  struct alignas(64) Slot {
    std::atomic<std::int64_t> state{0};  // 0 idle, -1 running and not seen, else the stamp (ns)
  };
  std::unique_ptr<Slot[]> slots_;
  int count_;
};

}  // namespace lockstep::run
