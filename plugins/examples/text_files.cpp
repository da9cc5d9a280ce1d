#include "text_files.hpp"

#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace lockstep::examples {

void throw_io_error(std::string_view what, const std::filesystem::path& path, int error) {
  throw std::runtime_error("cannot " + std::string(what) + " '" + path.string() +
                           "': " + std::generic_category().message(error));
}

namespace {

std::FILE* open_for_reading(const std::filesystem::path& path) {
  errno = 0;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw_io_error("open", path, errno);
  return file;
}

}  // namespace

LineReader::LineReader(std::filesystem::path path)
    : path_(std::move(path)), file_(open_for_reading(path_), &std::fclose) {}

LineReader::~LineReader() { std::free(buffer_); }  // getline(3) allocates with malloc

bool LineReader::next(std::string_view& line) {
  errno = 0;
  const ssize_t length = ::getline(&buffer_, &capacity_, file_.get());
  if (length < 0) {
    // fopen() succeeds on a directory; reading it is where EISDIR shows up.
    if (std::ferror(file_.get()) != 0) throw_io_error("read", path_, errno);
    return false;
  }
  ++line_number_;
  line = std::string_view(buffer_, static_cast<std::size_t>(length));
  if (line.ends_with('\n')) line.remove_suffix(1);
  return true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  if (auto parent = path.parent_path(); !parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) throw_io_error("create directory", parent, error.value());
  }
  // Unique per process and call, so that two jobs writing the same path never share a temporary.
  static std::atomic<unsigned> serial{0};
  auto temporary = path;
  temporary += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);

  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(temporary.c_str(), "wb"),
                                                       &std::fclose);
  if (!file) throw_io_error("write", path, errno);
  const bool written = std::fwrite(content.data(), 1, content.size(), file.get()) == content.size();
  // Closing flushes: a full disk shows up here, not as a silently short file.
  const bool closed = std::fclose(file.release()) == 0;
  const int error = errno;
  std::error_code ignored;
  if (!written || !closed) {
    std::filesystem::remove(temporary, ignored);
    throw_io_error("write", path, error);
  }
  std::error_code renamed;
  std::filesystem::rename(temporary, path, renamed);
  if (renamed) {
    std::filesystem::remove(temporary, ignored);
    throw_io_error("write", path, renamed.value());
  }
}

std::string format_number(double value) {
  std::array<char, 32> text{};
  auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{}) throw std::logic_error("format_number: buffer too small");
  return {text.data(), end};
}

}  // namespace lockstep::examples
