// lockstep/engine/job_state.hpp — the terminal states every dispatched job ends in, exactly once.
//
//   lockstep::Batch batch;
//   for (int i = 0; i < 3; ++i) pool.dispatch(batch, [] { throw std::runtime_error("no"); });
//   auto result = batch.wait();
//   std::cout << result.count(lockstep::JobState::failed) << " "
//             << lockstep::to_string(lockstep::JobState::failed) << "\n";   // "3 failed"
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

enum class JobState : unsigned char {
  succeeded,  // ran to the end
  failed,     // threw, or its process exited non-zero
  timed_out,  // ran out of its time budget and was cancelled
  cancelled,  // its batch or bulkhead was cancelled before or while it ran
  rejected,   // its bulkhead had no room for it in time (try_dispatch, dispatch_for, max_wait)
  skipped,    // never dispatched because an earlier stage stopped the run
};

inline constexpr std::size_t kJobStateCount = 6;

inline constexpr std::array<JobState, kJobStateCount> kAllJobStates = {
    JobState::succeeded, JobState::failed,   JobState::timed_out,
    JobState::cancelled, JobState::rejected, JobState::skipped};

// "succeeded", "failed", "timed_out", "cancelled", "rejected", "skipped".
LOCKSTEP_API std::string_view to_string(JobState state) noexcept;

// Whether an instance that ended so counts as a failure (of its stage, in progress and reports):
// failed, timed_out and rejected. Cancelled and skipped instances are the consequence of
// something else, which is counted where it happened; they are not failures of their own.
constexpr bool is_failure(JobState state) noexcept {
  return state == JobState::failed || state == JobState::timed_out || state == JobState::rejected;
}

// Counts indexed by JobState; sum() is the number of jobs that ended.
struct StateCounts {
  std::array<std::size_t, kJobStateCount> by_state{};

  std::size_t& operator[](JobState s) noexcept { return by_state[static_cast<std::size_t>(s)]; }
  std::size_t operator[](JobState s) const noexcept {
    return by_state[static_cast<std::size_t>(s)];
  }
  std::size_t sum() const noexcept {
    std::size_t total = 0;
    for (auto n : by_state) total += n;
    return total;
  }
};

}  // namespace lockstep
