#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "lockstep/pipeline/exit_codes.hpp"

namespace lockstep::cli {

namespace fs = std::filesystem;

void say_cannot_write(std::ostream& err, const std::string& what, const std::string& path) {
  err << "lockstep: cannot write " << what << " '" << path << "': " << std::strerror(errno) << "\n";
}

int status_after_failed_output(int run_status) noexcept {
  return run_status == kExitOk ? kExitError : run_status;
}

namespace {

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto written = ::write(fd, text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// The directory PATH is in, "." for a bare name.
fs::path directory_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

}  // namespace

std::unique_ptr<AtomicFile> AtomicFile::open(const std::string& what, const std::string& path,
                                             std::ostream& err) {
  std::unique_ptr<AtomicFile> file(new AtomicFile());
  file->path_ = path;
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    if (S_ISDIR(info.st_mode)) {
      errno = EISDIR;
      say_cannot_write(err, what, path);
      return nullptr;
    }
    // A device or a FIFO: written in place, as given (there is nothing to replace).
    file->fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (file->fd_ < 0) {
      say_cannot_write(err, what, path);
      return nullptr;
    }
    return file;
  }
  const fs::path target(path);
  const auto dir = directory_of(target);
  const auto name = target.filename().string();
  // The directory first, so that a missing one reads as ENOENT on PATH, as users expect.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    say_cannot_write(err, what, path);
    return nullptr;
  }
  std::string why;
  file->lock_ = PathLock::acquire(dir / ("." + name + ".lock"), PathLock::remove, why);
  if (!file->lock_) {
    err << "lockstep: cannot write " << what << " '" << path << "': " << why << "\n";
    return nullptr;
  }
  file->temporary_ = (dir / ("." + name + "." + std::to_string(::getpid()) + ".tmp")).string();
  // Left by a killed run of the same process id: ours to replace, since we hold the lock.
  ::unlink(file->temporary_.c_str());
  file->fd_ = ::open(file->temporary_.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (file->fd_ < 0) {
    file->temporary_.clear();
    say_cannot_write(err, what, path);
    return nullptr;
  }
  return file;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

bool AtomicFile::commit(std::string_view content) {
  bool written = write_all(fd_, content);
  if (temporary_.empty()) {  // in place
    const int error = errno;
    written = ::close(std::exchange(fd_, -1)) == 0 && written;
    if (!written && errno == 0) errno = error;
    return written;
  }
  written = written && ::fsync(fd_) == 0;
  int error = errno;
  if (::close(std::exchange(fd_, -1)) != 0 && written) {
    written = false;
    error = errno;
  }
  if (written && ::rename(temporary_.c_str(), path_.c_str()) == 0) {
    temporary_.clear();
    // The rename itself reaches the disk with the directory.
    const int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
    return true;
  }
  if (written) error = errno;
  errno = error;
  return false;
}

}  // namespace lockstep::cli
