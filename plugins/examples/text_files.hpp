// Reading and writing the examples' text files, with errors that name the file and the system's
// reason:
//
//   LineReader in(path);                       // throws "cannot open 'in.txt': No such file ..."
//   for (std::string_view line; in.next(line);) use(line, in.line_number());
//   write_file_atomically(out, text);          // readers see the old file or the whole new one
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace lockstep::examples {

// Throws std::runtime_error("cannot <what> '<path>': <strerror(error)>").
[[noreturn]] void throw_io_error(std::string_view what, const std::filesystem::path& path,
                                 int error);

// The lines of a text file, one at a time, so that a big file never has to fit in memory.
class LineReader {
 public:
  explicit LineReader(std::filesystem::path path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, without its '\n'; false at the end. Valid until the next call.
  bool next(std::string_view& line);
  // 1 for the first line, once next() returned it.
  std::int64_t line_number() const noexcept { return line_number_; }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  char* buffer_ = nullptr;  // owned by getline(3)
  std::size_t capacity_ = 0;
  std::int64_t line_number_ = 0;
};

// Writes `content` to a temporary file next to `path`, then renames it over `path`: a reader
// never sees half a file, and a job that fails leaves the old one. Creates missing directories.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// The shortest text that reads back as exactly `value` ("0.25", "1e-07").
std::string format_number(double value);

}  // namespace lockstep::examples
