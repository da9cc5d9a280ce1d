// cases_mpi.cpp — issue 16's measurements: a pipeline run by `lockstep run` in one process, and by
// `mpirun -n R lockstep run` across R ranks of this machine, with the same number of workers in
// all. Each figure is the measured stage's wall time as rank 0's summary prints it (milliseconds),
// so MPI's start-up and the loading of the pipeline are left out on both sides.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cases.hpp"
#include "impls.hpp"
#include "measure.hpp"
#include "peers_external.hpp"
#include "pipeline_run.hpp"
#include "scratch_dir.hpp"
#include "work.hpp"

extern char** environ;

namespace lockstep_bench {
namespace {

// How one measurement runs: `ranks` processes (1: plain `lockstep run`, no mpirun), each with
// bulkheads of `workers`.
struct Launch {
  int ranks = 1;
  int workers = 1;
};

// The wall time of a summary's line for `stage`, in ns: "noop  succeeded  269ms  10,000,000
// succeeded", or "step  succeeded  2000  2.5ms  4,000 succeeded" for a repeated stage.
double stage_wall_ns(const std::string& summary, const std::string& stage) {
  std::istringstream lines(summary);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, status, wall;
    if (!(words >> name >> status >> wall) || name != stage) continue;
    // A repeated stage has a column of iterations before its wall time.
    if (wall.find_first_not_of("0123456789,") == std::string::npos && !(words >> wall)) break;
    const auto number = [&](std::size_t suffix) { return std::stod(wall.substr(0, suffix)); };
    if (wall.ends_with("ms")) return number(wall.size() - 2) * 1e6;
    if (wall.ends_with("s") && wall.find_first_of("mh") == std::string::npos)
      return number(wall.size() - 1) * 1e9;
    throw std::runtime_error("stage '" + stage + "': cannot read the wall time '" + wall + "'");
  }
  throw std::runtime_error("no summary line for stage '" + stage + "' in:\n" + summary);
}

// A pipeline file and a place for lockstep's stderr, removed when done.
class Files {
 public:
  explicit Files(const std::string& yaml) { std::ofstream(pipeline()) << yaml; }
  std::string pipeline() const { return (dir_.path() / "pipeline.yaml").string(); }
  std::string err() const { return (dir_.path() / "stderr").string(); }
  std::string run_dir() const { return (dir_.path() / "runs").string(); }

 private:
  ScratchDir dir_{"lockstep-bench-mpi"};
};

// Runs `lockstep run` on `yaml` as `launch` says and returns the wall time of stage `stage`.
double run_stage(const std::string& lockstep, const std::string& mpirun, const std::string& yaml,
                 const std::string& stage, Launch launch) {
  Files files(yaml);
  std::vector<std::string> argv;
  if (launch.ranks > 1) {
    argv = {mpirun, "--oversubscribe", "-n", std::to_string(launch.ranks)};
    if (::geteuid() == 0) argv.insert(argv.begin() + 1, "--allow-run-as-root");
  }
  for (const auto& word : {lockstep, std::string("run"), files.pipeline(), std::string("-q"),
                           std::string("--no-journal"), "--run-dir=" + files.run_dir(),
                           "--plugin-path=" + std::string(LOCKSTEP_BENCH_PLUGIN_DIR)}) {
    argv.push_back(word);
  }
  std::vector<char*> args;
  for (auto& word : argv) args.push_back(word.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, files.err().c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error(argv[0] + ": cannot start: " + std::strerror(error));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  std::ostringstream err;
  err << std::ifstream(files.err()).rdbuf();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv[0] + " failed (wait status " + std::to_string(status) + "):\n" +
                             err.str());
  }
  return stage_wall_ns(err.str(), stage);
}

// `jobs` core.noop jobs of `instances` each, in one stage: under MPI, a job of more instances than
// ranks is claimed from rank 0 chunk by chunk, so this measures what the claims cost.
std::string claims_pipeline(std::size_t jobs, std::size_t instances, int workers) {
  std::string yaml =
      "version: 1\nname: bench-claims\nbulkheads:\n  cpu: { workers: " + std::to_string(workers) +
      " }\nstages:\n  - name: claims\n    jobs:\n";
  for (std::size_t job = 0; job < jobs; ++job) {
    yaml += "      - { id: j" + std::to_string(job) +
            ", type: core.noop, bulkhead: cpu, foreach: { range: { from: 0, to: " +
            std::to_string(instances) + " } } }\n";
  }
  return yaml;
}

std::string lockstep_next_to(const std::string& self_exe) {
  return (std::filesystem::path(self_exe).parent_path() / "lockstep").string();
}

// What `lockstep --version` prints on stdout ("" when it cannot run).
std::string version_of(const std::string& lockstep) {
  std::string text;
  if (std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((lockstep + " --version").c_str(), "r"),
                                                 ::pclose);
      pipe != nullptr) {
    char buffer[256];
    while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) text += buffer;
  }
  return text;
}

}  // namespace

