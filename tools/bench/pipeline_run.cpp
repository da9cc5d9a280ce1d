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
#include <lockstep/pipeline/runner.hpp>

namespace lockstep_bench {
namespace {

class NoLog final : public lockstep::LogSink {
 public:
  void write(std::string_view, lockstep::Logger::Level, std::string_view) override {}
};

}  // namespace

std::string noop_range_pipeline(std::size_t instances, int workers) {
  return "version: 1\n"
         "name: bench-noop-range\n"
         "bulkheads:\n"
         "  cpu: { workers: " +
         std::to_string(workers) +
         " }\n"
         "stages:\n"
         "  - name: noop\n"
         "    jobs:\n"
         "      - id: noop\n"
         "        type: core.noop\n"
         "        bulkhead: cpu\n"
         "        foreach: { range: { from: 0, to: " +
         std::to_string(instances) + " } }\n";
}

double run_noop_range_pipeline(std::size_t instances, int workers, bool progress, bool journal) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("lockstep-bench-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(file) << noop_range_pipeline(instances, workers);

  const auto start = std::chrono::steady_clock::now();
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diagnostics;
  auto pipeline = lockstep::load_pipeline(file, {}, loader, diagnostics);
  std::filesystem::remove(file);
  if (!pipeline) throw std::runtime_error("pipeline does not load: " + diagnostics.to_string());
  NoLog quiet;
  lockstep::Runner runner(*pipeline, {.log = &quiet});
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> null_out(nullptr, std::fclose);
  std::optional<lockstep::ProgressPrinter> printer;
  if (progress) {
    null_out.reset(std::fopen("/dev/null", "w"));
    if (!null_out) throw std::runtime_error("cannot open /dev/null");
    printer.emplace(runner, null_out.get(),
                    lockstep::ProgressOptions{.mode = lockstep::ProgressMode::terminal});
    runner.observe(*printer);
  }
  const auto journal_file = std::filesystem::temp_directory_path() /
                            ("lockstep-bench-" + std::to_string(::getpid()) + ".journal");
  std::optional<lockstep::RunJournal> journal_observer;
  if (journal) {
    std::filesystem::remove(journal_file);
    journal_observer.emplace(journal_file,
                             lockstep::JournalIdentity{.pipeline = &*pipeline,
                                                       .plugins = registry.plugins()},
                             &runner.outputs());
    if (!journal_observer->error().empty()) throw std::runtime_error(journal_observer->error());
    runner.observe(*journal_observer);
  }
  const auto result = runner.run();
  journal_observer.reset();  // its last commit is part of the cost
  std::filesystem::remove(journal_file);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (result.totals[lockstep::JobState::succeeded] != instances) {
    throw std::runtime_error("only " +
                             std::to_string(result.totals[lockstep::JobState::succeeded]) + " of " +
                             std::to_string(instances) + " instances succeeded");
  }
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
}

}  // namespace lockstep_bench
