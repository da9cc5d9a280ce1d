// lockstep/pipeline/run_dir.hpp — a run directory: every job's log lines in a file of the job,
// the lines of an instance that failed in a file of its own, every line in one structured log.
//
//   const auto dir = lockstep::default_run_dir(pipeline.name);  // .lockstep/runs/NAME-TIME-PID
//   if (auto why = lockstep::RunDirLog::check_writable(dir); !why.empty()) return fail(why);
//   lockstep::RunDirLog log(dir, {.forward = &lockstep::stderr_log_sink(),
//                                 .forward_from = lockstep::Logger::Level::warning});
//   lockstep::Runner runner(pipeline, {.log = &log, .observers = {&log}});
//   runner.run();
//   if (log.created()) std::cerr << "logs: " << log.dir().string() << "\n";
//
// Layout of DIR (made lazily: nothing exists until a job logs a line):
//   run.log                  every line as JSON, one object a line:
//                            {"ts":"2026-11-27T04:12:24.123Z","run":"pipe-20261127T041224-42",
//                             "level":"info","stage":"fetch",
//                             "job":"get","index":3,"msg":"..."}  ("iteration":2 in a repeated
//                            stage; an id not made by the runner is given whole as "job"); notes
//                            of the log itself have no "job" (the limit reached, say)
//   jobs/fetch/all.log       "fetch/all" (a job without fan-out), as the job wrote them
//   jobs/fetch/get.log       every line of every instance of "fetch/get[N]", each led by
//                            "[N] ": "[3] downloaded 12 files"
//   jobs/fetch/get.3.log     the lines of instance "fetch/get[3]" alone: for the first
//                            `instance_files` instances (N < 100), and for an instance that did
//                            not succeed (up to `failed_instance_files` of them in a run)
//   jobs/solve@2/step.log    "solve@2/step" (iteration 2 of a repeated stage)
// So a million instances make two files, not a million, and a failure's log is still one file.
// A failed instance's own file is written when it ends, from the last 64 KiB of its lines kept
// meanwhile (a first line says so when it holds only the last ones); the log learns how
// instances end as an observer of the run, so attach it to the runner as one (without, failed
// instances past the first `instance_files` have no file of their own: their lines are in the
// job's file). Lines are appended: a directory used again keeps the lines of earlier runs (their
// "run" tells them apart). Files are opened with O_NOFOLLOW: a symlink in their place is an
// error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/pipeline/runner.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// What the job lines of a run may take in its directory by default: far more than ordinary runs
// log (a million short lines take about 160 MB), far less than a disk a runaway job could fill.
inline constexpr std::uint64_t kDefaultRunDirMaxBytes = std::uint64_t{1} << 30;  // 1 GiB

struct RunDirOptions {
  LogSink* forward = nullptr;  // also gets each line at forward_from or above (not owned)
  Logger::Level forward_from = Logger::Level::debug;
  int max_open_files = 64;  // job files kept open at once; the least recently written is closed
  std::string run_id{};     // "run" of every run.log line, when not empty
  // Instances of a fan-out with an index below this have a file of their own besides the job's.
  std::uint64_t instance_files = 100;
  // Instances past those that did not succeed get one too, up to this many in the run; the
  // rest are in their job's file only (run.log notes it once).
  std::uint64_t failed_instance_files = 1000;
  // The bytes the run's job lines may take in the directory (run.log and jobs/ together). A line
  // that would pass it is not written, nor any after it; run.log notes it once, and
  // reached_max_bytes() says so. None: no limit.
  std::optional<std::uint64_t> max_bytes = kDefaultRunDirMaxBytes;
};

// A LogSink, and a RunObserver that sees instances end; thread-safe. Each line reaches the
// job's file and run.log before write() returns, so they can be read (tail -f) while the run
// goes on and nothing is lost if the process dies.
class LOCKSTEP_API RunDirLog final : public LogSink, public RunObserver {
 public:
  explicit RunDirLog(std::filesystem::path dir, RunDirOptions options = {});
  ~RunDirLog() override;
  RunDirLog(const RunDirLog&) = delete;
  RunDirLog& operator=(const RunDirLog&) = delete;

  void write(std::string_view job_id, Logger::Level level, std::string_view line) override;

  // As an observer: writes the own file of an instance that did not succeed, and forgets the
  // lines kept for those that did.
  Interest interest() const override { return Interest::failures; }
  bool wants_succeeded_ranges() const override { return true; }
  void run_started(const Pipeline& pipeline) override;
  void instance_ended(const InstanceEvent& instance) override;
  void instances_succeeded(const SucceededRange& range) override;
  void stage_ended(const StageSpec& stage, int iteration, const StageSummary& so_far) override;
  void run_ended(const RunResult& result) override;

  const std::filesystem::path& dir() const noexcept;
  // A line was written: the directory exists.
  bool created() const noexcept;
  // The first error met writing a file ("" when none); lines that could not be written were
  // sent to `forward` (whatever their level) when there is one.
  std::string error() const;
  // Lines were left out because the job lines reached RunDirOptions::max_bytes.
  bool reached_max_bytes() const noexcept;

  // The file of `job_id`'s own lines, relative to the run directory. Letters, digits, '_', '-'
  // and '@' stay; each '/' between two non-empty parts starts a directory; a trailing "[N]"
  // becomes ".N"; every other byte is written %XX (hex, upper case), '.' and '%' included.
  // Then ".log". Distinct ids give distinct paths (on a case-sensitive file system): only an
  // index yields an unescaped '.', no part is empty, ".", or "..", and directories never end in
  // ".log". "a/b[1]" -> "jobs/a/b.1.log", "a/b.1" -> "jobs/a/b%2E1.log". An instance of a
  // fan-out has this file as RunDirOptions::instance_files and failed_instance_files say.
  static std::filesystem::path job_log_path(std::string_view job_id);
  // The job's file, where every instance of it writes: the path of the id without its index
  // ("a/b[1]" -> "jobs/a/b.log", its lines led by "[1] "); job_log_path() of any other id.
  static std::filesystem::path job_lines_path(std::string_view job_id);

  // "" when a run directory can be made at `dir` (or is there) and written; else why not.
  // Makes nothing.
  static std::string check_writable(const std::filesystem::path& dir);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ".lockstep/runs/<name>-<UTC yyyymmddThhmmss>-<pid>", relative to the current directory; the
// name with anything but letters, digits, '_', '-' and '.' replaced by '_'.
LOCKSTEP_API std::filesystem::path default_run_dir(std::string_view pipeline_name);

}  // namespace lockstep
