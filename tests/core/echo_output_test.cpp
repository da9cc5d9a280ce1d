// core.echo, core.output and core.output_list: values published for later stages, in
// lockstep::Outputs.
#include "core_harness.hpp"

namespace lockstep::test {

TEST_CASE("echo logs its message and publishes it as the output 'message'") {
  Harness harness;
  auto result = harness.run("core.echo", {param("message", "hello from stage one")});
  CHECK(result.ok());
  CHECK(harness.log.texts(Logger::Level::info) == std::vector<std::string>{"hello from stage one"});
  CHECK(harness.outputs.get("stage.job.message") == "hello from stage one");
}

TEST_CASE("echo requires a message") {
  CHECK_THAT(validation_errors(core_type("core.echo"), {}),
             Catch::Contains("missing required parameter 'message'"));
}

TEST_CASE("output publishes each of its values under its key") {
  Harness harness;
  auto result = harness.run("core.output",
                            {map_param("values", {{"region", "eu-west"}, {"shards", "a,b,c"}})});
  CHECK(result.ok());
  CHECK(harness.outputs.get("stage.job.region") == "eu-west");
  CHECK(harness.outputs.get("stage.job.shards") == "a,b,c");
  CHECK_FALSE(harness.outputs.get("stage.job.values").has_value());
}

TEST_CASE("output's values must be a map of strings") {
  CHECK_THAT(validation_errors(core_type("core.output"), {param("values", "region=eu")}),
             Catch::Contains("parameter 'values' must be a map of strings"));
  CHECK_THAT(validation_errors(core_type("core.output"), {}),
             Catch::Contains("missing required parameter 'values'"));
}

TEST_CASE("output_list publishes its values as one list under its key") {
  Harness harness;
  auto result = harness.run("core.output_list",
                            {param("key", "files"), list_param("values", {"a.txt", "b.txt"})});
  CHECK(result.ok());
  CHECK(harness.outputs.values("stage.job.files") == std::vector<std::string>{"a.txt", "b.txt"});
  CHECK(harness.outputs.get("stage.job.files") == "b.txt");
}

TEST_CASE("output_list requires a key and a list") {
  CHECK_THAT(validation_errors(core_type("core.output_list"), {param("key", "k")}),
             Catch::Contains("missing required parameter 'values'"));
  CHECK_THAT(validation_errors(core_type("core.output_list"), {list_param("values", {"a"})}),
             Catch::Contains("missing required parameter 'key'"));
}

}  // namespace lockstep::test
