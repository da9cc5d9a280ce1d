#include "run/bulkhead_usage.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace lockstep::run {

std::vector<std::string> bulkheads_of(const Pipeline& pipeline, const StageSpec& stage) {
  std::vector<std::string> names;
  for (const auto& spec : pipeline.bulkheads) {
    const bool used = std::ranges::any_of(
        stage.jobs, [&](const JobSpec& job) { return job.bulkhead == spec.name; });
    if (used) names.push_back(spec.name);
  }
  return names;
}

BulkheadUsageMeter::BulkheadUsageMeter(Engine& engine, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    auto* bulkhead = engine.find(name);
    if (bulkhead == nullptr) continue;
    // Peaks restart from now; everything else is a difference from this snapshot.
    bulkhead->reset_peaks();
    starts_.push_back({bulkhead, bulkhead->stats()});
  }
}

namespace {

// Histogram percentiles are bucket middles; the longest wait bounds them all.
std::chrono::nanoseconds at_most(std::chrono::nanoseconds value, std::chrono::nanoseconds max) {
  return std::min(value, max);
}

double utilisation(std::chrono::nanoseconds busy, int workers, std::chrono::nanoseconds wall) {
  if (workers <= 0 || wall <= std::chrono::nanoseconds::zero()) return 0;
  const double share = static_cast<double>(busy.count()) /
                       (static_cast<double>(workers) * static_cast<double>(wall.count()));
  return std::clamp(share, 0.0, 1.0);  // busy is estimated from samples: it may overshoot
}

}  // namespace

WaitPercentiles wait_percentiles(const DurationHistogram& after, const DurationHistogram& before) {
  // Saturating, as DurationHistogram's difference is.
  const auto waits = [&](std::size_t bucket) {
    return after.counts[bucket] - std::min(after.counts[bucket], before.counts[bucket]);
  };
  std::uint64_t total = 0;
  for (std::size_t bucket = 0; bucket < DurationHistogram::kBuckets; ++bucket) total += waits(bucket);
  WaitPercentiles result;
  if (total == 0) return result;
  const auto wanted = [total](double q) {
    return std::clamp(std::ceil(q * static_cast<double>(total)), 1.0, static_cast<double>(total));
  };
  const std::array<std::pair<double, std::chrono::nanoseconds*>, 3> asked{
      {{wanted(0.50), &result.p50}, {wanted(0.95), &result.p95}, {wanted(0.99), &result.p99}}};
  std::size_t next = 0;
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < DurationHistogram::kBuckets && next < asked.size();
       ++bucket) {
    seen += waits(bucket);
    for (; next < asked.size() && static_cast<double>(seen) >= asked[next].first; ++next) {
      const auto low = DurationHistogram::lower_bound(bucket);
      *asked[next].second = low + (DurationHistogram::upper_bound(bucket) - low) / 2;
    }
  }
  return result;
}

std::vector<BulkheadUsage> BulkheadUsageMeter::finish(std::chrono::nanoseconds wall) const {
  std::vector<BulkheadUsage> usages;
  usages.reserve(starts_.size());
  for (const auto& [bulkhead, before] : starts_) {
    const auto after = bulkhead->stats();
    const auto waits = wait_percentiles(after.queue_wait_histogram, before.queue_wait_histogram);
    BulkheadUsage usage;
    usage.name = bulkhead->name();
    usage.workers = bulkhead->workers();
    usage.queue = bulkhead->queue_capacity();
    usage.admitted = after.admitted - before.admitted;
    usage.peak_running = after.peak_running;
    usage.peak_queued = after.peak_queued;
    usage.queue_wait_max = after.queue_wait_max;
    usage.queue_wait_p50 = at_most(waits.p50, after.queue_wait_max);
    usage.queue_wait_p95 = at_most(waits.p95, after.queue_wait_max);
    usage.queue_wait_p99 = at_most(waits.p99, after.queue_wait_max);
    usage.rejected = after.ended[JobState::rejected] - before.ended[JobState::rejected];
    usage.utilisation = utilisation(after.busy - before.busy, usage.workers, wall);
    usages.push_back(std::move(usage));
  }
  return usages;
}

}  // namespace lockstep::run
