#include "report/log_tail.hpp"

#include <algorithm>
#include <fstream>

#include "lockstep/pipeline/run_dir.hpp"

namespace lockstep::report {

std::string log_tail(const std::filesystem::path& run_dir, std::string_view instance_id,
                     LogTailLimits limits) {
  if (run_dir.empty() || limits.lines == 0) return {};
  std::ifstream in(run_dir / RunDirLog::job_log_path(instance_id), std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const auto from = size - std::min(size, limits.bytes);
  std::string text(size - from, '\0');
  in.seekg(static_cast<std::streamoff>(from));
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  if (from > 0) {  // the first line read is most likely cut: drop it
    const auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? text.size() : newline + 1);
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  // The last `lines` lines: what follows the line end before them (the text ends in one).
  std::size_t start = 0, line_ends = 0;
  for (auto i = text.size(); i-- > 0;) {
    if (text[i] == '\n' && ++line_ends == limits.lines + 1) {
      start = i + 1;
      break;
    }
  }
  return text.substr(start);
}

}  // namespace lockstep::report
