// A plugin's job types run through make_job_task on an Engine bulkhead: a job whose constructor
// throws fails as that job, like one whose run() throws, and the rest of the batch succeeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <lockstep/engine/batch.hpp>
#include <lockstep/engine/engine.hpp>
#include <lockstep/pipeline/job_instance.hpp>
#include <lockstep/pipeline/plugin_loader.hpp>

#include "support.hpp"

namespace lockstep::test {
namespace {

using Catch::Matchers::Contains;

class CapturingSink final : public LogSink {
 public:
  void write(std::string_view job_id, Logger::Level level, std::string_view line) override {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(std::string(job_id), level, std::string(line));
  }
  std::vector<std::tuple<std::string, Logger::Level, std::string>> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::tuple<std::string, Logger::Level, std::string>> lines_;
};

TEST_CASE("a job whose constructor throws fails as that job while the others succeed",
          "[loader][run]") {
  Registry registry;
  PluginLoader loader(registry, {fixture_dir("fixture")});
  Diagnostics diagnostics;
  REQUIRE(loader.load("fixture", {}, diagnostics));

  auto instance = [&](std::string id, const std::string& type, std::vector<RawEntry> given = {}) {
    const auto* registered = registry.lookup_job_type(type).job_type;
    REQUIRE(registered != nullptr);
    auto params =
        validate_job_params(registered->declaration, given, {}, "job '" + id + "': ", diagnostics);
    REQUIRE_FALSE(diagnostics.has_errors());
    JobInstance result;
    result.output_name = "stage." + id;
    result.id = "stage/" + std::move(id);
    result.type = registered;
    result.params = std::move(params);
    return result;
  };

  Outputs outputs;
  CapturingSink sink;
  Engine engine;
  auto& pool = engine.add_bulkhead({.name = "default", .workers = 2});
  Batch batch;
  pool.dispatch(
      batch, make_job_task(instance("ada", "fixture.hello", {entry("name", scalar("Ada", 3, 9))}),
                           outputs, sink));
  pool.dispatch(batch, make_job_task(instance("ctor", "fixture.ctor_throws"), outputs, sink));
  pool.dispatch(batch, make_job_task(instance("run", "run_throws"), outputs, sink));
  pool.dispatch(batch, make_job_task(instance("world", "hello"), outputs, sink));
  auto result = batch.wait();

  CHECK(result.total() == 4);
  CHECK(result.count(JobState::succeeded) == 2);
  CHECK(result.count(JobState::failed) == 2);
  REQUIRE(result.failures.size() == 2);
  auto failures = result.failures;
  std::ranges::sort(failures, {}, &Failure::job);
  CHECK(failures[0].job == "stage/ctor");
  CHECK(failures[0].state == JobState::failed);
  CHECK(failures[0].message == "ctor boom");
  CHECK(failures[0].bulkhead == "default");
  CHECK(failures[1].job == "stage/run");
  CHECK(failures[1].message == "run boom");

  CHECK(outputs.get("stage.ada.greeting") == "hello, Ada");
  CHECK(outputs.get("stage.world.greeting") == "hello, world");
  CHECK_FALSE(outputs.get("stage.ctor.greeting").has_value());

  auto lines = sink.lines();
  std::ranges::sort(lines);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        std::tuple{std::string("stage/ada"), Logger::Level::info, std::string("hello, Ada")});
  CHECK(lines[1] ==
        std::tuple{std::string("stage/world"), Logger::Level::info, std::string("hello, world")});
}

}  // namespace
}  // namespace lockstep::test
