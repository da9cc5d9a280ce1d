// TimelineRow: the attempts one worker place of a bulkhead ran, as the HTML page's timeline draws
// them: how busy the place was over time, in columns across the run, and each attempt as a bar
// while the caller keeps bars.
//
//   TimelineRow row;                                  // one per (bulkhead, worker slot)
//   row.add(bar, /*keep=*/true);                      // on the worker, as each attempt ends
//   auto columns = row.snapshot().widened_to(width);  // once the run is over
//
// The columns cover [0, kColumns x width) from the run's start. A row starts with columns of
// kFirstWidth and doubles their width (adding neighbours together) whenever an attempt ends past
// the last: a run of any length ends with kColumns / 2 to kColumns columns across it (fewer when
// it is shorter than kColumns x kFirstWidth), at a cost that does not depend on the number of
// attempts. Widths are kFirstWidth x 2^k, so rows of one run widen to a common one exactly.
//
// Only the worker that holds the row's place adds to it while it runs (a nested job of the same
// bulkhead aside), so the row's lock is uncontended: it is there for snapshot().
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "lockstep/engine/job_state.hpp"

namespace lockstep::report {

// How attempts end: succeeded, failed, timed_out, cancelled (rejected and skipped instances run
// no attempt).
inline constexpr std::size_t kAttemptStates = 4;

// One attempt. Times are nanoseconds from the run's start.
struct Bar {
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint32_t job = 0;  // the job's position among all of the pipeline's jobs, stage by stage
  std::int32_t iteration = 1;
  std::uint64_t index = 0;
  std::int32_t attempt = 1;
  JobState state = JobState::succeeded;
  std::uint32_t message = kNoMessage;  // why it did not succeed: a position in a table of texts

  static constexpr std::uint32_t kNoMessage = 0xFFFFFFFF;
};

// A stretch of time on a row: how long attempts ran in it, by how they ended, and how many
// attempts started in it.
struct Column {
  std::array<std::int64_t, kAttemptStates> busy_ns{};
  std::uint64_t attempts = 0;
};

struct LOCKSTEP_INTERNAL_API RowSnapshot {
  std::int64_t width_ns = 0;
  std::vector<Column> columns;  // kColumns of them
  std::vector<Bar> bars;        // as they were added

  // The same busy times in columns `width_ns` wide (a multiple of this one's by a power of two).
  RowSnapshot widened_to(std::int64_t width_ns) const;
};

class LOCKSTEP_INTERNAL_API TimelineRow {
 public:
  static constexpr std::size_t kColumns = 1024;
  static constexpr std::int64_t kFirstWidth = 1'000;  // ns

  TimelineRow();
  // Counts the attempt in the columns it spans; keeps its bar too when `keep`.
  void add(const Bar& bar, bool keep);
  RowSnapshot snapshot() const;

 private:
  void widen_past(std::int64_t end_ns);

  mutable std::mutex mutex_;  // guards everything below
  std::int64_t width_ns_ = kFirstWidth;
  std::vector<Column> columns_;
  std::vector<Bar> bars_;
};

}  // namespace lockstep::report
