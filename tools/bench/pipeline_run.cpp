#include "pipeline_run.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>

#include <lockstep/pipeline/journal.hpp>
#include <lockstep/pipeline/pipeline_loader.hpp>
#include <lockstep/pipeline/progress.hpp>
#include <lockstep/pipeline/report.hpp>
#include <lockstep/pipeline/runner.hpp>
#include <lockstep/pipeline/trace.hpp>

namespace lockstep_bench {
namespace {

class NoLog final : public lockstep::LogSink {
 public:
  void write(std::string_view, lockstep::Logger::Level, std::string_view) override {}
};

std::string header(const std::string& name, int workers) {
  return "version: 1\n"
         "name: " +
         name +
         "\n"
         "bulkheads:\n"
         "  cpu: { workers: " +
         std::to_string(workers) + " }\n";
}

double ns_between(std::chrono::steady_clock::time_point start,
                  std::chrono::steady_clock::time_point end) {
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

}  // namespace

std::string noop_range_pipeline(std::size_t instances, int workers) {
  return header("bench-noop-range", workers) +
         "stages:\n"
         "  - name: noop\n"
         "    jobs:\n"
         "      - id: noop\n"
         "        type: core.noop\n"
         "        bulkhead: cpu\n"
         "        foreach: { range: { from: 0, to: " +
         std::to_string(instances) + " } }\n";
}

std::string stage_rounds_pipeline(std::size_t rounds, int workers) {
  return header("bench-stage-rounds", workers) +
         "stages:\n"
         "  - name: step\n"
         "    repeat: { times: " +
         std::to_string(rounds) +
         " }\n"
         "    jobs:\n"
         "      - { id: a, type: core.noop, bulkhead: cpu }\n"
         "      - { id: b, type: core.noop, bulkhead: cpu }\n";
}

std::string stage_graph_pipeline(std::size_t stages, int workers, bool independent) {
  std::string yaml =
      header(independent ? "bench-independent-stages" : "bench-chained-stages", workers) +
      "stages:\n";
  for (std::size_t stage = 0; stage < stages; ++stage) {
    yaml += "  - name: s" + std::to_string(stage) + "\n";
    if (independent) yaml += "    needs: []\n";
    yaml +=
        "    jobs:\n"
        "      - { id: a, type: core.noop, bulkhead: cpu }\n"
        "      - { id: b, type: core.noop, bulkhead: cpu }\n";
  }
  return yaml;
}

std::string small_jobs_pipeline(std::size_t jobs, int workers, std::uint32_t iters) {
  return header("bench-small-jobs", workers) +
         "plugins: [bench]\n"
         "stages:\n"
         "  - name: spin\n"
         "    jobs:\n"
         "      - id: spin\n"
         "        type: bench.spin\n"
         "        bulkhead: cpu\n"
         "        params: { iters: " +
         std::to_string(iters) +
         " }\n"
         "        foreach: { range: { from: 0, to: " +
         std::to_string(jobs) + " } }\n";
}

std::string commands_pipeline(std::size_t commands, int workers, const std::string& program) {
  return header("bench-commands", workers) +
         "stages:\n"
         "  - name: run\n"
         "    jobs:\n"
         "      - id: cmd\n"
         "        type: core.command\n"
         "        bulkhead: cpu\n"
         "        params: { argv: ['" +
         program +
         "'] }\n"
         "        foreach: { range: { from: 0, to: " +
         std::to_string(commands) + " } }\n";
}

PipelineTimes run_pipeline(const std::string& yaml, std::size_t instances, Observers observers) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("lockstep-bench-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << yaml;

  const auto start = std::chrono::steady_clock::now();
  lockstep::Registry registry;
  // The bench plugin lives next to the benchmark's build files, not where `lockstep` looks.
  const std::filesystem::path bench_plugins[] = {LOCKSTEP_BENCH_PLUGIN_DIR};
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs(bench_plugins));
  lockstep::Diagnostics diagnostics;
  auto pipeline = lockstep::load_pipeline(file, {}, loader, diagnostics);
  std::filesystem::remove(file);
  if (!pipeline) throw std::runtime_error("pipeline does not load: " + diagnostics.to_string());
  NoLog quiet;
  lockstep::Runner runner(*pipeline, {.log = &quiet});
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> null_out(nullptr, std::fclose);
  std::optional<lockstep::ProgressPrinter> printer;
  if (observers.progress) {
    null_out.reset(std::fopen("/dev/null", "w"));
    if (!null_out) throw std::runtime_error("cannot open /dev/null");
    printer.emplace(runner, null_out.get(),
                    lockstep::ProgressOptions{.mode = lockstep::ProgressMode::terminal});
    runner.observe(*printer);
  }
  const auto journal_file = std::filesystem::temp_directory_path() /
                            ("lockstep-bench-" + std::to_string(::getpid()) + ".journal");
  std::optional<lockstep::RunJournal> journal_observer;
  if (observers.journal) {
    std::filesystem::remove(journal_file);
    journal_observer.emplace(journal_file,
                             lockstep::JournalIdentity{.pipeline = &*pipeline,
                                                       .plugins = registry.plugins()},
                             &runner.outputs());
    if (!journal_observer->error().empty()) throw std::runtime_error(journal_observer->error());
    runner.observe(*journal_observer);
  }
  std::optional<lockstep::JsonReport> report;
  if (observers.report) runner.observe(report.emplace());
  std::optional<lockstep::ChromeTrace> trace;
  if (observers.trace) runner.observe(trace.emplace());
  const auto loaded = std::chrono::steady_clock::now();
  const auto result = runner.run();
  journal_observer.reset();  // its last commit is part of the cost
  if (report || trace) {  // writing them is part of the cost too
    std::ofstream null_file("/dev/null");
    if (report) report->write(null_file);
    if (trace) trace->write(null_file);
  }
  const auto end = std::chrono::steady_clock::now();
  std::filesystem::remove(journal_file);
  if (result.totals[lockstep::JobState::succeeded] != instances) {
    throw std::runtime_error("only " +
                             std::to_string(result.totals[lockstep::JobState::succeeded]) + " of " +
                             std::to_string(instances) + " instances succeeded");
  }
  const double last_stage_ns =
      result.stages.empty() ? 0.0 : double(result.stages.back().wall.count());
  return {ns_between(start, loaded), ns_between(loaded, end), last_stage_ns};
}

double run_noop_range_pipeline(std::size_t instances, int workers, Observers observers) {
  const auto times = run_pipeline(noop_range_pipeline(instances, workers), instances, observers);
  return times.load_ns + times.run_ns;
}

}  // namespace lockstep_bench
