// A whole pipeline from C++, as `lockstep run` does it: load the plugins, check the YAML (printing
// every mistake with its line and column, running nothing if there is one), run it with a
// progress display and a JSON report, and exit as the command would.
//
//   lockstep-example-run_pipeline PIPELINE.yaml REPORT.json
#include <cstdio>
#include <iostream>
#include <lockstep/pipeline.hpp>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " PIPELINE.yaml REPORT.json\n";
    return lockstep::kExitError;
  }
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diagnostics;
  loader.load_core(diagnostics);  // the pipeline's own `plugins:` are loaded as it is read
  auto pipeline = lockstep::load_pipeline(argv[1], {}, loader, diagnostics);
  for (const auto& diagnostic : diagnostics.all())
    std::cerr << lockstep::format(diagnostic) << '\n';
  if (!pipeline) return lockstep::kExitError;  // a mistake: nothing ran

  lockstep::Runner runner(*pipeline);
  lockstep::ProgressPrinter progress(runner, stderr, {.mode = lockstep::ProgressMode::plain});
  lockstep::JsonReport report;
  runner.observe(progress).observe(report);  // any number of observers, in any order
  const lockstep::RunResult result = runner.run();

  for (const auto& stage : result.stages) {
    std::printf("%s: %s, %zu of %zu succeeded\n", stage.name.c_str(),
                std::string(lockstep::to_string(stage.status)).c_str(),
                stage.counts[lockstep::JobState::succeeded], stage.counts.sum());
  }
  std::string error;
  if (!report.write_file(argv[2], error)) {
    std::cerr << error << '\n';
    return lockstep::kExitError;
  }
  return result.exit_code();  // 0, 1 when a failure counts, 130 when interrupted
}
