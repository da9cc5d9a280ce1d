#include "run/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/plugin/process_groups.hpp"
#include "run/worker_protocol.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header

namespace lockstep::run {
namespace {

using Clock = std::chrono::steady_clock;
using worker::Message;

// How often a waiting slot looks at its attempt's cancellation.
constexpr auto kCancelCheck = std::chrono::milliseconds(10);
// How long a worker may take to load its plugins.
constexpr auto kStartTimeout = std::chrono::seconds(60);

std::string signal_name(int signal) {
  const char* abbreviation = ::sigabbrev_np(signal);
  return abbreviation != nullptr ? std::string("SIG") + abbreviation
                                 : "signal " + std::to_string(signal);
}

// Waits up to `timeout` for a message; nothing on timeout, end of file or error (`closed` then).
std::optional<Message> receive_within(int fd, std::chrono::milliseconds timeout, bool& closed) {
  pollfd ready{fd, POLLIN, 0};
  const int polled = ::poll(&ready, 1, static_cast<int>(timeout.count()));
  if (polled <= 0) return std::nullopt;
  auto message = worker::receive(fd);
  closed = !message;
  return message;
}

// How long to wait for the worker's next message: kCancelCheck, less once a cancellation's
// grace is running out; nothing when it has run out.
std::optional<std::chrono::milliseconds> next_wait(std::optional<Clock::time_point> cancelled_at,
                                                   Duration grace) {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kCancelCheck);
  if (!cancelled_at) return wait;
  const auto left = grace - (Clock::now() - *cancelled_at);
  if (left <= Duration::zero()) return std::nullopt;
  return std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(left));
}

std::string ignored_cancellation(Duration grace) {
  return "killed with its worker process " + format_duration(grace) +
         " after it was cancelled: it ignores cancellation";
}

}  // namespace

std::string memory_text(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (unit < 4 && bytes % 1024 == 0 && bytes >= 1024) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + " " + kUnits[unit];
}

bool WorkerProcess::make_temp_dir(std::string& error) {
  std::error_code failed;
  auto pattern = (std::filesystem::temp_directory_path(failed) / "lockstep-worker-XXXXXX").string();
  if (failed || ::mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    error = "cannot start a worker process: cannot create " + pattern + ": " +
            (failed ? failed.message() : std::generic_category().message(errno));
    return false;
  }
  temp_dir_ = std::move(pattern);
  return true;
}

