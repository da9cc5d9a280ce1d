// `lockstep validate PIPELINE [--set vars.NAME=VALUE]... [--plugin-path DIR]...`: checks the
// whole pipeline as `run` would, runs nothing, and says what a run would do.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <limits>
#include <memory>
#include <string>

#include "command.hpp"
#include "count_text.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "pipeline_options.hpp"

namespace lockstep::cli {

namespace {

constexpr auto kMany = std::numeric_limits<std::uint64_t>::max();

// Iterations of a stage when known; a stage repeated `until` an output runs at most `max`.
struct Iterations {
  std::uint64_t count = 1;
  bool at_most = false;
};

Iterations iterations_of(const StageSpec& stage) {
  if (!stage.repeat) return {};
  if (stage.repeat->times) return {static_cast<std::uint64_t>(*stage.repeat->times), false};
  return {static_cast<std::uint64_t>(stage.repeat->max.value_or(1)), true};
}

// "1,000,003 instances", "up to 300 instances", "3 instances + 1 fan-out decided at run time".
std::string describe_instances(const Pipeline& pipeline) {
  std::uint64_t known = 0;
  std::uint64_t decided_at_run_time = 0;
  bool at_most = false;
  for (const auto& stage : pipeline.stages) {
    const auto iterations = iterations_of(stage);
    for (const auto& job : stage.jobs) {
      if (const auto count = instance_count(job.foreach)) {
        // Saturating, as instance_count() is: a matrix can be larger than any counter.
        const auto all = iterations.count != 0 && *count > kMany / iterations.count
                             ? kMany
                             : *count * iterations.count;
        known = all > kMany - known ? kMany : known + all;
        at_most = at_most || iterations.at_most;
      } else {
        ++decided_at_run_time;
      }
    }
  }
  std::string text = (at_most ? "up to " : "") + count_of(known, "instance");
  if (decided_at_run_time > 0) {
    text += " + " + count_of(decided_at_run_time, "fan-out") + " decided at run time";
  }
  return text;
}

std::string describe(const Pipeline& pipeline) {
  std::uint64_t jobs = 0;
  for (const auto& stage : pipeline.stages) jobs += stage.jobs.size();
  return count_of(pipeline.stages.size(), "stage") + ", " + count_of(jobs, "job") + ", " +
         describe_instances(pipeline) + ", " + count_of(pipeline.bulkheads.size(), "bulkhead");
}

int validate(const PipelineCommandOptions& options) {
  const auto loaded = load_checked_pipeline(options, std::cerr);
  if (!loaded) return kExitError;
  std::cout << options.pipeline << ": ok: " << describe(loaded->pipeline) << '\n';
  if (!std::cout.flush()) {
    std::cerr << "lockstep validate: error: cannot write to stdout\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

Command add_validate_command(CLI::App& app) {
  auto options = std::make_shared<PipelineCommandOptions>();
  CLI::App* command =
      app.add_subcommand("validate", "Check a pipeline (every error at once) and run nothing");
  command->footer(
      "Loads the pipeline and its plugins and checks all of it: keys, types, durations, names,\n"
      "bulkheads, job types, every job's parameters. Prints every problem on stderr as\n"
      "FILE:LINE:COL: error: MESSAGE (exit status 2); warnings are shown but do not fail. When\n"
      "all is well, prints one line on stdout: its stages, jobs, instances and bulkheads.");
  add_pipeline_options(*command, *options);
  return {command, [options] { return validate(*options); }};
}

}  // namespace lockstep::cli
