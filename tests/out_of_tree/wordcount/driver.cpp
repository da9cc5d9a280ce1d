// driver.cpp — loads the wordcount plugin as `lockstep` would, runs wordcount.count on a sample
// file through the engine, and checks what it published. Exits non-zero on any wrong result.
#include <lockstep/pipeline.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "WRONG", what.c_str());
  if (!ok) ++failures;
}

lockstep::RawEntry param(std::string key, std::string value) {
  return {std::move(key), lockstep::RawValue::scalar(std::move(value))};
}

}  // namespace

int main() {
  const auto sample = std::filesystem::temp_directory_path() /
                      ("wordcount-sample-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(sample) << "the quick brown fox\njumps over the lazy dog\n";

  // By name, from the directory the plugin was built in (what --plugin-path does); core, always
  // there, from lib/lockstep next to the liblockstep this program runs with.
  lockstep::Registry registry;
  const std::vector<std::filesystem::path> plugin_path{PLUGIN_DIR};
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs(plugin_path));
  lockstep::Diagnostics diags;
  loader.load_core(diags);
  loader.load("wordcount", {}, diags);
  if (diags.has_errors()) {
    std::cerr << diags.to_string();
    return 2;
  }
  const auto* count = registry.lookup_job_type("count").job_type;
  expect(count != nullptr && count->qualified_name == "wordcount.count",
         "'count' is wordcount.count");
  const auto* core = registry.find_plugin("core");
  expect(core != nullptr && core->path.parent_path().filename() == "lockstep",
         "core is loaded too, from " + (core ? core->path.string() : std::string("nowhere")));
  if (count == nullptr) return 1;

  // Parameters are checked against the type's specs before anything runs.
  lockstep::Diagnostics invalid;
  std::vector<lockstep::RawEntry> too_short{param("path", sample), param("min_length", "0")};
  lockstep::validate_job_params(count->declaration, too_short, {"pipe.yaml", 7, 20},
                                "job 'count': ", invalid);
  expect(invalid.to_string().find("'min_length' must be at least 1") != std::string::npos,
         "min_length 0 is refused before anything runs");

  std::vector<lockstep::RawEntry> given{param("path", sample), param("min_length", "4")};
  auto params = lockstep::validate_job_params(count->declaration, given, {}, "job 'count': ", diags);
  std::vector<lockstep::RawEntry> missing_file{param("path", sample.string() + ".missing")};
  auto missing = lockstep::validate_job_params(count->declaration, missing_file, {}, "job 'm': ", diags);
  expect(!diags.has_errors(), "the jobs' parameters are valid");

  lockstep::Outputs outputs;
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "default", .workers = 2});
  lockstep::Batch batch;
  pool.dispatch(batch, lockstep::make_job_task({.id = "count", .type = count, .params = params},
                                               outputs, lockstep::stderr_log_sink()));
  pool.dispatch(batch, lockstep::make_job_task({.id = "missing", .type = count, .params = missing},
                                               outputs, lockstep::stderr_log_sink()));
  auto result = batch.wait();
  std::filesystem::remove(sample);

  expect(result.total() == 2 && result.count(lockstep::JobState::failed) == 1,
         "one job succeeded, one failed");
  expect(outputs.get("count.lines") == "2", "count.lines is 2");
  expect(outputs.get("count.words") == "5", "count.words is 5 (words of 4 letters or more)");
  expect(result.failures.size() == 1 && result.failures[0].job == "missing" &&
             result.failures[0].message.find("cannot open") != std::string::npos,
         "the missing file fails its job with the plugin's message");
  return failures == 0 ? 0 : 1;
}
