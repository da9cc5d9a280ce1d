// cases.cpp — what the engine cases and pipeline_range measure, with which implementations, and
// their targets (the other pipeline cases are in cases_pipeline.cpp).
#include "cases.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

#include "impls.hpp"
#include "measure.hpp"
#include "pipeline_run.hpp"
#include "rss.hpp"
#include "watchdog.hpp"
#include "work.hpp"

namespace lockstep_bench {
namespace {

constexpr double kCase1MaxRatio = 1.0;  // lockstep ns/job <= 1.0 x tbb_task_group
constexpr double kCase2MinEfficiency = 0.85;
constexpr double kCase3MaxMicros = 0.5;          // µs per barrier round
constexpr double kCase4MaxMiB = 16.0;            // peak RSS of case 1
constexpr double kPipelineMaxNsPerJob = 1000.0;  // >= 1,000,000 jobs per second end to end
constexpr double kPipelineMaxMiB = 64.0;
constexpr double kProgressMaxRatio = 1.03;  // progress on <= 1.03 x off

// The implementations of cases 1, 2 and 4, by name.
struct JobsImpl {
  std::string name;
  std::string note;
  std::function<double(const JobsSpec&)> run;
};

// The rows held to the engine's targets: code written as the docs show, default settings.
bool at_defaults(const Row& row) { return row.impl == "lockstep" || row.impl == "dispatcher"; }

std::vector<JobsImpl> jobs_impls(const Options& o) {
  const std::optional<int> queue = o.queue;
  std::vector<JobsImpl> impls = {
      {"lockstep",
       "Engine + Bulkhead given only workers (default queue " +
           std::to_string(lockstep_default_queue(o.workers)) + ")",
       [](const JobsSpec& s) { return lockstep_jobs(s, std::nullopt); }},
      {"lockstep_queue", "Engine + Bulkhead, queue=" + std::to_string(o.queue) + " (--queue)",
       [queue](const JobsSpec& s) { return lockstep_jobs(s, queue); }},
      {"dispatcher", "Dispatcher(workers), default settings", dispatcher_jobs},
      {"tbb_raw", "task_arena::enqueue + atomic counter (unbounded)", tbb_jobs},
      {"tbb_task_group", "task_group::run, then wait(), in task_arena(workers + 1, 1)",
       tbb_group_jobs},
      {"thread_pool", "mutex + condition_variable queue (unbounded)", pool_jobs},
  };
  if (have_deb_pool())
    impls.push_back({"thread_pool_deb", "libthread-pool-dev ThreadPool::Submit", deb_pool_jobs});
  return impls;
}

JobsSpec jobs_spec(const Options& o, std::uint32_t iters) {
  return {.workers = o.workers,
          .jobs = o.jobs,
          .iters = iters,
          .warmup = std::min<std::size_t>(o.jobs, std::max<std::size_t>(1000, o.jobs / 100))};
}

// The implementations of case 3.
struct RoundsImpl {
  std::string name;
  std::string note;
  double (*run)(const RoundsSpec&);
};

std::vector<RoundsImpl> rounds_impls() {
  std::vector<RoundsImpl> impls = {
      {"lockstep", "Batch::wait()", lockstep_rounds},
      {"dispatcher", "Dispatcher::wait()", dispatcher_rounds},
      {"tbb_raw", "task_group run/wait inside one arena.execute", tbb_group_rounds},
      {"tbb_enqueue", "arena.enqueue from outside + counter wait", tbb_enqueue_rounds},
      {"thread_pool", "mutex + condition_variable, wait()", pool_rounds},
  };
  if (have_deb_pool())
    impls.push_back({"thread_pool_deb", "libthread-pool-dev, future::get()", deb_pool_rounds});
  return impls;
}

RoundsSpec rounds_spec(const Options& o) {
  return {.workers = o.workers,
          .rounds = o.rounds,
          .jobs_per_round = 2,
          .warmup = std::min<std::size_t>(o.rounds, 100)};
}

std::vector<Row> case_dispatch_empty(const Options& o) {
  const JobsSpec spec = jobs_spec(o, 0);
  std::vector<Measured> impls;
  for (auto& impl : jobs_impls(o)) {
    impls.emplace_back(impl.name, impl.note, "ns/job",
                       [spec, run = impl.run] { return run(spec) / double(spec.jobs); });
  }
  run_interleaved("dispatch_empty", impls, o);
  auto rows = to_rows("dispatch_empty", impls, [](Row&) {});
  const auto group = median_of(rows, "tbb_task_group", "ns/job");
  for (auto& row : rows) {
    if (!at_defaults(row)) continue;
    row.target = "<= 1.0 x tbb_task_group";
    if (group && row.summary.runs > 0)
      row.target_met = row.summary.median <= kCase1MaxRatio * *group;
  }
  const auto within = [](double ratio) { return ratio <= kCase1MaxRatio; };
  add_ratio_row(rows, "dispatch_empty", "lockstep", "tbb_task_group", "ns/job", "<= 1.0", within);
  add_ratio_row(rows, "dispatch_empty", "dispatcher", "tbb_task_group", "ns/job", "<= 1.0", within);
  return rows;
}

std::vector<Row> case_cpu_1us(Options& o) {
  if (o.spin_iters == 0) o.spin_iters = calibrate_spin(1000.0);
  const JobsSpec spec = jobs_spec(o, o.spin_iters);
  const double workers = o.workers;
  auto serial_ns = std::make_shared<double>(0.0);  // this run's serial time, for the others
  std::vector<Measured> impls;
  impls.emplace_back("serial", "same jobs on one thread; spin=" + std::to_string(o.spin_iters),
                     "ns/job", [spec, serial_ns] {
                       *serial_ns = serial_jobs(spec);
                       return *serial_ns / double(spec.jobs);
                     });
  for (auto& impl : jobs_impls(o)) {
    impls.emplace_back(
        impl.name, impl.note, "efficiency",
        [spec, serial_ns, workers, run = impl.run] { return *serial_ns / (run(spec) * workers); });
  }
  run_interleaved("cpu_1us", impls, o);
  auto rows = to_rows("cpu_1us", impls, [](Row& row) {
    if (!at_defaults(row)) return;
    row.target = ">= 0.85";
    if (row.summary.runs > 0) row.target_met = row.summary.median >= kCase2MinEfficiency;
  });
  add_ratio_row(rows, "cpu_1us", "lockstep", "tbb_task_group", "efficiency");
  return rows;
}

std::vector<Row> case_barrier_rounds(const Options& o) {
  const RoundsSpec spec = rounds_spec(o);
  std::vector<Measured> impls;
  for (auto& impl : rounds_impls()) {
    impls.emplace_back(impl.name, impl.note, "µs/round",
                       [spec, fn = impl.run] { return fn(spec) / 1000.0 / double(spec.rounds); });
  }
  run_interleaved("barrier_rounds", impls, o);
  return to_rows("barrier_rounds", impls, [](Row& row) {
    row.target = "<= 0.5 µs/round";
    if (row.summary.runs > 0) row.target_met = row.summary.median <= kCase3MaxMicros;
  });
}

std::vector<Row> case_peak_rss(const Options& o) {
  std::vector<std::string> names = {"baseline"};
  for (auto& impl : jobs_impls(o)) names.push_back(impl.name);
  std::vector<Measured> impls;
  for (auto& name : names) {
    std::vector<std::string> argv = {o.self_exe,
                                     "--child-case",
                                     "dispatch_empty",
                                     "--child-impl",
                                     name,
                                     "--jobs",
                                     std::to_string(o.jobs),
                                     "--workers",
                                     std::to_string(o.workers),
                                     "--queue",
                                     std::to_string(o.queue),
                                     "--timeout",
                                     std::to_string(o.timeout.count())};
    std::string note = name == "baseline" ? "the child process doing nothing"
                                          : "fresh process, case 1 once (child VmHWM)";
    impls.emplace_back(name, note, "MiB", [argv] {
      const ChildRun child = run_child_process(argv);
      if (!child.ok) throw std::runtime_error("child process: " + child.status);
      return child.peak_rss_mib;
    });
  }
  // The children have their own watchdog; the parent's only has to outlast it.
  Options parent = o;
  parent.timeout = o.timeout + std::chrono::seconds(30);
  run_interleaved("peak_rss", impls, parent);
  return to_rows("peak_rss", impls, [](Row& row) {
    row.target = "<= 16 MiB";
    if (row.summary.runs > 0) row.target_met = row.summary.median <= kCase4MaxMiB;
  });
}

// Issue 4: a range of `instances` core.noop jobs, loaded from YAML and run as `lockstep run`
// would, each run in a fresh process (for its peak RSS); raw oneTBB and the plain pool run as
// many empty jobs in this process, for the ratio. lockstep_run_progress is the same run with the
// live progress line painted (to /dev/null) meanwhile: its cost against lockstep_run (issue 6).
std::vector<Row> case_pipeline_range(const Options& o) {
  JobsSpec spec = jobs_spec(o, 0);
  spec.jobs = o.instances;
  auto peaks = std::make_shared<std::vector<double>>();
  std::vector<Measured> impls;
  const auto child_argv = [&o](const std::string& impl) {
    return std::vector<std::string>{o.self_exe,
                                    "--child-case",
                                    "pipeline_range",
                                    "--child-impl",
                                    impl,
                                    "--instances",
                                    std::to_string(o.instances),
                                    "--workers",
                                    std::to_string(o.workers),
                                    "--timeout",
                                    std::to_string(o.timeout.count())};
  };
  impls.emplace_back("lockstep_run", "YAML -> load_pipeline -> Runner, fresh process", "ns/job",
                     [argv = child_argv("lockstep_run"), peaks, n = o.instances] {
                       const ChildRun child = run_child_process(argv);
                       if (!child.ok) throw std::runtime_error("child process: " + child.status);
                       peaks->push_back(child.peak_rss_mib);
                       return std::strtod(child.extra.c_str(), nullptr) / double(n);
                     });
  impls.emplace_back("lockstep_run_progress", "the same, ProgressPrinter (terminal mode) on",
                     "ns/job", [argv = child_argv("lockstep_run_progress"), n = o.instances] {
                       const ChildRun child = run_child_process(argv);
                       if (!child.ok) throw std::runtime_error("child process: " + child.status);
                       return std::strtod(child.extra.c_str(), nullptr) / double(n);
                     });
  const auto same_with = [&](const char* impl, const char* note) {
    impls.emplace_back(impl, note, "ns/job", [argv = child_argv(impl), n = o.instances] {
      const ChildRun child = run_child_process(argv);
      if (!child.ok) throw std::runtime_error("child process: " + child.status);
      return std::strtod(child.extra.c_str(), nullptr) / double(n);
    });
  };
  same_with("lockstep_run_journal", "the same, RunJournal (RUN_DIR/journal) on");
  same_with("lockstep_run_report", "the same, JsonReport (--report) on, written at the end");
  same_with("lockstep_run_trace", "the same, ChromeTrace (--trace) on, written at the end");
  impls.emplace_back("tbb_raw", "task_arena::enqueue + atomic counter, same number of jobs",
                     "ns/job", [spec] { return tbb_jobs(spec) / double(spec.jobs); });
  impls.emplace_back("thread_pool", "mutex + condition_variable queue, same number of jobs",
                     "ns/job", [spec] { return pool_jobs(spec) / double(spec.jobs); });
  Options parent = o;
  parent.timeout = o.timeout + std::chrono::seconds(30);
  run_interleaved("pipeline_range", impls, parent);
  auto rows = to_rows("pipeline_range", impls, [](Row& row) {
    row.target = "<= 1000 ns/job (>= 1M jobs/s)";
    if (row.summary.runs > 0) row.target_met = row.summary.median <= kPipelineMaxNsPerJob;
  });
  Row rss;
  rss.case_name = "pipeline_range";
  rss.impl = "lockstep_run";
  rss.unit = "MiB";
  rss.note = "peak RSS (VmHWM) of the same child processes";
  rss.summary = summarize(*peaks);
  rss.target = "<= 64 MiB";
  if (rss.summary.runs > 0) rss.target_met = rss.summary.median <= kPipelineMaxMiB;
  rows.push_back(std::move(rss));
  // Issue 6: progress on over progress off, the medians of the interleaved runs above.
  const auto off = median_of(rows, "lockstep_run", "ns/job");
  const auto on = median_of(rows, "lockstep_run_progress", "ns/job");
  if (off && on && *off > 0) {
    Row overhead;
    overhead.case_name = "pipeline_range";
    overhead.impl = "progress_overhead";
    overhead.unit = "ratio";
    overhead.note = "lockstep_run_progress / lockstep_run, medians";
    overhead.summary = summarize({*on / *off});
    overhead.target = "<= 1.03";
    overhead.target_met = *on / *off <= kProgressMaxRatio;
    rows.push_back(std::move(overhead));
  }
  // Issue 11: journal on over journal off; issue 15: the report and the trace, each on.
  const auto add_overhead = [&](const char* name, const char* impl, double max) {
    const auto with = median_of(rows, impl, "ns/job");
    if (!off || !with || *off <= 0) return;
    Row overhead;
    overhead.case_name = "pipeline_range";
    overhead.impl = name;
    overhead.unit = "ratio";
    overhead.note = std::string(impl) + " / lockstep_run, medians";
    overhead.summary = summarize({*with / *off});
    char target[32];
    std::snprintf(target, sizeof target, "<= %.2f", max);
    overhead.target = target;
    overhead.target_met = *with / *off <= max;
    rows.push_back(std::move(overhead));
  };
  add_overhead("journal_overhead", "lockstep_run_journal", 1.05);
  add_overhead("report_overhead", "lockstep_run_report", kProgressMaxRatio);
  add_overhead("trace_overhead", "lockstep_run_trace", kProgressMaxRatio);
  return rows;
}

int run_child_case(const std::string& case_name, const std::string& impl, const Options& options,
                   int report_fd) {
  // peak_rss uses dispatch_empty; the others are there to profile one implementation alone:
  //   perf record lockstep-bench --child-case cpu_1us --child-impl lockstep
  std::function<void()> run;
  if (case_name == "dispatch_empty" || case_name == "cpu_1us") {
    for (auto& candidate : jobs_impls(options)) {
      if (candidate.name != impl) continue;
      const std::uint32_t iters = case_name == "cpu_1us" ? calibrate_spin(1000.0) : 0;
      run = [&options, iters, fn = candidate.run] { fn(jobs_spec(options, iters)); };
    }
  } else if (case_name == "barrier_rounds") {
    for (auto& candidate : rounds_impls()) {
      if (candidate.name == impl)
        run = [&options, fn = candidate.run] { fn(rounds_spec(options)); };
    }
  } else if (case_name != "pipeline_range") {
    std::fprintf(stderr, "lockstep-bench: no child mode for case %s\n", case_name.c_str());
    return 2;
  }
  if (case_name == "pipeline_range" && impl.starts_with("lockstep_run")) {
    Watchdog::instance().arm("child pipeline_range", options.timeout);
    try {
      const Observers observers{.progress = impl == "lockstep_run_progress",
                                .journal = impl == "lockstep_run_journal",
                                .report = impl == "lockstep_run_report",
                                .trace = impl == "lockstep_run_trace"};
      const double ns = run_noop_range_pipeline(options.instances, options.workers, observers);
      Watchdog::instance().disarm();
      return report_peak_rss(report_fd, std::to_string(ns)) ? 0 : 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lockstep-bench: child pipeline_range: %s\n", e.what());
      return 1;
    }
  }
  if (impl == "baseline") return 0;
  if (!run) {
    std::fprintf(stderr, "lockstep-bench: unknown --child-impl %s\n", impl.c_str());
    return 2;
  }
  Watchdog::instance().arm("child " + case_name + " / " + impl, options.timeout);
  try {
    run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lockstep-bench: child %s: %s\n", impl.c_str(), e.what());
    return 1;
  }
  Watchdog::instance().disarm();
  return 0;
}

}  // namespace

const std::vector<std::string>& case_names() {
  static const std::vector<std::string> names = {"dispatch_empty",
                                                 "cpu_1us",
                                                 "barrier_rounds",
                                                 "peak_rss",
                                                 "pipeline_range",
                                                 "stage_rounds",
                                                 "pipeline_small_jobs",
                                                 "commands",
                                                 "process_isolation",
                                                 "stage_graph",
                                                 "mpi_ranks"};
  return names;
}

int default_bench_queue(int workers) { return 2 * workers; }

std::vector<Row> run_case(const std::string& name, Options& options) {
  if (name == "dispatch_empty") return case_dispatch_empty(options);
  if (name == "cpu_1us") return case_cpu_1us(options);
  if (name == "barrier_rounds") return case_barrier_rounds(options);
  if (name == "peak_rss") return case_peak_rss(options);
  if (name == "pipeline_range") return case_pipeline_range(options);
  if (name == "stage_rounds") return case_stage_rounds(options);
  if (name == "pipeline_small_jobs") return case_pipeline_small_jobs(options);
  if (name == "commands") return case_commands(options);
  if (name == "process_isolation") return case_process_isolation(options);
  if (name == "stage_graph") return case_stage_graph(options);
  if (name == "mpi_ranks") return case_mpi_ranks(options);
  throw std::invalid_argument("unknown case " + name);
}

int run_child(const std::string& case_name, const std::string& impl, const Options& options,
              int report_fd) {
  if (case_name == "pipeline_range") return run_child_case(case_name, impl, options, report_fd);
  const int status = run_child_case(case_name, impl, options, report_fd);
  if (status == 0 && report_fd >= 0 && !report_peak_rss(report_fd)) {
    std::fprintf(stderr, "lockstep-bench: child %s: cannot report VmHWM\n", impl.c_str());
    return 1;
  }
  return status;
}

}  // namespace lockstep_bench
