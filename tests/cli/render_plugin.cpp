// The test plugin "cli_render": one job type whose parameters use every type, every kind of
// default and every constraint, so that the tests can check how `lockstep plugins` shows each.
#include <lockstep/plugin.hpp>

#include <chrono>

namespace {

using lockstep::ParamSpec;

class AllTypes final : public lockstep::Job {
 public:
  static lockstep::JobType type() {
    using namespace std::chrono_literals;
    return {
        "all_types",
        "Declares one parameter of each type",
        {
            ParamSpec::string("must").required().doc("a required one"),
            ParamSpec::string("mode")
                .one_of({"fast", "safe"})
                .default_value("safe")
                .doc("a choice"),
            ParamSpec::string("label").default_value("two words").doc("a default with a space"),
            ParamSpec::integer("count").range(1, 10).default_value(std::int64_t{3}).doc("how many"),
            ParamSpec::integer("limit").max(100).doc("optional, bounded above"),
            ParamSpec::number("ratio").min(0.5).default_value(0.75).doc("a fraction"),
            ParamSpec::boolean("flag").default_value(true).doc("a switch"),
            ParamSpec::duration("wait")
                .range(0.25, 3600)
                .default_value(lockstep::Duration(5s))
                .doc("a bounded duration"),
            ParamSpec::string_list("tags")
                .one_of({"x", "y"})
                .default_value(lockstep::StringList{"x"})
                .doc("allowed values apply to each element"),
            ParamSpec::string_map("env")
                .default_value(lockstep::StringMap{{"K", "v"}})
                .doc("a map"),
        }};
  }
  explicit AllTypes(const lockstep::Params&) {}
  void run(lockstep::JobContext&) override {}
};

class Bare final : public lockstep::Job {
 public:
  static lockstep::JobType type() { return {"bare", "", {}}; }
  explicit Bare(const lockstep::Params&) {}
  void run(lockstep::JobContext&) override {}
};

}  // namespace

LOCKSTEP_PLUGIN("cli_render", "0.0.1", [](lockstep::Registry& registry) {
  registry.add_job<AllTypes>();
  registry.add_job<Bare>();
})
