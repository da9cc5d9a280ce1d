// tools/cli/run_dir_logs.hpp — where `lockstep run` puts job logs: a run directory (--run-dir,
// or .lockstep/runs/NAME-TIME-PID) of at most --log-max bytes of them, and stderr as before
// (with --quiet, warnings and errors only).
//
//   auto logs = RunDirLogs::open(options.run_dir, options.quiet, 1 << 30, pipeline, std::cerr);
//   if (!logs) return kExitError;                  // lockstep run: error: --run-dir: ...
//   runner.log_to(logs->sink());
//   if (auto* observer = logs->observer()) runner.observe(*observer);  // failures' own files
//   runner.run();
//   logs->print_where();                           // "logs: DIR"
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "lockstep/pipeline/pipeline.hpp"
#include "lockstep/pipeline/run_dir.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "path_lock.hpp"

namespace lockstep::cli {

class RunDirLogs final {
 public:
  // Null, after a message on `err`, when the --run-dir given cannot be made or written, or
  // another run holds it (its DIR/lock names that run's process). When the default one cannot,
  // a warning, and the logs go to stderr only: the user did not ask. The directory is made and
  // locked at once; the lock is let go when this object goes.
  // `log_max`: what the job lines may take in the directory (--log-max); none: no limit.
  static std::unique_ptr<RunDirLogs> open(const std::string& run_dir, bool quiet,
                                          std::optional<std::uint64_t> log_max,
                                          const Pipeline& pipeline, std::ostream& err);

  // `dir` empty: no run directory.
  RunDirLogs(std::optional<std::filesystem::path> dir, bool quiet, std::ostream& out,
             std::string run_id = {}, std::optional<std::uint64_t> log_max = std::nullopt);

  LogSink& sink() noexcept;
  // The run directory's log as an observer of the run (it writes the files of the instances that
  // failed); null when there is no run directory.
  RunObserver* observer() noexcept;
  // The run directory; null when there is none.
  const std::filesystem::path* dir() const noexcept;
  // This run's id: NAME-TIME-PID, as the default run directory is named.
  const std::string& run_id() const noexcept { return run_id_; }

  // After the run: "logs: DIR" when a job logged anything, what could not be written, if
  // anything, and whether --log-max left lines out. Not an observer's run_ended, so that it
  // never races the progress line's end.
  void print_where();

 private:
  // Lines from a level on, to stderr.
  class StderrFrom final : public LogSink {
   public:
    explicit StderrFrom(Logger::Level from) : from_(from) {}
    void write(std::string_view job_id, Logger::Level level, std::string_view line) override;

   private:
    Logger::Level from_;
  };

  StderrFrom stderr_;
  std::optional<RunDirLog> log_;
  std::ostream& out_;
  std::unique_ptr<PathLock> lock_;
  std::string run_id_;
  std::optional<std::uint64_t> log_max_;
};

}  // namespace lockstep::cli
