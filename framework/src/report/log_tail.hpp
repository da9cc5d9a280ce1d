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
  // Read from the end of the job's file at most, for an instance without a file of its own.
  std::size_t search_bytes = 256 * 1024;
};

// The last lines of the instance's file (RunDirLog::job_log_path) under `run_dir`, each ending in
// '\n'. An instance of a fan-out without a file of its own (past RunDirOptions::instance_files
// and failed_instance_files, or whose log saw no instance end): its lines among the last
// `search_bytes` of its job's file (RunDirLog::job_lines_path), without their "[index] ". ""
// when `run_dir` is empty or no file holds a line of the instance.
LOCKSTEP_INTERNAL_API std::string log_tail(const std::filesystem::path& run_dir, std::string_view instance_id,
                     LogTailLimits limits = {});

}  // namespace lockstep::report
