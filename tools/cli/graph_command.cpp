// `lockstep graph PIPELINE [--set vars.NAME=VALUE]... [--plugin-path DIR]...`: checks the pipeline
// as `validate` does, then prints it as Graphviz DOT on stdout.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "graph_dot.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "pipeline_options.hpp"

namespace lockstep::cli {

namespace {

int print_graph(const PipelineCommandOptions& options) {
  const auto loaded = load_checked_pipeline(options, std::cerr);
  if (!loaded) return kExitError;
  write_dot(std::cout, loaded->pipeline);
  if (!std::cout.flush()) {
    std::cerr << "lockstep graph: error: cannot write the graph to stdout\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

Command add_graph_command(CLI::App& app) {
  auto options = std::make_shared<PipelineCommandOptions>();
  CLI::App* command =
      app.add_subcommand("graph", "Print a pipeline's stages, jobs and bulkheads as Graphviz DOT");
  command->footer(
      "Checks the pipeline as 'lockstep validate' does (on an error, prints nothing on stdout),\n"
      "then prints it as DOT: a cluster per stage, a node per job with its fan-out as a count,\n"
      "the barriers between stages, and the bulkheads as a legend in the colors of their jobs.\n"
      "To draw it: lockstep graph pipe.yaml | dot -Tsvg > pipe.svg");
  add_pipeline_options(*command, *options);
  return {command, [options] { return print_graph(*options); }};
}

}  // namespace lockstep::cli
