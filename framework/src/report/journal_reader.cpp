// Reading RUN_DIR/journal back: every whole record, up to the first one that is cut or corrupt.
#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "lockstep/pipeline/journal.hpp"
#include "report/record_checksum.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

JournalContents read_journal(const std::filesystem::path& file) {
  JournalContents contents;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    contents.error = "cannot read " + file.string() + ": " + std::generic_category().message(errno);
    return contents;
  }
  std::ostringstream whole;
  whole << in.rdbuf();
  const std::string text = whole.str();
  std::size_t at = 0;
  while (at < text.size()) {
    // "CRC32 LENGTH JSON\n"
    const auto space = text.find(' ', at);
    const auto second = space == std::string::npos ? space : text.find(' ', space + 1);
    std::uint32_t crc = 0;
    std::size_t length = 0;
    bool whole_record = second != std::string::npos && space - at == 8;
    if (whole_record) {
      whole_record =
          std::from_chars(text.data() + at, text.data() + space, crc, 16).ec == std::errc{} &&
          std::from_chars(text.data() + space + 1, text.data() + second, length).ec == std::errc{};
    }
    const auto payload = second + 1;
    whole_record = whole_record && payload + length < text.size() + 0 &&
                   text[payload + length] == '\n';
    if (whole_record) {
      whole_record = report::record_checksum(std::string_view(text).substr(payload, length)) == crc;
    }
    if (!whole_record) {
      contents.torn = true;
      break;
    }
    contents.records.push_back(text.substr(payload, length));
    at = payload + length + 1;
  }
  return contents;
}

}  // namespace lockstep
