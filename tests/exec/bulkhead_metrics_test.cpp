// What a bulkhead measures for run reports: the worker slot each running job holds, the queue-wait
// histogram and maximum, the time its workers were busy, and peaks that restart per stage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <vector>

#include "lockstep/engine.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::DurationHistogram;
using namespace lockstep::test;

namespace {

struct Interval {
  int slot = -2;  // -2: the job never ran
  Clock::time_point start{}, end{};
};

// Intervals of the same slot, in start order, never overlap; returns the first one that does.
std::string first_overlap(std::vector<Interval> intervals) {
  std::ranges::sort(intervals, [](const auto& a, const auto& b) {
    return a.slot != b.slot ? a.slot < b.slot : a.start < b.start;
  });
  for (std::size_t i = 1; i < intervals.size(); ++i) {
    const auto& before = intervals[i - 1];
    const auto& after = intervals[i];
    if (before.slot == after.slot && after.start < before.end) {
      return "slot " + std::to_string(after.slot) + " ran two jobs at once";
    }
  }
  return {};
}

}  // namespace

TEST_CASE("each running job holds a worker slot of its own", "[metrics]") {
  constexpr int kWorkers = 3;
  const std::size_t jobs = 3000 * static_cast<std::size_t>(scale());
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "slots", .workers = kWorkers, .queue = 6});

  CHECK(lockstep::current_worker_slot() == -1);
  std::vector<Interval> seen(jobs);  // each job writes only its own element
  lockstep::Batch batch;
  for (std::size_t i = 0; i < jobs; ++i) {
    pool.dispatch(batch, [&seen, i] {
      auto& mine = seen[i];
      mine.start = Clock::now();
      mine.slot = lockstep::current_worker_slot();
      spin_for(i % 7 == 0 ? 50us : 2us);
      if (lockstep::current_worker_slot() != mine.slot) mine.slot = -3;  // changed mid-job
      mine.end = Clock::now();
    });
  }
  const auto result = batch.wait();  // this thread helps: it runs jobs in a slot too
  REQUIRE(result.count(lockstep::JobState::succeeded) == jobs);
  CHECK(lockstep::current_worker_slot() == -1);

  const auto outside = std::ranges::count_if(
      seen, [](const Interval& job) { return job.slot < 0 || job.slot >= kWorkers; });
  CHECK(outside == 0);
  CHECK(first_overlap(seen).empty());
}

TEST_CASE("a job waiting on another bulkhead's jobs keeps its own slot", "[metrics]") {
  lockstep::Engine engine;
  auto& outer = engine.add_bulkhead({.name = "outer", .workers = 1});
  auto& inner = engine.add_bulkhead({.name = "inner", .workers = 2, .queue = 50});

  struct Seen {
    int before = -2, after = -2;
    std::vector<Interval> inner;
  };
  Seen seen;
  seen.inner.resize(200);
  lockstep::Batch batch;
  outer.dispatch(batch, [&] {
    seen.before = lockstep::current_worker_slot();
    lockstep::Batch nested;
    for (std::size_t i = 0; i < seen.inner.size(); ++i) {
      inner.dispatch(nested, [&seen, i] {
        auto& mine = seen.inner[i];
        mine.start = Clock::now();
        mine.slot = lockstep::current_worker_slot();
        spin_for(5us);
        mine.end = Clock::now();
      });
    }
    nested.wait();  // may run inner jobs on this thread, in a slot of `inner`
    seen.after = lockstep::current_worker_slot();
  });
  batch.wait();

  CHECK(seen.before == 0);
  CHECK(seen.after == 0);
  const auto outside = std::ranges::count_if(
      seen.inner, [](const Interval& job) { return job.slot < 0 || job.slot >= 2; });
  CHECK(outside == 0);
  CHECK(first_overlap(seen.inner).empty());
}

