// tools/cli/byte_size.hpp — sizes as flags take them (--log-max 100M).
//
//   std::optional<std::uint64_t> size;
//   if (auto why = parse_byte_size("100M", size); !why.empty()) ...  // size == 104857600
//   parse_byte_size("none", size);                                   // size == std::nullopt
//   byte_size_text(104857600);                                       // "100M"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep::cli {

// A whole number of bytes, or one followed by K, M, G or T (powers of 1024, either case), or
// "none" (no limit: `size` empty). "" when `text` is one of them; else why not.
std::string parse_byte_size(std::string_view text, std::optional<std::uint64_t>& size);

// A size as parse_byte_size() reads it, in the largest unit that divides it: "100M", "1536K", "7".
std::string byte_size_text(std::uint64_t size);

}  // namespace lockstep::cli
