#include "diagnostics_output.hpp"

#include <ostream>

namespace lockstep::cli {

void print_diagnostics(std::ostream& out, const Diagnostics& diagnostics) {
  for (const auto& diagnostic : diagnostics.all()) {
    // One without a source (a plugin named on the command line, say) is the command's own.
    out << (diagnostic.where.file.empty() ? "lockstep: " : "") << format(diagnostic) << '\n';
  }
  if (const auto errors = diagnostics.error_count(); errors > 0) {
    out << "lockstep: " << errors << (errors == 1 ? " error" : " errors") << '\n';
  }
  out.flush();
}

}  // namespace lockstep::cli