void WorkerProcess::remove_temp_dir() noexcept {
  if (temp_dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(temp_dir_, ignored);
  temp_dir_.clear();
}

namespace {

// Names a worker's cgroup: lockstep's pid and a count, unique on the machine while we run.
std::string cgroup_name() {
  static std::atomic<unsigned> made{0};
  return "lockstep-" + std::to_string(::getpid()) + "-worker-" + std::to_string(made++);
}

}  // namespace

bool WorkerProcess::start(std::string& error) {
  if (!make_temp_dir(error)) return false;
  cgroup_.reset();
  if (auto made =
          setup_.memory ? MemoryCgroup::make(cgroup_name(), *setup_.memory) : std::nullopt) {
    cgroup_.emplace(std::move(*made));
  }
  // Our environment, with TMPDIR its own.
  const std::string tmpdir = "TMPDIR=" + temp_dir_;
  std::vector<char*> environment;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    if (std::string_view(*variable).starts_with("TMPDIR=")) continue;
    environment.push_back(*variable);
  }
  environment.push_back(const_cast<char*>(tmpdir.c_str()));  // posix_spawn's type, never written
  environment.push_back(nullptr);
  int pair[2] = {-1, -1};
  // Close-on-exec from the start: a command that another thread spawns meanwhile must not hold
  // the worker's socket open (the worker would never read end of file).
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    error = "cannot start a worker process: socketpair: " + std::generic_category().message(errno);
    remove_temp_dir();
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  // The child's descriptors 3 (the socket) and 4 (the guard's pipe: the commands its jobs start
  // are guarded as ours are) come from copies above both, so that neither dup2 can overwrite the
  // source of the other (the guard's pipe may well be descriptor 3 or 4 here).
  const int socket_copy = ::fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
  const int guard = group_guard_fd() >= 0 ? ::fcntl(group_guard_fd(), F_DUPFD_CLOEXEC, 10) : -1;
  if (progress_fd_ < 0) {
    progress_fd_ = worker::make_batch_progress_file();
    progress_ = progress_fd_ >= 0 ? worker::map_batch_progress(progress_fd_) : nullptr;
  }
  const int progress = progress_ != nullptr ? ::fcntl(progress_fd_, F_DUPFD_CLOEXEC, 10) : -1;
  posix_spawn_file_actions_adddup2(&actions, socket_copy, 3);  // dup2 clears close-on-exec
  if (guard >= 0) posix_spawn_file_actions_adddup2(&actions, guard, 4);
  if (progress >= 0) posix_spawn_file_actions_adddup2(&actions, progress, 5);
  // A process group of its own, so that killing it reaches what its jobs started; signals at
  // their defaults and none blocked, whatever this thread has set up.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  std::string program = setup_.program.string();
  std::string fd_flag = "--fd";
  std::string fd_number = "3";
  std::string guard_flag = "--guard-fd";
  std::string guard_number = "4";
  std::string progress_flag = "--progress-fd";
  std::string progress_number = "5";
  std::vector<char*> argv = {program.data(), fd_flag.data(), fd_number.data()};
  if (guard >= 0) argv.insert(argv.end(), {guard_flag.data(), guard_number.data()});
  if (progress >= 0) argv.insert(argv.end(), {progress_flag.data(), progress_number.data()});
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), environment.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pair[1]);
  ::close(socket_copy);
  if (guard >= 0) ::close(guard);
  if (progress >= 0) ::close(progress);
  if (spawned != 0) {
    ::close(pair[0]);
    remove_temp_dir();
    error = "cannot start the worker program " + program + ": " +
            std::generic_category().message(spawned) +
            " (set LOCKSTEP_WORKER to the lockstep-worker to use)";
    return false;
  }
  pid_ = pid;
  fd_ = pair[0];
  note_group_started(pid_);  // the guard kills it if lockstep dies first
  // Into its cgroup before it loads a plugin: it waits for hello first. A cgroup that will not
  // take it leaves the limit to the worker's RLIMIT_AS.
  if (cgroup_ && !cgroup_->add(pid_)) cgroup_.reset();

  Message hello = {{"t", "hello"}, {"plugins", setup_.plugins}};
  if (setup_.memory && !cgroup_) hello["memory"] = *setup_.memory;
  if (setup_.cpu_time) hello["cpu_time_ns"] = setup_.cpu_time->count();
  bool closed = !worker::send(fd_, hello);
  std::optional<Message> answer;
  if (!closed) answer = receive_within(fd_, kStartTimeout, closed);
  if (answer && answer->value("t", std::string()) == "ready") return true;
  if (answer && answer->value("t", std::string()) == "error") {
    error =
        "a worker process could not load the plugins: " + answer->value("message", std::string());
  } else if (closed) {
    error = "a worker process ended as it started: " + ended_how();
  } else {
    error = "a worker process did not start within " + std::to_string(kStartTimeout.count()) + " s";
  }
  stop();
  return false;
}

WorkerProcess::Outcome WorkerProcess::run(const RegisteredJobType& type, JobContext& context,
                                          Duration grace) {
  const auto& item = context.item();
  const Message request = {{"t", "run"},
                           {"type", type.qualified_name},
                           {"params", worker::params_to_message(context.params())},
                           {"id", context.id()},
                           {"index", context.index()},
                           {"attempt", context.attempt()},
                           {"item", item.value},
                           {"fields", item.fields}};
  if (!worker::send(fd_, request)) return {JobState::failed, ended_how()};
  const auto& token = context.cancel_token();
  std::optional<Clock::time_point> cancelled_at;
  for (;;) {
    const auto wait = next_wait(cancelled_at, grace);
    if (!wait) {
      stop();
      return {JobState::cancelled, ignored_cancellation(grace)};
    }
    bool closed = false;
    if (auto message = receive_within(fd_, *wait, closed)) {
      if (relay(*message, context)) continue;
      if (message->value("t", std::string()) == "done") {
        const auto state = message->value("state", std::string());
        auto text = message->value("message", std::string());
        Outcome outcome{JobState::failed, std::move(text)};
        if (message->contains("start_ns") && message->contains("end_ns")) {
          const auto at = [&](const char* key) {
            return Clock::time_point(
                std::chrono::nanoseconds(message->value(key, std::int64_t{0})));
          };
          outcome.ran = {at("start_ns"), at("end_ns")};
        }
        if (state == "ok") {
          outcome.state = JobState::succeeded;
          outcome.message.clear();
        } else if (state == "cancelled") {
          outcome.state = JobState::cancelled;
        } else if (message->contains("out_of_memory")) {
          stop();  // a process out of memory may hold it still: the next attempt gets a new one
          outcome.message = failure_text(std::move(outcome.message), true);
        }
        return outcome;
      }
    } else if (closed) {
      return {JobState::failed, ended_how()};
    }
    if (!cancelled_at && token.cancelled()) {
      worker::send(fd_, {{"t", "cancel"}});
      cancelled_at = Clock::now();
    }
  }
}

