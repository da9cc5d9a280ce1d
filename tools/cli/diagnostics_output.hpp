// tools/cli/diagnostics_output.hpp — how the CLI shows diagnostics: all of them, one per line.
//
//   if (diagnostics.has_errors()) {
//     print_diagnostics(std::cerr, diagnostics);   // pipe.yaml:3:7: error: ... (hint)
//     return lockstep::kExitError;
//   }
#pragma once

#include <iosfwd>

#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::cli {

// Every diagnostic as `file:line:col: error: message (hint)` (as `lockstep: error: message` when
// it has no source), then, when there are errors, a last line counting them.
void print_diagnostics(std::ostream& out, const Diagnostics& diagnostics);

}  // namespace lockstep::cli
