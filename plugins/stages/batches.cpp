// stages.batches: the stage's instances in waves of `size`, a barrier between waves. For work
// that must not all run at once even where the bulkhead could (rolling restarts, a database
// that takes N writers), and to stop early: a wave with a failure ends the stage before the
// next wave starts (unless the stage's on_failure is continue).
//
//   - name: restart
//     kind: stages.batches
//     with: { size: 2 }
//     jobs:
//       - id: node
//         type: command
//         foreach: { items: [a, b, c, d, e] }     # waves: a b | c d | e
//         params: { argv: [restart, "${item}"] }
#include <lockstep/plugin.hpp>

#include <cstdint>

#include "kinds.hpp"

namespace lockstep::stages {
namespace {

class Batches final : public StageKind {
 public:
  static StageKindType type() {
    return {"batches",
            "Runs the instances in waves of `size`, each wave after the one before has ended; "
            "stops after a wave with a failure unless the stage's on_failure is continue",
            {ParamSpec::integer("size").required().min(1).doc(
                "instances per wave: at most this many run at once")}};
  }
  explicit Batches(const Params& with) : size_(with.get<std::int64_t>("size")) {}

  void run(StageContext& stage) override {
    for (int wave = 1;; ++wave) {
      std::int64_t dispatched = 0;
      for (; dispatched < size_; ++dispatched) {
        auto instance = stage.next();
        if (!instance) break;
        if (!stage.dispatch(*instance)) return;  // stopping: the rest end skipped
      }
      if (dispatched == 0) return;
      stage.wait();  // the barrier between waves
      if (stage.failed() && stage.stops_on_failure()) {
        stage.log().warning("wave ", wave, " had a failure: the waves after it do not run");
        return;
      }
      if (dispatched < size_) return;  // that was the last wave
    }
  }

 private:
  std::int64_t size_;
};

}  // namespace

void add_batches(Registry& registry) { registry.add_stage_kind<Batches>(); }

}  // namespace lockstep::stages
