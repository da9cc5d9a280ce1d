#include "byte_size.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace lockstep::cli {

std::string parse_byte_size(std::string_view text, std::optional<std::uint64_t>& size) {
  const auto wrong = [&text] {
    return "'" + std::string(text) +
           "' is not a size: write bytes, a number followed by K, M, G or T (powers of 1024), "
           "or none";
  };
  const auto too_big = [&text] {
    return "'" + std::string(text) + "' is more bytes than a size can hold";
  };
  if (text == "none") {
    size.reset();
    return {};
  }
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc::result_out_of_range) return too_big();
  if (error != std::errc{}) return wrong();
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  int shift = 0;
  if (!unit.empty()) {
    constexpr std::string_view kUnits = "KMGT";  // 2^10, 2^20, 2^30, 2^40
    const auto at =
        unit.size() == 1
            ? kUnits.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))))
            : std::string_view::npos;
    if (at == std::string_view::npos) return wrong();
    shift = 10 * static_cast<int>(at + 1);
  }
  if (number > (std::numeric_limits<std::uint64_t>::max() >> shift)) return too_big();
  size = number << shift;
  return {};
}

std::string byte_size_text(std::uint64_t size) {
  constexpr std::string_view kUnits = "TGMK";
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    const int shift = 10 * static_cast<int>(kUnits.size() - i);
    if (size != 0 && size % (std::uint64_t{1} << shift) == 0) {
      return std::to_string(size >> shift) + kUnits[i];
    }
  }
  return std::to_string(size);
}

}  // namespace lockstep::cli
