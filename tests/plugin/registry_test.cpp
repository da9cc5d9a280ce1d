// The registry: qualified names, bare lookups, ambiguity, unknown names, and the checks that make
// a malformed job type fail its plugin's registration.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <lockstep/plugin/job.hpp>
#include <lockstep/plugin/registry.hpp>

namespace lockstep::test {
namespace {

using Catch::Matchers::Contains;

class Noop final : public Job {
 public:
  explicit Noop(const Params&) {}
  void run(JobContext&) override {}
};

JobFactory noop_factory() {
  return
      [](const Params& params) -> std::unique_ptr<Job> { return std::make_unique<Noop>(params); };
}

JobType simple(std::string name, std::vector<ParamSpec> params = {}) {
  return {std::move(name), "does nothing", std::move(params)};
}

// Registers `types` as plugin `plugin`, the way the loader does.
void add_plugin(Registry& registry, const std::string& plugin,
                const std::vector<std::string>& types) {
  registry.begin_plugin({plugin, "1.0", "0.1.0", "/plugins/lockstep-" + plugin + ".so"});
  for (const auto& type : types) registry.add_job_type(simple(type), noop_factory());
  registry.end_plugin(true);
}

std::vector<std::string> names(const Registry& registry) {
  std::vector<std::string> result;
  for (const auto* type : registry.job_types()) result.push_back(type->qualified_name);
  return result;
}

TEST_CASE("types are qualified with their plugin's name", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep", "noop"});
  CHECK(names(registry) == std::vector<std::string>{"core.noop", "core.sleep"});

  auto found = registry.lookup_job_type("core.sleep");
  REQUIRE(found.job_type != nullptr);
  CHECK(found.job_type->qualified_name == "core.sleep");
  CHECK(found.job_type->plugin == "core");
  CHECK(found.job_type->declaration.name == "sleep");
  CHECK(found.error.empty());

  REQUIRE(registry.plugins().size() == 1);
  const auto* plugin = registry.find_plugin("core");
  REQUIRE(plugin != nullptr);
  CHECK(plugin->job_types == std::vector<std::string>{"core.sleep", "core.noop"});
  CHECK(plugin->path == "/plugins/lockstep-core.so");
  CHECK(registry.find_plugin("other") == nullptr);
}

TEST_CASE("types registered by the program itself belong to 'app'", "[registry]") {
  Registry registry;
  registry.add_job_type(simple("mine"), noop_factory());
  REQUIRE(registry.lookup_job_type("app.mine").job_type != nullptr);
  CHECK(registry.plugins().empty());
}

TEST_CASE("a bare name works when exactly one plugin has it", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep"});
  add_plugin(registry, "extra", {"fetch"});
  auto found = registry.lookup_job_type("fetch");
  REQUIRE(found.job_type != nullptr);
  CHECK(found.job_type->qualified_name == "extra.fetch");
}

TEST_CASE("a bare name two plugins have is an ambiguity naming both", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep"});
  add_plugin(registry, "extra", {"sleep"});
  auto found = registry.lookup_job_type("sleep");
  CHECK(found.job_type == nullptr);
  CHECK_THAT(found.error, Contains("'sleep' is ambiguous") && Contains("'core.sleep'") &&
                              Contains("'extra.sleep'"));
  CHECK_THAT(found.hint, Contains("plugin's name"));
  // Qualified, each is found.
  CHECK(registry.lookup_job_type("core.sleep").job_type != nullptr);
  CHECK(registry.lookup_job_type("extra.sleep").job_type != nullptr);
}

TEST_CASE("an unknown type is an error with a did-you-mean", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep", "command"});

  auto bare = registry.lookup_job_type("slep");
  CHECK(bare.job_type == nullptr);
  CHECK(bare.error == "unknown job type 'slep'");
  CHECK_THAT(bare.hint, Contains("did you mean 'sleep'?"));

  auto qualified = registry.lookup_job_type("core.comand");
  CHECK(qualified.job_type == nullptr);
  CHECK(qualified.hint == "did you mean 'core.command'?");

  auto nothing_close = registry.lookup_job_type("frobnicate");
  CHECK(nothing_close.job_type == nullptr);
  CHECK_THAT(nothing_close.hint, Contains("lockstep plugins"));
}

TEST_CASE("a type of a plugin that is not loaded says so", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep"});
  auto found = registry.lookup_job_type("http.get");
  CHECK(found.job_type == nullptr);
  CHECK_THAT(found.error, Contains("no plugin named 'http' is loaded"));
}

TEST_CASE("a declaration lookup finds a job type or a stage kind by name", "[registry]") {
  Registry registry;
  registry.begin_plugin({"core", "1.0", "0.1.0", "/plugins/lockstep-core.so"});
  registry.add_job_type(simple("output"), noop_factory());
  registry.add_stage_kind({"race", "first success wins"},
                          [](const Params&) -> std::unique_ptr<StageKind> { return nullptr; });
  registry.end_plugin(true);

  const auto job_type = registry.lookup_declaration("core.output");
  REQUIRE(job_type.job_type != nullptr);
  CHECK(job_type.job_type->qualified_name == "core.output");
  CHECK(job_type.stage_kind == nullptr);

  const auto stage_kind = registry.lookup_declaration("core.race");
  REQUIRE(stage_kind.stage_kind != nullptr);
  CHECK(stage_kind.job_type == nullptr);
  CHECK(registry.lookup_declaration("parallel").stage_kind != nullptr);  // built in

  const auto misspelt = registry.lookup_declaration("core.ouptut");
  CHECK(misspelt.job_type == nullptr);
  CHECK(misspelt.stage_kind == nullptr);
  CHECK(misspelt.error == "unknown job type or stage kind 'core.ouptut'");
  CHECK(misspelt.hint == "did you mean 'core.output'?");
  CHECK_THAT(registry.lookup_declaration("nope.nope").hint, Contains("lockstep plugins"));
}

TEST_CASE("a declaration name two plugins have is an ambiguity naming both", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep"});
  add_plugin(registry, "extra", {"sleep"});
  const auto found = registry.lookup_declaration("sleep");
  CHECK(found.job_type == nullptr);
  CHECK_THAT(found.error, Contains("'sleep' is ambiguous") && Contains("'core.sleep'") &&
                              Contains("'extra.sleep'"));
}

TEST_CASE("malformed job types are rejected", "[registry]") {
  Registry registry;
  registry.begin_plugin({"demo", "1.0", "0.1.0", "/x.so"});

  SECTION("names are lowercase letters, digits and '_'") {
    for (const char* bad : {"", "Sleep", "my-type", "a.b", "sp ace"}) {
      INFO("'" << bad << "'");
      CHECK_THROWS_AS(registry.add_job_type(simple(bad), noop_factory()), std::invalid_argument);
    }
    CHECK_THROWS_WITH(registry.add_job_type(simple("Bad-Name"), noop_factory()),
                      Contains("'Bad-Name'") && Contains("lowercase"));
    CHECK_NOTHROW(registry.add_job_type(simple("ok_2"), noop_factory()));
  }
  SECTION("a parameter declared twice") {
    CHECK_THROWS_WITH(
        registry.add_job_type(simple("t", {ParamSpec::string("x"), ParamSpec::integer("x")}),
                              noop_factory()),
        Contains("parameter 'x' is declared twice"));
  }
  SECTION("an output declared twice, or without a name") {
    auto twice = simple("t");
    twice.outputs = {{"url", "where"}, {"url", "again"}};
    CHECK_THROWS_WITH(registry.add_job_type(twice, noop_factory()),
                      Contains("declares the output 'url' twice"));
    auto nameless = simple("u");
    nameless.outputs = {{"", "what"}};
    CHECK_THROWS_WITH(registry.add_job_type(nameless, noop_factory()),
                      Contains("an output with no name"));
  }
  SECTION("a stage kind's output declared twice") {
    StageKindType kind{.name = "k", .outputs = {{"winner", "who"}, {"winner", "again"}}};
    CHECK_THROWS_WITH(
        registry.add_stage_kind(kind, [](const Params&) { return std::unique_ptr<StageKind>(); }),
        Contains("stage kind 'k' declares the output 'winner' twice"));
  }
  SECTION("a parameter without a name") {
    CHECK_THROWS_AS(registry.add_job_type(simple("t", {ParamSpec::string("")}), noop_factory()),
                    std::invalid_argument);
  }
  SECTION("a default of the wrong type") {
    CHECK_THROWS_WITH(
        registry.add_job_type(simple("t", {ParamSpec::integer("count").default_value("ten")}),
                              noop_factory()),
        Contains("default of parameter 'count'") && Contains("string") && Contains("integer"));
  }
  SECTION("required with a default") {
    CHECK_THROWS_WITH(
        registry.add_job_type(simple("t", {ParamSpec::string("x").required().default_value("y")}),
                              noop_factory()),
        Contains("required and has a default"));
  }
  SECTION("no factory") {
    CHECK_THROWS_WITH(registry.add_job_type(simple("t"), JobFactory{}), Contains("no factory"));
  }
  SECTION("the same type twice") {
    registry.add_job_type(simple("t"), noop_factory());
    CHECK_THROWS_WITH(registry.add_job_type(simple("t"), noop_factory()),
                      Contains("'demo.t' is registered twice"));
  }
  registry.end_plugin(true);
  // Whatever was rejected was not registered.
  for (const auto* type : registry.job_types()) {
    CHECK((type->qualified_name == "demo.ok_2" || type->qualified_name == "demo.t"));
  }
}

TEST_CASE("end_plugin(false) removes every type the plugin added", "[registry]") {
  Registry registry;
  add_plugin(registry, "core", {"sleep"});
  registry.begin_plugin({"broken", "1.0", "0.1.0", "/broken.so"});
  registry.add_job_type(simple("one"), noop_factory());
  registry.add_job_type(simple("two"), noop_factory());
  CHECK(registry.find_plugin("broken") != nullptr);  // visible while it registers
  registry.end_plugin(false);
  CHECK(names(registry) == std::vector<std::string>{"core.sleep"});
  CHECK(registry.find_plugin("broken") == nullptr);
  CHECK(registry.plugins().size() == 1);
}

}  // namespace
}  // namespace lockstep::test
