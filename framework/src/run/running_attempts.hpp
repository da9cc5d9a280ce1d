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
    ~Mark();

   private:
    friend class RunningAttempts;
    explicit Mark(std::atomic<std::int64_t>* state) noexcept;
    std::atomic<std::int64_t>* state_;
    std::int64_t outer_;  // a nested attempt on the same slot gives the slot back to the outer one
  };
  Mark mark(int slot) noexcept;

  struct Spent {
    std::uint64_t running = 0;         // attempts marked now
    std::chrono::nanoseconds total{};  // their time so far, summed (0 for one not seen before)
    std::chrono::nanoseconds longest{};
  };
  // Stamps the marks seen for the first time with `now`. Safe from any thread.
  Spent spent(Clock::time_point now) const noexcept;

 private:
  struct alignas(64) Slot {
    std::atomic<std::int64_t> state{0};  // 0 idle, -1 running and not seen, else the stamp (ns)
  };
  std::unique_ptr<Slot[]> slots_;
  int count_;
};

}  // namespace lockstep::run
