#include "run_dir_logs.hpp"

#include <ostream>
#include <system_error>

#include "byte_size.hpp"

namespace lockstep::cli {

namespace {

Logger::Level stderr_from(bool quiet) {
  return quiet ? Logger::Level::warning : Logger::Level::debug;
}

}  // namespace

std::unique_ptr<RunDirLogs> RunDirLogs::open(const std::string& run_dir, bool quiet,
                                             std::optional<std::uint64_t> log_max,
                                             const Pipeline& pipeline, std::ostream& err) {
  const auto default_dir = default_run_dir(pipeline.name);
  const auto run_id = default_dir.filename().string();  // names this run, also in a --run-dir
  const auto dir = run_dir.empty() ? default_dir : std::filesystem::path(run_dir);
  auto why = RunDirLog::check_writable(dir);
  // Made now, and locked for the whole run: two runs never share a run directory.
  std::unique_ptr<PathLock> lock;
  if (why.empty()) {
    std::error_code made;
    std::filesystem::create_directories(dir, made);
    if (made) why = "cannot make " + dir.string() + ": " + made.message();
  }
  if (why.empty()) {
    lock = PathLock::acquire(dir / "lock", PathLock::keep, why);
    if (!lock && !run_dir.empty()) {
      err << "lockstep run: error: --run-dir: " << dir.string() << ": " << why << "\n";
      return nullptr;
    }
  }
  if (!why.empty()) {
    if (!run_dir.empty()) {
      err << "lockstep run: error: --run-dir: " << why << "\n";
      return nullptr;
    }
    err << "lockstep: warning: job logs go to stderr only: " << why
        << " (choose a directory with --run-dir)\n";
    return std::make_unique<RunDirLogs>(std::nullopt, quiet, err);
  }
  auto logs = std::make_unique<RunDirLogs>(dir, quiet, err, run_id, log_max);
  logs->lock_ = std::move(lock);
  return logs;
}

RunDirLogs::RunDirLogs(std::optional<std::filesystem::path> dir, bool quiet, std::ostream& out,
                       std::string run_id, std::optional<std::uint64_t> log_max)
    : stderr_(stderr_from(quiet)), out_(out), run_id_(run_id), log_max_(log_max) {
  if (dir)
    log_.emplace(std::move(*dir), RunDirOptions{.forward = &stderr_log_sink(),
                                                .forward_from = stderr_from(quiet),
                                                .run_id = std::move(run_id),
                                                .max_bytes = log_max});
}

const std::filesystem::path* RunDirLogs::dir() const noexcept {
  return log_ ? &log_->dir() : nullptr;
}

RunObserver* RunDirLogs::observer() noexcept { return log_ ? &*log_ : nullptr; }

LogSink& RunDirLogs::sink() noexcept {
  if (log_) return *log_;
  return stderr_;
}

void RunDirLogs::print_where() {
  if (!log_) return;
  if (const auto error = log_->error(); !error.empty()) {
    out_ << "lockstep: warning: some job log lines could not be written (they went to stderr): "
         << error << "\n";
  }
  if (log_->reached_max_bytes()) {
    out_ << "lockstep: warning: the job logs in " << log_->dir().string() << " reached --log-max "
         << (log_max_ ? byte_size_text(*log_max_) : "none")
         << ": later lines are not there (--log-max none lifts the limit)\n";
  }
  if (log_->created()) out_ << "logs: " << log_->dir().string() << "\n";
}

void RunDirLogs::StderrFrom::write(std::string_view job_id, Logger::Level level,
                                   std::string_view line) {
  if (level >= from_) stderr_log_sink().write(job_id, level, line);
}

}  // namespace lockstep::cli
