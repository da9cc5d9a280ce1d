// lockstep/pipeline/exit_codes.hpp — what the `lockstep` command's exit status means (see
// DESIGN.md).
//
//   for (const auto& code : lockstep::kExitCodes)  // what `lockstep --help` lists
//     std::printf("%3d  %s\n", code.code, code.meaning);
//   lockstep::Diagnostics diags;
//   auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
//   if (diags.has_errors()) return lockstep::kExitError;          // 2: nothing ran
//   auto result = lockstep::Runner(*pipeline).run();
//   return result.exit_code();  // kExitOk (0), kExitFailures (1) or kExitInterrupted (130)
//
// A program embedding the library can return the same codes, so that scripts treat it alike.
#pragma once

#include <array>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

inline constexpr int kExitOk = 0;             // everything succeeded (or failed as policy allows)
inline constexpr int kExitFailures = 1;       // the run had failures
inline constexpr int kExitError = 2;          // usage, configuration or plugin error: nothing ran
inline constexpr int kExitInterrupted = 130;  // stopped by SIGINT or SIGTERM (128 + SIGINT)

struct ExitCode {
  int code;
  const char* meaning;
};

// Every exit code, in order, with a one-line meaning (what `lockstep --help` prints).
inline constexpr std::array<ExitCode, 4> kExitCodes{{
    {kExitOk, "success: every job succeeded, or failed as the pipeline allows"},
    {kExitFailures, "the run had failures"},
    {kExitError, "usage, configuration or plugin error: nothing ran"},
    {kExitInterrupted, "interrupted (SIGINT or SIGTERM)"},
}};

}  // namespace lockstep
