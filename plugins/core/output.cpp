// core.output: publishes fixed values as outputs. A pipeline declares in one place the values
// that later stages read or fan out over, instead of repeating them in every job.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class Output final : public Job {
 public:
  static JobType type() {
    return {"output",
            "Publishes each key and value of 'values' as an output",
            {ParamSpec::string_map("values").required().doc(
                "the outputs to publish: {KEY: value, ...}")}};
  }
  explicit Output(const Params& params) : values_(params.get<StringMap>("values")) {}

  void run(JobContext& context) override {
    for (const auto& [key, value] : values_) {
      context.log().debug(key, " = ", value);
      context.output(key, value);
    }
  }

 private:
  StringMap values_;
};

}  // namespace

void add_output(Registry& registry) { registry.add_job<Output>(); }

}  // namespace lockstep::core
