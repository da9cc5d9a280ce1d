// lockstep/engine/duration_histogram.hpp — how many durations fell into each of a fixed set of
// buckets, four per power of two of nanoseconds (so a percentile is within 25% of the true value).
//
//   auto before = bulkhead.stats().queue_wait_histogram;
//   run_some_jobs(bulkhead);
//   auto waits = bulkhead.stats().queue_wait_histogram - before;
//   std::cout << waits.count() << " waits, p99 " << waits.percentile(0.99).count() << " ns\n";
//
// Plain counts, so two snapshots of an ever-growing histogram subtract into the histogram of
// what happened in between.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct LOCKSTEP_API DurationHistogram {
  // Buckets 0..3 hold 0..3 ns exactly; above, each power of two [2^e, 2^(e+1)) is split in four.
  static constexpr std::size_t kBuckets = 4 * 62;  // up to the longest nanoseconds value

  std::array<std::uint64_t, kBuckets> counts{};

  static std::size_t bucket_of(std::chrono::nanoseconds duration) noexcept;
  static std::chrono::nanoseconds lower_bound(std::size_t bucket) noexcept;  // inclusive
  static std::chrono::nanoseconds upper_bound(std::size_t bucket) noexcept;  // exclusive

  void add(std::chrono::nanoseconds duration, std::uint64_t weight = 1) noexcept;
  std::uint64_t count() const noexcept;
  // The duration below which a fraction q (0..1) of the counted ones fall: the middle of the
  // bucket that holds it; 0 when the histogram is empty.
  std::chrono::nanoseconds percentile(double q) const noexcept;

  DurationHistogram& operator-=(const DurationHistogram& earlier) noexcept;
  friend DurationHistogram operator-(DurationHistogram later,
                                     const DurationHistogram& earlier) noexcept {
    return later -= earlier;
  }
};

}  // namespace lockstep
