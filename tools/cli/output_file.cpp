#include "output_file.hpp"

#include <cerrno>
#include <cstring>
#include <ostream>

#include "lockstep/pipeline/exit_codes.hpp"

namespace lockstep::cli {

void say_cannot_write(std::ostream& err, const std::string& what, const std::string& path) {
  err << "lockstep: cannot write " << what << " '" << path << "': " << std::strerror(errno) << "\n";
}

int status_after_failed_output(int run_status) noexcept {
  return run_status == kExitOk ? kExitError : run_status;
}

}  // namespace lockstep::cli
