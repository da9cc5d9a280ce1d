#include "report/replace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <optional>
#include <system_error>

namespace lockstep::report {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

// What `path` names once symbolic links are followed: a link's target is replaced, not the link.
fs::path resolved(const fs::path& path) {
  std::error_code error;
  auto target = fs::canonical(path, error);
  return error ? path : target;
}

// "DIR/.NAME.PID-N.tmp", beside the target (a rename across file systems would not be atomic),
// hidden so that a directory listing does not show it while it is written.
fs::path temporary_beside(const fs::path& path) {
  static std::atomic<unsigned> next{0};
  const auto name = "." + path.filename().string() + "." + std::to_string(::getpid()) + "-" +
                    std::to_string(next.fetch_add(1)) + ".tmp";
  return path.parent_path() / name;
}

// Creates a new temporary file beside `path` (never one that exists); -1 with errno set when it
// cannot. Mode 0666 less the umask, as a file the user made.
int create_temporary(const fs::path& path, fs::path& made) {
  for (int tries = 0; tries < 100; ++tries) {
    made = temporary_beside(path);
    const int fd = ::open(made.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

// The file `path` names now, when it exists: a directory cannot be replaced, and a device or a
// pipe (/dev/null, /dev/stdout) is written into, never renamed over.
std::optional<struct stat> existing(const fs::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return status;
}

bool write_stream(const fs::path& path, const std::function<void(std::ostream&)>& write) {
  errno = 0;  // what a failed stream leaves in it is the reason
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) {
    write(out);
    out.close();
  }
  return static_cast<bool>(out);
}

}  // namespace

bool replace_file(const fs::path& given, const std::function<void(std::ostream&)>& write,
                  std::string& why) {
  auto fail = [&](int code) {
    why = errno_text(code != 0 ? code : EIO);
    return false;
  };
  const auto path = resolved(given);
  const auto now = existing(path);
  if (now && S_ISDIR(now->st_mode)) return fail(EISDIR);
  if (now && !S_ISREG(now->st_mode)) return write_stream(path, write) || fail(errno);
  fs::path temporary;
  const int fd = create_temporary(path, temporary);
  if (fd < 0) return fail(errno);
  if (now) ::fchmod(fd, now->st_mode & 07777);  // the file replaced keeps its permissions
  ::close(fd);
  if (!write_stream(temporary, write) || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    return fail(code);
  }
  return true;
}

std::string why_not_replaceable(const fs::path& given) {
  const auto path = resolved(given);
  const auto now = existing(path);
  if (now && S_ISDIR(now->st_mode)) return errno_text(EISDIR);
  if (now && !S_ISREG(now->st_mode)) {
    return ::access(path.c_str(), W_OK) == 0 ? std::string() : errno_text(errno);
  }
  fs::path temporary;
  const int fd = create_temporary(path, temporary);
  if (fd < 0) return errno_text(errno);
  ::close(fd);
  ::unlink(temporary.c_str());
  return {};
}

}  // namespace lockstep::report
