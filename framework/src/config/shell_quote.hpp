// Shell code with values in it: where a ${...} stands in a shell command line, and how its value
// is written there so that the shell reads exactly that value, as data, whatever bytes it holds.
//
//   ShellLexer lexer;
//   lexer.feed("grep -c ");                         // the literal text before the reference
//   auto place = lexer.place();                     // ShellPlace::word
//   text += quote_for_shell(value, place.place);    // 'it'\''s here'
//   lexer.value_inserted();                         // a word is in progress now
//
// The lexer follows POSIX quoting as sh, dash and bash read it: '...', "...", backslashes,
// comments, $(...), `...`, ${...}, $((...)) and here-documents. Where a value cannot be written
// safely (inside `...`, a here-document, $((...)), a shell ${...}, bash's $'...'), or where the
// lexer cannot tell for sure where it is, the place is `refused`, with the reason. So are the
// places where bash evaluates a word as arithmetic, which runs any $(...) in the word's text even
// when it is quoted: ((...)), $[...], the arguments of `let` and of `declare -i`, and a [[ ... ]]
// that compares with -eq, -lt and the like (known only at its end: late_refusal()); and the
// arguments of `eval` and `trap`, which run them as shell code.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/export.hpp"

namespace lockstep::config {

enum class ShellPlace : unsigned char {
  word,           // unquoted: the value becomes one single-quoted word, 'like'\''this'
  single_quoted,  // inside '...': each ' of the value becomes '\''
  double_quoted,  // inside "...": \ " $ ` are escaped with a backslash
  comment,        // after #: newlines become spaces, so the comment cannot end early
  refused,        // nowhere a value can be written safely: see ShellContext::why
};

struct ShellContext {
  ShellPlace place = ShellPlace::word;
  std::string why{};  // for `refused`: "inside `...`"
  std::string hint{};
};

// The value as it must be written at `place` (not `refused`) for the shell to read it back byte
// for byte. nullopt when it holds a NUL byte, which no shell word can hold.
LOCKSTEP_INTERNAL_API std::optional<std::string> quote_for_shell(std::string_view value, ShellPlace place);

// Follows a shell command line fed to it piece by piece (the literal text, as the shell will read
// it; not the values put between the pieces) and says where the next piece would be read.
class LOCKSTEP_INTERNAL_API ShellLexer {
 public:
  void feed(std::string_view text);
  // Value number `id` was written where place() said: a word is in progress (a '#' after it is
  // no comment).
  void value_inserted(std::size_t id = 0);
  ShellContext place() const;
  // The first value found, once the text has ended, to sit where bash evaluates arithmetic: in a
  // [[ ... ]] with an arithmetic comparison. nullopt when there is none.
  std::optional<std::size_t> late_refusal() const;

 private:
  enum class Frame : unsigned char {
    top,
    command,
    backticks,
    double_quoted,
    parameter,
    arithmetic,   // $((...)) or bash's ((...)): ends with ))
    brackets,     // bash's $[...]: ends with ]
    conditional,  // bash's [[ ... ]]: ends with the word ]]
  };
  // What the words after a command name are.
  enum class Arguments : unsigned char { plain, declaration, arithmetic, code };
  enum class Mode : unsigned char {
    code,            // reading shell code (or the text of "...")
    escaped,         // after a backslash
    single_quoted,   // inside '...'
    ansi_c,          // inside bash's $'...'
    ansi_c_escaped,  // after a backslash inside $'...'
    comment,         // after a '#' that starts a word, until the end of the line
    heredoc_word,    // reading the delimiter after << or <<-
    heredoc_body,    // the lines of a here-document
  };
  struct Level {
    Frame frame;
    int parens = 0;  // ( ) nested inside $( ) and $(( )), { } inside ${ }, [ ] inside $[ ]
    // In a [[ ... ]]: the values written in it, and whether it compares numbers.
    std::vector<std::size_t> values{};
    bool arithmetic = false;
  };
  struct Heredoc {
    std::string delimiter;
    bool strip_tabs = false;
  };

  void step(char c);
  void code(char c);
  void after_dollar(char c);
  void end_word();
  void heredoc_word(char c);
  void heredoc_line(char c);
  Frame frame() const noexcept { return stack_.empty() ? Frame::top : stack_.back().frame; }
  bool reads_code() const noexcept;  // the frame is shell code, not the text of "..."
  void lose(std::string why);

  std::vector<Level> stack_;
  Mode mode_ = Mode::code;
  bool dollar_ = false;              // the last character was an unescaped '$'
  bool dollar_paren_ = false;        // ... then a '(': $( or $((
  bool word_start_ = true;           // the next character would start a word
  bool command_start_ = true;        // ... and that word would be a command's name
  bool word_is_command_ = false;     // the word being read is a command's name
  bool after_paren_ = false;         // the last character was a '(' of code: (( is arithmetic
  Arguments arguments_ = Arguments::plain;
  std::optional<std::size_t> late_refusal_;
  char less_ = 0;                    // counts '<' just seen, for <<
  std::string word_;                 // the word being read, for the keyword `case`
  std::string heredoc_text_;         // the delimiter being read, or the body line being read
  bool heredoc_dash_ = false;
  bool heredoc_started_ = false;
  char heredoc_quote_ = 0;         // the quote open in the delimiter being read
  std::vector<Heredoc> heredocs_;  // delimiters waiting for their bodies, in order
  std::string lost_;               // why the lexer cannot tell where it is any more
};

}  // namespace lockstep::config
