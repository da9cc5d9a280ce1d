// plugin_mine — the plugin of the usage example of <lockstep/plugin/stage.hpp>, quoted verbatim
// (ctest example.header_usage_compiled checks that). Built as lockstep-mine.so beside the example
// program `plugin`, which loads it by path and runs a stage of kind mine.one_by_one.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
#include <lockstep/plugin.hpp>

// clang-format off
// One instance at a time, in order: what `kind: sequential` does.
class OneByOne final : public lockstep::StageKind {
 public:
  static lockstep::StageKindType type() { return {"one_by_one", "Runs instances in order"}; }
  explicit OneByOne(const lockstep::Params& /*with*/) {}
  void run(lockstep::StageContext& stage) override {
    while (auto instance = stage.next()) {
      stage.dispatch(*instance);
      stage.wait();
      if (stage.failed() && stage.stops_on_failure()) return;  // the rest end skipped
    }
  }
};

LOCKSTEP_PLUGIN("mine", "1.0.0", [](lockstep::Registry& registry) {
  registry.add_stage_kind<OneByOne>();        // pipelines say `kind: mine.one_by_one`
})
// clang-format on
