// core.echo: logs a message and publishes it as the output "message", so that a pipeline can
// show where it is and hand a (interpolated) value on to later stages.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class Echo final : public Job {
 public:
  static JobType type() {
    return {.name = "echo",
            .doc = "Logs a message and publishes it as the output 'message'",
            .params = {ParamSpec::string("message").required().doc("what to log and publish")},
            .outputs = {{"message", "the message, as given"}}};
  }
  explicit Echo(const Params& params) : message_(params.get<std::string>("message")) {}

  void run(JobContext& context) override {
    context.log().info(message_);
    context.output("message", message_);
  }

 private:
  std::string message_;
};

}  // namespace

void add_echo(Registry& registry) { registry.add_job<Echo>(); }

}  // namespace lockstep::core
