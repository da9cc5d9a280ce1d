// lockstep/pipeline/output_text.hpp — what lockstep does to text on its way to people and files:
// secrets masked, and for a terminal, control characters escaped.
//
//   lockstep::register_secret(token);            // the loader does it for a pipeline's `secrets:`
//   std::string line = lockstep::mask_secrets(text);        // each copy of token is now ***
//   std::fputs(lockstep::for_terminal(text).c_str(), stderr);  // masked, and \x1b[2J, not ESC[2J
//
// Secrets are process-wide and never forgotten: masking too much is never wrong, and every writer
// (logs, reports, traces, diagnostics, progress, an embedder's own) can mask without being told
// which pipeline is running. mask_secrets() also finds a secret written as shell code quotes it
// ('it'\''s', "a\$b"), as JSON escapes it, and as for_terminal() escapes it. A secret shorter
// than kMinSecretLength is refused: masking it would mangle ordinary text everywhere.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

inline constexpr std::size_t kMinSecretLength = 4;
inline constexpr std::string_view kSecretMask = "***";

// Registers a value to mask from now on; false (and nothing registered) when it is shorter than
// kMinSecretLength.
LOCKSTEP_API bool register_secret(std::string_view value);

// `text` with every registered secret, in any of its written forms, replaced by ***. The text
// itself when no secret is registered (no lock, no search).
LOCKSTEP_API std::string mask_secrets(std::string_view text);

// mask_secrets(text), then every control character (C0 but tab, DEL, C1) and every byte that is
// not UTF-8 written as an escape (\n, \r, \x1b, \u009b, \xff): text that came from a job, safe
// to print on a terminal.
LOCKSTEP_API std::string for_terminal(std::string_view text);

}  // namespace lockstep
