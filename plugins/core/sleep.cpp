// core.sleep: waits, and wakes at once when cancelled (a stand-in for a slow job in demos, and a
// way to space stages out).
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class Sleep final : public Job {
 public:
  static JobType type() {
    return {"sleep",
            "Waits for a while; ends as cancelled at once when cancelled",
            {ParamSpec::duration("duration").required().doc("how long to wait: 250ms, 5s, 1m")}};
  }
  explicit Sleep(const Params& params) : duration_(params.get<Duration>("duration")) {}

  void run(JobContext& context) override {
    if (!context.sleep_for(duration_)) throw Cancelled{};
  }

 private:
  Duration duration_;
};

}  // namespace

void add_sleep(Registry& registry) { registry.add_job<Sleep>(); }

}  // namespace lockstep::core
