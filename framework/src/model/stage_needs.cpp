#include "lockstep/export.hpp"

#include <string_view>
#include <unordered_map>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::vector<std::vector<std::size_t>> stage_needs(const Pipeline& pipeline) {
  const auto& stages = pipeline.stages;
  std::unordered_map<std::string_view, std::size_t> index;  // linear on any number of stages
  for (std::size_t s = 0; s < stages.size(); ++s) index.emplace(stages[s].name, s);
  std::vector<std::vector<std::size_t>> needs(stages.size());
  for (std::size_t s = 0; s < stages.size(); ++s) {
    if (!stages[s].needs) {
      if (s > 0) needs[s].push_back(s - 1);
      continue;
    }
    for (const auto& need : *stages[s].needs) {
      const auto found = index.find(need.stage);
      if (found != index.end()) needs[s].push_back(found->second);
    }
  }
  return needs;
}

}  // namespace lockstep
