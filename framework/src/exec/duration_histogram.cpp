#include "lockstep/engine/duration_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace lockstep::inline LOCKSTEP_ABI {

std::size_t DurationHistogram::bucket_of(std::chrono::nanoseconds duration) noexcept {
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count()));
  if (ns < 4) return static_cast<std::size_t>(ns);
  const auto exponent = static_cast<std::size_t>(std::bit_width(ns)) - 1;  // 2..62
  const auto quarter = static_cast<std::size_t>(ns >> (exponent - 2)) & 3U;
  return 4 * (exponent - 1) + quarter;
}

std::chrono::nanoseconds DurationHistogram::lower_bound(std::size_t bucket) noexcept {
  if (bucket < 4) return std::chrono::nanoseconds(static_cast<std::int64_t>(bucket));
  const auto exponent = bucket / 4 + 1;
  const auto quarter = std::uint64_t{bucket % 4};
  return std::chrono::nanoseconds(static_cast<std::int64_t>((4 + quarter) << (exponent - 2)));
}

std::chrono::nanoseconds DurationHistogram::upper_bound(std::size_t bucket) noexcept {
  if (bucket + 1 >= kBuckets) return std::chrono::nanoseconds::max();
  return lower_bound(bucket + 1);
}

void DurationHistogram::add(std::chrono::nanoseconds duration, std::uint64_t weight) noexcept {
  counts[bucket_of(duration)] += weight;
}

std::uint64_t DurationHistogram::count() const noexcept {
  std::uint64_t total = 0;
  for (auto n : counts) total += n;
  return total;
}

std::chrono::nanoseconds DurationHistogram::percentile(double q) const noexcept {
  const auto total = count();
  if (total == 0) return {};
  const auto wanted = std::clamp(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(total)),
                                 1.0, static_cast<double>(total));
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += counts[bucket];
    if (static_cast<double>(seen) >= wanted) {
      const auto low = lower_bound(bucket);
      return low + (upper_bound(bucket) - low) / 2;
    }
  }
  return upper_bound(kBuckets - 1);  // not reached: the buckets add up to total
}

DurationHistogram& DurationHistogram::operator-=(const DurationHistogram& earlier) noexcept {
  // Saturating, so that a snapshot pair taken out of order cannot wrap around.
  for (std::size_t bucket = 0; bucket < kBuckets; ++bucket) {
    counts[bucket] -= std::min(counts[bucket], earlier.counts[bucket]);
  }
  return *this;
}

}  // namespace lockstep
