#include "word_counts.hpp"

#include <charconv>
#include <stdexcept>

#include "text_files.hpp"

namespace lockstep::examples {
namespace {

// Not std::isalnum: its answer depends on the C locale, and the rule must not.
constexpr bool is_word_byte(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr char lowercase(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::int64_t add_words(std::string_view text, WordCounts& counts) {
  std::int64_t words = 0;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    ++counts[word];
    ++words;
    word.clear();
  };
  for (char c : text) {
    if (is_word_byte(c)) {
      word.push_back(lowercase(c));
    } else {
      flush();
    }
  }
  flush();
  return words;
}

void write_counts(const std::filesystem::path& path, const CountLines& lines) {
  std::string content;
  for (const auto& [word, count] : lines) {
    content += word;
    content += '\t';
    content += std::to_string(count);
    content += '\n';
  }
  write_file_atomically(path, content);
}

void read_counts(const std::filesystem::path& path, WordCounts& counts, const CancelToken& cancel) {
  LineReader in(path);
  for (std::string_view line; in.next(line);) {
    if (in.line_number() % kLinesBetweenCancelChecks == 0) cancel.throw_if_cancelled();
    const auto tab = line.find('\t');
    const auto word = line.substr(0, tab == std::string_view::npos ? 0 : tab);
    const auto number = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    std::int64_t count = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), count);
    if (word.empty() || number.empty() || error != std::errc{} ||
        end != number.data() + number.size() || count < 0) {
      throw std::runtime_error("'" + path.string() + "':" + std::to_string(in.line_number()) +
                               ": expected 'word<TAB>count' with a count >= 0, got '" +
                               std::string(line) + "'");
    }
    counts[std::string(word)] += count;
  }
}

}  // namespace lockstep::examples
