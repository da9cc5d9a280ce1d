// The stage summary's queue-wait percentiles, computed in one pass over two histogram snapshots,
// are exactly what DurationHistogram gives for their difference.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>

#include "run/bulkhead_usage.hpp"

namespace lockstep::test {
namespace {

using std::chrono::nanoseconds;

TEST_CASE("wait percentiles of two snapshots match DurationHistogram's of their difference") {
  std::mt19937_64 random(15);
  for (int trial = 0; trial < 200; ++trial) {
    DurationHistogram before;
    DurationHistogram after;
    // Sparse or dense, small or large counts; now and then a bucket the later snapshot has less
    // of (a pair taken out of order): both sides saturate it to zero.
    const int filled = 1 + static_cast<int>(random() % (trial % 2 == 0 ? 4 : 200));
    for (int i = 0; i < filled; ++i) {
      const auto bucket = random() % DurationHistogram::kBuckets;
      after.counts[bucket] += 1 + random() % (trial % 3 == 0 ? 3 : 100'000);
      if (random() % 4 == 0) before.counts[bucket] += random() % (after.counts[bucket] + 2);
    }
    const auto waits = after - before;
    const auto got = run::wait_percentiles(after, before);
    INFO("trial " << trial);
    CHECK(got.p50 == waits.percentile(0.50));
    CHECK(got.p95 == waits.percentile(0.95));
    CHECK(got.p99 == waits.percentile(0.99));
  }
}

TEST_CASE("wait percentiles are zero when nothing waited between the snapshots") {
  DurationHistogram same;
  same.add(nanoseconds(1500), 7);
  const auto got = run::wait_percentiles(same, same);
  CHECK(got.p50 == nanoseconds::zero());
  CHECK(got.p95 == nanoseconds::zero());
  CHECK(got.p99 == nanoseconds::zero());
}

TEST_CASE("one wait is every percentile: the middle of its bucket") {
  DurationHistogram before;
  DurationHistogram after;
  after.add(nanoseconds(1'000'000));
  const auto bucket = DurationHistogram::bucket_of(nanoseconds(1'000'000));
  const auto middle =
      DurationHistogram::lower_bound(bucket) +
      (DurationHistogram::upper_bound(bucket) - DurationHistogram::lower_bound(bucket)) / 2;
  const auto got = run::wait_percentiles(after, before);
  CHECK(got.p50 == middle);
  CHECK(got.p99 == middle);
}

}  // namespace
}  // namespace lockstep::test
