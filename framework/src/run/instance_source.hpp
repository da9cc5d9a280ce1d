// The instances of one job of a stage: how many, and the item of instance i, made on demand.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/plugin/job.hpp"

namespace lockstep::run {

class InstanceSource {
 public:
  // Reads what a fan-out depends on at the start of its stage: the outputs it fans out over, the
  // files its pattern matches. Under a cluster (every rank at once: it is collective for a files
  // fan-out), the files rank 0 sees, on every rank: two nodes may see different ones, and the
  // ranks must agree on what each index is.
  InstanceSource(const FanOut& fan_out, const Outputs& outputs, Cluster* cluster = nullptr);

  std::uint64_t size() const noexcept { return size_; }
  // None of them is made: the job's `if:` is false (they are counted as skipped instead).
  void make_none() noexcept { size_ = 0; }
  // The item of instance `index` (< size()): a pure function of the index.
  Item item(std::uint64_t index) const;

 private:
  const FanOut* fan_out_;
  std::uint64_t size_ = 1;
  std::vector<std::string> values_;  // from_outputs values or matching file paths
};

}  // namespace lockstep::run
