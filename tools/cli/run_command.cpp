// `lockstep run PIPELINE [--set vars.NAME=VALUE]... [--plugin-path DIR]... [--threads N]
// [--progress=WHEN] [--quiet] [--run-dir DIR] [--log-max SIZE] [--report FILE] [--trace FILE]
// [--html FILE]`:
// checks the pipeline as `validate` does (on an error, runs nothing), runs it with the observers
// the flags ask for, and ends with a summary.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "byte_size.hpp"
#include "command.hpp"
#include "file_url.hpp"
#include "group_guard.hpp"
#include "interrupt_watch.hpp"
#include "lockstep/pipeline/cluster.hpp"
#include "lockstep/pipeline/exit_codes.hpp"
#include "lockstep/pipeline/html_report.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "lockstep/pipeline/progress.hpp"
#include "lockstep/pipeline/report.hpp"
#include "lockstep/pipeline/resume.hpp"
#include "lockstep/pipeline/run_dir.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "lockstep/pipeline/trace.hpp"
#include "mpi_ranks.hpp"
#include "output_file.hpp"
#include "pipeline_options.hpp"
#include "reuse_text.hpp"
#include "run_dir_logs.hpp"
#include "run_summary.hpp"

namespace lockstep::cli {

namespace {

struct RunCommandOptions {
  PipelineCommandOptions pipeline{};
  int threads = 0;                // 0: the pipeline's own `threads`, if any
  std::string isolation = "thread";  // --isolation: of bulkheads that do not say
  std::string progress = "auto";  // --progress=auto|always|never
  bool quiet = false;             // --quiet: no progress; only warning and error job lines
  std::string report{};           // --report FILE: JSON report
  std::string trace{};            // --trace FILE: Chrome trace events
  std::string html{};             // --html FILE: the run's page
  std::string run_dir{};          // --run-dir DIR: job logs; a default when empty
  bool no_journal = false;        // --no-journal: no RUN_DIR/journal (for measuring its cost)
  bool resume = false;            // --resume [RUN_DIR]
  std::string resume_dir{};       // its RUN_DIR; the newest run of the pipeline when empty
  bool explain = false;           // --explain: what is reused and why the rest runs
  bool dry_run = false;           // --dry-run: explain, run nothing
  // --log-max SIZE: what the job lines may take in the run dir
  std::string log_max = byte_size_text(kDefaultRunDirMaxBytes);
};

// --threads N: a whole number of at least 1.
std::string check_threads(const std::string& text) {
  int threads = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), threads);
  if (error != std::errc{} || end != text.data() + text.size() || threads < 1) {
    return "'" + text + "' is not a number of threads: write a whole number >= 1";
  }
  if (threads > thread_limit()) {
    return "'" + text + "' threads are more than the " + std::to_string(thread_limit()) +
           " lockstep starts";
  }
  return {};
}

// The same file: the same inode when both exist, else the same absolute path.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  struct stat first {
  }, second{};
  if (::stat(a.c_str(), &first) == 0 && ::stat(b.c_str(), &second) == 0) {
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
  }
  std::error_code error;
  const auto where = [&error](const std::filesystem::path& path) {
    return std::filesystem::weakly_canonical(std::filesystem::absolute(path, error), error);
  };
  return where(a) == where(b);
}

// An output that would overwrite the pipeline, a plugin or the other output: why, else "".
std::string output_clash(const RunCommandOptions& options, const LoadedPipeline& loaded) {
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"the pipeline", options.pipeline.pipeline}};
  for (const auto& plugin : loaded.registry.plugins()) {
    if (!plugin.path.empty()) inputs.emplace_back("plugin '" + plugin.name + "'", plugin.path);
  }
  const std::pair<std::string, std::string> outputs[] = {
      {"--report", options.report}, {"--trace", options.trace}, {"--html", options.html}};
  for (const auto& [flag, path] : outputs) {
    if (path.empty()) continue;
    for (const auto& [what, input] : inputs) {
      if (same_file(path, input)) return flag + " " + path + " is " + what + " (" + input + ")";
    }
  }
  for (std::size_t i = 0; i < std::size(outputs); ++i) {
    for (std::size_t j = i + 1; j < std::size(outputs); ++j) {
      const auto& [first, first_path] = outputs[i];
      const auto& [second, second_path] = outputs[j];
      if (!first_path.empty() && !second_path.empty() && same_file(first_path, second_path)) {
        return first + " and " + second + " are the same file (" + first_path + ")";
      }
    }
  }
  return {};
}