bool mpi_ranks_runnable(const Options& o) {
  const auto lockstep = lockstep_next_to(o.self_exe);
  return !find_program("mpirun").empty() && ::access(lockstep.c_str(), X_OK) == 0 &&
         version_of(lockstep).find("MPI: available") != std::string::npos;
}

// Issue 16 item 8: per pair of rows, the same work on 1 rank x 2 workers and on 2 ranks x 1
// worker (`--workers` in all, split over the ranks): `instances` core.noop (ns/instance),
// `small_jobs` bench.spin jobs of ~1 µs (efficiency against this process's serial run; the
// summary prints a stage of a second or more to 10 ms, 1 %), a stage of two core.noop repeated
// `rounds` times (µs/round), and a stage of 500 jobs each claimed in chunks from rank 0 (µs/job).
std::vector<Row> case_mpi_ranks(Options& o) {
  const auto mpirun = find_program("mpirun");
  if (mpirun.empty()) throw std::runtime_error("case mpi_ranks: mpirun is not installed");
  const auto lockstep = lockstep_next_to(o.self_exe);
  if (::access(lockstep.c_str(), X_OK) != 0)
    throw std::runtime_error("case mpi_ranks: no lockstep next to lockstep-bench: " + lockstep);
  if (o.spin_iters == 0) o.spin_iters = calibrate_spin(1000.0);
  const int workers = o.workers;
  const int ranks = workers;  // one worker each
  const Launch one{.ranks = 1, .workers = workers};
  const Launch many{.ranks = ranks, .workers = 1};
  const std::string across = std::to_string(ranks) + " ranks x 1 worker, mpirun";
  const std::string single = "1 rank x " + std::to_string(workers) + " workers, no mpirun";

  std::vector<Measured> impls;
  const auto add_noop = [&](const char* name, const std::string& note, Launch launch) {
    impls.emplace_back(name, note + ": core.noop in a range fan-out", "ns/instance",
                       [=, n = o.instances] {
                         return run_stage(lockstep, mpirun, noop_range_pipeline(n, launch.workers),
                                          "noop", launch) /
                                double(n);
                       });
  };
  add_noop("noop_one_rank", single, one);
  add_noop("noop_ranks", across, many);

  const JobsSpec spec{.workers = 1, .jobs = o.small_jobs, .iters = o.spin_iters};
  auto serial_ns = std::make_shared<double>(0.0);
  impls.emplace_back("serial",
                     "bench.spin's work on one thread; spin=" + std::to_string(o.spin_iters),
                     "ns/job", [spec, serial_ns] {
                       *serial_ns = serial_jobs(spec);
                       return *serial_ns / double(spec.jobs);
                     });
  const auto add_spin = [&](const char* name, const std::string& note, Launch launch) {
    impls.emplace_back(name, note + ": bench.spin (~1 µs) in a range fan-out", "efficiency",
                       [=, n = spec.jobs, iters = o.spin_iters] {
                         const auto wall = run_stage(lockstep, mpirun,
                                                     small_jobs_pipeline(n, launch.workers, iters),
                                                     "spin", launch);
                         return *serial_ns / (wall * launch.ranks * launch.workers);
                       });
  };
  add_spin("spin_one_rank", single, one);
  add_spin("spin_ranks", across, many);

  const auto add_rounds = [&](const char* name, const std::string& note, Launch launch) {
    impls.emplace_back(
        name, note + ": 2 core.noop, repeat times", "µs/round", [=, rounds = o.rounds] {
          return run_stage(lockstep, mpirun, stage_rounds_pipeline(rounds, launch.workers), "step",
                           launch) /
                 1000.0 / double(rounds);
        });
  };
  add_rounds("round_one_rank", single, one);
  add_rounds("round_ranks", across, many);

  // Jobs of ranks + 1 instances: each rank asks rank 0 for chunks until none is left, a few
  // round trips a job; µs per job against the same jobs in one process.
  const auto add_claims = [&](const char* name, const std::string& note, Launch launch) {
    impls.emplace_back(
        name, note + ": 500 core.noop jobs of " + std::to_string(ranks + 1) + " instances, claimed",
        "µs/job", [=] {
          return run_stage(lockstep, mpirun, claims_pipeline(500, ranks + 1, launch.workers),
                           "claims", launch) /
                 1000.0 / 500.0;
        });
  };
  add_claims("claims_one_rank", single, one);
  add_claims("claims_ranks", across, many);

  run_interleaved("mpi_ranks", impls, o);
  auto rows = to_rows("mpi_ranks", impls, [](Row&) {});
  add_ratio_row(rows, "mpi_ranks", "noop_ranks", "noop_one_rank", "ns/instance");
  add_ratio_row(rows, "mpi_ranks", "spin_ranks", "spin_one_rank", "efficiency");
  add_ratio_row(rows, "mpi_ranks", "round_ranks", "round_one_rank", "µs/round");
  add_ratio_row(rows, "mpi_ranks", "claims_ranks", "claims_one_rank", "µs/job");
  return rows;
}

}  // namespace lockstep_bench
