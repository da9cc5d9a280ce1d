// core.output_list: publishes a list under one key, so that a later stage fans out over its
// elements (from_outputs) without one instance per element here.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

class OutputList final : public Job {
 public:
  static JobType type() {
    return {"output_list",
            "Publishes 'values' as one list output named 'key'",
            {ParamSpec::string("key").required().doc("the output's name"),
             ParamSpec::string_list("values").required().doc(
                 "its elements: a from_outputs fan-out makes an instance of each")}};
  }
  explicit OutputList(const Params& params)
      : key_(params.get<std::string>("key")), values_(params.get<StringList>("values")) {}

  void run(JobContext& context) override {
    context.log().debug(key_, ": ", values_.size(), " values");
    context.output(key_, values_);  // StringList is a std::vector<std::string>: a list
  }

 private:
  std::string key_;
  StringList values_;
};

}  // namespace

void add_output_list(Registry& registry) { registry.add_job<OutputList>(); }

}  // namespace lockstep::core
