// StageTimings: how long a stage's instances ran, gathered as they end on the workers: per job a
// histogram of run times, and the stage's slowest instances.
//
//   StageTimings timings(stage.jobs.size(), 10);
//   timings.add(job_index, ran, [&] { return SlowInstance{ran, id, job, item, attempts, state}; });
//   auto slowest = timings.slowest();        // slowest first
//   auto p99 = timings.job(0).histogram().percentile(0.99);
//
// Cost per instance: a few relaxed atomic operations. The slowest list takes its lock only for
// an instance slower than the slowest-but-N kept so far, which soon is a rare one.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lockstep/engine/duration_histogram.hpp"
#include "lockstep/engine/job_state.hpp"

namespace lockstep::report {

struct SlowInstance {
  std::chrono::nanoseconds ran{};
  std::string id, job, item;
  int attempts = 0;
  JobState state = JobState::succeeded;
};

// A DurationHistogram that many threads add to at once, without a lock, and its exact maximum.
// Threads count into one of a few shards, each on cache lines of its own: one shared set of
// counters, bounced between the cores by every instance, cost more than all the rest of the
// report (measured on ten million core.noop jobs).
class JobRunTimes {
 public:
  // `count` instances of `ran` each.
  void add(std::chrono::nanoseconds ran, std::uint64_t count = 1) noexcept;
  DurationHistogram histogram() const noexcept;  // a snapshot, the shards added up
  std::chrono::nanoseconds max() const noexcept;

 private:
  static constexpr std::size_t kShards = 4;
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, DurationHistogram::kBuckets> counts{};
  };
  std::array<Shard, kShards> shards_{};
  alignas(64) std::atomic<std::int64_t> max_ns_{0};  // read by all, written by a new maximum
};

// The N slowest of the instances offered, kept in a heap whose fastest is the entry bar.
class SlowestInstances {
 public:
  explicit SlowestInstances(std::size_t capacity) : capacity_(capacity) {}

  template <class MakeEntry>
  void offer(std::chrono::nanoseconds ran, MakeEntry&& make_entry) {
    // Only what beats the bar takes the lock, and only it pays for its entry (strings).
    if (capacity_ == 0 || ran.count() <= bar_ns_.load(std::memory_order_relaxed)) return;
    insert(make_entry());
  }
  std::vector<SlowInstance> slowest_first() const;

 private:
  void insert(SlowInstance entry);

  const std::size_t capacity_;
  std::atomic<std::int64_t> bar_ns_{-1};  // the fastest kept once full; -1 while not full
  mutable std::mutex mutex_;              // guards kept_
  std::vector<SlowInstance> kept_;        // a min-heap by run time
};

class StageTimings {
 public:
  StageTimings(std::size_t jobs, std::size_t slowest);

  template <class MakeEntry>
  void add(std::size_t job, std::chrono::nanoseconds ran, MakeEntry&& make_entry) {
    if (job < jobs_.size()) jobs_[job]->add(ran);
    slowest_.offer(ran, std::forward<MakeEntry>(make_entry));
  }
  // `count` instances timed together (a chunk of short ones), each at their mean `each`: in the
  // histogram only, since no one of them can be named as slow.
  void add_together(std::size_t job, std::chrono::nanoseconds each, std::uint64_t count) {
    if (job < jobs_.size()) jobs_[job]->add(each, count);
  }
  std::size_t jobs() const noexcept { return jobs_.size(); }
  const JobRunTimes& job(std::size_t index) const { return *jobs_.at(index); }
  std::vector<SlowInstance> slowest() const { return slowest_.slowest_first(); }

 private:
  std::vector<std::unique_ptr<JobRunTimes>> jobs_;  // atomics do not move: one allocation each
  SlowestInstances slowest_;
};

}  // namespace lockstep::report
