// TimelineRow: an attempt's run time lands in the columns it spans, to the nanosecond, however
// often the row widens its columns; rows that widened differently add up alike once widened to
// one width; bars are kept only when asked.
#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>

#include "report/timeline_row.hpp"

using lockstep::JobState;
using lockstep::report::Bar;
using lockstep::report::Column;
using lockstep::report::RowSnapshot;
using lockstep::report::TimelineRow;

namespace {

constexpr std::int64_t kWidth = TimelineRow::kFirstWidth;
constexpr auto kColumns = static_cast<std::int64_t>(TimelineRow::kColumns);

Bar bar(std::int64_t start, std::int64_t end, JobState state = JobState::succeeded) {
  Bar b;
  b.start_ns = start;
  b.end_ns = end;
  b.state = state;
  return b;
}

std::int64_t busy(const RowSnapshot& row, std::size_t state) {
  std::int64_t sum = 0;
  for (const auto& column : row.columns) sum += column.busy_ns[state];
  return sum;
}

std::uint64_t attempts(const RowSnapshot& row) {
  std::uint64_t sum = 0;
  for (const auto& column : row.columns) sum += column.attempts;
  return sum;
}

}  // namespace

TEST_CASE("an attempt's run time is split over the columns it spans") {
  TimelineRow row;
  row.add(bar(kWidth / 2, 3 * kWidth + 100), false);
  const auto snapshot = row.snapshot();
  REQUIRE(snapshot.width_ns == kWidth);
  REQUIRE(snapshot.columns.size() == TimelineRow::kColumns);
  CHECK(snapshot.columns[0].busy_ns[0] == kWidth / 2);
  CHECK(snapshot.columns[1].busy_ns[0] == kWidth);
  CHECK(snapshot.columns[2].busy_ns[0] == kWidth);
  CHECK(snapshot.columns[3].busy_ns[0] == 100);
  CHECK(snapshot.columns[4].busy_ns[0] == 0);
  CHECK(snapshot.columns[0].attempts == 1);  // counted where it started
  CHECK(attempts(snapshot) == 1);
  CHECK(snapshot.bars.empty());
}

TEST_CASE("a row widens its columns to hold a late attempt and keeps every nanosecond") {
  TimelineRow row;
  row.add(bar(0, 10), true);
  row.add(bar(kWidth, kWidth + 500, JobState::failed), true);
  // Ends past kColumns columns of the first width: the columns double until it fits (8 times).
  const std::int64_t late = 200 * kColumns * kWidth;
  row.add(bar(late - 7'000, late, JobState::timed_out), true);
  const auto snapshot = row.snapshot();
  CHECK(snapshot.width_ns == 256 * kWidth);
  CHECK(busy(snapshot, 0) == 10);
  CHECK(busy(snapshot, 1) == 500);
  CHECK(busy(snapshot, 2) == 7'000);
  CHECK(attempts(snapshot) == 3);
  CHECK(snapshot.columns[0].busy_ns[0] == 10);  // both early ones now share the first column
  CHECK(snapshot.columns[0].busy_ns[1] == 500);
  CHECK(snapshot.columns[0].attempts == 2);
  REQUIRE(snapshot.bars.size() == 3);
  CHECK(snapshot.bars[2].state == JobState::timed_out);
}

TEST_CASE("an attempt that ends where the last column ends fits without widening") {
  TimelineRow row;
  row.add(bar(kColumns * kWidth - 10, kColumns * kWidth), false);
  row.add(bar(kColumns * kWidth, kColumns * kWidth), false);  // of no length, at the very end
  const auto snapshot = row.snapshot();
  CHECK(snapshot.width_ns == kWidth);
  CHECK(snapshot.columns.back().busy_ns[0] == 10);
  CHECK(snapshot.columns.back().attempts == 2);
}

TEST_CASE("rows widened to a common width add up as they did") {
  TimelineRow narrow, wide;
  for (std::int64_t i = 0; i < 100; ++i)
    narrow.add(bar(i * 37 * kWidth, i * 37 * kWidth + 333), false);
  wide.add(bar(0, 40 * kColumns * kWidth), false);
  const auto a = narrow.snapshot(), b = wide.snapshot();
  REQUIRE(a.width_ns < b.width_ns);
  const auto widened = a.widened_to(b.width_ns);
  CHECK(widened.width_ns == b.width_ns);
  CHECK(busy(widened, 0) == 100 * 333);
  CHECK(attempts(widened) == 100);
  // Each column of the wide one holds the columns of the narrow one it covers.
  const auto ratio = static_cast<std::size_t>(b.width_ns / a.width_ns);
  for (std::size_t c = 0; c < TimelineRow::kColumns / ratio; ++c) {
    std::int64_t sum = 0;
    for (std::size_t k = 0; k < ratio; ++k) sum += a.columns[c * ratio + k].busy_ns[0];
    CAPTURE(c);
    CHECK(widened.columns[c].busy_ns[0] == sum);
  }
}
