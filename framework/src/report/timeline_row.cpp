#include "report/timeline_row.hpp"

#include <algorithm>

namespace lockstep::report {

namespace {

// Adds neighbours together `times` times over: each step halves the columns in use and leaves the
// upper half empty.
void merge_neighbours(std::vector<Column>& columns, int times) {
  for (; times > 0; --times) {
    const std::size_t half = columns.size() / 2;
    for (std::size_t i = 0; i < half; ++i) {
      Column merged = columns[2 * i];
      const Column& next = columns[2 * i + 1];
      for (std::size_t s = 0; s < kAttemptStates; ++s) merged.busy_ns[s] += next.busy_ns[s];
      merged.attempts += next.attempts;
      columns[i] = merged;
    }
    std::fill(columns.begin() + static_cast<std::ptrdiff_t>(half), columns.end(), Column{});
  }
}

}  // namespace

TimelineRow::TimelineRow() : columns_(kColumns) {}

void TimelineRow::add(const Bar& bar, bool keep) {
  const auto start = std::max<std::int64_t>(bar.start_ns, 0);
  const auto end = std::max(bar.end_ns, start);
  const auto state = std::min(static_cast<std::size_t>(bar.state), kAttemptStates - 1);
  std::lock_guard lock(mutex_);
  widen_past(end);
  // An attempt of no length at the very end of the columns starts in the last.
  auto column = std::min(static_cast<std::size_t>(start / width_ns_), kColumns - 1);
  columns_[column].attempts += 1;
  // The run time, split over the columns it spans (one, for the short jobs that are the many).
  for (auto from = start; from < end; ++column) {
    const auto to = std::min(end, static_cast<std::int64_t>(column + 1) * width_ns_);
    columns_[column].busy_ns[state] += to - from;
    from = to;
  }
  if (keep) bars_.push_back(bar);
}

void TimelineRow::widen_past(std::int64_t end_ns) {
  int times = 0;
  auto width = width_ns_;
  // An attempt may end exactly at the last column's end: it still fits.
  while (end_ns > static_cast<std::int64_t>(kColumns) * width) {
    width *= 2;
    ++times;
  }
  if (times == 0) return;
  merge_neighbours(columns_, std::min(times, 64));
  width_ns_ = width;
}

RowSnapshot TimelineRow::snapshot() const {
  std::lock_guard lock(mutex_);
  return {width_ns_, columns_, bars_};
}

RowSnapshot RowSnapshot::widened_to(std::int64_t width) const {
  RowSnapshot wider{width, columns, {}};
  int times = 0;
  for (auto w = width_ns; w < width; w *= 2) ++times;
  merge_neighbours(wider.columns, times);
  return wider;
}

}  // namespace lockstep::report
