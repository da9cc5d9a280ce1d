// Why the attempts of one instance did not succeed, kept within bounds: an instance retried a
// billion times keeps the messages of its first and last few attempts, a line saying how many
// are left out between them, and no message longer than a few KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::run {

// Messages kept of the first attempts, and of the last.
inline constexpr std::size_t kKeptAttemptMessages = 5;
// The longest message kept; the rest of a longer one is counted, not kept.
inline constexpr std::size_t kMaxAttemptMessageBytes = 4096;

// Adds the message of attempt `total` (the messages of attempts 1 .. total-1 are in `messages`,
// as this function left them).
LOCKSTEP_INTERNAL_API void add_attempt_message(std::vector<std::string>& messages,
                                               std::uint64_t total, std::string message);

}  // namespace lockstep::run
