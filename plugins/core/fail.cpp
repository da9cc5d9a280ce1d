// core.fail: always fails, with a message of the user's choosing (for tests, demos and trying out
// failure policies and retries).
#include <lockstep/plugin.hpp>

#include <stdexcept>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class Fail final : public Job {
 public:
  static JobType type() {
    return {"fail",
            "Always fails, with the given message",
            {ParamSpec::string("message")
                 .doc("the failure's message")
                 .default_value("failed on purpose")}};
  }
  explicit Fail(const Params& params) : message_(params.get<std::string>("message")) {}

  void run(JobContext& /*context*/) override { throw std::runtime_error(message_); }

 private:
  std::string message_;
};

}  // namespace

void add_fail(Registry& registry) { registry.add_job<Fail>(); }

}  // namespace lockstep::core
