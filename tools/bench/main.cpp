// main.cpp — lockstep-bench: lockstep vs raw oneTBB vs a plain thread pool, same run, same
// machine. Prints a table (or, with --json, only a JSON array). Missed targets are reported,
// never fatal: the exit status is 0 unless the benchmark itself could not run (a hang ends it
// with 124, see watchdog.hpp).
//
//   lockstep-bench                       all cases, 5 runs each, median
//   lockstep-bench --case cpu_1us --runs 9
//   lockstep-bench --json --jobs 200000
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cases.hpp"
#include "report.hpp"
#include "work.hpp"

namespace {

using namespace lockstep_bench;

// "Intel(R) Xeon(R) ... (2 hardware threads)"
std::string machine_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string model = "unknown CPU";
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.starts_with("model name")) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + " (" + std::to_string(std::thread::hardware_concurrency()) + " hardware threads)";
}

// The 1, 5 and 15 minute load averages: other work on the machine skews every figure.
std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(file >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

std::string self_exe(const char* argv0) {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : path.string();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  bool json = false;
  std::string only_case;
  std::string child_case;
  std::string child_impl;
  int child_report_fd = -1;
  int timeout_s = static_cast<int>(o.timeout.count());
  std::optional<int> queue;

  CLI::App app{"lockstep-bench: lockstep's engine vs raw oneTBB vs a plain thread pool"};
  app.add_option("--runs", o.runs, "measurements per implementation (median reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--json", json, "print only a JSON array of results");
  app.add_option("--case", only_case, "run one case")->check(CLI::IsMember(case_names()));
  app.add_option("--jobs", o.jobs, "jobs of cases dispatch_empty, cpu_1us and peak_rss")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--instances", o.instances, "instances of case pipeline_range")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "rounds of case barrier_rounds")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--workers", o.workers, "threads of every pool (default: hardware_concurrency)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--isolated", o.isolated, "instances of case process_isolation")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--small-jobs", o.small_jobs, "instances of case pipeline_small_jobs")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--commands", o.commands, "commands of case commands")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--stages", o.stages, "stages of case stage_graph")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
      ->capture_default_str();
  app.add_option("--queue", queue,
                 "queue of the 'lockstep_queue' rows' bulkhead (default: 2 x workers)")
      ->check(CLI::Range(0, 100'000'000));
  app.add_option("--impl", o.only_impls,
                 "measure only these implementations (repeatable; ratios need tbb_raw)");
  app.add_option("--timeout", timeout_s,
                 "seconds one measurement may take before it counts as a hang")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_option("--child-case", child_case)->group("");  // peak_rss's child processes
  app.add_option("--child-impl", child_impl)->group("");
  app.add_option("--child-report-fd", child_report_fd)->group("");
  CLI11_PARSE(app, argc, argv);

  o.timeout = std::chrono::seconds(timeout_s);
  o.queue = queue.value_or(default_bench_queue(o.workers));
  o.self_exe = self_exe(argv[0]);

  if (!child_case.empty() || !child_impl.empty())
    return run_child(child_case, child_impl, o, child_report_fd);

  o.progress = !json;
  std::vector<std::string> cases = case_names();
  if (!only_case.empty()) {
    cases = {only_case};
  } else if (!mpi_ranks_runnable(o)) {
    std::erase(cases, "mpi_ranks");  // no mpirun, or a lockstep built without MPI
  }

  const std::string load_before = load_average();
  std::vector<Row> rows;
  try {
    for (const auto& name : cases) {
      if (o.progress) std::fprintf(stderr, "%s ...\n", name.c_str());
      auto case_rows = run_case(name, o);
      rows.insert(rows.end(), case_rows.begin(), case_rows.end());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lockstep-bench: %s\n", e.what());
    return 1;
  }

  if (json) {
    std::fputs(format_json(rows).c_str(), stdout);
    return 0;
  }
  std::vector<std::string> header = {
      "lockstep-bench: workers=" + std::to_string(o.workers) + " (every pool), runs=" +
          std::to_string(o.runs) + " (median), jobs=" + std::to_string(o.jobs) +
          ", barrier rounds=" + std::to_string(o.rounds),
      "machine: " + machine_description() + "; load average before: " + load_before +
          ", after: " + load_average(),
      "lockstep_queue row: bulkhead queue=" + std::to_string(o.queue)};
  if (o.spin_iters != 0)
    header.push_back(
        "cpu_1us: spin=" + std::to_string(o.spin_iters) +
        " iterations per job (calibrated to ~1 µs); efficiency = serial / (parallel x " +
        std::to_string(o.workers) + ")");
  header.push_back("targets are reported, never fatal");
  std::fputs(format_table(rows, header).c_str(), stdout);
  return 0;
}