// DIR/journal, for this run. A journal there already (a --run-dir used again) becomes
// journal.N, the first N free.
std::filesystem::path keep_earlier_journal(const std::filesystem::path& dir) {
  auto journal = dir / "journal";
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::symlink_status(journal, error))) return journal;
  for (int n = 1;; ++n) {
    auto earlier = dir / ("journal." + std::to_string(n));
    if (!std::filesystem::exists(std::filesystem::symlink_status(earlier, error))) {
      std::filesystem::rename(journal, earlier, error);
      return journal;
    }
  }
}

// The newest run of `pipeline` under .lockstep/runs (its journal names the same file); empty
// when there is none.
std::filesystem::path newest_run_of(const std::string& pipeline) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto wanted = fs::absolute(pipeline, error).string();
  fs::path newest;
  std::int64_t newest_start = -1;
  for (const auto& entry : fs::directory_iterator(".lockstep/runs", error)) {
    const auto journal = read_journal(entry.path() / "journal");
    if (journal.records.empty()) continue;
    const auto run = nlohmann::json::parse(journal.records.front(), nullptr, false);
    if (!run.is_object() || run.value("pipeline", "") != wanted) continue;
    // A run killed before its first stage ran nothing: the one before it says more.
    const bool ran = std::ranges::any_of(journal.records, [](const std::string& text) {
      return text.find(R"("t":"stage")") != std::string::npos ||
             text.find(R"("t":"run_end")") != std::string::npos;
    });
    if (!ran) continue;
    const auto started = run.value("started", std::int64_t{0});
    if (started > newest_start) {
      newest_start = started;
      newest = entry.path();
    }
  }
  return newest;
}

// --resume: what the earlier run spares this one. Null with the message printed when the
// earlier run cannot be read.
std::optional<ResumePlan> plan_from_earlier(const RunCommandOptions& options,
                                            const LoadedPipeline& loaded) {
  const std::filesystem::path dir = options.resume_dir.empty()
                                        ? newest_run_of(options.pipeline.pipeline)
                                        : std::filesystem::path(options.resume_dir);
  if (dir.empty()) {
    std::cerr << "lockstep run: error: --resume: no earlier run of " << options.pipeline.pipeline
              << " under .lockstep/runs (name its run directory: --resume RUN_DIR)\n";
    return std::nullopt;
  }
  // An MPI run's journal is rank 0's: RUN_DIR/rank-0/journal under a given --run-dir.
  auto journal = dir / "journal";
  std::error_code missing;
  if (!std::filesystem::exists(journal, missing) &&
      std::filesystem::exists(dir / "rank-0" / "journal", missing)) {
    journal = dir / "rank-0" / "journal";
  }
  const auto earlier = read_journal(journal);
  if (!earlier.error.empty()) {
    std::cerr << "lockstep run: error: --resume: " << earlier.error << "\n";
    return std::nullopt;
  }
  return plan_resume(loaded.pipeline, loaded.registry.plugins(), earlier);
}

// Under MPI, when a rank was lost: the process ends here, with `status`. MPI cannot be finalized
// (that waits for every rank), and mpirun kills what is left a second after its interrupt anyway.
int end_rank(const RunResult& result, int status) {
  if (result.ranks_lost.empty()) return status;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}

