// stages.canary: the first `count` instances run first; the rest run only when every one of
// them succeeded. For deploys and migrations: try the change on one target before all of them.
//
//   - name: deploy
//     kind: stages.canary
//     with: { count: 1 }
//     jobs:
//       - id: host
//         type: command
//         foreach: { items: [web1, web2, web3, web4] }   # web1 first; the rest if it worked
//         params: { argv: [deploy, "${item}"] }
//
// With a canary that did not succeed, the other instances are never dispatched: each ends as
// skipped and is counted. That holds even with `on_failure: continue` (the stage then fails and
// the run goes on) and with `continue_on_error` on the job (the stage then succeeds, having run
// only its canaries): a canary's purpose is to keep the rest from running.
#include <lockstep/plugin.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "kinds.hpp"

namespace lockstep::stages {
namespace {

class Canary final : public StageKind {
 public:
  static StageKindType type() {
    return {
        "canary",
        "Runs the first `count` instances; the rest only if every one of them succeeded",
        {ParamSpec::integer("count").min(1).default_value(1).doc("how many instances go first")}};
  }
  explicit Canary(const Params& with) : count_(with.get<std::int64_t>("count")) {}

  void run(StageContext& stage) override {
    std::uint64_t dispatched = 0;
    for (; dispatched < static_cast<std::uint64_t>(count_); ++dispatched) {
      auto instance = stage.next();
      if (!instance) return;  // every instance was a canary
      if (!stage.dispatch(*instance)) return;
    }
    std::vector<EndedInstance> bad;
    while (auto ended = stage.next_ended()) {
      if (ended->state != JobState::succeeded) bad.push_back(std::move(*ended));
    }
    const auto rest = stage.size() - dispatched;
    if (!bad.empty()) {
      report(stage, bad, rest);
      return;  // the rest are never dispatched: they end as skipped
    }
    if (rest == 0) return;
    stage.log().info("the canary succeeded: running the other ", rest, " instances");
    stage.dispatch_rest();
    stage.wait();
  }

 private:
  static void report(StageContext& stage, const std::vector<EndedInstance>& bad,
                     std::uint64_t rest) {
    for (const auto& ended : bad) {
      stage.log().error("canary ", ended.id, " ", to_string(ended.state),
                        ended.message.empty() ? std::string() : ": " + ended.message);
    }
    stage.log().error(bad.size(), bad.size() == 1 ? " canary" : " canaries",
                      " did not succeed: the other ", rest, " instances do not run");
  }

  std::int64_t count_;
};

}  // namespace

void add_canary(Registry& registry) { registry.add_stage_kind<Canary>(); }

}  // namespace lockstep::stages
