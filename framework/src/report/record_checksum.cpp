#include "report/record_checksum.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace lockstep::report {

std::uint32_t record_checksum(std::string_view text) noexcept {
  // zlib's crc32 reads several bytes a step: a byte-at-a-time table costs a stage round of short
  // jobs about a microsecond in its four records.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const auto* bytes = reinterpret_cast<const Bytef*>(text.data());
  for (std::size_t left = text.size(); left > 0;) {
    const auto step = static_cast<uInt>(std::min<std::size_t>(left, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, bytes, step);
    bytes += step;
    left -= step;
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace lockstep::report
