#include "diagnostics_output.hpp"

#include <ostream>

#include "count_text.hpp"
#include "lockstep/pipeline/output_text.hpp"

namespace lockstep::cli {

void print_diagnostics(std::ostream& out, const Diagnostics& diagnostics, std::size_t limit) {
  const auto& all = diagnostics.all();
  for (std::size_t i = 0; i < all.size() && i < limit; ++i) {
    // One without a source (a plugin named on the command line, say) is the command's own.
    // A message quotes what the file says, control characters and all: escaped.
    out << (all[i].where.file.empty() ? "lockstep: " : "") << for_terminal(format(all[i])) << '\n';
  }
  if (all.size() > limit)
    out << "lockstep: \u2026 and " << with_thousands(all.size() - limit) << " more\n";
  if (const auto errors = diagnostics.error_count(); errors > 0) {
    out << "lockstep: " << with_thousands(errors) << (errors == 1 ? " error" : " errors") << '\n';
  }
  out.flush();
}

}  // namespace lockstep::cli
