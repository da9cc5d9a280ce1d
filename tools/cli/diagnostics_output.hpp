// tools/cli/diagnostics_output.hpp — how the CLI shows diagnostics: all of them, one per line.
//
//   if (diagnostics.has_errors()) {
//     print_diagnostics(std::cerr, diagnostics);   // pipe.yaml:3:7: error: ... (hint)
//     return lockstep::kExitError;
//   }
#pragma once

#include <cstddef>
#include <iosfwd>

#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::cli {

// How many diagnostics the command prints: past a hundred, more only bury the first.
inline constexpr std::size_t kShownDiagnostics = 100;

// The first `limit` diagnostics as `file:line:col: error: message (hint)` (as `lockstep: error:
// message` when one has no source), then "lockstep: … and N more" when there were more, then, when
// there are errors, a last line counting them.
void print_diagnostics(std::ostream& out, const Diagnostics& diagnostics,
                       std::size_t limit = kShownDiagnostics);

}  // namespace lockstep::cli
