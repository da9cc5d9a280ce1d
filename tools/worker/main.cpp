// lockstep-worker: a worker process of a bulkhead with `isolation: process`. lockstep starts it
// with one end of a socketpair as `--fd N`; it is not meant to be run by hand.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "run/worker_main.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || std::strcmp(argv[1], "--fd") != 0) {
    std::fputs("lockstep-worker: lockstep starts this program for bulkheads with 'isolation: "
               "process'; it is not run by hand\n",
               stderr);
    return 2;
  }
  // Fatal signals at their defaults: lockstep tells a crash by the signal that ended the worker
  // (a sanitizer's handler would turn it into an exit status).
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(signal, SIG_DFL);
  return lockstep::run::serve_worker(std::atoi(argv[2]));
}
