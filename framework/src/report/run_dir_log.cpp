// RunDirLog: each job instance's lines in a file of its own, every line in run.log as JSON.
//
// Each line is one write(2), made before write() returns, on a file opened with O_APPEND: there
// is no buffer of ours to flush, so the files can be read while the run goes on (tail -f) and
// keep every line if the process dies, at one system call a line per file — what the stderr
// sink already pays per line. Job files stay open in a small LRU, so a job that logs 10,000
// lines opens its file once, and a run of millions of jobs holds at most max_open_files.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/run_dir.hpp"

#include "lockstep/pipeline/output_text.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

namespace fs = std::filesystem;

namespace {

// ---- files -------------------------------------------------------------------------------------

std::string errno_text(int error) { return std::generic_category().message(error); }

// Opens `path` to append, making its missing directories (only when they are missing: the
// common case costs one open). -1 with `why` set when it cannot.
int open_append(const fs::path& path, std::string& why) {
  for (int attempt = 0;; ++attempt) {
    // O_CLOEXEC: commands that jobs start must not inherit our log files. O_NOFOLLOW: a symlink
    // planted in the run directory is an error, never a write to what it points at.
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd >= 0) return fd;
    const int error = errno;
    if (error != ENOENT || attempt > 0) {
      why = "cannot write " + path.string() + ": " + errno_text(error);
      return -1;
    }
    std::error_code made;
    fs::create_directories(path.parent_path(), made);
    if (made) {
      why = "cannot make " + path.parent_path().string() + ": " + made.message();
      return -1;
    }
  }
}

bool write_all(int fd, std::string_view text, const fs::path& path, std::string& why) {
  while (!text.empty()) {
    const auto written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      why = "cannot write " + path.string() + ": " + errno_text(errno);
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// ---- structured lines --------------------------------------------------------------------------

constexpr std::string_view kLevels[] = {"debug", "info", "warning", "error"};

std::string_view level_name(Logger::Level level) { return kLevels[static_cast<int>(level)]; }

// A JSON string; bytes that are not UTF-8 (a command's output can be anything) become U+FFFD.
void append_json_string(std::string& out, std::string_view text) {
  out += nlohmann::json(std::string(text))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "2026-11-27T04:12:24.123Z"
std::string utc_timestamp(std::chrono::system_clock::time_point when) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(when - seconds);
  const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[40];
  const auto length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(millis.count()));
  return text;
}

std::string structured_line(std::string_view run_id, std::string_view job_id,
                            Logger::Level level, std::string_view line) {
  std::string out = "{\"ts\":\"" + utc_timestamp(std::chrono::system_clock::now()) + "\"";
  if (!run_id.empty()) {
    out += ",\"run\":";
    append_json_string(out, run_id);
  }
  out += ",\"level\":\"" + std::string(level_name(level)) + "\"";
  if (const auto id = parse_instance_id(job_id)) {
    out += ",\"stage\":";
    append_json_string(out, id->stage);
    if (id->iteration > 0) out += ",\"iteration\":" + std::to_string(id->iteration);
    out += ",\"job\":";
    append_json_string(out, id->job);
    if (id->index) out += ",\"index\":" + std::to_string(*id->index);
  } else {
    out += ",\"job\":";
    append_json_string(out, job_id);
  }
  out += ",\"msg\":";
  append_json_string(out, line);
  out += "}\n";
  return out;
}

}  // namespace

// ---- the sink ----------------------------------------------------------------------------------

struct RunDirLog::Impl {
  struct OpenFile {
    std::string id;
    int fd = -1;
  };

  fs::path dir;
  RunDirOptions options;
  std::atomic<bool> created{false};

  std::mutex run_mutex;  // run.log
  int run_fd = -1;

  // Job files, most recently written first. The lock is held across a write, so that no other
  // thread closes the file meanwhile; lines of different jobs wait on each other only for
  // that one system call.
  std::mutex files_mutex;
  std::list<OpenFile> recent;
  std::unordered_map<std::string_view, std::list<OpenFile>::iterator> by_id;  // keys in `recent`

  mutable std::mutex error_mutex;
  std::string first_error;

  void note_error(std::string why) {
    std::lock_guard lock(error_mutex);
    if (first_error.empty()) first_error = std::move(why);
  }

  bool append_to_run_log(std::string_view text) {
    const auto path = dir / "run.log";
    std::string why;
    std::lock_guard lock(run_mutex);
    if (run_fd < 0) {
      run_fd = open_append(path, why);
      if (run_fd >= 0) created = true;
    }
    if (run_fd >= 0 && write_all(run_fd, text, path, why)) return true;
    note_error(std::move(why));
    return false;
  }

  bool append_to_job_file(std::string_view job_id, std::string_view text) {
    std::string why;
    std::lock_guard lock(files_mutex);
    const int fd = job_file(job_id, why);
    if (fd >= 0 && write_all(fd, text, dir / job_log_path(job_id), why)) return true;
    note_error(std::move(why));
    return false;
  }

  // The open file of `job_id`, opened (and the least recently written one closed) when needed.
  int job_file(std::string_view job_id, std::string& why) {
    if (const auto found = by_id.find(job_id); found != by_id.end()) {
      recent.splice(recent.begin(), recent, found->second);
      return found->second->fd;
    }
    const int fd = open_append(dir / job_log_path(job_id), why);
    if (fd < 0) return -1;
    created = true;
    if (by_id.size() >= static_cast<std::size_t>(std::max(options.max_open_files, 1))) {
      by_id.erase(recent.back().id);
      ::close(recent.back().fd);
      recent.pop_back();
    }
    recent.push_front({std::string(job_id), fd});
    by_id.emplace(recent.front().id, recent.begin());
    return fd;
  }

  ~Impl() {
    for (const auto& file : recent) ::close(file.fd);
    if (run_fd >= 0) ::close(run_fd);
  }
};

RunDirLog::RunDirLog(fs::path dir, RunDirOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(dir);
  impl_->options = options;
}

RunDirLog::~RunDirLog() = default;

void RunDirLog::write(std::string_view job_id, Logger::Level level, std::string_view line) {
  const auto masked = mask_secrets(line);  // job lines are masked already; any other too
  line = masked;
  std::string text(line);
  text += '\n';  // one write: a line is never cut by another writer's
  const bool in_run_log = impl_->append_to_run_log(
      structured_line(impl_->options.run_id, job_id, level, line));
  const bool in_job_file = impl_->append_to_job_file(job_id, text);
  const bool written = in_run_log && in_job_file;
  auto* forward = impl_->options.forward;
  // A line that could not be written is not lost: the forward sink gets it, whatever its level.
  if (forward != nullptr && (!written || level >= impl_->options.forward_from)) {
    forward->write(job_id, level, line);
  }
}

const fs::path& RunDirLog::dir() const noexcept { return impl_->dir; }

bool RunDirLog::created() const noexcept { return impl_->created; }

std::string RunDirLog::error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->first_error;
}

}  // namespace lockstep
