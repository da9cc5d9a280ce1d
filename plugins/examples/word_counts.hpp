// The word count's files: one "word<TAB>count" line per word, what count_words writes for each
// text and merge_counts reads back and writes again, merged.
//
//   WordCounts counts;
//   add_words("The cat, the hat.", counts);        // the: 2, cat: 1, hat: 1
//   write_counts(out, {counts.begin(), counts.end()});
//   read_counts(out, merged, cancel);              // adds them to `merged`
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <lockstep/plugin.hpp>

namespace lockstep::examples {

using WordCounts = std::map<std::string, std::int64_t, std::less<>>;
using CountLines = std::vector<std::pair<std::string, std::int64_t>>;

// How often a reader of a text or counts file looks at its token: often enough to stop at once,
// rarely enough to cost nothing.
inline constexpr std::int64_t kLinesBetweenCancelChecks = 1024;

// The word rule: a word is a maximal run of ASCII letters and digits, lowercased. Every other
// byte ends a word: spaces, punctuation, apostrophes and hyphens ("don't" is "don" and "t",
// "well-known" is "well" and "known"), and the bytes of non-ASCII characters. Returns how many
// words `text` held.
std::int64_t add_words(std::string_view text, WordCounts& counts);

// Writes `lines` in their order as "word<TAB>count\n", atomically (see write_file_atomically).
void write_counts(const std::filesystem::path& path, const CountLines& lines);

// Adds the counts of a file written by write_counts to `counts`. Throws when it cannot be read
// or a line is not "word<TAB>count" ("'<path>':3: ..."), and ends as cancelled when asked.
void read_counts(const std::filesystem::path& path, WordCounts& counts, const CancelToken& cancel);

}  // namespace lockstep::examples
