#include "output_file.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace lockstep::core {
namespace {

// The directory of this process's output files, made by the first command (a function-local
// static: made once, and tried again by the next command if making it threw) and removed, with
// whatever a command still running at exit left in it, when the process exits.
class OutputDirectory {
 public:
  static OutputDirectory& instance() {
    static OutputDirectory directory;
    return directory;
  }

  std::string next_path() {
    return (path_ / std::to_string(next_.fetch_add(1, std::memory_order_relaxed))).string();
  }

  ~OutputDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

 private:
  OutputDirectory() {
    auto pattern = (std::filesystem::temp_directory_path() / "lockstep-outputs-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {  // mode 0700
      throw std::runtime_error("cannot create " + pattern + ": " +
                               std::generic_category().message(errno));
    }
    path_ = pattern;
  }

  std::filesystem::path path_;
  std::atomic<std::uint64_t> next_{0};
};

}  // namespace

OutputFile::OutputFile() : path_(OutputDirectory::instance().next_path()) {}

OutputFile::~OutputFile() { ::unlink(path_.c_str()); }

void OutputFile::publish(JobContext& context) const {
  std::ifstream file(path_);
  int number = 0;
  for (std::string line; std::getline(file, line);) {
    ++number;
    if (line.empty()) continue;
    const auto equals = line.find('=');
    if (equals == 0 || equals == std::string::npos) {
      throw std::runtime_error("$LOCKSTEP_OUTPUT line " + std::to_string(number) + ": '" + line +
                               "' is not KEY=value");
    }
    context.output(line.substr(0, equals), line.substr(equals + 1));
  }
}

}  // namespace lockstep::core