BatchOutcome WorkerProcess::run_batch(const BatchRequest& request, const CancelToken& token,
                                      Duration grace, const BatchContexts& contexts) {
  Message batch = {{"t", "batch"},
                   {"type", request.type.qualified_name},
                   {"params", worker::params_to_message(request.params)},
                   {"stage", request.naming.stage},
                   {"iteration", request.naming.iteration},
                   {"job", request.naming.job},
                   {"fans_out", request.naming.index.has_value()},
                   {"from", request.from},
                   {"to", request.to}};
  if (request.range) batch["range"] = {request.range->first, request.range->second};
  if (request.timed) batch["timed"] = true;
  BatchOutcome outcome{request.from, {}, {}};
  // The process fills it in as it goes: what we read after it died.
  if (progress_ != nullptr) {
    progress_->running.store(0);
    progress_->next.store(request.from);
  }
  // After the process died or was killed: the instance it was running ends as `state`; one that
  // died between instances blames none, unless it ran none (then the first: no batch may make
  // no progress).
  const auto lost = [&](JobState state, std::string why) {
    const auto running = progress_ != nullptr ? progress_->running.load() : 0;
    outcome.next =
        progress_ != nullptr ? std::max(progress_->next.load(), request.from) : request.from;
    std::uint64_t blamed = running > 0 ? running - 1 : outcome.next;
    if (running == 0 && outcome.next > request.from) return outcome;
    if (running == 0) outcome.next = blamed + 1;
    const auto now = Clock::now();
    outcome.ended.push_back({blamed, state, std::move(why), now, now});
    return outcome;
  };
  if (!worker::send(fd_, batch)) return lost(JobState::failed, ended_how());
  std::optional<Clock::time_point> cancelled_at;
  for (;;) {
    const auto wait = next_wait(cancelled_at, grace);
    if (!wait) {
      stop();
      return lost(JobState::cancelled, ignored_cancellation(grace));
    }
    bool closed = false;
    if (auto message = receive_within(fd_, *wait, closed)) {
      const auto kind = message->value("t", std::string());
      if (kind == "ended") {
        const auto state = message->value("state", std::string());
        auto text = message->value("message", std::string());
        const auto at = [&](const char* key) {
          return Clock::time_point(std::chrono::nanoseconds(message->value(key, std::int64_t{0})));
        };
        outcome.ended.push_back({message->value("index", request.from),
                                 state == "cancelled" ? JobState::cancelled : JobState::failed,
                                 failure_text(std::move(text), message->contains("out_of_memory")),
                                 at("start_ns"), at("end_ns")});
      } else if (kind == "done") {
        outcome.next = message->value("next", request.to);
        if (message->value("restart", false)) stop();
        if (const auto times = message->find("times"); times != message->end()) {
          const auto at = [](const Message& ns) {
            return Clock::time_point(std::chrono::nanoseconds(ns.get<std::int64_t>()));
          };
          outcome.times.reserve(times->size() / 2);
          for (std::size_t k = 0; k + 1 < times->size(); k += 2) {
            outcome.times.emplace_back(at((*times)[k]), at((*times)[k + 1]));
          }
        }
        return outcome;
      } else if (message->contains("index")) {
        relay(*message, contexts(message->value("index", request.from)));
      }
    } else if (closed) {
      return lost(JobState::failed, ended_how());
    }
    if (!cancelled_at && token.cancelled()) {
      worker::send(fd_, {{"t", "cancel"}});
      cancelled_at = Clock::now();
    }
  }
}

bool WorkerProcess::relay(const Message& message, JobContext& context) {
  const auto kind = message.value("t", std::string());
  if (kind == "log") {
    context.log().write(static_cast<Logger::Level>(message.value("level", 1)),
                        message.value("line", std::string()));
  } else if (kind == "output" && message.contains("values")) {  // a list
    std::vector<std::string> values;
    for (const auto& value : message.at("values")) {
      if (value.is_string()) values.push_back(value.get<std::string>());
    }
    context.output(message.value("key", std::string()), std::move(values));
  } else if (kind == "output") {
    context.output(message.value("key", std::string()), message.value("value", std::string()));
  } else if (kind == "input") {
    Message answer = {{"t", "input"}};
    if (auto value = context.input(message.value("reference", std::string()))) {
      answer["value"] = *value;
    }
    worker::send(fd_, answer);
  } else {
    return false;
  }
  return true;
}

