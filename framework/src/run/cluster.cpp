// The cluster's helpers: the size of a guided chunk, and what a cluster run (RunOptions::cluster)
// would refuse before any job runs, never run with a wrong result.
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

// Nothing a pipeline says is refused any more: every stage kind runs (`parallel` on every rank,
// the others' logic on rank 0 with their instances on any rank: run/stage_on_rank0.cpp), files
// are listed by rank 0 (run/instance_source.cpp), and outputs cross ranks at each stage's end.
// Kept for what a later feature cannot carry across ranks: its line, its location first.
std::vector<std::string> unsupported_on_cluster(const Pipeline& /*pipeline*/) { return {}; }

}  // namespace lockstep::inline LOCKSTEP_ABI
