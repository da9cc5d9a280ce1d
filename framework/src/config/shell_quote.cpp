#include "config/shell_quote.hpp"

#include <algorithm>
#include <utility>

namespace lockstep::config {

namespace {

constexpr std::string_view kThroughEnv =
    "pass the value through core.command's env: and read it as \"$$NAME\"";

// bash evaluates these words as arithmetic; it expands $(...) in what it evaluates.
constexpr std::string_view kArithmetic =
    ", which bash evaluates as arithmetic, running any $(...) in the value";
constexpr std::string_view kCheckNumber =
    "use expr, which takes the value as one argument (expr ${item} + 1), or compare it as text";

bool is_arithmetic_comparison(std::string_view word) noexcept {
  return word == "-eq" || word == "-ne" || word == "-lt" || word == "-le" || word == "-gt" ||
         word == "-ge";
}

// Words after which the next word is again a command's name.
bool introduces_command(std::string_view word) noexcept {
  for (std::string_view reserved : {"if", "then", "else", "elif", "do", "while", "until", "!", "{",
                                    "time", "exec", "command"}) {
    if (word == reserved) return true;
  }
  return false;
}

bool declares(std::string_view word) noexcept {
  return word == "declare" || word == "typeset" || word == "local" || word == "readonly" ||
         word == "export";
}

bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

// Ends a word and starts another (or a command): ; & | < > ( ) and blanks.
bool is_separator(char c) noexcept {
  return is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
         c == '(' || c == ')';
}

// A here-document's delimiter as the shell compares lines with it: quotes and backslashes gone.
std::string unquoted_delimiter(std::string_view word) {
  std::string delimiter;
  for (char c : word) {
    if (c != '\'' && c != '"' && c != '\\') delimiter += c;
  }
  return delimiter;
}

}  // namespace

std::optional<std::string> quote_for_shell(std::string_view value, ShellPlace place) {
  if (value.find('\0') != std::string_view::npos || place == ShellPlace::refused) {
    return std::nullopt;
  }
  std::string quoted;
  quoted.reserve(value.size() + 2);
  switch (place) {
    case ShellPlace::word:
    case ShellPlace::single_quoted:
      if (place == ShellPlace::word) quoted += '\'';
      for (char c : value) {
        if (c == '\'') {
          quoted += "'\\''";  // close the quote, an escaped quote, open again
        } else {
          quoted += c;
        }
      }
      if (place == ShellPlace::word) quoted += '\'';
      break;
    case ShellPlace::double_quoted:
      for (char c : value) {
        if (c == '\\' || c == '"' || c == '$' || c == '`') quoted += '\\';
        quoted += c;
      }
      break;
    case ShellPlace::comment:
      quoted.assign(value);
      std::ranges::replace(quoted, '\n', ' ');
      break;
    case ShellPlace::refused:
      break;
  }
  return quoted;
}

void ShellLexer::feed(std::string_view text) {
  for (char c : text) step(c);
}

void ShellLexer::value_inserted(std::size_t id) {
  if (word_start_) {
    word_is_command_ = command_start_;
    command_start_ = false;
  }
  word_start_ = false;
  after_paren_ = false;
  less_ = 0;
  word_ = "\x01";  // no keyword
  for (auto level = stack_.rbegin(); level != stack_.rend(); ++level) {
    if (level->frame == Frame::conditional) {
      level->values.push_back(id);
      break;
    }
  }
}

std::optional<std::size_t> ShellLexer::late_refusal() const {
  if (late_refusal_) return late_refusal_;
  // A [[ ... ]] the text ends in (its ]] the last word, not yet ended by a blank).
  for (const auto& level : stack_) {
    if (level.frame == Frame::conditional && !level.values.empty() &&
        (level.arithmetic || is_arithmetic_comparison(word_))) {
      return level.values.front();
    }
  }
  return std::nullopt;
}

ShellContext ShellLexer::place() const {
  auto refused = [](std::string why, std::string_view hint) {
    return ShellContext{ShellPlace::refused, std::move(why), std::string(hint)};
  };
  if (!lost_.empty()) return refused(lost_, kThroughEnv);
  if (dollar_ || dollar_paren_)
    return refused("right after a '$'", "put a space or a quote between them");
  // Whatever quotes are open inside them: `...` nests quotes its own way, and bash evaluates
  // arithmetic and ${v:offset} in quoted text too.
  for (const auto& level : stack_) {
    switch (level.frame) {
      case Frame::backticks:
        return refused("inside `...`, where quotes nest differently",
                       "write $(...) instead of `...`");
      case Frame::arithmetic:
      case Frame::brackets:
        return refused("inside $((...)), ((...)) or $[...]" + std::string(kArithmetic),
                       kCheckNumber);
      case Frame::parameter:
        return refused("inside a shell ${...}",
                       "give it to a shell variable first: v=${item}; echo \"$${v:-none}\"");
      default:
        break;
    }
  }
  if (arguments_ == Arguments::arithmetic && mode_ != Mode::comment &&
      mode_ != Mode::heredoc_body) {
    return refused("as an argument of let or declare -i" + std::string(kArithmetic), kCheckNumber);
  }
  if (arguments_ == Arguments::code && mode_ != Mode::comment && mode_ != Mode::heredoc_body) {
    return refused("as an argument of eval or trap, which run it as shell code",
                   "pass data to a command that takes it as data");
  }
  switch (mode_) {
    case Mode::escaped:
      return refused("right after a backslash", "remove the backslash");
    case Mode::single_quoted:
      return {ShellPlace::single_quoted, {}, {}};
    case Mode::ansi_c:
    case Mode::ansi_c_escaped:
      return refused("inside $'...', which sh and bash read differently", "use '...' or \"...\"");
    case Mode::comment:
      return {ShellPlace::comment, {}, {}};
    case Mode::heredoc_word:
      return refused("in a here-document's delimiter", "write the delimiter out");
    case Mode::heredoc_body:
      return refused("inside a here-document, where no quoting can keep it one value", kThroughEnv);
    case Mode::code:
      break;
  }
  if (less_ == 2) return refused("as a here-document's delimiter", "write the delimiter out");
  // In a [[ ... ]], a word unless it compares numbers (late_refusal()).
  return frame() == Frame::double_quoted ? ShellContext{ShellPlace::double_quoted, {}, {}}
                                         : ShellContext{ShellPlace::word, {}, {}};
}

void ShellLexer::step(char c) {
  switch (mode_) {
    case Mode::escaped:
      mode_ = Mode::code;
      // A backslash-newline joins two lines and is gone: a '#' after it can still start a word.
      if (c != '\n') {
        word_start_ = false;
        if (word_.size() < 8) word_ += '\\';
      }
      return;
    case Mode::single_quoted:
      if (c == '\'') mode_ = Mode::code;
      return;
    case Mode::ansi_c:
      if (c == '\\') mode_ = Mode::ansi_c_escaped;
      if (c == '\'') mode_ = Mode::code;
      return;
    case Mode::ansi_c_escaped:
      // bash reads \' inside $'...' as a quote; sh ends the quoted text there.
      if (c == '\'') lose("after a $'...' holding \\', which sh and bash read differently");
      mode_ = Mode::ansi_c;
      return;
    case Mode::comment:
      if (c == '\n') {
        mode_ = Mode::code;
        code(c);
      }
      return;
    case Mode::heredoc_word:
      heredoc_word(c);
      return;
    case Mode::heredoc_body:
      heredoc_line(c);
      return;
    case Mode::code:
      code(c);
      return;
  }
}

void ShellLexer::after_dollar(char c) {
  dollar_ = false;
  switch (c) {
    case '(':
      dollar_paren_ = true;
      return;
    case '{':
      stack_.push_back({Frame::parameter});
      return;
    case '[':  // bash's old arithmetic, $[1 + 2]
      stack_.push_back({Frame::brackets});
      return;
    case '\'':
      if (reads_code()) {
        mode_ = Mode::ansi_c;
        return;
      }
      break;
    case '$':  // the shell's process id; not the start of another expansion
      return;
    default:
      break;
  }
  code(c);
}

bool ShellLexer::reads_code() const noexcept { return frame() != Frame::double_quoted; }

void ShellLexer::code(char c) {
  const bool after_paren = std::exchange(after_paren_, false);
  if (dollar_paren_) {
    dollar_paren_ = false;
    if (c == '(') {
      stack_.push_back({Frame::arithmetic});
      return;
    }
    stack_.push_back({Frame::command});
    word_start_ = true;
    command_start_ = true;
    word_.clear();
  }
  if (dollar_) return after_dollar(c);

  if (frame() == Frame::double_quoted) {
    if (c == '\\') mode_ = Mode::escaped;
    if (c == '"') stack_.pop_back();
    if (c == '$') dollar_ = true;
    if (c == '`') stack_.push_back({Frame::backticks});
    return;
  }

  if (less_ > 0 && c != '<') {
    const bool heredoc = less_ == 2 && frame() != Frame::arithmetic && frame() != Frame::parameter;
    less_ = 0;
    if (heredoc) {
      heredoc_dash_ = c == '-';
      heredoc_text_.clear();
      heredoc_started_ = false;
      mode_ = Mode::heredoc_word;
      if (!heredoc_dash_) heredoc_word(c);
      return;
    }
  }

  if (is_separator(c)) {
    end_word();
    word_start_ = true;
    if (c == ';' || c == '&' || c == '|' || c == '\n' || c == '(') {
      command_start_ = true;
      arguments_ = Arguments::plain;
    }
  }
  switch (c) {
    case '\\':
      mode_ = Mode::escaped;  // what it escapes decides whether a word started
      return;
    case '\'':
      mode_ = Mode::single_quoted;
      break;
    case '"':
      stack_.push_back({Frame::double_quoted});
      break;
    case '`':
      if (frame() == Frame::backticks) {
        stack_.pop_back();
      } else {
        stack_.push_back({Frame::backticks});
        word_start_ = true;
        command_start_ = true;
        word_.clear();
        return;
      }
      break;
    case '$':
      dollar_ = true;
      break;
    case '#':
      if (word_start_ &&
          (frame() == Frame::top || frame() == Frame::command || frame() == Frame::backticks)) {
        mode_ = Mode::comment;
        return;
      }
      break;
    case '\n':
      if (!heredocs_.empty()) {
        mode_ = Mode::heredoc_body;
        heredoc_text_.clear();
      }
      return;
    case '<':
      ++less_;
      return;
    case '(':
      if (after_paren &&
          (frame() == Frame::top || frame() == Frame::command || frame() == Frame::backticks)) {
        // bash's ((...)): arithmetic, not two subshells (which sh would read, as safely refused).
        if (frame() == Frame::command) --stack_.back().parens;
        stack_.push_back({Frame::arithmetic});
        return;
      }
      if (frame() == Frame::command || frame() == Frame::arithmetic) ++stack_.back().parens;
      after_paren_ = true;
      return;
    case ')':
      if (frame() == Frame::command) {
        if (stack_.back().parens > 0) {
          --stack_.back().parens;
        } else {
          stack_.pop_back();
          word_start_ = false;  // $(...) is part of a word
        }
      } else if (frame() == Frame::arithmetic) {
        auto& parens = stack_.back().parens;
        if (parens > 0) {
          --parens;
        } else if (parens == 0) {
          parens = -1;  // the first ) of ))
        } else {
          stack_.pop_back();
          word_start_ = false;
        }
      }
      return;
    case '{':
      if (frame() == Frame::parameter) ++stack_.back().parens;
      break;
    case '}':
      if (frame() == Frame::parameter) {
        if (stack_.back().parens > 0) {
          --stack_.back().parens;
        } else {
          stack_.pop_back();
        }
      }
      break;
    case '[':
      if (frame() == Frame::brackets) ++stack_.back().parens;
      break;
    case ']':
      if (frame() == Frame::brackets) {
        if (stack_.back().parens > 0) {
          --stack_.back().parens;
        } else {
          stack_.pop_back();
          word_start_ = false;
          return;
        }
      }
      break;
    default:
      if (is_separator(c)) return;
      break;
  }
  if (frame() == Frame::arithmetic && stack_.back().parens < 0 && c != ')') {
    lose("after a $((...)) that does not end with ))");
  }
  if (word_start_) {
    word_is_command_ = command_start_;
    command_start_ = false;
  }
  if (word_.size() < 8) word_ += c;
  word_start_ = false;
}

void ShellLexer::end_word() {
  const bool command = std::exchange(word_is_command_, false);
  if (command) {
    if (word_ == "let") arguments_ = Arguments::arithmetic;
    if (word_ == "eval" || word_ == "trap") arguments_ = Arguments::code;
    if (declares(word_)) arguments_ = Arguments::declaration;
    if (introduces_command(word_)) command_start_ = true;
    if (word_ == "[[") stack_.push_back({Frame::conditional});
  } else if (arguments_ == Arguments::declaration && word_.size() > 1 && word_[0] == '-' &&
             word_.find('i') != std::string::npos) {
    arguments_ = Arguments::arithmetic;  // declare -i x=...: an integer, evaluated
  }
  if (frame() == Frame::conditional && word_ == "]]") {
    const auto level = std::move(stack_.back());
    stack_.pop_back();
    if (level.arithmetic && !level.values.empty() && !late_refusal_) {
      late_refusal_ = level.values.front();
    }
  } else if (frame() == Frame::conditional && is_arithmetic_comparison(word_)) {
    stack_.back().arithmetic = true;
  }
  // In `case x in a) ...`, a ) ends no $(...): the lexer would lose track of where it is.
  if (word_ == "case" && std::ranges::any_of(stack_, [](const Level& level) {
        return level.frame == Frame::command || level.frame == Frame::backticks;
      })) {
    lose("after a case statement inside $(...), whose end the quoting cannot follow");
  }
  word_.clear();
}

void ShellLexer::heredoc_word(char c) {
  if (!heredoc_started_ && is_blank(c)) return;
  if (heredoc_quote_ != 0 || c == '\'' || c == '"') {  // a quoted delimiter may hold blanks
    if (heredoc_quote_ == 0) {
      heredoc_quote_ = c;
    } else if (c == heredoc_quote_) {
      heredoc_quote_ = 0;
    }
    heredoc_started_ = true;
    heredoc_text_ += c;
    return;
  }
  if (heredoc_started_ && is_separator(c)) {
    heredocs_.push_back({unquoted_delimiter(heredoc_text_), heredoc_dash_});
    heredoc_text_.clear();
    mode_ = Mode::code;
    code(c);
    return;
  }
  if (is_separator(c)) {
    lose("after a << with no delimiter");
    mode_ = Mode::code;
    code(c);
    return;
  }
  heredoc_started_ = true;
  heredoc_text_ += c;
}

void ShellLexer::heredoc_line(char c) {
  if (c != '\n') {
    heredoc_text_ += c;
    return;
  }
  std::string_view line(heredoc_text_);
  if (heredocs_.front().strip_tabs) {
    while (!line.empty() && line.front() == '\t') line.remove_prefix(1);
  }
  if (line == heredocs_.front().delimiter) {
    heredocs_.erase(heredocs_.begin());
    if (heredocs_.empty()) {
      mode_ = Mode::code;
      word_start_ = true;
    }
  }
  heredoc_text_.clear();
}

void ShellLexer::lose(std::string why) {
  if (lost_.empty()) lost_ = std::move(why);
}

}  // namespace lockstep::config
