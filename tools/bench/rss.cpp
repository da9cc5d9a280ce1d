// rss.cpp — posix_spawn + a pipe + wait4: each child's own peak RSS.
#include "rss.hpp"

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace lockstep_bench {
namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return out;
    }
  }
}

}  // namespace

bool report_peak_rss(int fd, const std::string& extra) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("VmHWM:")) continue;
    std::istringstream fields(line.substr(6));
    long kib = -1;
    fields >> kib;
    if (kib < 0) return false;
    const std::string text = std::to_string(kib) + "\n" + extra + "\n";
    return write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  }
  return false;
}

ChildRun run_child_process(const std::vector<std::string>& argv) {
  ChildRun result;
  int fds[2];
  if (pipe(fds) != 0) {
    result.status = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<std::string> full = argv;
  full.push_back("--child-report-fd");
  full.push_back(std::to_string(fds[1]));
  std::vector<char*> args;
  args.reserve(full.size() + 1);
  for (const auto& a : full) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    result.status = std::string("cannot start: ") + std::strerror(err);
    return result;
  }
  const std::string report = read_all(fds[0]);
  close(fds[0]);

  int status = 0;
  struct rusage usage {};
  pid_t waited = 0;
  do {
    waited = wait4(pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    result.status = std::string("wait4: ") + std::strerror(errno);
    return result;
  }
  if (WIFEXITED(status)) {
    result.status = "exit " + std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    result.status = "signal " + std::to_string(WTERMSIG(status));
  }
  result.ru_maxrss_mib = double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const long kib = std::strtol(report.c_str(), nullptr, 10);
  if (const auto newline = report.find('\n'); newline != std::string::npos) {
    result.extra = report.substr(newline + 1);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    if (kib > 0) {
      result.peak_rss_mib = double(kib) / 1024.0;
      result.ok = true;
    } else {
      result.status += ", no VmHWM report";
    }
  }
  return result;
}

}  // namespace lockstep_bench
