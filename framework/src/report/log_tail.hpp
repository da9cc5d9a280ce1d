// The last lines of a job instance's log in a run directory, for the pages and reports that show
// why an instance failed.
//
//   auto tail = log_tail(run_dir, "build/lint", {.lines = 20});  // "" when it logged nothing
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::report {

struct LogTailLimits {
  std::size_t lines = 20;
  std::size_t bytes = 4096;  // read from the end of the file at most; a line cut by it is dropped
};

// The last lines of the instance's file (RunDirLog::job_log_path) under `run_dir`, each ending in
// '\n'; "" when `run_dir` is empty or the instance's file does not exist.
LOCKSTEP_INTERNAL_API std::string log_tail(const std::filesystem::path& run_dir, std::string_view instance_id,
                     LogTailLimits limits = {});

}  // namespace lockstep::report
