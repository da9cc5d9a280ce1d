#include "run_dir_logs.hpp"

#include <ostream>

namespace lockstep::cli {

namespace {

Logger::Level stderr_from(bool quiet) {
  return quiet ? Logger::Level::warning : Logger::Level::debug;
}

}  // namespace

std::unique_ptr<RunDirLogs> RunDirLogs::open(const std::string& run_dir, bool quiet,
                                             const Pipeline& pipeline, std::ostream& err) {
  const auto dir =
      run_dir.empty() ? default_run_dir(pipeline.name) : std::filesystem::path(run_dir);
  if (const auto why = RunDirLog::check_writable(dir); !why.empty()) {
    if (!run_dir.empty()) {
      err << "lockstep run: error: --run-dir: " << why << "\n";
      return nullptr;
    }
    err << "lockstep: warning: job logs go to stderr only: " << why
        << " (choose a directory with --run-dir)\n";
    return std::make_unique<RunDirLogs>(std::nullopt, quiet, err);
  }
  return std::make_unique<RunDirLogs>(dir, quiet, err);
}

RunDirLogs::RunDirLogs(std::optional<std::filesystem::path> dir, bool quiet, std::ostream& out)
    : stderr_(stderr_from(quiet)), out_(out) {
  if (dir)
    log_.emplace(std::move(*dir),
                 RunDirOptions{.forward = &stderr_log_sink(), .forward_from = stderr_from(quiet)});
}

LogSink& RunDirLogs::sink() noexcept {
  if (log_) return *log_;
  return stderr_;
}

std::filesystem::path RunDirLogs::dir() const {
  return log_ ? log_->dir() : std::filesystem::path();
}

void RunDirLogs::print_where() {
  if (!log_) return;
  if (const auto error = log_->error(); !error.empty()) {
    out_ << "lockstep: warning: some job log lines could not be written (they went to stderr): "
         << error << "\n";
  }
  if (log_->created()) out_ << "logs: " << log_->dir().string() << "\n";
}

void RunDirLogs::StderrFrom::write(std::string_view job_id, Logger::Level level,
                                   std::string_view line) {
  if (level >= from_) stderr_log_sink().write(job_id, level, line);
}

}  // namespace lockstep::cli
