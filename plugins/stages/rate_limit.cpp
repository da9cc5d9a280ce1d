// stages.rate_limit: dispatches at most `per_second` instances a second, for jobs that call an
// external API with a request quota. Dispatches are paced on a steady clock, each at least
// 1/per_second after the previous one was admitted to its bulkhead, so the rate holds after a
// wait for room too (no burst to catch up).
//
//   - name: notify
//     kind: stages.rate_limit
//     with: { per_second: 5 }
//     bulkhead: api                   # enough workers that an admitted instance starts at once
//     jobs:
//       - id: post
//         type: command
//         foreach: { range: { from: 0, to: 100 } }
//         params: { argv: [notify, "${item}"] }
//
// What is paced is admission to the bulkhead: an instance that waits in the bulkhead's queue
// starts when a worker frees up, so with fewer workers than the rate needs, queued instances
// can start closer together. When the stage stops (a failure, or an interrupt) pacing ends and
// the instances not yet dispatched end as skipped.
#include <lockstep/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

#include "kinds.hpp"

namespace lockstep::stages {
namespace {

using Clock = std::chrono::steady_clock;

class RateLimit final : public StageKind {
 public:
  static StageKindType type() {
    return {"rate_limit",
            "Dispatches at most `per_second` instances a second, evenly spaced",
            {ParamSpec::number("per_second")
                 .required()
                 .min(0.001)
                 .doc("instances dispatched per second; 0.5 is one every two seconds")}};
  }
  explicit RateLimit(const Params& with)
      : interval_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(1.0 / with.get<double>("per_second")))) {}

  void run(StageContext& stage) override {
    std::optional<Clock::time_point> next_allowed;  // none before the first dispatch
    for (std::uint64_t taken = 0; taken < stage.size(); ++taken) {
      // Paced before taking the instance: one taken from the stream is dispatched.
      if (next_allowed && !sleep_until(stage, *next_allowed)) return;
      auto instance = stage.next();
      if (!instance || !stage.dispatch(*instance)) return;
      // From when dispatch() returned, i.e. after the instance was admitted.
      next_allowed = Clock::now() + interval_;
    }
  }

 private:
  // Sleeps until `deadline` in short steps, to notice a stage that stops meanwhile. Returns
  // false when the stage is stopping.
  static bool sleep_until(StageContext& stage, Clock::time_point deadline) {
    constexpr auto kStep = std::chrono::milliseconds(20);
    for (auto now = Clock::now(); now < deadline; now = Clock::now()) {
      if (stage.stopping()) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, kStep));
    }
    return !stage.stopping();
  }

  Clock::duration interval_;
};

}  // namespace

void add_rate_limit(Registry& registry) { registry.add_stage_kind<RateLimit>(); }

}  // namespace lockstep::stages