// Under MPI: what of this run the ranks cannot do together yet, one line each; empty when
// nothing (every flag works under MPI: --report, --trace, --html and the journal are rank 0's,
// --resume is planned there, --explain and --dry-run printed there).
std::vector<std::string> refused_under_mpi(const LoadedPipeline& loaded) {
  return unsupported_on_cluster(loaded.pipeline);
}

// Under MPI, before anything runs: the same pipeline and plugins on every rank, loaded without
// error, and nothing refused. Diagnostics and errors are printed by rank 0 only; false (every
// rank: exit 2) when the ranks must not run it.
bool ranks_agree(Cluster& cluster, const RunCommandOptions& options, const LoadedPipeline* loaded,
                 const std::string& load_errors) {
  const bool speaks = cluster.rank() == 0;
  const auto differ = same_pipeline_everywhere(
      cluster, options.pipeline.pipeline,
      loaded != nullptr ? loaded->registry.plugins() : std::vector<PluginInfo>{},
      loaded != nullptr ? "" : "the pipeline did not load: " + load_errors);
  if (!differ.empty()) {
    // Rank 0's own diagnostics are printed already: they come first.
    if (speaks && loaded != nullptr) {
      std::cerr << "lockstep run: error: the ranks cannot run the same pipeline:\n" << differ;
    }
    return false;
  }
  std::string refused;
  for (const auto& line : refused_under_mpi(*loaded)) refused += line + "\n";
  if (const auto any = agree(cluster, refused); !any.empty()) {
    if (speaks) std::cerr << "lockstep run: error: " << (refused.empty() ? any : refused);
    return false;
  }
  return true;
}

// The first line of what the loader printed.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

