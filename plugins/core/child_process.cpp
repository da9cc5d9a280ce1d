#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <lockstep/plugin.hpp>

#include "program_path.hpp"

extern char** environ;  // NOLINT: POSIX declares it nowhere in a header

namespace lockstep::core {
namespace {

// A line longer than this is handed over in pieces, so that a process writing megabytes without
// a newline cannot make us buffer all of it.
constexpr std::size_t kMaxLine = 64 * 1024;

std::string error_text(int error) { return std::generic_category().message(error); }

[[noreturn]] void throw_start_error(const std::string& what, int error) {
  throw std::runtime_error(what + ": " + error_text(error));
}

// Owns a file descriptor until released.
class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// "NAME=value" for our environment with `overrides` applied.
std::vector<std::string> child_environment(const StringMap& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto name = text.substr(0, text.find('='));
    if (overrides.find(name) == overrides.end()) result.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) result.push_back(name + "=" + value);
  return result;
}

std::string lookup(const std::vector<std::string>& environment, std::string_view name) {
  for (const auto& entry : environment) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return {};
}

// The program to execute: as given when it names a path, else found in the child's PATH (so that
// `env: {PATH: ...}` decides where a program comes from, as it would in a shell).
std::string resolve_program(const std::string& program,
                            const std::vector<std::string>& environment) {
  if (program.empty()) throw std::runtime_error("cannot run '': the program name is empty");
  if (program.find('/') != std::string::npos) return program;
  auto path = lookup(environment, "PATH");
  if (path.empty()) path = kDefaultPath;
  if (auto found = find_in_path(program, path); !found.empty()) return found;
  throw std::runtime_error("cannot run '" + program + "': no such program in PATH (" + path + ")");
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn's attributes and file actions, destroyed on every path out.
struct SpawnSetup {
  posix_spawnattr_t attributes{};
  posix_spawn_file_actions_t actions{};

  SpawnSetup() {
    if (int error = posix_spawnattr_init(&attributes)) throw_start_error("posix_spawn", error);
    if (int error = posix_spawn_file_actions_init(&actions)) {
      posix_spawnattr_destroy(&attributes);
      throw_start_error("posix_spawn", error);
    }
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

ChildProcess::ChildProcess(const SpawnRequest& request) {
  if (request.argv.empty()) throw std::runtime_error("cannot run a command without a program");
  if (!request.cwd.empty()) {
    struct stat info {};
    if (::stat(request.cwd.c_str(), &info) != 0) {
      throw_start_error("cannot run in directory '" + request.cwd + "'", errno);
    }
    if (!S_ISDIR(info.st_mode)) {
      throw std::runtime_error("cannot run in '" + request.cwd + "': not a directory");
    }
  }
  auto environment = child_environment(request.env);
  // A relative path such as ./build.sh is the one in `cwd`: the child changes directory first.
  auto program = resolve_program(request.argv.front(), environment);

  // O_CLOEXEC from the start: a process that another thread spawns meanwhile must not inherit
  // our pipes (it would hold them open, and we would wait for its end of file).
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) throw_start_error("cannot make a pipe", errno);
  Fd out_read(out[0]), out_write(out[1]);
  if (::pipe2(err.data(), O_CLOEXEC) != 0) throw_start_error("cannot make a pipe", errno);
  Fd err_read(err[0]), err_write(err[1]);

  SpawnSetup setup;
  // A process group of its own, so that cancellation reaches everything it starts; signals at
  // their defaults and none blocked, whatever the worker thread that starts it has set up
  // (an ignored SIGTERM or SIGPIPE would otherwise be inherited).
  sigset_t no_signals;
  sigset_t all_signals;
  sigemptyset(&no_signals);
  sigfillset(&all_signals);
  posix_spawnattr_setflags(&setup.attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  posix_spawnattr_setsigdefault(&setup.attributes, &all_signals);
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err_write.get(), STDERR_FILENO);
  if (!request.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, request.cwd.c_str());
  }

  auto arguments = request.argv;
  auto argv = c_strings(arguments);
  auto envp = c_strings(environment);
  // glibc's posix_spawn returns only once the child has exec'd (or failed to, with its errno),
  // so the child is already in its own group when we may first signal it.
  if (int error = posix_spawn(&pid_, program.c_str(), &setup.actions, &setup.attributes,
                              argv.data(), envp.data())) {
    throw_start_error("cannot run '" + program + "'", error);
  }
  note_group_started(pid_);  // killed by lockstep's guard if lockstep dies first

  out_ = {out_read.release(), Stream::out};
  err_ = {err_read.release(), Stream::err};
  ::fcntl(out_.fd, F_SETFL, O_NONBLOCK);
  ::fcntl(err_.fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
  // Lets poll() wake the moment the leader exits; without it, pump() notices within its timeout.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
#endif
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    signal_group(SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    note_group_reaped(pid_);
  }
  for (int fd : {out_.fd, err_.fd, pidfd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void ChildProcess::pump(std::chrono::milliseconds timeout, const LineHandler& on_line) {
  std::array<pollfd, 3> fds{};
  std::array<Pipe*, 3> pipes{};
  nfds_t count = 0;
  for (Pipe* pipe : {&out_, &err_}) {
    if (pipe->fd < 0) continue;
    pipes[count] = pipe;
    fds[count++] = {pipe->fd, POLLIN, 0};
  }
  // Once the leader has exited its pidfd stays readable: leave it out, or poll would spin.
  if (pidfd_ >= 0 && !exited_) fds[count++] = {pidfd_, POLLIN, 0};

  int ready = ::poll(fds.data(), count, static_cast<int>(timeout.count()));
  if (ready <= 0) return;  // timeout, or EINTR: the caller comes back soon
  for (nfds_t i = 0; i < count; ++i) {
    if (pipes[i] != nullptr && fds[i].revents != 0) read_some(*pipes[i], on_line);
  }
}

bool ChildProcess::read_some(Pipe& pipe, const LineHandler& on_line) {
  std::array<char, 16 * 1024> buffer;
  ssize_t got = ::read(pipe.fd, buffer.data(), buffer.size());
  if (got < 0) {
    if (errno == EAGAIN || errno == EINTR) return false;
    close_pipe(pipe, on_line);  // a broken pipe ends its output like end of file
    return false;
  }
  if (got == 0) {
    close_pipe(pipe, on_line);
    return false;
  }
  pipe.pending.append(buffer.data(), static_cast<std::size_t>(got));
  std::size_t start = 0;
  while (true) {
    auto newline = pipe.pending.find('\n', start);
    if (newline == std::string::npos) break;
    on_line(pipe.stream, std::string_view(pipe.pending).substr(start, newline - start));
    start = newline + 1;
  }
  pipe.pending.erase(0, start);
  while (pipe.pending.size() >= kMaxLine) {
    on_line(pipe.stream, std::string_view(pipe.pending).substr(0, kMaxLine));
    pipe.pending.erase(0, kMaxLine);
  }
  return true;
}

void ChildProcess::close_pipe(Pipe& pipe, const LineHandler& on_line) {
  ::close(pipe.fd);
  pipe.fd = -1;
  if (!pipe.pending.empty()) {
    auto last = std::move(pipe.pending);
    pipe.pending.clear();
    on_line(pipe.stream, last);
  }
}

bool ChildProcess::exited() {
  if (exited_ || reaped_) return true;
  siginfo_t info{};
  // WNOWAIT: the leader stays a zombie, keeping its pid (the group's id) from being reused.
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    exited_ = info.si_pid == pid_;
  } else if (errno == ECHILD) {
    exited_ = true;  // someone else reaped it (SIGCHLD ignored by the program): nothing to wait for
  }
  return exited_;
}

void ChildProcess::signal_group(int signal) noexcept {
  if (!reaped_) ::kill(-pid_, signal);
}

int ChildProcess::reap(const LineHandler& on_line) {
  signal_group(SIGKILL);
  int status = 0;
  pid_t done = -1;
  while ((done = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exited_ = true;
  note_group_reaped(pid_);
  if (done < 0) status = 0;  // reaped elsewhere: its status is lost
  // What is still in the pipes was written before the kill; a process outside the group may
  // hold them open for ever, so take what is there now and stop.
  for (Pipe* pipe : {&out_, &err_}) {
    while (pipe->fd >= 0 && read_some(*pipe, on_line)) {
    }
    if (pipe->fd >= 0) close_pipe(*pipe, on_line);
  }
  return status;
}

}  // namespace lockstep::core
