#include "run/attempt_messages.hpp"

namespace lockstep::run {

namespace {

// Cut at a UTF-8 character boundary, so that the kept part stays valid text.
void shorten(std::string& message) {
  if (message.size() <= kMaxAttemptMessageBytes) return;
  auto cut = kMaxAttemptMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xc0) == 0x80) --cut;
  const auto dropped = message.size() - cut;
  message.resize(cut);
  message += "\u2026 (" + std::to_string(dropped) + " bytes more)";
}

std::string not_shown(std::uint64_t attempts) {
  return "\u2026 " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts") +
         " not shown \u2026";
}

}  // namespace

void add_attempt_message(std::vector<std::string>& messages, std::uint64_t total,
                         std::string message) {
  shorten(message);
  constexpr auto kEnds = kKeptAttemptMessages;
  // Until then every message is kept: [1 .. total].
  if (total <= 2 * kEnds + 1) {
    messages.push_back(std::move(message));
    return;
  }
  // From then on: [first kEnds] [one line: how many are left out] [last kEnds]. The oldest of
  // the last ones joins those left out.
  if (total == 2 * kEnds + 2) messages[kEnds] = std::string();  // becomes the line below
  messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(kEnds + 1));
  messages.push_back(std::move(message));
  messages[kEnds] = not_shown(total - 2 * kEnds);
}

}  // namespace lockstep::run
