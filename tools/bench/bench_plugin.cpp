// The `bench` plugin: bench.spin, the ~1 µs job of case pipeline_small_jobs. It runs the same
// body as every engine case (work.hpp: a dependent xorshift chain of `iters` steps), so that the
// YAML case measures the framework's cost per instance against exactly the work the others do.
// Built for lockstep-bench only: it goes next to the benchmark's build files, never where
// `lockstep` looks for plugins, and is never installed.
#include <lockstep/plugin.hpp>

#include <cstdint>

#include "work.hpp"

namespace {

class Spin final : public lockstep::Job {
 public:
  static lockstep::JobType type() {
    return {"spin",
            "Runs `iters` steps of the benchmark's xorshift chain (lockstep-bench calibrates "
            "the count to about 1 µs)",
            {lockstep::ParamSpec::integer("iters").required().min(0).doc(
                "steps of the chain; 0: an empty job")}};
  }
  explicit Spin(const lockstep::Params& params)
      : iters_(static_cast<std::uint32_t>(params.get<std::int64_t>("iters"))) {}
  void run(lockstep::JobContext& context) override {
    lockstep_bench::job_body(iters_, context.index());
  }

 private:
  std::uint32_t iters_;
};

}  // namespace

LOCKSTEP_PLUGIN("bench", lockstep::kVersionString,
                [](lockstep::Registry& registry) { registry.add_job<Spin>(); })
