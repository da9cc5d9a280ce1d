#include "report_file.hpp"

#include <cerrno>
#include <cstring>
#include <ostream>
#include <utility>

#include "lockstep/exit_codes.hpp"

namespace lockstep::cli {

namespace {

void cannot_write(std::ostream& err, const std::string& path) {
  err << "lockstep: cannot write report '" << path << "': " << std::strerror(errno) << "\n";
}

}  // namespace

ReportFile::ReportFile(std::string path, std::ofstream out)
    : path_(std::move(path)), out_(std::move(out)) {}

std::unique_ptr<ReportFile> ReportFile::open(const std::string& path, std::ostream& err) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    cannot_write(err, path);
    return nullptr;
  }
  return std::unique_ptr<ReportFile>(new ReportFile(path, std::move(out)));
}

int ReportFile::write(const RunResult& result, std::ostream& err) {
  report_.write(out_);
  out_.close();
  if (out_) return result.exit_code();
  cannot_write(err, path_);
  return result.exit_code() == kExitOk ? kExitError : result.exit_code();
}

}  // namespace lockstep::cli
