// A child process in a process group of its own, with its stdout and stderr on pipes: what
// core.command runs. Everything it starts can be signalled at once through the group, and the
// leader is reaped only after the group has been killed, so the group's id (the leader's pid)
// cannot be reused by an unrelated process while we may still signal it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <lockstep/plugin.hpp>

namespace lockstep::core {

enum class Stream : unsigned char { out, err };

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] without a '/' is looked up in PATH (the child's)
  std::string cwd{};              // where it runs; "" for ours
  StringMap env{};                // added to our environment, replacing variables of those names
};

class ChildProcess {
 public:
  using LineHandler = std::function<void(Stream, std::string_view)>;

  // Starts the process, stdin from /dev/null, signals at their defaults and none blocked.
  // Throws std::runtime_error, saying why, when it cannot start.
  explicit ChildProcess(const SpawnRequest& request);
  // Kills what is left of the group and reaps the leader (when reap() was not called).
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }

  // Waits at most `timeout` for output or for the leader's exit, and hands each complete line
  // (without its '\n') to `on_line`. A last line without '\n' is handed over at end of file.
  void pump(std::chrono::milliseconds timeout, const LineHandler& on_line);

  // The leader has exited (and is not reaped yet).
  bool exited();
  // Both pipes are at end of file: nothing in the group holds them any more.
  bool output_closed() const noexcept { return out_.fd < 0 && err_.fd < 0; }

  void signal_group(int signal) noexcept;

  // SIGKILLs whatever is left of the group, reaps the leader, hands over the output still
  // buffered, and returns the leader's wait status.
  int reap(const LineHandler& on_line);

 private:
  struct Pipe {
    int fd = -1;
    Stream stream = Stream::out;
    std::string pending{};  // bytes after the last '\n'
  };

  bool read_some(Pipe& pipe, const LineHandler& on_line);  // false when nothing was read
  static void close_pipe(Pipe& pipe, const LineHandler& on_line);

  pid_t pid_ = -1;
  int pidfd_ = -1;  // readable once the leader exits; -1 where the kernel has no pidfd
  bool exited_ = false;
  bool reaped_ = false;
  Pipe out_{};
  Pipe err_{};
};

}  // namespace lockstep::core
