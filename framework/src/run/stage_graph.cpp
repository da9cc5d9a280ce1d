#include "run/stage_graph.hpp"

#include <algorithm>

#include "exec/assert.hpp"

namespace lockstep::run {

StageGraph::StageGraph(std::vector<std::vector<std::size_t>> needs)
    : dependents_(needs.size()),
      waiting_for_(needs.size(), 0),
      state_(needs.size(), State::waiting),
      blocked_(needs.size(), false) {
  std::size_t sources = 0;
  std::size_t forks = 0;
  for (std::size_t s = 0; s < needs.size(); ++s) {
    waiting_for_[s] = needs[s].size();
    for (const auto need : needs[s]) dependents_[need].push_back(s);
    if (needs[s].empty()) {
      ready_.push_back(s);
      ++sources;
    }
  }
  // An upper bound that is 1 for a chain: the sources, plus one for each stage that more than
  // one stage needs (each can fan out).
  for (const auto& dependents : dependents_) {
    forks += dependents.size() > 1 ? dependents.size() - 1 : 0;
  }
  widest_ = std::max<std::size_t>(1, std::min(needs.size(), sources + forks));
}

void StageGraph::take_ready(std::deque<std::size_t>& into) {
  std::ranges::sort(ready_);
  for (const auto s : ready_) {
    state_[s] = State::started;
    into.push_back(s);
  }
  ready_.clear();
}

void StageGraph::ended(std::size_t stage, bool blocks_dependents) {
  LOCKSTEP_ASSERT(state_[stage] == State::started, "a stage ends once, after it started");
  state_[stage] = State::ended;
  if (blocks_dependents) block_dependents(stage);
  for (const auto dependent : dependents_[stage]) {
    LOCKSTEP_ASSERT(waiting_for_[dependent] > 0, "each need of a stage ends once");
    if (--waiting_for_[dependent] == 0 && !blocked_[dependent]) ready_.push_back(dependent);
  }
}

void StageGraph::block_dependents(std::size_t stage) {
  std::vector<std::size_t> next{stage};
  while (!next.empty()) {
    const auto s = next.back();
    next.pop_back();
    for (const auto dependent : dependents_[s]) {
      if (blocked_[dependent]) continue;
      blocked_[dependent] = true;
      next.push_back(dependent);
    }
  }
}

}  // namespace lockstep::run
