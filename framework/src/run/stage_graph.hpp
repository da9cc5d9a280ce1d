// Which stages may start, as stages end: a stage is ready once every stage it needs has ended,
// and never starts when a stage it needs, directly or not, blocks its dependents (it stopped).
// Plain bookkeeping, no threads: the runner calls it from its own thread.
//
//   run::StageGraph graph(stage_needs(pipeline));
//   graph.take_ready(ready);                      // the stages that need nothing, in order
//   graph.ended(s, status == StageStatus::stopped);
//   ...                                           // until nothing runs
//   if (!graph.started(s)) skip(s);               // blocked, or never ready (interrupted)
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

namespace lockstep::run {

class StageGraph {
 public:
  // needs[s]: the stages stage s needs (lockstep::stage_needs); the graph has no cycle.
  explicit StageGraph(std::vector<std::vector<std::size_t>> needs);

  // Appends to `into` the stages that became ready since the last call, in pipeline order; each
  // once, and counted as started. (No allocation once warm: it runs between any two stages.)
  void take_ready(std::deque<std::size_t>& into);
  // `stage` ended; with `blocks_dependents`, every stage that needs it, directly or not, will
  // never be ready.
  void ended(std::size_t stage, bool blocks_dependents);
  bool started(std::size_t stage) const { return state_[stage] != State::waiting; }
  bool blocked(std::size_t stage) const { return blocked_[stage]; }
  // The most stages that can be ready at once: 1 for a chain.
  std::size_t widest() const noexcept { return widest_; }

 private:
  enum class State : unsigned char { waiting, started, ended };
  void block_dependents(std::size_t stage);

  std::vector<std::vector<std::size_t>> dependents_;  // by stage: the stages that need it
  std::vector<std::size_t> waiting_for_;              // by stage: needs not ended yet
  std::vector<State> state_;
  std::vector<bool> blocked_;
  std::vector<std::size_t> ready_;  // ready, not taken
  std::size_t widest_ = 1;
};

}  // namespace lockstep::run
