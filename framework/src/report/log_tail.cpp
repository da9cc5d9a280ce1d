#include "report/log_tail.hpp"

#include <algorithm>
#include <fstream>
#include <optional>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/run_dir.hpp"

namespace lockstep::report {

namespace {

// The end of a text whose first `cut` bytes were not read: from the first whole line (a line cut
// by the limit is dropped), ending in '\n'.
std::string whole_lines(std::string text, bool cut) {
  if (cut) {
    const auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? text.size() : newline + 1);
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

// Up to `bytes` from the end of the file, as whole lines; nothing when it cannot be read.
std::optional<std::string> read_end(const std::filesystem::path& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const auto from = size - std::min(size, bytes);
  std::string text(size - from, '\0');
  in.seekg(static_cast<std::streamoff>(from));
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return whole_lines(std::move(text), from > 0);
}

// The lines of `text` that start with `lead`, without it.
std::string lines_led_by(std::string_view text, std::string_view lead) {
  std::string out;
  while (!text.empty()) {
    const auto end = text.find('\n') + 1;  // every line ends in '\n'
    const auto line = text.substr(0, end);
    if (line.starts_with(lead)) out += line.substr(lead.size());
    text.remove_prefix(end);
  }
  return out;
}

// The last `lines` lines of `text`, which ends in '\n' (or is empty).
std::string last_lines(const std::string& text, std::size_t lines) {
  std::size_t start = 0, line_ends = 0;
  for (auto i = text.size(); i-- > 0;) {
    if (text[i] == '\n' && ++line_ends == lines + 1) {
      start = i + 1;
      break;
    }
  }
  return text.substr(start);
}

}  // namespace

std::string log_tail(const std::filesystem::path& run_dir, std::string_view instance_id,
                     LogTailLimits limits) {
  if (run_dir.empty() || limits.lines == 0) return {};
  if (auto text = read_end(run_dir / RunDirLog::job_log_path(instance_id), limits.bytes)) {
    return last_lines(*text, limits.lines);
  }
  // No file of its own: its lines are in its job's file, each led by "[index] ".
  const auto id = parse_instance_id(instance_id);
  if (!id || !id->index) return {};
  const auto text = read_end(run_dir / RunDirLog::job_lines_path(instance_id), limits.search_bytes);
  if (!text) return {};
  auto own = lines_led_by(*text, "[" + std::to_string(*id->index) + "] ");
  if (own.size() > limits.bytes) {  // as much as the instance's own file would give
    const auto from = own.size() - limits.bytes;
    own = whole_lines(own.substr(from), own[from - 1] != '\n');
  }
  return last_lines(own, limits.lines);
}

}  // namespace lockstep::report
