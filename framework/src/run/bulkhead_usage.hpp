// How one stage used its bulkheads: a snapshot of each one's statistics when the stage starts
// (restarting its peaks), and the difference when it ends.
//
//   run::BulkheadUsageMeter usage(engine, run::bulkheads_of(pipeline, stage));
//   ...                                             // the stage's iterations run
//   summary.bulkheads = usage.finish(summary.wall);
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lockstep/engine/duration_histogram.hpp"
#include "lockstep/engine/engine.hpp"
#include "lockstep/export.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::run {

// The bulkheads the stage's jobs run on, each once, in the pipeline's order of bulkheads.
std::vector<std::string> bulkheads_of(const Pipeline& pipeline, const StageSpec& stage);

// Percentiles of the queue waits between two snapshots of a bulkhead's histogram, the same as
// (after - before).percentile(q) gives, in one pass over the buckets rather than seven: the
// runner measures every iteration of a repeated stage, and a round may take only microseconds.
struct WaitPercentiles {
  std::chrono::nanoseconds p50{}, p95{}, p99{};
};
LOCKSTEP_INTERNAL_API WaitPercentiles wait_percentiles(const DurationHistogram& after,
                                                       const DurationHistogram& before);

class BulkheadUsageMeter {
 public:
  // Names the engine does not know are left out.
  BulkheadUsageMeter(Engine& engine, const std::vector<std::string>& names);

  // What happened since construction; `wall` is the stage's wall time, for utilisation.
  std::vector<BulkheadUsage> finish(std::chrono::nanoseconds wall) const;

 private:
  struct Start {
    Bulkhead* bulkhead = nullptr;
    BulkheadStats stats{};
  };
  std::vector<Start> starts_;
};

}  // namespace lockstep::run
