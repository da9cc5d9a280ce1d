#include "run/memory_cgroup.hpp"
#include "lockstep/pipeline/runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

namespace lockstep::run {
namespace {

namespace fs = std::filesystem;

const fs::path kCgroupRoot = "/sys/fs/cgroup";

// Writes `text` to a cgroup file; false when the kernel refuses it.
bool write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The value of `key` in a flat-keyed cgroup file ("key value" lines); 0 when absent.
std::uint64_t keyed_value(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string name;
  std::uint64_t value = 0;
  while (in >> name >> value) {
    if (name == key) return value;
  }
  return 0;
}

bool lists_word(const std::string& text, const std::string& word) {
  std::istringstream words(text);
  std::string each;
  while (words >> each) {
    if (each == word) return true;
  }
  return false;
}

// A cgroup v2 directory whose children get the memory controller, and that we may write to.
bool v2_parent(const fs::path& dir) {
  return ::access(dir.c_str(), W_OK) == 0 &&
         lists_word(read_file(dir / "cgroup.subtree_control"), "memory");
}

// Where this process's cgroup is: "0::/path" (v2) or "N:memory:/path" (v1) in /proc/self/cgroup.
std::optional<std::pair<fs::path, MemoryCgroup::Version>> own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::optional<fs::path> unified;
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = fs::path(line.substr(second + 1)).relative_path();
    if (controllers.empty() && line.starts_with("0:")) unified = kCgroupRoot / path;
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == "memory")
        return std::pair{kCgroupRoot / "memory" / path, MemoryCgroup::Version::v1};
    }
  }
  // Only a unified hierarchy mounted at the root has memory.max in its cgroups.
  if (unified && fs::exists(kCgroupRoot / "cgroup.controllers")) {
    return std::pair{*unified, MemoryCgroup::Version::v2};
  }
  return std::nullopt;
}

// Removes the cgroups that workers of a lockstep no longer running left in `parent` (it was
// killed with -9): empty by then, since the guard killed their processes.
void remove_left_behind(const fs::path& parent) {
  std::error_code failed;
  for (const auto& entry : fs::directory_iterator(parent, failed)) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("lockstep-") || name.find("-worker-") == std::string::npos) continue;
    const auto pid = std::strtol(name.c_str() + 9, nullptr, 10);
    if (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    ::rmdir(entry.path().c_str());
  }
}

}  // namespace

std::optional<std::pair<fs::path, MemoryCgroup::Version>> MemoryCgroup::parent() {
  if (const char* chosen = std::getenv("LOCKSTEP_CGROUP"); chosen != nullptr && *chosen != '\0') {
    if (std::string_view(chosen) == "off") return std::nullopt;
    if (!v2_parent(chosen)) return std::nullopt;
    return std::pair{fs::path(chosen), Version::v2};
  }
  auto own = own_cgroup();
  if (!own) return std::nullopt;
  if (own->second == Version::v2 && !v2_parent(own->first)) return std::nullopt;
  if (own->second == Version::v1 && ::access(own->first.c_str(), W_OK) != 0) return std::nullopt;
  return own;
}

std::optional<MemoryCgroup> MemoryCgroup::make(const std::string& name, std::uint64_t bytes) {
  const auto where = parent();
  if (!where) return std::nullopt;
  remove_left_behind(where->first);
  std::error_code failed;
  const auto path = where->first / name;
  if (!fs::create_directory(path, failed) || failed) return std::nullopt;
  MemoryCgroup cgroup(path, where->second);  // removed again if the limit does not take
  const auto limit = std::to_string(bytes);
  if (where->second == Version::v2) {
    if (!write_file(path / "memory.max", limit)) return std::nullopt;
    // Swap would let the worker grow past the limit, only slower.
    if (fs::exists(path / "memory.swap.max")) write_file(path / "memory.swap.max", "0");
  } else {
    if (!write_file(path / "memory.limit_in_bytes", limit)) return std::nullopt;
    if (fs::exists(path / "memory.memsw.limit_in_bytes")) {
      write_file(path / "memory.memsw.limit_in_bytes", limit);
    }
  }
  return cgroup;
}

MemoryCgroup::MemoryCgroup(MemoryCgroup&& other) noexcept
    : path_(std::exchange(other.path_, {})), version_(other.version_) {}

MemoryCgroup::~MemoryCgroup() {
  if (path_.empty()) return;
  // Killed processes leave their cgroup as they finish exiting, a moment after the signal.
  int error = 0;
  for (int tries = 0; tries < 50; ++tries) {
    if (::rmdir(path_.c_str()) == 0) return;
    error = errno;
    if (error != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // A test's stand-in for a cgroup is an ordinary directory with files in it.
  std::error_code ignored;
  if (error == ENOTEMPTY) fs::remove_all(path_, ignored);
}

bool MemoryCgroup::add(pid_t pid) const {
  return write_file(path_ / "cgroup.procs", std::to_string(pid));
}

std::uint64_t MemoryCgroup::oom_kills() const {
  return keyed_value(path_ / (version_ == Version::v2 ? "memory.events" : "memory.oom_control"),
                     "oom_kill");
}

}  // namespace lockstep::run

namespace lockstep::inline LOCKSTEP_ABI {

std::string memory_limit_mechanism() {
  const auto where = run::MemoryCgroup::parent();
  if (!where) return "RLIMIT_AS (no writable memory cgroup)";
  return std::string(where->second == run::MemoryCgroup::Version::v2 ? "cgroup v2 ("
                                                                     : "cgroup v1 (") +
         where->first.string() + ")";
}

}  // namespace lockstep::inline LOCKSTEP_ABI
