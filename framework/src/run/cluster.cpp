// What a cluster run (RunOptions::cluster) refuses: everything this slice of issue 16 does not
// carry across ranks. Refused before any job runs, never run with a wrong result.
#include "lockstep/pipeline/cluster.hpp"

#include <algorithm>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::uint64_t guided_chunk_size(std::uint64_t remaining, int ranks, int workers) {
  if (workers <= 0) return remaining;
  return std::max<std::uint64_t>(
      1, remaining / (2 * static_cast<std::uint64_t>(std::max(ranks, 1)) *
                      static_cast<std::uint64_t>(workers)));
}

Cluster::~Cluster() = default;

namespace {

void refuse(std::vector<std::string>& found, const SourceLocation& where, const std::string& what) {
  auto line = to_string(where);
  if (!line.empty()) line += ": ";
  found.push_back(line + what + " is not supported under MPI yet");
}

}  // namespace

std::vector<std::string> unsupported_on_cluster(const Pipeline& pipeline) {
  std::vector<std::string> found;
  for (const auto& stage : pipeline.stages) {
    // Every stage kind runs: `parallel` on every rank, the others on rank 0 with their instances
    // on any rank (run/stage_on_rank0.cpp).
    for (const auto& job : stage.jobs) {
      const auto& fan_out = job.foreach;
      if (fan_out.kind == FanOut::Kind::files) {
        // Each rank would list the files itself: two nodes may see different ones.
        refuse(found, fan_out.where, "job '" + job.id + "': foreach files");
      }
    }
  }
  return found;
}

}  // namespace lockstep::inline LOCKSTEP_ABI
