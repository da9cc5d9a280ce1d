#include "run/stage_messages.hpp"

#include <charconv>

namespace lockstep::run {

// "<kind> key plan index owns state attempts failed count*6\n<message>": numbers, then the
// message as it is (any bytes, newlines included).
std::string encode_stage_message(const StageMessage& m) {
  std::string text(1, static_cast<char>(m.kind));
  const auto put = [&text](std::uint64_t number) {
    text += ' ';
    text += std::to_string(number);
  };
  put(m.key);
  put(m.plan);
  put(m.index);
  put(m.owns_failures ? 1 : 0);
  put(static_cast<std::uint64_t>(m.state));
  put(static_cast<std::uint64_t>(m.attempts < 0 ? 0 : m.attempts));
  put(m.failed ? 1 : 0);
  for (const auto count : m.counts.by_state) put(count);
  text += '\n';
  text += m.message;
  return text;
}

std::optional<StageMessage> decode_stage_message(std::string_view text) {
  const auto newline = text.find('\n');
  if (text.empty() || newline == std::string_view::npos) return std::nullopt;
  StageMessage m;
  m.kind = static_cast<StageMessage::Kind>(text.front());
  switch (m.kind) {
    case StageMessage::Kind::dispatch:
    case StageMessage::Kind::rest:
    case StageMessage::Kind::cancel:
    case StageMessage::Kind::done:
    case StageMessage::Kind::ended:
    case StageMessage::Kind::rest_ended:
      break;
    default:
      return std::nullopt;
  }
  const char* at = text.data() + 1;
  const char* const end = text.data() + newline;
  bool ok = true;
  const auto take = [&]() -> std::uint64_t {
    std::uint64_t number = 0;
    if (at >= end || *at != ' ') {
      ok = false;
      return 0;
    }
    const auto [next, error] = std::from_chars(at + 1, end, number);
    if (error != std::errc()) ok = false;
    at = next;
    return number;
  };
  m.key = take();
  m.plan = static_cast<std::uint32_t>(take());
  m.index = take();
  m.owns_failures = take() != 0;
  const auto state = take();
  if (state >= kJobStateCount) ok = false;
  m.state = static_cast<JobState>(state);
  m.attempts = static_cast<int>(take());
  m.failed = take() != 0;
  for (auto& count : m.counts.by_state) count = static_cast<std::size_t>(take());
  if (!ok || at != end) return std::nullopt;
  m.message = std::string(text.substr(newline + 1));
  return m;
}

}  // namespace lockstep::run
