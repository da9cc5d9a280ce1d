// lockstep/plugin/diagnostics.hpp — user mistakes as values: collected, positioned, shown together.
//
//   lockstep::Diagnostics diags;
//   diags.error({"pipe.yaml", 12, 5}, "unknown key 'worker'", "did you mean 'workers'?");
//   if (diags.has_errors()) {
//     for (const auto& d : diags.all()) std::cerr << lockstep::format(d) << '\n';
//     return 2;   // pipe.yaml:12:5: error: unknown key 'worker' (did you mean 'workers'?)
//   }
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// Where a mistake is: a file (or another source, such as a plugin path) and a 1-based line and
// column; line 0 means the whole source, column 0 the whole line.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity : unsigned char { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation where{};
  std::string message{};
  std::string hint{};  // how to fix it, when we can tell ("did you mean 'workers'?")
};

// "file:line:col", leaving out what is unknown; "" without a file.
LOCKSTEP_API std::string to_string(const SourceLocation& where);

// "file:line:col: error: message (hint)", leaving out what is unknown.
LOCKSTEP_API std::string format(const Diagnostic& diagnostic);

class LOCKSTEP_API Diagnostics {
 public:
  void error(SourceLocation where, std::string message, std::string hint = {});
  void warning(SourceLocation where, std::string message, std::string hint = {});
  void add(Diagnostic diagnostic);
  void append(const Diagnostics& other);

  bool has_errors() const noexcept { return errors_ > 0; }
  std::size_t error_count() const noexcept { return errors_; }
  const std::vector<Diagnostic>& all() const noexcept { return list_; }

  // Every diagnostic, formatted, one per line.
  std::string to_string() const;

 private:
  std::vector<Diagnostic> list_;
  std::size_t errors_ = 0;
};

// "did you mean 'workers'?" when one candidate is close to `word`, else "".
LOCKSTEP_API std::string did_you_mean(std::string_view word,
                                      std::span<const std::string> candidates);

}  // namespace lockstep
