#include "run/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

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

bool WorkerProcess::start(std::string& error) {
  int pair[2] = {-1, -1};
  // Close-on-exec from the start: a command that another thread spawns meanwhile must not hold
  // the worker's socket open (the worker would never read end of file).
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    error = "cannot start a worker process: socketpair: " + std::generic_category().message(errno);
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
  posix_spawn_file_actions_adddup2(&actions, socket_copy, 3);  // dup2 clears close-on-exec
  if (guard >= 0) posix_spawn_file_actions_adddup2(&actions, guard, 4);
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
  char* argv[] = {program.data(), fd_flag.data(), fd_number.data(),
                  guard >= 0 ? guard_flag.data() : nullptr, guard_number.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pair[1]);
  ::close(socket_copy);
  if (guard >= 0) ::close(guard);
  if (spawned != 0) {
    ::close(pair[0]);
    error = "cannot start the worker program " + program + ": " +
            std::generic_category().message(spawned) +
            " (set LOCKSTEP_WORKER to the lockstep-worker to use)";
    return false;
  }
  pid_ = pid;
  fd_ = pair[0];
  note_group_started(pid_);  // the guard kills it if lockstep dies first

  Message hello = {{"t", "hello"}, {"plugins", setup_.plugins}};
  if (setup_.memory) hello["memory"] = *setup_.memory;
  if (setup_.cpu_time) hello["cpu_time_ns"] = setup_.cpu_time->count();
  bool closed = !worker::send(fd_, hello);
  std::optional<Message> answer;
  if (!closed) answer = receive_within(fd_, kStartTimeout, closed);
  if (answer && answer->value("t", std::string()) == "ready") return true;
  if (answer && answer->value("t", std::string()) == "error") {
    error = "a worker process could not load the plugins: " + answer->value("message", std::string());
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
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kCancelCheck);
    if (cancelled_at) {
      const auto left = grace - (Clock::now() - *cancelled_at);
      if (left <= Duration::zero()) {
        stop();
        return {JobState::cancelled, "killed with its worker process " + format_duration(grace) +
                                         " after it was cancelled: it ignores cancellation"};
      }
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(left));
    }
    bool closed = false;
    if (auto message = receive_within(fd_, wait, closed)) {
      const auto kind = message->value("t", std::string());
      if (kind == "log") {
        context.log().write(static_cast<Logger::Level>(message->value("level", 1)),
                            message->value("line", std::string()));
      } else if (kind == "output" && message->contains("values")) {  // a list
        std::vector<std::string> values;
        for (const auto& value : message->at("values")) {
          if (value.is_string()) values.push_back(value.get<std::string>());
        }
        context.output(message->value("key", std::string()), std::move(values));
      } else if (kind == "output") {
        context.output(message->value("key", std::string()), message->value("value", std::string()));
      } else if (kind == "input") {
        Message answer = {{"t", "input"}};
        if (auto value = context.input(message->value("reference", std::string()))) {
          answer["value"] = *value;
        }
        worker::send(fd_, answer);
      } else if (kind == "done") {
        const auto state = message->value("state", std::string());
        auto text = message->value("message", std::string());
        if (state == "ok") return {JobState::succeeded, {}};
        if (state == "cancelled") return {JobState::cancelled, std::move(text)};
        if (setup_.memory && text.find("bad_alloc") != std::string::npos) {
          stop();  // a process out of memory may hold it still: the next attempt gets a new one
          return {JobState::failed, "memory limit " + memory_text(*setup_.memory) + " reached (" +
                                        text + ")"};
        }
        return {JobState::failed, std::move(text)};
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
  ::close(fd_);
  fd_ = -1;
  pid_ = -1;
  if (reaped < 0) return "its worker process ended";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  const int signal = WTERMSIG(status);
  if (signal == SIGXCPU && setup_.cpu_time) {
    return "killed: cpu time limit " + format_duration(*setup_.cpu_time);
  }
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
}

WorkerPool::WorkerPool(int workers, WorkerSetup setup)
    : setup_(std::move(setup)), slots_(static_cast<std::size_t>(std::max(workers, 1))) {}

WorkerProcess::Outcome WorkerPool::run(const RegisteredJobType& type, JobContext& context,
                                       Duration grace) {
  if (type.file.empty()) {
    return {JobState::failed, "job type '" + type.qualified_name +
                                  "' was registered by the program, not loaded from a plugin: a "
                                  "worker process cannot load it (isolation: process)"};
  }
  const int index = current_worker_slot();
  auto& slot = slots_[static_cast<std::size_t>(std::max(index, 0)) % slots_.size()];
  std::unique_lock hold(slot.busy, std::try_to_lock);
  if (!hold.owns_lock()) {
    return {JobState::failed, "a nested job of a process-isolated bulkhead cannot run in its "
                              "parent's worker process"};
  }
  if (!slot.process) slot.process = std::make_unique<WorkerProcess>(setup_);
  if (!slot.process->running()) {
    {
      std::lock_guard lock(error_mutex_);
      if (!start_error_.empty()) return {JobState::failed, start_error_};
    }
    std::string error;
    if (!slot.process->start(error)) {
      std::lock_guard lock(error_mutex_);
      start_error_ = error;
      return {JobState::failed, error};
    }
  }
  return slot.process->run(type, context, grace);
}

}  // namespace lockstep::run
