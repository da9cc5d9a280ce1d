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
    // Only `parallel` spreads its instances over ranks; the others' logic must run once (rank 0)
    // with instances anywhere: a later item.
    if (stage.kind != "parallel") {
      refuse(found, stage.where, "stage '" + stage.name + "': kind '" + stage.kind + "'");
    }
  }
  return found;
}

}  // namespace lockstep::inline LOCKSTEP_ABI
