// plugin_hello — the plugin of the usage examples of <lockstep/plugin.hpp> and
// <lockstep/plugin/manifest.hpp>, quoted verbatim (ctest example.header_usage_compiled checks
// that). Built as lockstep-hello.so beside the example program `plugin`, which loads it by path
// and runs hello.greet.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
#include <lockstep/plugin.hpp>

#include <string>

// clang-format off
class Greet final : public lockstep::Job {
 public:
  static lockstep::JobType type() {
    return {"greet", "Logs a greeting",
            {lockstep::ParamSpec::string("name").doc("who to greet").default_value("world")}};
  }
  explicit Greet(const lockstep::Params& p) : name_(p.get<std::string>("name")) {}
  void run(lockstep::JobContext& ctx) override { ctx.log().info("hello, ", name_); }

 private:
  std::string name_;
};

LOCKSTEP_PLUGIN("hello", "1.0.0", [](lockstep::Registry& registry) {
  registry.add_job<Greet>();  // pipelines say "hello.greet"
})
// clang-format on
