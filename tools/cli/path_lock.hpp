// tools/cli/path_lock.hpp — one run at a time on a path: an flock(2) on a lock file, held for as
// long as the PathLock lives (the kernel drops it when the process dies, kill -9 included). The
// file holds the holder's process id, so that the run that finds it taken can name it.
//
//   std::string why;
//   auto lock = PathLock::acquire(dir / "lock", PathLock::keep, why);
//   if (!lock) { std::cerr << "... " << why << "\n"; return kExitError; }  // "in use by process 42"
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace lockstep::cli {

class PathLock {
 public:
  enum End : bool { keep, remove };  // what becomes of the lock file when the lock is let go

  // Null with `why` set when another process holds the lock or the file cannot be made. A
  // symlink at `path` is refused (O_NOFOLLOW): a lock is never taken through one.
  static std::unique_ptr<PathLock> acquire(const std::filesystem::path& path, End end,
                                           std::string& why);
  ~PathLock();
  PathLock(const PathLock&) = delete;
  PathLock& operator=(const PathLock&) = delete;

 private:
  PathLock(std::filesystem::path path, int fd, End end) : path_(std::move(path)), fd_(fd), end_(end) {}

  std::filesystem::path path_;
  int fd_;
  End end_;
};

}  // namespace lockstep::cli