TEST_CASE("each duration lies in its bucket, and the buckets tile the durations", "[metrics]") {
  for (std::size_t bucket = 0; bucket + 1 < DurationHistogram::kBuckets; ++bucket) {
    CAPTURE(bucket);
    REQUIRE(DurationHistogram::lower_bound(bucket) < DurationHistogram::upper_bound(bucket));
    REQUIRE(DurationHistogram::upper_bound(bucket) == DurationHistogram::lower_bound(bucket + 1));
    REQUIRE(DurationHistogram::bucket_of(DurationHistogram::lower_bound(bucket)) == bucket);
    REQUIRE(DurationHistogram::bucket_of(DurationHistogram::upper_bound(bucket) - 1ns) == bucket);
  }
  CHECK(DurationHistogram::bucket_of(std::chrono::nanoseconds::max()) ==
        DurationHistogram::kBuckets - 1);
  CHECK(DurationHistogram::bucket_of(-5ns) == 0);
  // Four buckets per power of two: a bucket is at most a quarter of its lower bound wide.
  const auto bucket = DurationHistogram::bucket_of(1ms);
  CHECK(DurationHistogram::upper_bound(bucket) - DurationHistogram::lower_bound(bucket) <=
        DurationHistogram::lower_bound(bucket) / 4);
}

TEST_CASE("histogram percentiles are ordered and subtract between snapshots", "[metrics]") {
  DurationHistogram waits;
  CHECK(waits.percentile(0.5) == 0ns);
  for (int i = 1; i <= 1000; ++i) waits.add(std::chrono::microseconds(i));
  CHECK(waits.count() == 1000);
  const auto p50 = waits.percentile(0.5), p95 = waits.percentile(0.95),
             p99 = waits.percentile(0.99);
  CHECK(p50 <= p95);
  CHECK(p95 <= p99);
  CHECK(p99 <= waits.percentile(1.0));
  // Within a bucket's width (a quarter) of the exact value.
  CHECK(p50 >= 500us * 3 / 4);
  CHECK(p50 <= 500us * 5 / 4);

  auto later = waits;
  later.add(1s, 10);
  const auto between = later - waits;
  CHECK(between.count() == 10);
  CHECK(between.percentile(0.5) >= 750ms);
  CHECK(between.percentile(0.5) <= 1250ms);
}

TEST_CASE("a bulkhead measures its queue waits and busy time", "[metrics]") {
  constexpr int kJobs = 60;
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "one", .workers = 1, .queue = kJobs});

  const auto start = Clock::now();
  lockstep::Batch batch;
  for (int i = 0; i < kJobs; ++i) pool.dispatch(batch, [] { spin_for(200us); });
  batch.wait();
  const auto wall = Clock::now() - start;

  const auto stats = pool.stats();
  // Fewer than 4,096 jobs: every one is measured, once.
  CHECK(stats.queue_wait_histogram.count() == kJobs);
  const auto p99 = stats.queue_wait_histogram.percentile(0.99);
  CHECK(stats.queue_wait_histogram.percentile(0.5) <= p99);
  // p99 is the middle of its bucket: the longest wait is in that bucket or a later one.
  CHECK(stats.queue_wait_max >= DurationHistogram::lower_bound(DurationHistogram::bucket_of(p99)));
  CHECK(stats.queue_wait <= stats.queue_wait_max * kJobs);
  CHECK(stats.queue_wait_max > 0ns);  // with one worker, the later jobs waited
  // Each job spun at least 200 us; the one worker cannot have been busy longer than the batch.
  CHECK(stats.busy >= 200us * kJobs);
  CHECK(stats.busy <= wall);
}

TEST_CASE("reset_peaks starts the peaks again from now", "[metrics]") {
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "peaks", .workers = 2, .queue = 2});

  Gate release;
  std::atomic<int> started{0};
  lockstep::Batch batch;
  for (int i = 0; i < 4; ++i) {
    pool.dispatch(batch, [&] {
      started.fetch_add(1);
      release.wait_for();
    });
  }
  REQUIRE(eventually([&] { return started.load() == 2; }));
  auto stats = pool.stats();
  CHECK(stats.peak_running == 2);
  CHECK(stats.peak_queued == 2);
  release.open();
  batch.wait();
  CHECK(pool.stats().queue_wait_max > 0ns);  // two jobs waited for the blocked workers
  // A runner counts itself out just after its last job's batch learns that the job ended.
  REQUIRE(eventually([&] { return pool.stats().running == 0; }));

  pool.reset_peaks();
  stats = pool.stats();
  CHECK(stats.peak_running == 0);
  CHECK(stats.peak_queued == 0);
  CHECK(stats.queue_wait_max == 0ns);
  CHECK(stats.queue_wait_histogram.count() == 4);  // totals are not peaks: they keep growing

  lockstep::Batch one;
  pool.dispatch(one, [] {});
  one.wait();
  stats = pool.stats();
  CHECK(stats.peak_running == 1);
  CHECK(stats.peak_queued == 0);
}
