// peers_external.hpp — case commands' peers: the same commands run by `make -j` and `xargs -P`,
// when they are installed. Each prepares its input (untimed), then times one whole run of the
// tool, from its start to its exit.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace lockstep_bench {

struct CommandsSpec {
  int workers = 1;            // -j / -P
  std::size_t commands = 0;   // how many times `program` runs
  std::string program;        // an absolute path, run without arguments (xargs adds one)
  std::filesystem::path dir;  // where the inputs are written (a fresh directory)
};

// The absolute path of `name` in PATH, or "" when it is not installed.
std::string find_program(const std::string& name);

// A Makefile of `commands` phony targets, each one recipe line `program` (make runs such a
// line without a shell), run by `make -s -j<workers>`. Returns nanoseconds.
double make_commands(const CommandsSpec& spec, const std::string& make);
// `xargs -P<workers> -n1 -a FILE program`, FILE holding `commands` lines. Returns nanoseconds.
double xargs_commands(const CommandsSpec& spec, const std::string& xargs);

}  // namespace lockstep_bench
