#include "stage/builtin_kinds.hpp"

namespace lockstep::inline LOCKSTEP_ABI {
namespace {

// Every instance at once, as far as the bulkheads admit them; the framework's barrier ends it.
class Parallel final : public StageKind {
 public:
  static StageKindType type() {
    return {"parallel",
            "Dispatches every instance as soon as its bulkhead has room (the default kind)"};
  }
  explicit Parallel(const Params& /*with*/) {}
  void run(StageContext& stage) override {
    stage.dispatch_rest();
    stage.wait();
  }
};

// One instance at a time, in stream order; a failure that stops the stage stops the loop, and
// the instances after it end as skipped.
class Sequential final : public StageKind {
 public:
  static StageKindType type() {
    return {"sequential",
            "Runs one instance at a time, in order; stops at the first failure unless the stage's "
            "on_failure is continue"};
  }
  explicit Sequential(const Params& /*with*/) {}
  void run(StageContext& stage) override {
    while (auto instance = stage.next()) {
      stage.dispatch(*instance);
      stage.wait();
      if (stage.failed() && stage.stops_on_failure()) return;
    }
  }
};

template <class K>
RegisteredStageKind builtin() {
  auto type = K::type();
  auto name = type.name;
  return {name, "", std::move(type), [](const Params& with) -> std::unique_ptr<StageKind> {
            return std::make_unique<K>(with);
          }};
}

}  // namespace

std::vector<RegisteredStageKind> builtin_stage_kinds() {
  return {builtin<Parallel>(), builtin<Sequential>()};
}

const RegisteredStageKind& builtin_parallel() {
  static const RegisteredStageKind kind = builtin<Parallel>();
  return kind;
}

StageContext::~StageContext() = default;
StageKind::~StageKind() = default;

}  // namespace lockstep
