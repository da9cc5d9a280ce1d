#include "run/stage_run.hpp"

#include <thread>

#include "run/feeder.hpp"
#include "run/job_plan.hpp"

namespace lockstep::run {

StageRun::StageRun(const StageSpec& stage, int iteration, RunShared& shared)
    : stage_(stage), iteration_(iteration), shared_(shared) {}

StageRun::~StageRun() = default;

void StageRun::record_failure(const JobSpec& /*job*/) noexcept {
  failed_.store(true, std::memory_order_relaxed);
  if (stage_.on_failure == OnFailure::stop) stopping_.store(true, std::memory_order_relaxed);
}

void StageRun::add(const StateCounts& counts) noexcept {
  for (std::size_t s = 0; s < kJobStateCount; ++s) {
    if (counts.by_state[s] != 0) {
      counts_[s].fetch_add(counts.by_state[s], std::memory_order_relaxed);
    }
  }
}

std::string StageRun::instance_id(const JobPlan& plan, std::uint64_t index) const {
  std::string id = stage_.name;
  if (stage_.repeat) id += "@" + std::to_string(iteration_);
  id += '/';
  id += plan.spec.id;
  if (plan.spec.foreach.kind != FanOut::Kind::none) {
    id += '[';
    id += std::to_string(index);
    id += ']';
  }
  return id;
}

StageOutcome StageRun::run() {
  // Instances are counted from what exists now: the outputs and files of earlier stages.
  std::vector<std::unique_ptr<Feeder>> feeders;
  for (const auto& job : stage_.jobs) {
    auto& bulkhead = shared_.engine.bulkhead(job.bulkhead);
    plans_.push_back(std::make_unique<JobPlan>(JobPlan{
        job, InstanceSource(job.foreach, shared_.outputs), bulkhead, stage_.name + "." + job.id}));
    Feeder* feeder = nullptr;
    for (auto& f : feeders) {
      if (&f->bulkhead() == &bulkhead) feeder = f.get();
    }
    if (feeder == nullptr) {
      feeders.push_back(std::make_unique<Feeder>(*this, bulkhead));
      feeder = feeders.back().get();
    }
    feeder->add(*plans_.back());
  }
  {
    // One thread per bulkhead beyond the first; this thread feeds the first.
    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < feeders.size(); ++i) {
      threads.emplace_back([&feeder = *feeders[i]] { feeder.run(); });
    }
    if (!feeders.empty()) feeders.front()->run();
  }
  StageOutcome outcome;
  for (std::size_t s = 0; s < kJobStateCount; ++s) outcome.counts.by_state[s] = counts_[s].load();
  outcome.failed = failed_.load();
  outcome.until_reached = until_reached_.load();
  return outcome;
}

std::uint64_t count_instances(const StageSpec& stage, const RunShared& shared) {
  std::uint64_t total = 0;
  for (const auto& job : stage.jobs) {
    total += InstanceSource(job.foreach, shared.outputs).size();
  }
  return total;
}

}  // namespace lockstep::run
