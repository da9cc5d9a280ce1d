// Where a run directory and its files are: the file of a job id, the default directory, and
// whether a directory can be made and written before anything runs.
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <system_error>

#include "lockstep/pipeline/run_dir.hpp"

namespace lockstep {

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

// Where a trailing "[digits]" starts, or npos.
std::size_t index_suffix(std::string_view id) {
  if (id.size() < 3 || id.back() != ']') return std::string_view::npos;
  const auto open = id.rfind('[');
  if (open == std::string_view::npos || open + 2 > id.size() - 1) return std::string_view::npos;
  for (auto i = open + 1; i + 1 < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return std::string_view::npos;
  }
  return open;
}

std::string why_not_writable(const fs::path& dir) {
  if (::access(dir.c_str(), W_OK | X_OK) == 0) return {};
  return "cannot write in " + dir.string() + ": " + std::generic_category().message(errno);
}

}  // namespace

fs::path RunDirLog::job_log_path(std::string_view job_id) {
  const auto index = index_suffix(job_id);
  const auto name = job_id.substr(0, index);  // all of it without an index
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
  if (index != std::string_view::npos) {
    path += '.';
    path += job_id.substr(index + 1, job_id.size() - index - 2);
  }
  path += ".log";
  return path;
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
