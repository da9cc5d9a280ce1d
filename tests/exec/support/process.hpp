// Facts about the test process itself, read from /proc.
#pragma once

#include <fstream>
#include <string>

namespace lockstep::test {

// The number of threads of this process ("Threads:" in /proc/self/status), or -1.
inline int process_thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

}  // namespace lockstep::test
