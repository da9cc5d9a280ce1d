// core.write_file: writes (or appends) text to a file, creating missing parent directories. A
// pipeline can leave a marker, a summary or a small config behind without a shell command.
#include <lockstep/plugin.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "job_types.hpp"

namespace lockstep::core {
namespace {

[[noreturn]] void throw_io_error(const std::string& what, const std::filesystem::path& path,
                                 int error) {
  throw std::runtime_error("cannot " + what + " '" + path.string() +
                           "': " + std::generic_category().message(error));
}

class WriteFile final : public Job {
 public:
  static JobType type() {
    return {.name = "write_file",
            .doc = "Writes text to a file (creating its directory); publishes its path as 'path'",
            .params = {ParamSpec::string("path").required().doc("the file to write"),
                       ParamSpec::string("content").doc("the text to write").default_value(""),
                       ParamSpec::boolean("append")
                           .doc("add to the end instead of replacing")
                           .default_value(false)},
            .outputs = {{"path", "the file's absolute path"}}};
  }
  explicit WriteFile(const Params& params)
      : path_(params.get<std::string>("path")),
        content_(params.get<std::string>("content")),
        append_(params.get<bool>("append")) {}

  void run(JobContext& context) override {
    if (auto parent = path_.parent_path(); !parent.empty()) {
      std::error_code error;
      std::filesystem::create_directories(parent, error);
      if (error) throw_io_error("create directory", parent, error.value());
    }
    write();
    context.log().info(append_ ? "appended " : "wrote ", content_.size(), " bytes to ",
                       path_.string());
    context.output("path", std::filesystem::absolute(path_).string());
  }

 private:
  void write() const {
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
        std::fopen(path_.c_str(), append_ ? "ab" : "wb"), &std::fclose);
    if (!file) throw_io_error("open", path_, errno);
    if (std::fwrite(content_.data(), 1, content_.size(), file.get()) != content_.size()) {
      throw_io_error("write", path_, errno);
    }
    // Closing flushes: a full disk shows up here, not as a silently short file.
    if (std::fclose(file.release()) != 0) throw_io_error("write", path_, errno);
  }

  std::filesystem::path path_;
  std::string content_;
  bool append_;
};

}  // namespace

void add_write_file(Registry& registry) { registry.add_job<WriteFile>(); }

}  // namespace lockstep::core
