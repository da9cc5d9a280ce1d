// Where a run directory and its files are: the file of a job id, the default directory, and
// whether a directory can be made and written before anything runs.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/run_dir.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace fs = std::filesystem;

namespace {

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Bytes that stand for themselves in a file name (what stage names, job ids and the runner's
// "@iteration" are made of).
bool kept(unsigned char c) { return is_ascii_alnum(c) || c == '_' || c == '-' || c == '@'; }

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

std::string why_not_writable(const fs::path& dir) {
  if (::access(dir.c_str(), W_OK | X_OK) == 0) return {};
  return "cannot write in " + dir.string() + ": " + std::generic_category().message(errno);
}

}  // namespace

fs::path RunDirLog::job_log_path(std::string_view job_id) {
  // An instance's file is named after its id without the index, which becomes a suffix:
  // "jobs/stage@2/job.3.log". Any other id (make_job_task takes any) is escaped whole.
  const auto id = parse_instance_id(job_id);
  const std::string name =
      id ? to_string({.stage = id->stage, .iteration = id->iteration, .job = id->job})
         : std::string(job_id);
  std::string path = "jobs/";
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool separates =
        c == '/' && i > 0 && i + 1 < name.size() && name[i - 1] != '/' && name[i + 1] != '/';
    if (kept(c) || separates) {
      path += static_cast<char>(c);
    } else {
      append_escaped(path, c);
    }
  }
  if (id && id->index) {
    path += '.';
    path += std::to_string(*id->index);
  }
  path += ".log";
  return path;
}

fs::path RunDirLog::job_lines_path(std::string_view job_id) {
  const auto id = parse_instance_id(job_id);
  if (!id || !id->index) return job_log_path(job_id);
  return job_log_path(to_string({.stage = id->stage, .iteration = id->iteration, .job = id->job}));
}

std::string RunDirLog::check_writable(const fs::path& dir) {
  std::error_code error;
  auto at = fs::absolute(dir, error);
  if (error) return "cannot use " + dir.string() + ": " + error.message();
  // The directory itself, or the nearest of its parents that exists: that one must let us in.
  for (;;) {
    const auto status = fs::status(at, error);
    if (fs::exists(status)) {
      if (!fs::is_directory(status)) return at.string() + " is not a directory";
      return why_not_writable(at);
    }
    if (!at.has_relative_path()) return "cannot use " + dir.string() + ": nothing of it exists";
    at = at.parent_path();
  }
}

fs::path default_run_dir(std::string_view pipeline_name) {
  std::string name;
  for (const char c : pipeline_name) {
    const auto byte = static_cast<unsigned char>(c);
    name += is_ascii_alnum(byte) || c == '_' || c == '-' || c == '.' ? c : '_';
  }
  if (name.empty()) name = "run";

  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
  return fs::path(".lockstep") / "runs" / (name + "-" + stamp + "-" + std::to_string(::getpid()));
}

}  // namespace lockstep
