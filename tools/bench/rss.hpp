// rss.hpp — peak resident set size of a child process.
//
// Why not simply wait4's rusage.ru_maxrss: Linux carries the high-water mark of the memory
// image a process had before execve() into ru_maxrss. A child started with posix_spawn (vfork)
// or fork shares or copies the parent's image, so every child would report at least the
// benchmark parent's own RSS (43.7 MiB for every child, baseline included, when this was
// written). The child therefore reports its own VmHWM (/proc/self/status, which belongs to the
// image execve() created) through a pipe; ru_maxrss is kept for reference only.
#pragma once

#include <string>
#include <vector>

namespace lockstep_bench {

struct ChildRun {
  bool ok = false;           // exited with status 0 and reported its peak
  std::string status;        // "exit 0", "exit 124", "signal 11", or why it could not start
  double peak_rss_mib = 0;   // the child's VmHWM
  double ru_maxrss_mib = 0;  // wait4's figure (see above)
  std::string extra;         // what the child reported after its peak (e.g. a duration)
};

// Runs argv[0] with `argv` (argv[0] included) plus "--child-report-fd <fd>", and waits for it.
ChildRun run_child_process(const std::vector<std::string>& argv);

// In the child: writes this process's VmHWM in KiB to `fd`, then `extra` on the next line.
// Returns false when it could not.
bool report_peak_rss(int fd, const std::string& extra = {});

}  // namespace lockstep_bench