std::string WorkerProcess::failure_text(std::string text, bool out_of_memory) const {
  if (!out_of_memory || !setup_.memory) return text;
  return "memory limit " + memory_text(*setup_.memory) + " reached (" + text + ")";
}

WorkerProcess::~WorkerProcess() {
  stop();
  if (progress_ != nullptr) ::munmap(progress_, sizeof(worker::BatchProgress));
  if (progress_fd_ >= 0) ::close(progress_fd_);
}

std::string WorkerProcess::ended_how() {
  int status = 0;
  // It closed its end: it is exiting. A process that closed it and lives on is killed.
  pid_t reaped = 0;
  for (int i = 0; i < 100 && (reaped = ::waitpid(pid_, &status, WNOHANG)) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (reaped == 0) {
    ::kill(-pid_, SIGKILL);
    reaped = ::waitpid(pid_, &status, 0);
  }
  ::kill(-pid_, SIGKILL);  // what its jobs started, left in its group
  note_group_reaped(pid_);
  remove_temp_dir();
  ::close(fd_);
  fd_ = -1;
  pid_ = -1;
  const bool out_of_memory = cgroup_ && cgroup_->oom_kills() > 0;
  cgroup_.reset();
  if (reaped < 0) return "its worker process ended";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  const int signal = WTERMSIG(status);
  if (signal == SIGXCPU && setup_.cpu_time) {
    return "killed: cpu time limit " + format_duration(*setup_.cpu_time);
  }
  if (signal == SIGKILL && out_of_memory)
    return "killed: memory limit " + memory_text(*setup_.memory);
  if (signal == SIGKILL && setup_.memory) {
    return "killed: SIGKILL (memory limit " + memory_text(*setup_.memory) + "?)";
  }
  return (signal == SIGKILL || signal == SIGTERM ? "killed: " : "crashed: ") + signal_name(signal);
}

void WorkerProcess::stop() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    note_group_reaped(pid_);
  }
  pid_ = -1;
  remove_temp_dir();
  cgroup_.reset();
}

WorkerPool::WorkerPool(int workers, WorkerSetup setup)
    : setup_(std::move(setup)), slots_(static_cast<std::size_t>(std::max(workers, 1))) {}

template <class Run, class Fail>
auto WorkerPool::in_slot_process(const RegisteredJobType& type, Run&& run, Fail&& fail) {
  if (type.file.empty()) {
    return fail("job type '" + type.qualified_name +
                "' was registered by the program, not loaded from a plugin: a worker process "
                "cannot load it (isolation: process)");
  }
  const int index = current_worker_slot();
  auto& slot = slots_[static_cast<std::size_t>(std::max(index, 0)) % slots_.size()];
  std::unique_lock hold(slot.busy, std::try_to_lock);
  if (!hold.owns_lock()) {
    return fail(
        "a nested job of a process-isolated bulkhead cannot run in its parent's worker "
        "process");
  }
  if (!slot.process) slot.process = std::make_unique<WorkerProcess>(setup_);
  if (!slot.process->running()) {
    {
      std::lock_guard lock(error_mutex_);
      if (!start_error_.empty()) return fail(start_error_);
    }
    std::string error;
    if (!slot.process->start(error)) {
      std::lock_guard lock(error_mutex_);
      start_error_ = error;
      return fail(std::move(error));
    }
  }
  return run(*slot.process);
}

WorkerProcess::Outcome WorkerPool::run(const RegisteredJobType& type, JobContext& context,
                                       Duration grace) {
  return in_slot_process(
      type, [&](WorkerProcess& process) { return process.run(type, context, grace); },
      [](std::string why) {
        return WorkerProcess::Outcome{JobState::failed, std::move(why)};
      });
}

BatchOutcome WorkerPool::run_batch(const BatchRequest& request, const CancelToken& token,
                                   Duration grace, const BatchContexts& contexts) {
  return in_slot_process(
      request.type,
      [&](WorkerProcess& process) { return process.run_batch(request, token, grace, contexts); },
      [&](std::string why) {  // the first instance fails with it; the caller goes on
        const auto now = std::chrono::steady_clock::now();
        return BatchOutcome{request.from + 1,
                            {{request.from, JobState::failed, std::move(why), now, now}}};
      });
}

}  // namespace lockstep::run
