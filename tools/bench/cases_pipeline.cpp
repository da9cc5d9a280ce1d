// cases_pipeline.cpp — the cases that run YAML pipelines in this process, as `lockstep run` would,
// next to the engine or the tools that do the same work: stage rounds, small jobs, commands.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "cases.hpp"
#include "impls.hpp"
#include "measure.hpp"
#include "peers_external.hpp"
#include "pipeline_run.hpp"
#include "scratch_dir.hpp"
#include "work.hpp"

namespace lockstep_bench {
namespace {

constexpr double kStageRoundMaxMicros = 3.0;      // YAML: a round of a repeated 2-job stage
constexpr double kBarrierMaxMicros = 0.5;         // the engine's round of 2 empty jobs
constexpr double kSmallJobsMinEfficiency = 0.92;  // YAML: 1 µs plugin jobs
constexpr double kCommandsMinRatio = 1.0;         // core.command vs make -j, commands per second

}  // namespace

// Issue 15: a stage of two core.noop jobs repeated `rounds` times (the runner's barrier between
// iterations), against the engine's own barrier (Batch::wait, case barrier_rounds) and oneTBB's.
std::vector<Row> case_stage_rounds(const Options& o) {
  const RoundsSpec spec{.workers = o.workers,
                        .rounds = o.rounds,
                        .jobs_per_round = 2,
                        .warmup = std::min<std::size_t>(o.rounds, 100)};
  const auto per_round = [rounds = double(o.rounds)](double ns) { return ns / 1000.0 / rounds; };
  std::vector<Measured> impls;
  impls.emplace_back("lockstep_run", "YAML: 2 core.noop jobs, repeat times; Runner::run() only",
                     "µs/round",
                     [yaml = stage_rounds_pipeline(o.rounds, o.workers), n = 2 * o.rounds,
                      per_round] { return per_round(run_pipeline(yaml, n).run_ns); });
  impls.emplace_back("lockstep_run_journal",
                     "the same with the run's journal, as `lockstep run` writes it by default",
                     "µs/round",
                     [yaml = stage_rounds_pipeline(o.rounds, o.workers), n = 2 * o.rounds,
                      per_round] { return per_round(run_pipeline(yaml, n, {.journal = true}).run_ns); });
  impls.emplace_back("engine_barrier", "Bulkhead + Batch::wait(), 2 empty jobs a round", "µs/round",
                     [spec, per_round] { return per_round(lockstep_rounds(spec)); });
  impls.emplace_back("tbb_raw", "task_group run/wait inside one arena.execute", "µs/round",
                     [spec, per_round] { return per_round(tbb_group_rounds(spec)); });
  run_interleaved("stage_rounds", impls, o);
  auto rows = to_rows("stage_rounds", impls, [](Row& row) {
    if (row.impl == "lockstep_run_journal") return;  // measured, no target of its own
    const double limit = row.impl == "lockstep_run" ? kStageRoundMaxMicros : kBarrierMaxMicros;
    row.target = row.impl == "lockstep_run" ? "<= 3 µs/round" : "<= 0.5 µs/round";
    if (row.summary.runs > 0) row.target_met = row.summary.median <= limit;
  });
  add_ratio_row(rows, "stage_rounds", "lockstep_run", "engine_barrier", "µs/round");
  return rows;
}

// Issue 15: `small_jobs` instances of bench.spin (the ~1 µs job of cpu_1us, from a plugin) in
// one range fan-out, efficiency = serial / (Runner::run() x workers), against parallel_for's.
std::vector<Row> case_pipeline_small_jobs(Options& o) {
  if (o.spin_iters == 0) o.spin_iters = calibrate_spin(1000.0);
  const JobsSpec spec{.workers = o.workers, .jobs = o.small_jobs, .iters = o.spin_iters};
  const double workers = o.workers;
  auto serial_ns = std::make_shared<double>(0.0);  // this run's serial time, for the others
  std::vector<Measured> impls;
  impls.emplace_back("serial", "same jobs on one thread; spin=" + std::to_string(o.spin_iters),
                     "ns/job", [spec, serial_ns] {
                       *serial_ns = serial_jobs(spec);
                       return *serial_ns / double(spec.jobs);
                     });
  impls.emplace_back(
      "lockstep_run", "YAML: bench.spin in a range fan-out; Runner::run() only", "efficiency",
      [yaml = small_jobs_pipeline(o.small_jobs, o.workers, o.spin_iters), n = o.small_jobs,
       serial_ns, workers] { return *serial_ns / (run_pipeline(yaml, n).run_ns * workers); });
  impls.emplace_back(
      "tbb_parallel_for", "parallel_for over the indices: no producer (the limit)", "efficiency",
      [spec, serial_ns, workers] { return *serial_ns / (tbb_parallel_for_jobs(spec) * workers); });
  run_interleaved("pipeline_small_jobs", impls, o);
  auto rows = to_rows("pipeline_small_jobs", impls, [](Row& row) {
    if (row.impl != "lockstep_run") return;
    row.target = ">= 0.92";
    if (row.summary.runs > 0) row.target_met = row.summary.median >= kSmallJobsMinEfficiency;
  });
  add_ratio_row(rows, "pipeline_small_jobs", "lockstep_run", "tbb_parallel_for", "efficiency");
  return rows;
}

// Issue 15: `commands` runs of /bin/true by core.command (YAML, loading included), by make -j and
// by xargs -P when they are installed, `workers` at a time.
std::vector<Row> case_commands(const Options& o) {
  std::string program = "/bin/true";
  if (::access(program.c_str(), X_OK) != 0) program = find_program("true");
  if (program.empty()) throw std::runtime_error("case commands: no 'true' program found");
  ScratchDir scratch;
  const CommandsSpec spec{
      .workers = o.workers, .commands = o.commands, .program = program, .dir = scratch.path()};
  const auto per_second = [n = double(o.commands)](double ns) { return n / (ns / 1e9); };
  std::vector<Measured> impls;
  impls.emplace_back(
      "lockstep_run", "YAML: core.command argv in a range fan-out, load + run", "cmds/s",
      [yaml = commands_pipeline(o.commands, o.workers, program), n = o.commands, per_second] {
        const auto times = run_pipeline(yaml, n);
        return per_second(times.load_ns + times.run_ns);
      });
  if (const auto make = find_program("make"); !make.empty()) {
    impls.emplace_back("make", "make -s -j" + std::to_string(o.workers) + ", a phony target each",
                       "cmds/s",
                       [spec, make, per_second] { return per_second(make_commands(spec, make)); });
  }
  if (const auto xargs = find_program("xargs"); !xargs.empty()) {
    impls.emplace_back(
        "xargs", "xargs -P" + std::to_string(o.workers) + " -n1, one argument each", "cmds/s",
        [spec, xargs, per_second] { return per_second(xargs_commands(spec, xargs)); });
  }
  run_interleaved("commands", impls, o);
  auto rows = to_rows("commands", impls, [](Row&) {});
  add_ratio_row(rows, "commands", "lockstep_run", "make", "cmds/s", ">= 1.0",
                [](double ratio) { return ratio >= kCommandsMinRatio; });
  add_ratio_row(rows, "commands", "lockstep_run", "xargs", "cmds/s");
  return rows;
}

// Issue 14: the cost of a stage in the graph of `needs`: `stages` stages of two core.noop jobs,
// chained (each needs the one before it, the default) or independent (needs: [] on each, so they
// run side by side, at most 16 at once), per stage; and the same barriers as one stage repeated
// `stages` times (case stage_rounds), what a chain cost before stages had needs.
std::vector<Row> case_stage_graph(const Options& o) {
  const auto per_stage = [stages = double(o.stages)](double ns) { return ns / 1000.0 / stages; };
  const std::size_t instances = 2 * o.stages;
  std::vector<Measured> impls;
  impls.emplace_back("chained", "YAML: stages of 2 core.noop jobs, each needing the one before",
                     "µs/stage",
                     [yaml = stage_graph_pipeline(o.stages, o.workers, false), instances,
                      per_stage] { return per_stage(run_pipeline(yaml, instances).run_ns); });
  impls.emplace_back("independent", "YAML: the same stages, needs: [] on each", "µs/stage",
                     [yaml = stage_graph_pipeline(o.stages, o.workers, true), instances,
                      per_stage] { return per_stage(run_pipeline(yaml, instances).run_ns); });
  impls.emplace_back("repeated", "YAML: one stage of 2 core.noop jobs, repeat times", "µs/stage",
                     [yaml = stage_rounds_pipeline(o.stages, o.workers), instances, per_stage] {
                       return per_stage(run_pipeline(yaml, instances).run_ns);
                     });
  run_interleaved("stage_graph", impls, o);
  auto rows = to_rows("stage_graph", impls, [](Row&) {});
  add_ratio_row(rows, "stage_graph", "chained", "repeated", "µs/stage");
  add_ratio_row(rows, "stage_graph", "independent", "chained", "µs/stage");
  return rows;
}

}  // namespace lockstep_bench
