// cases_isolation.cpp — issue 13: what `isolation: process` costs: once per run (starting the
// worker processes), and per instance once they run, for empty jobs
// and for ~1 µs jobs, next to the same pipelines on threads.
#include <memory>
#include <stdexcept>

#include "cases.hpp"
#include "impls.hpp"
#include "measure.hpp"
#include "pipeline_run.hpp"
#include "work.hpp"

namespace lockstep_bench {
namespace {

constexpr double kEmptyMaxMicros = 5.0;   // per empty instance, 2 workers
constexpr double kSmallMinEfficiency = 0.8;  // 1 µs jobs

// The same pipeline with its bulkhead's jobs in worker processes.
std::string in_processes(std::string yaml) {
  const auto at = yaml.find(" }\n", yaml.find("  cpu: { workers: "));
  if (at == std::string::npos) throw std::logic_error("no cpu bulkhead in the pipeline");
  return yaml.insert(at, ", isolation: process");
}

// ... with a first stage that starts every worker process (two sleeps of 50 ms each hold one
// worker, so the other takes the second): the measured stage, the last, pays per instance only.
std::string started_first(std::string yaml) {
  const auto at = yaml.find("stages:\n");
  if (at == std::string::npos) throw std::logic_error("no stages in the pipeline");
  return yaml.insert(at + 8,
                     "  - name: start\n"
                     "    jobs:\n"
                     "      - { id: start, type: core.sleep, bulkhead: cpu, params: { duration: "
                     "50ms }, foreach: { range: { from: 0, to: 2 } } }\n");
}

}  // namespace

std::vector<Row> case_process_isolation(Options& o) {
  if (o.spin_iters == 0) o.spin_iters = calibrate_spin(1000.0);
  const std::size_t n = o.isolated;
  const double workers = o.workers;
  const JobsSpec spec{.workers = o.workers, .jobs = n, .iters = o.spin_iters};
  auto serial_ns = std::make_shared<double>(0.0);
  const auto micros = [n](double ns) { return ns / 1000.0 / double(n); };
  std::vector<Measured> impls;
  impls.emplace_back("thread_noop", "YAML: core.noop on threads; Runner::run() only", "µs/instance",
                     [yaml = noop_range_pipeline(n, o.workers), n, micros] {
                       return micros(run_pipeline(yaml, n).run_ns);
                     });
  impls.emplace_back("process_start", "YAML: 2 × core.noop, isolation: process: a run's fixed cost",
                     "ms", [yaml = in_processes(noop_range_pipeline(2, o.workers))] {
                       return run_pipeline(yaml, 2).run_ns / 1e6;
                     });
  impls.emplace_back("process_noop", "YAML: core.noop, isolation: process, workers started",
                     "µs/instance",
                     [yaml = started_first(in_processes(noop_range_pipeline(n, o.workers))), n,
                      micros] { return micros(run_pipeline(yaml, n + 2).last_stage_ns); });
  impls.emplace_back("serial", "bench.spin's work on one thread; spin=" +
                                   std::to_string(o.spin_iters), "ns/job",
                     [spec, serial_ns] {
                       *serial_ns = serial_jobs(spec);
                       return *serial_ns / double(spec.jobs);
                     });
  impls.emplace_back("process_1us", "YAML: bench.spin, isolation: process, workers started",
                     "efficiency",
                     [yaml = started_first(in_processes(small_jobs_pipeline(n, o.workers, o.spin_iters))),
                      n, serial_ns, workers] {
                       return *serial_ns / (run_pipeline(yaml, n + 2).last_stage_ns * workers);
                     });
  run_interleaved("process_isolation", impls, o);
  return to_rows("process_isolation", impls, [](Row& row) {
    if (row.impl == "process_noop") {
      row.target = "<= 5 µs/instance";
      if (row.summary.runs > 0) row.target_met = row.summary.median <= kEmptyMaxMicros;
    }
    if (row.impl == "process_1us") {
      row.target = ">= 0.8";
      if (row.summary.runs > 0) row.target_met = row.summary.median >= kSmallMinEfficiency;
    }
  });
}

}  // namespace lockstep_bench
