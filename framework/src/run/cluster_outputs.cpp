#include "run/cluster_outputs.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace lockstep::run {
namespace {

void put_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

void put_field(std::string& out, std::uint64_t number) { put_field(out, std::to_string(number)); }

std::string_view take_field(std::string_view& text) {
  const auto colon = text.find(':');
  std::uint64_t length = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + std::min(colon, text.size()), length);
  if (colon == std::string_view::npos || error != std::errc() || end != text.data() + colon ||
      text.size() - colon - 1 < length) {
    throw std::runtime_error("lockstep: outputs of another rank cut short or garbled");
  }
  const auto field = text.substr(colon + 1, length);
  text.remove_prefix(colon + 1 + length);
  return field;
}

std::uint64_t take_count(std::string_view& text) {
  const auto field = take_field(text);
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), number);
  if (error != std::errc() || end != field.data() + field.size()) {
    throw std::runtime_error("lockstep: outputs of another rank garbled");
  }
  return number;
}

}  // namespace

std::string encode_outputs(const std::vector<SharedOutput>& outputs) {
  std::string out;
  for (const auto& output : outputs) {
    put_field(out, output.job);
    put_field(out, output.index);
    put_field(out, output.key);
    put_field(out, output.values.size());
    for (const auto& value : output.values) put_field(out, value);
  }
  return out;
}

std::vector<SharedOutput> decode_outputs(std::string_view text) {
  std::vector<SharedOutput> outputs;
  while (!text.empty()) {
    SharedOutput output;
    output.job = take_field(text);
    output.index = take_count(text);
    output.key = take_field(text);
    const auto count = take_count(text);
    if (count > text.size()) throw std::runtime_error("lockstep: outputs of another rank garbled");
    for (std::uint64_t v = 0; v < count; ++v) output.values.emplace_back(take_field(text));
    outputs.push_back(std::move(output));
  }
  return outputs;
}

}  // namespace lockstep::run
