#include "program_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace lockstep::core {

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::string find_in_path(std::string_view name, std::string_view path) {
  if (path.empty()) path = kDefaultPath;
  while (true) {
    const auto colon = path.find(':');
    const auto dir = path.substr(0, colon);
    auto candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + std::string(name);
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) return {};
    path.remove_prefix(colon + 1);
  }
}

}  // namespace lockstep::core
