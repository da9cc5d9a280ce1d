#include "lockstep/plugin/diagnostics.hpp"

#include "lockstep/pipeline/output_text.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace lockstep::inline LOCKSTEP_ABI {

std::string to_string(const SourceLocation& where) {
  std::string text = where.file;
  if (!where.file.empty() && where.line > 0) {
    text += ":" + std::to_string(where.line);
    if (where.column > 0) text += ":" + std::to_string(where.column);
  }
  return text;
}

std::string format(const Diagnostic& diagnostic) {
  std::string text = to_string(diagnostic.where);
  if (!text.empty()) text += ": ";
  text += diagnostic.severity == Severity::error ? "error: " : "warning: ";
  text += diagnostic.message;
  if (!diagnostic.hint.empty()) text += " (" + diagnostic.hint + ")";
  return text;
}

void Diagnostics::error(SourceLocation where, std::string message, std::string hint) {
  add({Severity::error, std::move(where), std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourceLocation where, std::string message, std::string hint) {
  add({Severity::warning, std::move(where), std::move(message), std::move(hint)});
}

void Diagnostics::add(Diagnostic diagnostic) {
  if (diagnostic.severity == Severity::error) ++errors_;
  // A value quoted in a message ("got 's3cr3t'") may be a secret: it never enters the list.
  diagnostic.message = mask_secrets(diagnostic.message);
  diagnostic.hint = mask_secrets(diagnostic.hint);
  list_.push_back(std::move(diagnostic));
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& diagnostic : other.all()) add(diagnostic);
}

std::string Diagnostics::to_string() const {
  std::string text;
  for (const auto& diagnostic : list_) text += format(diagnostic) + "\n";
  return text;
}

namespace {

// Optimal string alignment distance: edits, where swapping two neighbours counts as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
  // Suggestions are for names that people type. A longer word gets none, which also bounds the
  // table edit_distance() fills (word × candidate) whatever a pipeline file holds.
  constexpr std::size_t kLongestWord = 64;
  if (word.size() > kLongestWord) return "";
  // Close enough to be a typo: about one edit in three letters, at least one.
  const std::size_t budget = std::max<std::size_t>(1, word.size() / 3);
  const std::string* best = nullptr;
  std::size_t best_distance = budget + 1;
  for (const auto& candidate : candidates) {
    // The distance is at least the difference in length: no need to compute it to know that
    // this candidate cannot win.
    const auto length_difference = candidate.size() > word.size() ? candidate.size() - word.size()
                                                                  : word.size() - candidate.size();
    if (length_difference >= best_distance) continue;
    auto distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = &candidate;
      best_distance = distance;
    }
  }
  return best ? "did you mean '" + *best + "'?" : "";
}

}  // namespace lockstep
