#include "report/stage_timings.hpp"

#include <algorithm>

namespace lockstep::report {

namespace {

std::atomic<std::size_t> threads_seen{0};

// This thread's shard: threads take them in turn, so that two workers rarely share one.
std::size_t shard_of_this_thread(std::size_t shards) noexcept {
  thread_local const std::size_t shard = threads_seen.fetch_add(1, std::memory_order_relaxed);
  return shard % shards;
}

}  // namespace

void JobRunTimes::add(std::chrono::nanoseconds ran, std::uint64_t count) noexcept {
  auto& counts = shards_[shard_of_this_thread(kShards)].counts;
  counts[DurationHistogram::bucket_of(ran)].fetch_add(count, std::memory_order_relaxed);
  auto seen = max_ns_.load(std::memory_order_relaxed);
  while (ran.count() > seen &&
         !max_ns_.compare_exchange_weak(seen, ran.count(), std::memory_order_relaxed)) {
  }
}

DurationHistogram JobRunTimes::histogram() const noexcept {
  DurationHistogram histogram;
  for (const auto& shard : shards_) {
    for (std::size_t bucket = 0; bucket < shard.counts.size(); ++bucket) {
      histogram.counts[bucket] += shard.counts[bucket].load(std::memory_order_relaxed);
    }
  }
  return histogram;
}

std::chrono::nanoseconds JobRunTimes::max() const noexcept {
  return std::chrono::nanoseconds(max_ns_.load(std::memory_order_relaxed));
}

namespace {

// Heap order: the fastest on top. Ties broken by id, so that the list does not depend on which
// of two equal instances ended first.
bool slower(const SlowInstance& a, const SlowInstance& b) {
  return a.ran != b.ran ? a.ran > b.ran : a.id < b.id;
}

}  // namespace

void SlowestInstances::insert(SlowInstance entry) {
  std::lock_guard lock(mutex_);
  if (kept_.size() == capacity_) {
    if (!slower(entry, kept_.front())) return;  // another thread raised the bar meanwhile
    std::pop_heap(kept_.begin(), kept_.end(), slower);
    kept_.pop_back();
  }
  kept_.push_back(std::move(entry));
  std::push_heap(kept_.begin(), kept_.end(), slower);
  if (kept_.size() == capacity_) {
    bar_ns_.store(kept_.front().ran.count(), std::memory_order_relaxed);
  }
}

std::vector<SlowInstance> SlowestInstances::slowest_first() const {
  std::lock_guard lock(mutex_);
  auto sorted = kept_;
  std::sort(sorted.begin(), sorted.end(), slower);
  return sorted;
}

StageTimings::StageTimings(std::size_t jobs, std::size_t slowest) : slowest_(slowest) {
  jobs_.reserve(jobs);
  for (std::size_t i = 0; i < jobs; ++i) jobs_.push_back(std::make_unique<JobRunTimes>());
}

}  // namespace lockstep::report
