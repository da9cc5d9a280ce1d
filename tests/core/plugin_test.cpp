// The core plugin as the loader sees it: where it is found, what it registers, what it documents.
#include <lockstep/version.hpp>

#include <algorithm>

#include "core_harness.hpp"

namespace lockstep::test {

TEST_CASE("the core plugin is found by name in lib/lockstep next to liblockstep") {
  const auto* core = core_registry().find_plugin("core");
  REQUIRE(core != nullptr);
  CHECK(core->path.filename() == "lockstep-core.so");
  CHECK(core->path.parent_path().filename() == "lockstep");
  CHECK(core->version == kVersionString);
  CHECK(core->lockstep_version == kVersionString);
}

TEST_CASE("the core plugin registers the job types a pipeline needs on day one") {
  const auto* core = core_registry().find_plugin("core");
  REQUIRE(core != nullptr);
  auto types = core->job_types;
  std::ranges::sort(types);
  CHECK(types == std::vector<std::string>{"core.command", "core.echo", "core.fail", "core.noop",
                                          "core.output", "core.output_list", "core.sleep",
                                          "core.write_file"});
}

TEST_CASE("every core job type and parameter has a doc, as `lockstep plugins` shows them") {
  for (const auto* type : core_registry().job_types()) {
    if (type->plugin != "core") continue;
    INFO(type->qualified_name);
    CHECK_FALSE(type->declaration.doc.empty());
    for (const auto& spec : type->declaration.params) {
      INFO(spec.name());
      CHECK_FALSE(spec.doc().empty());
    }
  }
}

TEST_CASE("bare names find core types: 'sleep' is 'core.sleep'") {
  CHECK(&core_type("sleep") == &core_type("core.sleep"));
}

}  // namespace lockstep::test
