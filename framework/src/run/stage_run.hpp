// One iteration of one stage: every instance of every job, dispatched lazily to its bulkhead,
// retried and timed out as its job says, each ending in exactly one terminal state; returns at
// the barrier.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lockstep/job_state.hpp"
#include "lockstep/pipeline.hpp"
#include "run/run_shared.hpp"

namespace lockstep::run {

class Feeder;
struct JobPlan;

struct StageOutcome {
  StateCounts counts{};
  bool failed = false;         // a failure that continue_on_error does not allow
  bool until_reached = false;  // a job published a truthy `repeat.until` output
};

class StageRun {
 public:
  StageRun(const StageSpec& stage, int iteration, RunShared& shared);
  ~StageRun();
  StageRun(const StageRun&) = delete;
  StageRun& operator=(const StageRun&) = delete;

  StageOutcome run();

  // For feeders and the jobs they run.
  const StageSpec& stage() const noexcept { return stage_; }
  int iteration() const noexcept { return iteration_; }
  RunShared& shared() noexcept { return shared_; }
  bool stopping() const noexcept { return stopping_.load(std::memory_order_relaxed); }
  void record_failure(const JobSpec& job) noexcept;
  void reach_until() noexcept { until_reached_.store(true, std::memory_order_relaxed); }
  void add(const StateCounts& counts) noexcept;
  // "stage/job[3]", or "stage@2/job[3]" in a repeated stage.
  std::string instance_id(const JobPlan& plan, std::uint64_t index) const;

 private:
  const StageSpec& stage_;
  int iteration_;
  RunShared& shared_;
  std::vector<std::unique_ptr<JobPlan>> plans_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> until_reached_{false};
  std::array<std::atomic<std::size_t>, kJobStateCount> counts_{};
};

// The number of instances a stage would run now (one iteration): what a skipped stage counts.
std::uint64_t count_instances(const StageSpec& stage, const RunShared& shared);

}  // namespace lockstep::run
