// `lockstep run PIPELINE [--set vars.NAME=VALUE]... [--plugin-path DIR]... [--threads N]`: checks
// the pipeline as `validate` does (on an error, runs nothing), runs it, and ends with a summary.
#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>
#include <memory>
#include <string>

#include "command.hpp"
#include "interrupt_watch.hpp"
#include "lockstep/exit_codes.hpp"
#include "lockstep/runner.hpp"
#include "pipeline_options.hpp"
#include "run_summary.hpp"

namespace lockstep::cli {

namespace {

struct RunCommandOptions {
  PipelineCommandOptions pipeline{};
  int threads = 0;  // 0: the pipeline's own `threads`, if any
};

// --threads N: a whole number of at least 1.
std::string check_threads(const std::string& text) {
  int threads = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), threads);
  if (error != std::errc{} || end != text.data() + text.size() || threads < 1) {
    return "'" + text + "' is not a number of threads: write a whole number >= 1";
  }
  return {};
}

int run_pipeline(const RunCommandOptions& options) {
  const auto loaded = load_checked_pipeline(options.pipeline, std::cerr);
  if (!loaded) return kExitError;
  FailureReport failures(std::cerr);
  RunOptions run_options;
  if (options.threads > 0) run_options.threads = options.threads;
  run_options.observers.push_back(&failures);
  Runner runner(loaded->pipeline, run_options);
  RunResult result;
  {
    InterruptWatch watch([&runner] { runner.interrupt(); });  // Ctrl-C: cancel, report, 130
    result = runner.run();
  }
  failures.print_not_shown(std::cerr);
  print_run_summary(std::cerr, loaded->pipeline, result);
  return result.exit_code();
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* command = app.add_subcommand("run", "Run a pipeline, stage by stage");
  command->footer(
      "Checks the pipeline as 'lockstep validate' does; on any error, prints them all and runs\n"
      "nothing (exit status 2). Then runs its stages in order, a barrier between them, and ends\n"
      "with a summary on stderr: per stage, its status, wall time and how many instances ended\n"
      "in each state. Exit status 0 when no failure counts against the run, else 1.\n"
      "SIGINT or SIGTERM (Ctrl-C) cancels the running jobs, kills the commands they started and\n"
      "ends with the summary and exit status 130; a second one quits at once.");
  add_pipeline_options(*command, options->pipeline);
  command
      ->add_option("--threads", options->threads,
                   "Cap the threads of all bulkheads together (overrides the pipeline's)")
      ->type_name("N")
      ->check(CLI::Validator([](std::string& text) { return check_threads(text); }, ""));
  return {command, [options] { return run_pipeline(*options); }};
}

}  // namespace lockstep::cli
