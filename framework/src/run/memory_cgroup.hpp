// memory_cgroup.hpp — a worker process's `memory:` limit as a cgroup of its own, where lockstep
// may make one: the kernel then counts the worker and every command its jobs start together, and
// kills past the limit (RLIMIT_AS, the fallback, counts address space, one process at a time).
//
//   if (auto cgroup = MemoryCgroup::make("lockstep-4242-w0", 256 << 20)) {
//     cgroup->add(pid);                  // before the worker loads anything
//     ...
//     if (cgroup->oom_kills() > 0) ...   // the kernel killed for memory: name the limit
//   }                                    // the directory is removed
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "lockstep/export.hpp"

namespace lockstep::run {

class LOCKSTEP_INTERNAL_API MemoryCgroup {
 public:
  enum class Version { v1, v2 };

  // A new cgroup named `name`, limited to `bytes`, under the cgroup this process is in (cgroup
  // v2's memory.max, else cgroup v1's memory.limit_in_bytes), or under LOCKSTEP_CGROUP, a cgroup
  // v2 directory delegated to lockstep with the memory controller on for its children. Nothing
  // where no such cgroup can be made (LOCKSTEP_CGROUP=off, no memory controller, not writable).
  // First removes the empty cgroups there of workers whose lockstep is gone (killed with -9).
  static std::optional<MemoryCgroup> make(const std::string& name, std::uint64_t bytes);
  // Where make() would put cgroups and of which version; nothing when it would make none.
  static std::optional<std::pair<std::filesystem::path, Version>> parent();

  MemoryCgroup(MemoryCgroup&& other) noexcept;
  MemoryCgroup& operator=(MemoryCgroup&&) = delete;
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;
  ~MemoryCgroup();  // removes the directory once its processes are gone

  // Moves process `pid` in; false when the kernel refuses.
  bool add(pid_t pid) const;
  // How many processes of it the kernel killed for want of memory.
  std::uint64_t oom_kills() const;
  const std::filesystem::path& path() const noexcept { return path_; }
  Version version() const noexcept { return version_; }

 private:
  MemoryCgroup(std::filesystem::path path, Version version)
      : path_(std::move(path)), version_(version) {}
  std::filesystem::path path_;
  Version version_;
};

}  // namespace lockstep::run
