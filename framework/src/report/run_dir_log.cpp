// RunDirLog: each job's lines in a file of the job, every line in run.log as JSON, and a file of
// its own for an instance among the first of its job or one that did not succeed.
//
// Each line is one write(2) per file, made before write() returns, on a file opened with
// O_APPEND: there is no buffer of ours to flush, so the files can be read while the run goes on
// (tail -f) and keep every line if the process dies, at one system call a line per file — what
// the stderr sink already pays per line. Files stay open in a small LRU, so a job that logs
// 10,000 lines opens its file once. A file per instance cost a million files (4 GB of disk
// blocks for 160 MB of text) for a million instances: now the instances of a fan-out share their
// job's file, each line led by its index, and only the first few and the failures get their own.
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
#include "report/instance_tails.hpp"

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

// {"ts":"...","run":"...","level":"...": what every line of run.log starts with.
std::string line_start(std::string_view run_id, Logger::Level level) {
  std::string out = "{\"ts\":\"" + utc_timestamp(std::chrono::system_clock::now()) + "\"";
  if (!run_id.empty()) {
    out += ",\"run\":";
    append_json_string(out, run_id);
  }
  out += ",\"level\":\"" + std::string(level_name(level)) + "\"";
  return out;
}

std::string structured_line(std::string_view run_id, std::string_view job_id,
                            const std::optional<InstanceId>& id, Logger::Level level,
                            std::string_view line) {
  std::string out = line_start(run_id, level);
  if (id) {
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

// A line of the log itself, not of a job: no "job".
std::string note_line(std::string_view run_id, std::string_view note) {
  std::string out = line_start(run_id, Logger::Level::warning);
  out += ",\"msg\":";
  append_json_string(out, note);
  out += "}\n";
  return out;
}

// "stage@2/job": the id of an instance without its index, which names its job's file.
std::string job_of(const InstanceId& id) {
  return to_string({.stage = id.stage, .iteration = id.iteration, .job = id.job});
}

}  // namespace

// ---- the sink ----------------------------------------------------------------------------------

struct RunDirLog::Impl {
  struct OpenFile {
    std::string key;
    int fd = -1;
  };

  fs::path dir;
  RunDirOptions options;
  std::atomic<bool> created{false};
  std::atomic<bool> observing{false};  // instance ends reach us: keep the running ones' tails

  std::mutex run_mutex;  // run.log
  int run_fd = -1;

  // Job and instance files by the id they are named after (job_log_path), most recently written
  // first. The lock is held across a write, so that no other thread closes the file meanwhile;
  // lines of different jobs wait on each other only for that one system call.
  std::mutex files_mutex;
  std::list<OpenFile> recent;
  std::unordered_map<std::string_view, std::list<OpenFile>::iterator> by_key;  // keys in `recent`

  report::InstanceTails tails;  // of fan-out instances past the first instance_files

  std::atomic<std::uint64_t> written{0};  // bytes of job lines, towards max_bytes
  std::atomic<bool> reached_max{false};
  std::atomic<std::uint64_t> failed_files{0};  // failed instances' own files written, or refused

  mutable std::mutex error_mutex;
  std::string first_error;

  void note_error(std::string why) {
    std::lock_guard lock(error_mutex);
    if (first_error.empty()) first_error = std::move(why);
  }

  // Room for `bytes` more under max_bytes; the first time there is none, run.log says so.
  bool reserve(std::uint64_t bytes) {
    if (!options.max_bytes) return true;
    if (reached_max.load(std::memory_order_relaxed)) return false;
    const auto before = written.fetch_add(bytes, std::memory_order_relaxed);
    if (before + bytes <= *options.max_bytes) return true;
    if (!reached_max.exchange(true)) {
      note("job log lines reached this run directory's limit of " +
           std::to_string(*options.max_bytes) + " bytes: later lines are not written to it");
    }
    return false;
  }

  void note(std::string_view text) { append_to_run_log(note_line(options.run_id, text)); }

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

  // Appends to the file named after `key` (a job's id, or an instance's).
  bool append_to_file(std::string_view key, std::string_view text) {
    std::string why;
    std::lock_guard lock(files_mutex);
    const int fd = file_of(key, why);
    if (fd >= 0 && write_all(fd, text, dir / job_log_path(key), why)) return true;
    note_error(std::move(why));
    return false;
  }

  // The open file of `key`, opened (and the least recently written one closed) when needed.
  int file_of(std::string_view key, std::string& why) {
    if (const auto found = by_key.find(key); found != by_key.end()) {
      recent.splice(recent.begin(), recent, found->second);
      return found->second->fd;
    }
    const int fd = open_append(dir / job_log_path(key), why);
    if (fd < 0) return -1;
    created = true;
    if (by_key.size() >= static_cast<std::size_t>(std::max(options.max_open_files, 1))) {
      by_key.erase(recent.back().key);
      ::close(recent.back().fd);
      recent.pop_back();
    }
    recent.push_front({std::string(key), fd});
    by_key.emplace(recent.front().key, recent.begin());
    return fd;
  }

  // Writes a line to run.log and its job's file, and, for an instance that has a file of its
  // own, there too; a later instance keeps it in its tail. False when a write failed.
  bool write_line(std::string_view job_id, Logger::Level level, std::string_view line) {
    const auto id = parse_instance_id(job_id);
    const std::string record = structured_line(options.run_id, job_id, id, level, line);
    if (!id || !id->index) {  // no fan-out: the job's file is the instance's
      std::string text(line);
      text += '\n';  // one write: a line is never cut by another writer's
      if (!reserve(record.size() + text.size())) return true;  // left out on purpose
      const bool in_run_log = append_to_run_log(record);
      return append_to_file(job_id, text) && in_run_log;
    }
    const auto index = *id->index;
    std::string led = "[" + std::to_string(index) + "] ";
    const auto lead = led.size();
    led += line;
    led += '\n';
    const bool own_file = index < options.instance_files;
    if (!reserve(record.size() + led.size() + (own_file ? led.size() - lead : 0))) return true;
    const auto job = job_of(*id);
    bool written = append_to_run_log(record);
    written = append_to_file(job, led) && written;
    const std::string_view bare = std::string_view(led).substr(lead);
    if (own_file) {
      written = append_to_file(job_id, bare) && written;
    } else if (observing.load(std::memory_order_relaxed)) {
      tails.append(job, index, bare);
    }
    return written;
  }

  // The own file of an instance that did not succeed, from its tail.
  void write_failed_instance(const std::string& id, const InstanceId& parsed,
                             const report::InstanceTails::Tail& tail) {
    const auto limit = options.failed_instance_files;
    if (const auto before = failed_files.fetch_add(1); before >= limit) {
      if (before == limit) {
        note("more than " + std::to_string(limit) +
             " instances that did not succeed logged lines: the lines of the others are only in "
             "their job's file, each led by its index");
      }
      return;
    }
    std::string text;
    if (!tail.whole) {
      text = "lockstep: the last lines of " + id + " only; all are in " +
             job_lines_path(id).string() + ", each led by [" + std::to_string(*parsed.index) +
             "]\n";
    }
    text += tail.text;
    if (!reserve(text.size())) return;
    const auto path = dir / job_log_path(id);
    std::string why;
    const int fd = open_append(path, why);
    if (fd >= 0) {
      created = true;
      const bool written = write_all(fd, text, path, why);
      ::close(fd);
      if (written) return;
    }
    note_error(std::move(why));
  }

  ~Impl() {
    for (const auto& file : recent) ::close(file.fd);
    if (run_fd >= 0) ::close(run_fd);
  }
};

RunDirLog::RunDirLog(fs::path dir, RunDirOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(dir);
  impl_->options = std::move(options);
}

RunDirLog::~RunDirLog() = default;

void RunDirLog::write(std::string_view job_id, Logger::Level level, std::string_view line) {
  const auto masked = mask_secrets(line);  // job lines are masked already; any other too
  line = masked;
  const bool written = impl_->write_line(job_id, level, line);
  auto* forward = impl_->options.forward;
  // A line that could not be written is not lost: the forward sink gets it, whatever its level.
  if (forward != nullptr && (!written || level >= impl_->options.forward_from)) {
    forward->write(job_id, level, line);
  }
}

// ---- as an observer of the run -----------------------------------------------------------------

void RunDirLog::run_started(const Pipeline& /*pipeline*/) { impl_->observing = true; }

void RunDirLog::instance_ended(const InstanceEvent& instance) {
  const auto id = parse_instance_id(instance.id);
  if (!id || !id->index || *id->index < impl_->options.instance_files) return;
  const auto tail = impl_->tails.take(job_of(*id), *id->index);
  if (instance.state == JobState::succeeded || !tail || (tail->text.empty() && tail->whole)) {
    return;
  }
  impl_->write_failed_instance(instance.id, *id, *tail);
}

void RunDirLog::instances_succeeded(const SucceededRange& range) {
  const auto& stage = *range.stage;
  const auto& job = *range.job;
  const int iteration = range.iteration;
  const auto from = range.from;
  const auto to = range.to;
  if (to <= impl_->options.instance_files) return;
  // As the runner names the instance (InstanceId: iteration 0 when the stage does not repeat).
  impl_->tails.forget(
      to_string({.stage = stage.name, .iteration = stage.repeat ? iteration : 0, .job = job.id}),
      from, to);
}

void RunDirLog::stage_ended(const StageSpec& stage, int iteration, const StageSummary&) {
  // Every instance of it has ended: what is left (a line logged after its end) is not needed.
  impl_->tails.forget_stage(stage_label(stage.name, stage.repeat ? iteration : 0));
}

void RunDirLog::run_ended(const RunResult& /*result*/) {
  impl_->observing = false;
  impl_->tails.clear();
}

const fs::path& RunDirLog::dir() const noexcept { return impl_->dir; }

bool RunDirLog::created() const noexcept { return impl_->created; }

std::string RunDirLog::error() const {
  std::lock_guard lock(impl_->error_mutex);
  return impl_->first_error;
}

bool RunDirLog::reached_max_bytes() const noexcept { return impl_->reached_max; }

}  // namespace lockstep
