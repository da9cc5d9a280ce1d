// cases.hpp — the benchmark cases, each producing one row per implementation (and ratio rows).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stats.hpp"

namespace lockstep_bench {

struct Options {
  int workers = 1;                      // every pool's size; default hardware_concurrency()
  std::size_t jobs = 1'000'000;         // cases dispatch_empty, cpu_1us, peak_rss
  std::size_t rounds = 10'000;          // case barrier_rounds
  std::size_t instances = 10'000'000;   // case pipeline_range
  std::size_t small_jobs = 2'000'000;   // case pipeline_small_jobs
  std::size_t commands = 5'000;         // case commands
  std::size_t stages = 1'000;           // case stage_graph
  std::size_t isolated = 100'000;       // case process_isolation
  int runs = 5;                         // measurements per implementation; the median is reported
  int queue = 0;                        // the lockstep_queue row's bulkhead queue
  std::chrono::seconds timeout{300};    // per measurement: a hang ends the benchmark (exit 124)
  std::uint32_t spin_iters = 0;         // cpu_1us and pipeline_small_jobs job size; 0: calibrate
  std::string self_exe;                 // for peak_rss's child processes
  bool progress = false;                // one line per measurement on stderr
  std::vector<std::string> only_impls;  // --impl: measure just these (serial always runs)
};

struct Row {
  std::string case_name;
  std::string impl;
  std::string unit;
  std::string note;
  Summary summary;                     // summary.runs == 0 when every run failed
  std::optional<double> ratio_vs_tbb;  // median / tbb_raw's median in the same case
  std::string target;                  // e.g. "<= 1.25 x tbb_raw"; empty: no target for this row
  std::optional<bool> target_met;
  std::string error;  // why the implementation stopped being measured
};

const std::vector<std::string>& case_names();

// The queue the lockstep_queue row of dispatch_empty and cpu_1us uses unless --queue says
// otherwise: 2 x workers, the engine's default before issue 15, to show what the default trades.
int default_bench_queue(int workers);

std::vector<Row> run_case(const std::string& name, Options& options);

// The pipeline cases of cases_pipeline.cpp.
std::vector<Row> case_stage_rounds(const Options& options);
std::vector<Row> case_pipeline_small_jobs(Options& options);
std::vector<Row> case_commands(const Options& options);
std::vector<Row> case_stage_graph(const Options& options);
// cases_isolation.cpp.
std::vector<Row> case_process_isolation(Options& options);
// cases_mpi.cpp: one rank against several under mpirun. Runnable when mpirun is installed and
// the lockstep next to lockstep-bench was built with MPI (else left out of a run of all cases).
std::vector<Row> case_mpi_ranks(Options& options);
bool mpi_ranks_runnable(const Options& options);

// The hidden child mode of peak_rss: runs case 1 once with `impl` ("baseline": nothing), writes
// its peak RSS to `report_fd` (see rss.hpp) and returns the process's exit status.
int run_child(const std::string& case_name, const std::string& impl, const Options& options,
              int report_fd);

}  // namespace lockstep_bench
