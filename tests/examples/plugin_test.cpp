// The examples plugin as `lockstep` loads it: found by name, with its job types and every
// parameter documented.
#include <string>
#include <vector>

#include "examples_harness.hpp"

namespace lockstep::examples_test {
namespace {

TEST_CASE("the examples plugin loads by name with its three job types") {
  const auto* plugin = examples_registry().find_plugin("examples");
  REQUIRE(plugin != nullptr);
  CHECK(plugin->path.filename() == "lockstep-examples.so");
  CHECK(plugin->job_types == std::vector<std::string>{"examples.heat_relax", "examples.count_words",
                                                      "examples.merge_counts"});
}

TEST_CASE("every parameter of the examples' job types has a doc") {
  for (const char* name :
       {"examples.heat_relax", "examples.count_words", "examples.merge_counts"}) {
    const auto& type = job_type(name);
    INFO(name);
    CHECK_FALSE(type.declaration.doc.empty());
    for (const auto& spec : type.declaration.params) {
      INFO(spec.name());
      CHECK_FALSE(spec.doc().empty());
    }
  }
}

TEST_CASE("the examples' job types declare the parameters the example pipelines use") {
  auto names = [](std::string_view type) {
    std::vector<std::string> result;
    for (const auto& spec : job_type(type).declaration.params) result.push_back(spec.name());
    return result;
  };
  CHECK(names("examples.heat_relax") == std::vector<std::string>{"dir", "block", "blocks", "cells",
                                                                 "left", "right", "tolerance",
                                                                 "iteration", "sweeps"});
  CHECK(names("examples.count_words") == std::vector<std::string>{"input", "output_dir"});
  CHECK(names("examples.merge_counts") == std::vector<std::string>{"input_dir", "output", "top"});
}

}  // namespace
}  // namespace lockstep::examples_test
