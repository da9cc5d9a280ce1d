// stages.race: every instance runs at once; the first to succeed wins and the others are
// cancelled. For redundant requests to mirrors, or alternative strategies for one answer:
//
//   - name: fetch
//     kind: stages.race
//     jobs:
//       - id: mirror
//         type: command
//         foreach: { items: [eu, us, asia] }
//         params: { argv: [fetch, "--from", "${item}"] }
//   # later: ${fetch.stage.winner} is "fetch/mirror[1]", ${fetch.stage.winner_index} is "1"
//
// The race owns its failures (StageContext::own_failures): a racer that fails is recorded as
// failed, but neither stops the race nor fails the stage once another racer won. When nobody
// won, the stage fails with "no instance of the race succeeded", and on_failure applies.
#include <lockstep/plugin.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "kinds.hpp"

namespace lockstep::stages {
namespace {

class Race final : public StageKind {
 public:
  static StageKindType type() {
    return {.name = "race",
            .doc =
                "Runs every instance at once; the first to succeed wins (published as the stage "
                "output 'winner') and the others are cancelled",
            .outputs = {{"winner", "the id of the instance that won"},
                        {"winner_index", "its index in the stage's instances"}}};
  }
  explicit Race(const Params& /*with*/) {}

  void run(StageContext& stage) override {
    if (stage.size() == 0) return;  // nobody ran, nobody lost (an empty fan-out)
    stage.own_failures();
    dispatch_until_won(stage);
    while (!winner_) {
      auto ended = stage.next_ended();
      if (!ended) break;  // every racer ended
      consider(*ended);
    }
    if (winner_) {
      declare(stage);
    } else if (!stage.stopping()) {  // (stopping here: the run is being interrupted)
      throw std::runtime_error("no instance of the race succeeded");
    }
  }

 private:
  // Dispatches racers while nobody has won, looking for a winner between dispatches: a racer
  // that wins while later ones wait for room in the bulkhead ends the race before they start.
  void dispatch_until_won(StageContext& stage) {
    while (!winner_) {
      auto instance = stage.next();
      if (!instance || !stage.dispatch(*instance)) return;  // all dispatched, or stopping
      while (!winner_) {
        auto ended = stage.next_ended(/*block=*/false);
        if (!ended) break;
        consider(*ended);
      }
    }
  }

  void consider(const EndedInstance& ended) {
    if (ended.state == JobState::succeeded) winner_ = ended;
  }

  void declare(StageContext& stage) {
    stage.cancel();  // the racers still running or queued end as cancelled
    // The racers never dispatched lost too: dispatching them after cancel() ends each as
    // cancelled at once (left alone they would end as skipped, as if the stage had stopped).
    std::uint64_t late = 0;
    while (auto instance = stage.next()) {
      stage.dispatch(*instance);
      ++late;
    }
    stage.output("winner", winner_->id);
    stage.output("winner_index", std::to_string(winner_->instance.index));
    stage.log().info(winner_->id, " won the race of ", stage.size(), " instances",
                     late > 0 ? " (" + std::to_string(late) + " never started)" : std::string());
  }

  std::optional<EndedInstance> winner_;
};

}  // namespace

void add_race(Registry& registry) { registry.add_stage_kind<Race>(); }

}  // namespace lockstep::stages
