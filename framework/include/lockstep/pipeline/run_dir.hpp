// lockstep/pipeline/run_dir.hpp — a run directory: each job instance's log lines in a file of its
// own, and every line in one structured log of the run.
//
//   const auto dir = lockstep::default_run_dir(pipeline.name);  // .lockstep/runs/NAME-TIME-PID
//   if (auto why = lockstep::RunDirLog::check_writable(dir); !why.empty()) { ... }
//   lockstep::RunDirLog log(dir, {.forward = &lockstep::stderr_log_sink(),
//                                 .forward_from = lockstep::Logger::Level::warning});
//   lockstep::Runner runner(pipeline, {.log = &log});
//   runner.run();
//   if (log.created()) std::cerr << "logs: " << log.dir().string() << "\n";
//
// Layout of DIR (made lazily: nothing exists until a job logs a line):
//   run.log                  every line as JSON, one object a line:
//                            {"ts":"2026-11-27T04:12:24.123Z","run":"pipe-20261127T041224-42",
//                             "level":"info","stage":"fetch",
//                             "job":"get","index":3,"msg":"..."}  ("iteration":2 in a repeated
//                            stage; an id not made by the runner is given whole as "job")
//   jobs/fetch/get.3.log     the lines of instance "fetch/get[3]", as the job wrote them
//   jobs/fetch/all.log       "fetch/all" (a job without fan-out)
//   jobs/solve@2/step.log    "solve@2/step" (iteration 2 of a repeated stage)
// Lines are appended: a directory used again keeps the lines of earlier runs (their "run" tells
// them apart). Files are opened with O_NOFOLLOW: a symlink in their place is an error.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/pipeline/job_instance.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

struct RunDirOptions {
  LogSink* forward = nullptr;  // also gets each line at forward_from or above (not owned)
  Logger::Level forward_from = Logger::Level::debug;
  int max_open_files = 64;  // job files kept open at once; the least recently written is closed
  std::string run_id{};     // "run" of every run.log line, when not empty
};

// A LogSink; thread-safe. Each line reaches its files before write() returns, so the files can
// be read (tail -f) while the run goes on and nothing is lost if the process dies.
class LOCKSTEP_API RunDirLog final : public LogSink {
 public:
  explicit RunDirLog(std::filesystem::path dir, RunDirOptions options = {});
  ~RunDirLog() override;
  RunDirLog(const RunDirLog&) = delete;
  RunDirLog& operator=(const RunDirLog&) = delete;

  void write(std::string_view job_id, Logger::Level level, std::string_view line) override;

  const std::filesystem::path& dir() const noexcept;
  // A line was written: the directory exists.
  bool created() const noexcept;
  // The first error met writing a file ("" when none); lines that could not be written were
  // sent to `forward` (whatever their level) when there is one.
  std::string error() const;

  // Where the lines of `job_id` go, relative to the run directory. Letters, digits, '_', '-'
  // and '@' stay; each '/' between two non-empty parts starts a directory; a trailing "[N]"
  // becomes ".N"; every other byte is written %XX (hex, upper case), '.' and '%' included.
  // Then ".log". Distinct ids give distinct paths (on a case-sensitive file system): only an
  // index yields an unescaped '.', no part is empty, ".", or "..", and directories never end in
  // ".log". "a/b[1]" -> "jobs/a/b.1.log", "a/b.1" -> "jobs/a/b%2E1.log".
  static std::filesystem::path job_log_path(std::string_view job_id);

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
