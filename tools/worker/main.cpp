// lockstep-worker: a worker process of a bulkhead with `isolation: process`. lockstep starts it
// with one end of a socketpair as `--fd N`; it is not meant to be run by hand.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "run/worker_main.hpp"

int main(int argc, char** argv) {
  const bool guarded = argc == 5 && std::strcmp(argv[3], "--guard-fd") == 0;
  if ((argc != 3 && !guarded) || std::strcmp(argv[1], "--fd") != 0) {
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
  const int fd = std::atoi(argv[2]);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (guarded) ::fcntl(std::atoi(argv[4]), F_SETFD, FD_CLOEXEC);
  if (guarded) {
    // lockstep's group guard, for the commands our jobs start (plugins/core/group_guard.hpp).
    const std::string value = std::string(argv[4]) + ":" + std::to_string(::getpid());
    ::setenv("LOCKSTEP_GROUP_GUARD", value.c_str(), 1);
  }
  return lockstep::run::serve_worker(fd);
}
