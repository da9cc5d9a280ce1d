// pipeline_run.hpp — the YAML side of the pipeline cases: what `lockstep run` does with a pipeline
// (load the YAML and its plugins, check it, run it), in this process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lockstep_bench {

// The YAML of case pipeline_range: `instances` core.noop jobs on one bulkhead of `workers`.
std::string noop_range_pipeline(std::size_t instances, int workers);
// Case stage_rounds: one stage of two core.noop jobs, repeated `rounds` times.
std::string stage_rounds_pipeline(std::size_t rounds, int workers);
// Case pipeline_small_jobs: `jobs` instances of bench.spin with `iters` steps each.
std::string small_jobs_pipeline(std::size_t jobs, int workers, std::uint32_t iters);
// Case stage_graph: `stages` stages of two core.noop jobs each, a chain (each needs the one before
// it) or independent of each other (`needs: []` on every one).
std::string stage_graph_pipeline(std::size_t stages, int workers, bool independent);
// Case commands: `commands` instances of core.command running `program` (argv, no shell).
std::string commands_pipeline(std::size_t commands, int workers, const std::string& program);

struct PipelineTimes {
  double load_ns = 0;  // reading the YAML, loading plugins, checking
  double run_ns = 0;   // Runner::run()
  double last_stage_ns = 0;  // the last stage's wall, from its start to its end
};

// The observers `lockstep run` may attach, whose cost a case measures.
struct Observers {
  // A ProgressPrinter in terminal mode painting its line to /dev/null, as on a terminal.
  bool progress = false;
  // A RunJournal writing to a file in the temporary directory, as to RUN_DIR/journal.
  bool journal = false;
  // A JsonReport (--report) and a ChromeTrace (--trace), each written to /dev/null at the end.
  bool report = false;
  bool trace = false;
};

// Loads `yaml` (from a file written for the purpose) and runs it with `observers`. `instances` is
// how many instances must succeed. Throws std::runtime_error when the pipeline does not load or
// an instance did not succeed.
PipelineTimes run_pipeline(const std::string& yaml, std::size_t instances,
                           Observers observers = {});

// run_pipeline() of noop_range_pipeline(); the nanoseconds from reading the file to the end of
// the run (the report and trace written included).
double run_noop_range_pipeline(std::size_t instances, int workers, Observers observers = {});

}  // namespace lockstep_bench
