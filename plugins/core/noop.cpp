// core.noop: does nothing and succeeds. For trying out stages, bulkheads and fan-out, and for
// measuring the framework's own overhead per job.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class Noop final : public Job {
 public:
  static JobType type() { return {"noop", "Does nothing and succeeds"}; }
  explicit Noop(const Params& /*params*/) {}
  void run(JobContext& /*context*/) override {}
};

}  // namespace

void add_noop(Registry& registry) { registry.add_job<Noop>(); }

}  // namespace lockstep::core
