// lockstep-worker: a worker process of a bulkhead with `isolation: process`. lockstep starts it
// with one end of a socketpair as `--fd N` (and the group guard's pipe and the page a batch's
// progress is kept in); it is not meant to be run by hand.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "run/worker_main.hpp"

namespace {

// The descriptors lockstep gives: --fd N [--guard-fd N] [--progress-fd N].
struct Descriptors {
  int socket = -1;
  int guard = -1;
  int progress = -1;
};

std::optional<Descriptors> parse(int argc, char** argv) {
  Descriptors given;
  if (argc % 2 != 1) return std::nullopt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--fd") == 0) {
      given.socket = value;
    } else if (std::strcmp(argv[i], "--guard-fd") == 0) {
      given.guard = value;
    } else if (std::strcmp(argv[i], "--progress-fd") == 0) {
      given.progress = value;
    } else {
      return std::nullopt;
    }
  }
  if (given.socket < 0) return std::nullopt;
  return given;
}

}  // namespace

int main(int argc, char** argv) {
  const auto given = parse(argc, argv);
  if (!given) {
    std::fputs("lockstep-worker: lockstep starts this program for bulkheads with 'isolation: "
               "process'; it is not run by hand\n",
               stderr);
    return 2;
  }
  // Fatal signals at their defaults: lockstep tells a crash by the signal that ended the worker
  // (a sanitizer's handler would turn it into an exit status).
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(signal, SIG_DFL);
  // Not inherited by what our jobs start: a command holding the socket would hide our death
  // from lockstep, one holding the guard's pipe would keep the guard from ever acting.
  for (int fd : {given->socket, given->guard, given->progress}) {
    if (fd >= 0) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (given->guard >= 0) {
    // lockstep's group guard, for the commands our jobs start (lockstep/plugin/process_groups.hpp).
    const std::string value = std::to_string(given->guard) + ":" + std::to_string(::getpid());
    ::setenv("LOCKSTEP_GROUP_GUARD", value.c_str(), 1);
  }
  return lockstep::run::serve_worker(given->socket, given->progress);
}
