// The one formatter and the one parser of instance ids (see lockstep/pipeline/instance_id.hpp).
#include "lockstep/pipeline/instance_id.hpp"

#include <charconv>

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

template <typename Number>
std::optional<Number> whole_number(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return {};
  return value;
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void append_instance_id(std::string& out, const InstanceId& id) {
  out += id.stage;
  if (id.iteration > 0) {
    out += '@';
    append_number(out, static_cast<std::uint64_t>(id.iteration));
  }
  out += '/';
  out += id.job;
  if (id.index) {
    out += '[';
    append_number(out, *id.index);
    out += ']';
  }
}

std::string to_string(const InstanceId& id) {
  std::string text;
  text.reserve(id.stage.size() + id.job.size() + 16);
  append_instance_id(text, id);
  return text;
}

std::optional<InstanceId> parse_instance_id(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  InstanceId id{.stage = text.substr(0, slash), .job = text.substr(slash + 1)};
  if (const auto at = id.stage.rfind('@'); at != std::string_view::npos) {
    const auto iteration = whole_number<int>(id.stage.substr(at + 1));
    if (!iteration || *iteration < 1) return std::nullopt;
    id.iteration = *iteration;
    id.stage = id.stage.substr(0, at);
  }
  if (!id.job.empty() && id.job.back() == ']') {
    const auto open = id.job.rfind('[');
    if (open == std::string_view::npos) return std::nullopt;
    id.index = whole_number<std::uint64_t>(id.job.substr(open + 1, id.job.size() - open - 2));
    if (!id.index) return std::nullopt;
    id.job = id.job.substr(0, open);
  }
  if (id.stage.empty() || id.job.empty()) return std::nullopt;
  if (id.job.find_first_of("@[]") != std::string_view::npos ||
      id.stage.find_first_of("@[]") != std::string_view::npos) {
    return std::nullopt;
  }
  return id;
}

std::string stage_label(std::string_view stage, int iteration) {
  std::string label(stage);
  if (iteration > 0) {
    label += '@';
    append_number(label, static_cast<std::uint64_t>(iteration));
  }
  return label;
}

}  // namespace lockstep
