#include "path_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace lockstep::cli {

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

// The process id written in the lock file by its holder ("" when it cannot be read).
std::string holder_of(int fd) {
  char text[32] = {};
  const auto got = ::pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return {};
  std::string pid(text, static_cast<std::size_t>(got));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

std::unique_ptr<PathLock> PathLock::acquire(const std::filesystem::path& path, End end,
                                            std::string& why) {
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      why = "cannot lock " + path.string() + ": " + errno_text(errno);
      return nullptr;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      const auto pid = holder_of(fd);
      ::close(fd);
      if (error == EWOULDBLOCK) {
        why = "in use by another lockstep run" + (pid.empty() ? "" : " (process " + pid + ")") +
              " (lock " + path.string() + ")";
      } else {
        why = "cannot lock " + path.string() + ": " + errno_text(error);
      }
      return nullptr;
    }
    // A holder that let go removes the file after we opened it and before we locked it: then
    // our lock is on a file nobody else will open. Try again on the one at the path now.
    struct stat held {}, at_path {};
    if (::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &at_path) == 0 &&
        held.st_dev == at_path.st_dev && held.st_ino == at_path.st_ino) {
      const auto pid = std::to_string(::getpid()) + "\n";
      if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] const auto written = ::pwrite(fd, pid.data(), pid.size(), 0);
      }
      return std::unique_ptr<PathLock>(new PathLock(path, fd, end));
    }
    ::close(fd);
  }
}

PathLock::~PathLock() {
  if (end_ == remove) ::unlink(path_.c_str());  // still locked: nobody takes it in between
  ::close(fd_);
}

}  // namespace lockstep::cli
