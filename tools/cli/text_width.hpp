// tools/cli/text_width.hpp — how wide text is on a terminal, for aligned columns.
//
//   out << name << std::string(width - display_width(name), ' ');
#pragma once

#include <cstddef>
#include <string_view>

namespace lockstep::cli {

// Characters a terminal shows for UTF-8 text (continuation bytes take no column).
inline std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return width;
}

}  // namespace lockstep::cli
