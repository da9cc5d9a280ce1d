// peers_external.cpp — make -j and xargs -P, started with posix_spawn and waited for.
#include "peers_external.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "work.hpp"

extern char** environ;

namespace lockstep_bench {
namespace {

// Runs argv with stdout on /dev/null and waits; throws unless it exits with status 0.
void run_tool(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) throw std::runtime_error(argv[0] + ": cannot start: " + std::strerror(error));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(argv[0] + ": waitpid: " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(argv[0] + " failed (wait status " + std::to_string(status) + ")");
}

double timed_run(const std::vector<std::string>& argv) {
  const auto start = Clock::now();
  run_tool(argv);
  return elapsed_ns(start, Clock::now());
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const auto candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

double make_commands(const CommandsSpec& spec, const std::string& make) {
  const auto file = spec.dir / "Makefile";
  {
    std::ofstream out(file);
    std::string targets;
    for (std::size_t i = 0; i < spec.commands; ++i) targets += " t" + std::to_string(i);
    out << ".PHONY: all" << targets << "\nall:" << targets << "\n";
    for (std::size_t i = 0; i < spec.commands; ++i)
      out << "t" << i << ":\n\t@" << spec.program << "\n";
  }
  return timed_run({make, "-s", "-j" + std::to_string(spec.workers), "-f", file.string()});
}

double xargs_commands(const CommandsSpec& spec, const std::string& xargs) {
  const auto file = spec.dir / "args";
  {
    std::ofstream out(file);
    for (std::size_t i = 0; i < spec.commands; ++i) out << i << "\n";
  }
  return timed_run(
      {xargs, "-P", std::to_string(spec.workers), "-n", "1", "-a", file.string(), spec.program});
}

}  // namespace lockstep_bench
