// replicas.cpp — a lockstep plugin with one stage kind, replicas.quorum: it writes to every
// replica at once and is done as soon as `need` of them succeeded; the others are cancelled.
#include <lockstep/plugin.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

class Quorum final : public lockstep::StageKind {
 public:
  static lockstep::StageKindType type() {
    using lockstep::ParamSpec;
    return {"quorum",
            "Runs every instance at once; done as soon as `need` of them succeeded",
            {ParamSpec::integer("need").required().min(1).doc("successes that make a quorum")}};
  }

  explicit Quorum(const lockstep::Params& with) : need_(with.get<std::int64_t>("need")) {}

  void run(lockstep::StageContext& stage) override {
    while (acks_ < need_) {
      if (auto instance = stage.next()) {
        if (!stage.dispatch(*instance)) return;      // the stage is stopping: the rest end skipped
        count(stage.next_ended(/*block=*/false));    // what ended meanwhile, if anything
      } else if (auto ended = stage.next_ended()) {  // all dispatched: wait for the next end
        count(ended);
      } else {
        break;  // every replica ended
      }
    }
    stage.output("acks", std::to_string(acks_));  // later stages read <stage>.stage.acks
    if (acks_ < need_) {
      throw std::runtime_error("no quorum: " + std::to_string(acks_) + " of " +
                               std::to_string(stage.size()) + " replicas succeeded, " +
                               std::to_string(need_) + " needed");
    }
    stage.cancel();  // the replicas still writing are not needed any more...
    while (auto late = stage.next()) stage.dispatch(*late);  // ...nor those not started
  }

 private:
  void count(const std::optional<lockstep::EndedInstance>& ended) {
    if (ended && ended->state == lockstep::JobState::succeeded) ++acks_;
  }

  std::int64_t need_;
  std::int64_t acks_ = 0;
};

LOCKSTEP_PLUGIN("replicas", "1.0.0", [](lockstep::Registry& registry) {
  registry.add_stage_kind<Quorum>();  // pipelines say `kind: replicas.quorum`, or `quorum`
})
