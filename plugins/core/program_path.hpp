// Finding a program the way a shell does: a name with a '/' is a path, a bare name is looked up
// in the directories of a PATH value. core.command uses it to start its process and to check
// `shell_program` before anything runs.
//
//   auto bash = lockstep::core::find_in_path("bash", "/usr/local/bin:/usr/bin:/bin");
//   if (bash.empty()) { /* not found */ }
#pragma once

#include <string>
#include <string_view>

namespace lockstep::core {

// What a shell searches when PATH is unset or empty.
inline constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// A regular file we may execute.
bool is_executable_file(const std::string& path);

// The first DIR/name of `path` (colon-separated; an empty entry is ".") that is executable, or "".
std::string find_in_path(std::string_view name, std::string_view path);

}  // namespace lockstep::core
