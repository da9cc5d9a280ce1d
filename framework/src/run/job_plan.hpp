// One job of a stage, ready to run: its instances and where they go.
#pragma once

#include <string>

#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/reuse.hpp"
#include "run/instance_source.hpp"

namespace lockstep::run {

struct JobPlan {
  const JobSpec& spec;
  InstanceSource source;
  Bulkhead& bulkhead;
  std::string output_name;  // "stage.job": where its outputs are published
  const JobReuse* reuse = nullptr;  // its instances that end succeeded without running
  bool skipped = false;             // its `if:` is false: it has no instances to run
};

}  // namespace lockstep::run
