// Files written whole or not at all: the content goes to a new file in the target's directory,
// which is renamed over the target once complete, so that a reader (a browser, a CI job
// archiving it) never sees half of it, and a failed write leaves the target as it was.
//
//   std::string why;
//   if (!replace_file("run.html", [&](std::ostream& out) { out << page; }, why))
//     std::cerr << "cannot write run.html: " << why << "\n";   // "No space left on device"
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>

#include "lockstep/export.hpp"

namespace lockstep::report {

// Writes `path` through `write`; false with `why` set ("No space left on device") when the
// temporary file cannot be made, written or renamed (it is removed then). A symbolic link's target
// is replaced, and keeps its permissions; what is not a regular file (/dev/null, a pipe) is
// written into directly.
LOCKSTEP_INTERNAL_API bool replace_file(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& write, std::string& why);

// "" when replace_file(path) can be expected to work: a file can be made in the directory of
// `path`, and `path` is not a directory. Else the reason ("No such file or directory"). It makes
// a temporary file to find out, and removes it.
LOCKSTEP_INTERNAL_API std::string why_not_replaceable(const std::filesystem::path& path);

}  // namespace lockstep::report