int run_pipeline(const RunCommandOptions& options) {
  // Before any thread, lock or child: the guard must hold none of them.
  GroupGuard::start();
  // Launched by mpirun or srun as one of several ranks: each runs its share of every stage. MPI
  // is loaded and initialized only then, and finalized (on every rank) as this returns.
  std::unique_ptr<MpiRanks> ranks;
  if (launched_ranks() > 1) {
    // Ctrl-C reaches the ranks as SIGTERM from mpirun (SIGKILL a second later, by default):
    // MPI_Init's threads must leave it to the InterruptWatch below.
    block_interrupts_in_threads_to_come();
    std::string error;
    ranks = MpiRanks::start(error);
    if (!ranks) {
      std::cerr << "lockstep run: error: " << error << "\n";
      return kExitError;
    }
  }
  Cluster* cluster = ranks ? &ranks->cluster() : nullptr;
  if (cluster != nullptr && cluster->size() != launched_ranks()) {
    // MPI sees fewer ranks than were launched (each task alone: srun without --mpi=pmix or
    // pmi2): every task would run the whole pipeline.
    std::cerr << "lockstep run: error: launched as " << launched_ranks() << " ranks, but MPI sees "
              << cluster->size() << " (under srun, pass --mpi=pmix or --mpi=pmi2)\n";
    return kExitError;
  }
  // Rank 0 speaks for all: the others print only their jobs' log lines.
  const bool speaks = cluster == nullptr || cluster->rank() == 0;
  std::ostringstream unheard;
  const auto loaded = load_checked_pipeline(options.pipeline, speaks ? std::cerr : unheard);
  if (cluster != nullptr &&
      !ranks_agree(*cluster, options, loaded.get(), first_line(unheard.str()))) {
    return kExitError;
  }
  if (!loaded) return kExitError;
  // Under MPI every rank checks (a rank that stopped alone would leave the others waiting).
  const auto clash = output_clash(options, *loaded);
  const auto clashes = cluster != nullptr ? agree(*cluster, clash) : clash;
  if (!clashes.empty()) {
    if (speaks) {
      std::cerr << "lockstep run: error: " << (clash.empty() ? clashes : clash)
                << ": choose another file\n";
    }
    return kExitError;
  }
  std::optional<ResumePlan> resume;
  if (options.resume && cluster == nullptr) {
    resume = plan_from_earlier(options, *loaded);
    if (!resume) return kExitError;
  } else if (options.resume) {
    // Rank 0 reads the journal (the other ranks' run directories hold none) and plans; every
    // rank gets the same reuse.
    if (speaks) resume = plan_from_earlier(options, *loaded);
    if (!agree(*cluster, speaks && !resume ? "no plan" : "").empty()) return kExitError;
    const auto text = cluster->broadcast(speaks ? reuse_text(resume->reuse) : std::string());
    if (!speaks) {
      auto reuse = reuse_of(text);
      if (!reuse) return kExitError;  // never: rank 0 wrote it
      resume.emplace();
      resume->reuse = std::move(*reuse);
    }
  }
  if ((options.explain || options.dry_run) && speaks) {
    std::cerr << (resume ? resume->explain()
                         : std::string("resume: no --resume: every instance runs\n"));
  }
  if (options.dry_run) return kExitOk;
  // The runner first: every observer below is attached to it by a call, in whatever order
  // (none of them prints as the run ends but the progress printer: the rest print after run()).
  Runner runner(
      loaded->pipeline,
      {.threads = options.threads > 0 ? std::optional(options.threads) : std::nullopt,
       .reuse = resume ? &resume->reuse : nullptr,
       .isolation = options.isolation == "process" ? Isolation::process : Isolation::thread,
       .cluster = cluster});
  // A job on a thread of this process that crashes it: the note names the instance.
  install_crash_note();
  // Under MPI the other ranks forward their failures to rank 0, which prints them as its own.
  FailureReport failures(
      std::cerr, 20, speaks ? FailureReport::Forward() : [cluster](const std::string& text) {
        cluster->post(Cluster::Channel::failures, text);
      });
  runner.observe(failures);
  struct ReceiverReset {  // before `failures` goes, however this returns
    Cluster* cluster;
    ~ReceiverReset() {
      if (cluster != nullptr) cluster->receive(Cluster::Channel::failures, {});
    }
  } receiver_reset{speaks ? cluster : nullptr};
  if (cluster != nullptr && speaks) {
    cluster->receive(Cluster::Channel::failures,
                     [&failures](int, const std::string& text) { failures.received(text); });
  }
  std::optional<std::uint64_t> log_max;
  parse_byte_size(options.log_max, log_max);  // checked as the flag was read
  // Under MPI each rank keeps its own job logs: the default run dir names its process, a given
  // one gets a directory per rank in it.
  auto run_dir = options.run_dir;
  if (cluster != nullptr && !run_dir.empty()) {
    run_dir =
        (std::filesystem::path(run_dir) / ("rank-" + std::to_string(cluster->rank()))).string();
    std::error_code error;
    std::filesystem::create_directories(run_dir, error);
  }
  std::ostringstream logs_error;
  auto logs = RunDirLogs::open(run_dir, options.quiet, log_max, loaded->pipeline,
                               speaks ? std::cerr : logs_error);
  if (cluster != nullptr &&
      !agree(*cluster, logs ? "" : "no run directory: " + first_line(logs_error.str())).empty()) {
    if (speaks && logs)
      std::cerr << "lockstep run: error: a rank could not open its run directory\n";
    return kExitError;  // every rank: nothing ran
  }
  if (!logs) return kExitError;  // an unwritable --run-dir: nothing ran
  // It learns how instances end, to give the failed ones a file of their own.
  if (auto* observer = logs->observer()) runner.observe(*observer);
  // RUN_DIR/journal: what the run did, crash-safe (docs/resume.md).
  std::optional<RunJournal> journal;
  // Under MPI, rank 0's alone (in RUN_DIR/rank-0): it records every rank's instances.
  if (const auto* dir = logs->dir(); dir != nullptr && !options.no_journal && speaks) {
    journal.emplace(keep_earlier_journal(*dir),
                    JournalIdentity{.pipeline = &loaded->pipeline,
                                    .plugins = loaded->registry.plugins(),
                                    .run_id = logs->run_id(),
                                    .reuse = resume ? &resume->reuse : nullptr},
                    &runner.outputs());
    if (const auto error = journal->error(); !error.empty()) {
      std::cerr << "lockstep: warning: no journal: " << error << "\n";
    } else {
      runner.observe(*journal);
    }
  }
  // --report FILE, --trace FILE: created now, so that a path they cannot write stops the run
  // before any job. Under MPI rank 0 writes them, of every rank's instances (the others forward
  // their events to it), and every rank stops if it cannot.
  std::unique_ptr<OutputFile<JsonReport>> report;
  std::unique_ptr<OutputFile<ChromeTrace>> trace;
  std::unique_ptr<OutputFile<HtmlReport>> page;
  const bool outputs_opened = !speaks || [&] {
    if (!options.report.empty()) {
      report = OutputFile<JsonReport>::open("report", options.report, std::cerr);
      if (!report) return false;
      runner.observe(report->observer());
    }
    if (!options.trace.empty()) {
      trace = OutputFile<ChromeTrace>::open("trace", options.trace, std::cerr);
      if (!trace) return false;
      runner.observe(trace->observer());
    }
    // --html FILE: the same, the page's failures showing the tails of the run dir's job logs.
    if (!options.html.empty()) {
      page = OutputFile<HtmlReport>::open(
          "page", options.html, std::cerr,
          HtmlReportOptions{.run_dir =
                                logs->dir() != nullptr ? *logs->dir() : std::filesystem::path()});
      if (!page) return false;
      runner.observe(page->observer());
    }
    return true;
  }();
  if (cluster != nullptr &&
      !agree(*cluster, outputs_opened ? "" : "cannot write its --report, --trace or --html")
           .empty()) {
    return kExitError;  // every rank: nothing ran (rank 0 said why)
  }
  if (!outputs_opened) return kExitError;
  // --progress: a live line on a terminal (auto, always), plain lines now and then elsewhere
  // (always); none with never or --quiet.
  const bool terminal = ::isatty(STDERR_FILENO) != 0;
  const bool show_progress =
      speaks && !options.quiet &&
      (options.progress == "always" || (options.progress == "auto" && terminal));
  std::optional<ProgressPrinter> progress;
  std::optional<ProgressLogSink> progress_log;
  if (show_progress) {
    progress.emplace(
        runner, stderr,
        ProgressOptions{.mode = terminal ? ProgressMode::terminal : ProgressMode::plain});
    runner.observe(*progress);
    // Job log lines go above the live line, never through it.
    if (terminal) progress_log.emplace(*progress, logs->sink());
  }
  runner.log_to(progress_log ? static_cast<LogSink&>(*progress_log) : logs->sink());
  std::optional<StreamAboveProgress> cerr_above;  // failure lines too, whole
  if (progress && terminal) cerr_above.emplace(std::cerr, *progress);
  // Ctrl-C, SIGTERM, SIGHUP: cancel, report, 130. Watched until the files are written, so that
  // a signal cannot cut them short (a second one still ends the process within a second).
  InterruptWatch watch([&runner] { runner.interrupt(); });
  const RunResult result = runner.run();
  // Every rank has the counts of all: rank 0 prints them, and every rank exits with the same code.
  if (!speaks) return end_rank(result, result.exit_code());
  logs->print_where();  // "logs: DIR"
  if (!result.error.empty()) std::cerr << "lockstep: error: " << result.error << '\n';
  if (!result.ranks_lost.empty()) std::cerr << "lockstep: error: " << result.ranks_lost << '\n';
  failures.print_not_shown(std::cerr);
  print_run_summary(std::cerr, loaded->pipeline, result);
  // After a failed or interrupted run too: they show what did happen.
  int status = result.exit_code();
  if (trace) status = trace->write(status, std::cerr);
  if (report) status = report->write(status, std::cerr);
  if (page) {
    status = page->write(status, std::cerr);
    // A link a terminal can open; elsewhere (a CI log, a script) the path as given.
    if (page->written()) {
      std::cerr << "page: " << (terminal ? file_url(options.html) : options.html) << "\n";
    }
  }
  return end_rank(result, status);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* command = app.add_subcommand("run", "Run a pipeline, stage by stage");
  command->footer(
      "Checks the pipeline as 'lockstep validate' does; on any error, prints them all and runs\n"
      "nothing (exit status 2). Then runs its stages in order, a barrier between them, and ends\n"
      "with a summary on stderr: per stage, its status, wall time and how many instances ended\n"
      "in each state. Exit status 0 when no failure counts against the run, else 1.\n"
      "SIGINT, SIGTERM or SIGHUP (Ctrl-C) cancels the running jobs, kills the commands they\n"
      "started and ends with the summary, the report and exit status 130; a second one kills the\n"
      "commands at once and quits within a second. --report and --trace land whole: written\n"
      "aside and renamed over FILE at the end. Two runs on the same --run-dir, --report or\n"
      "--trace are refused (exit status 2), naming the process that holds it.");
  add_pipeline_options(*command, options->pipeline);
  command
      ->add_option("--threads", options->threads,
                   "Cap the threads of all bulkheads together (overrides the pipeline's)")
      ->type_name("N")
      ->check(CLI::Validator([](std::string& text) { return check_threads(text); }, ""));
  command
      ->add_option("--isolation", options->isolation,
                   "Where the jobs of bulkheads that do not say `isolation:` run: thread (in\n"
                   "lockstep's process, the default) or process (in worker processes)")
      ->check(CLI::IsMember({"thread", "process"}))
      ->envname("LOCKSTEP_ISOLATION")
      ->type_name("MODE");
  command
      ->add_option("--progress", options->progress,
                   "Live progress on stderr: auto (when stderr is a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");
  command->add_flag("--quiet,-q", options->quiet,
                    "No progress; of the jobs' log lines only warnings and errors on stderr");
  command->add_option("--report", options->report, "Write a JSON report of the run to FILE")
      ->type_name("FILE");
  command
      ->add_option("--trace", options->trace,
                   "Write a Chrome trace (Perfetto, chrome://tracing) of the run to FILE")
      ->type_name("FILE");
  command
      ->add_option("--html", options->html,
                   "Write the run as one self-contained HTML page to FILE (timeline, stages, "
                   "bulkheads, failures)")
      ->type_name("FILE");
  command
      ->add_option(
          "--run-dir", options->run_dir,
          "Keep each job's log in its own file under DIR (default: .lockstep/runs/NAME-TIME-PID: "
          "the pipeline's name, the start in UTC as 20261127T041224, lockstep's process id)")
      ->type_name("DIR");
  command
      ->add_option("--log-max", options->log_max,
                   "Write at most SIZE of job log lines to the run directory (K, M, G, T: powers "
                   "of 1024; none: no limit); a note says when later lines were left out")
      ->capture_default_str()
      ->type_name("SIZE")
      ->check(CLI::Validator(
          [](std::string& text) {
            std::optional<std::uint64_t> size;
            return parse_byte_size(text, size);
          },
          ""));
  auto* resume = command->add_option(
      "--resume", options->resume_dir,
      "Reuse what an earlier run of this pipeline did (RUN_DIR, default: its newest "
      "run under .lockstep/runs): instances that succeeded there, with nothing they "
      "depend on changed, are not run again (docs/resume.md)");
  resume->expected(0, 1)->type_name("[RUN_DIR]");
  command->add_flag("--explain", options->explain,
                    "Print, per job, how many instances are reused and why the others run");
  command->add_flag("--dry-run", options->dry_run, "Explain, and run nothing");
  command->add_flag("--no-journal", options->no_journal,
                    "Write no RUN_DIR/journal (its cost is measured against this)");
  return {command, [options, resume] {
            options->resume = resume->count() > 0;
            return run_pipeline(*options);
          }};
}

}  // namespace lockstep::cli
