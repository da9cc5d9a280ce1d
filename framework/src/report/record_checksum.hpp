// The CRC-32 (IEEE 802.3, as zlib and gzip compute it) of a journal record's text: the writer
// puts it before each record, the reader checks it to find a torn one.
//
//   std::uint32_t crc = report::record_checksum(R"({"t":"run_end"})");
#pragma once

#include <cstdint>
#include <string_view>


namespace lockstep::report {

std::uint32_t record_checksum(std::string_view text) noexcept;

}  // namespace lockstep::report
