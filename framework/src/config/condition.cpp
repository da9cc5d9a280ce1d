#include "config/condition.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::config {

namespace {

struct Token {
  enum class Kind : unsigned char {
    end,
    reference,
    literal,
    equal,
    not_equal,
    negate,
    and_,
    or_,
    open,
    close,
  };
  Kind kind = Kind::end;
  std::string text{};  // a reference's name, a literal's value
  std::size_t offset = 0;
};

constexpr std::array<std::string_view, 6> kBareWords{"true", "false", "yes", "no", "on", "off"};

bool is_word_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-' ||
         c == '+';
}

bool is_number(std::string_view word) noexcept {
  if (!word.empty() && (word.front() == '-' || word.front() == '+')) word.remove_prefix(1);
  return !word.empty() && std::isdigit(static_cast<unsigned char>(word.front())) != 0 &&
         std::ranges::all_of(word, [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
         });
}

// Thrown inside the parser only: the first mistake ends parsing.
struct Mistake {
  std::string error;
  std::string hint;
  std::size_t offset;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token next() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) ++at_;
    const auto start = at_;
    if (at_ == text_.size()) return {Token::Kind::end, {}, start};
    const char c = text_[at_];
    const char after = at_ + 1 < text_.size() ? text_[at_ + 1] : '\0';
    if (c == '$') return reference(start);
    if (c == '\'' || c == '"') return literal(start, c);
    if (c == '(' || c == ')') {
      ++at_;
      return {c == '(' ? Token::Kind::open : Token::Kind::close, {}, start};
    }
    if (c == '=' && after == '=') return pair(Token::Kind::equal, start);
    if (c == '!' && after == '=') return pair(Token::Kind::not_equal, start);
    if (c == '&' && after == '&') return pair(Token::Kind::and_, start);
    if (c == '|' && after == '|') return pair(Token::Kind::or_, start);
    if (c == '!') {
      ++at_;
      return {Token::Kind::negate, {}, start};
    }
    if (c == '=') throw Mistake{"'=' is not an operator", "compare with ==", start};
    if (c == '&') throw Mistake{"'&' is not an operator", "join conditions with &&", start};
    if (c == '|') throw Mistake{"'|' is not an operator", "join conditions with ||", start};
    if (is_word_char(c)) return word(start);
    throw Mistake{"unexpected '" + std::string(1, c) + "'",
                  "write ${...} references, 'quoted' text, ==, !=, !, &&, || and parentheses",
                  start};
  }

 private:
  Token pair(Token::Kind kind, std::size_t start) {
    at_ += 2;
    return {kind, {}, start};
  }

  Token reference(std::size_t start) {
    if (at_ + 1 >= text_.size() || text_[at_ + 1] != '{') {
      throw Mistake{"a '$' that does not start a ${...} reference",
                    "write ${vars.NAME}, ${env.NAME} or ${outputs.STAGE.JOB.KEY}", start};
    }
    const auto close = text_.find('}', at_ + 2);
    if (close == std::string_view::npos) {
      throw Mistake{"unterminated '${'", "close the reference with '}'", start};
    }
    auto name = text_.substr(at_ + 2, close - at_ - 2);
    if (name.empty()) {
      throw Mistake{"empty reference '${}'",
                    "write ${vars.NAME}, ${env.NAME} or ${outputs.STAGE.JOB.KEY}", start};
    }
    at_ = close + 1;
    return {Token::Kind::reference, std::string(name), start};
  }

  Token literal(std::size_t start, char quote) {
    const auto close = text_.find(quote, at_ + 1);
    if (close == std::string_view::npos) {
      throw Mistake{"unterminated text: no closing " + std::string(1, quote),
                    "a text literal cannot hold its own quote: write it in the other one", start};
    }
    auto value = text_.substr(at_ + 1, close - at_ - 1);
    at_ = close + 1;
    return {Token::Kind::literal, std::string(value), start};
  }

  Token word(std::size_t start) {
    while (at_ < text_.size() && is_word_char(text_[at_])) ++at_;
    const auto word = text_.substr(start, at_ - start);
    if (is_number(word) || std::ranges::find(kBareWords, word) != kBareWords.end()) {
      return {Token::Kind::literal, std::string(word), start};
    }
    const bool looks_like_reference =
        word.starts_with("vars.") || word.starts_with("env.") || word.starts_with(kOutputsPrefix);
    throw Mistake{"bare word '" + std::string(word) + "'",
                  looks_like_reference ? "write a reference as ${" + std::string(word) + "}"
                                       : "quote text: '" + std::string(word) + "'",
                  start};
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

std::string_view describe(const Token& token) noexcept {
  switch (token.kind) {
    case Token::Kind::end:
      return "the end";
    case Token::Kind::reference:
      return "a reference";
    case Token::Kind::literal:
      return "a text";
    case Token::Kind::equal:
      return "'=='";
    case Token::Kind::not_equal:
      return "'!='";
    case Token::Kind::negate:
      return "'!'";
    case Token::Kind::and_:
      return "'&&'";
    case Token::Kind::or_:
      return "'||'";
    case Token::Kind::open:
      return "'('";
    case Token::Kind::close:
      return "')'";
  }
  return "a token";
}

bool is_comparison(const Token& token) noexcept {
  return token.kind == Token::Kind::equal || token.kind == Token::Kind::not_equal;
}

bool is_operand(const Token& token) noexcept {
  return token.kind == Token::Kind::reference || token.kind == Token::Kind::literal;
}

// Recursive descent over:  any := all ('||' all)*   all := unary ('&&' unary)*
//   unary := '!' primary | compare   compare := operand [('=='|'!=') operand] | primary
//   primary := operand | '(' any ')'
class Parser {
 public:
  Parser(std::string_view text, ParsedCondition& out) : lexer_(text), out_(out) { advance(); }

  void parse() {
    if (token_.kind == Token::Kind::end) {
      throw Mistake{"the condition is empty", "write an expression such as ${vars.mode} == 'fast'",
                    token_.offset};
    }
    out_.root = any();
    if (token_.kind == Token::Kind::close) {
      throw Mistake{"')' without a '('", "remove it, or open it earlier", token_.offset};
    }
    if (token_.kind != Token::Kind::end) {
      throw Mistake{"unexpected " + std::string(describe(token_)) + " after a complete condition",
                    "join conditions with && or ||", token_.offset};
    }
  }

 private:
  void advance() { token_ = lexer_.next(); }

  std::size_t add(ConditionNode node) {
    out_.nodes.push_back(std::move(node));
    return out_.nodes.size() - 1;
  }

  std::size_t joined(ConditionNode::Kind kind, Token::Kind joiner, std::size_t (Parser::*part)()) {
    const auto first = (this->*part)();
    if (token_.kind != joiner) return first;
    ConditionNode node{kind, {}, {first}};
    while (token_.kind == joiner) {
      advance();
      node.children.push_back((this->*part)());
    }
    return add(std::move(node));
  }

  std::size_t any() { return joined(ConditionNode::Kind::any, Token::Kind::or_, &Parser::all); }
  std::size_t all() { return joined(ConditionNode::Kind::all, Token::Kind::and_, &Parser::unary); }

  std::size_t unary() {
    if (token_.kind != Token::Kind::negate) return compare();
    advance();
    const auto operand = add({ConditionNode::Kind::negate, {}, {unary_operand()}});
    if (is_comparison(token_)) {
      throw Mistake{std::string(describe(token_)) + " cannot compare the result of '!'",
                    "to negate a comparison, write !(a == b)", token_.offset};
    }
    return operand;
  }

  // What a '!' applies to: another '!', an operand, or a parenthesised expression.
  std::size_t unary_operand() {
    if (token_.kind != Token::Kind::negate) return primary();
    if (++depth_ > kMaxConditionDepth) {
      throw Mistake{"more than " + std::to_string(kMaxConditionDepth) + " '!' in a row",
                    "two cancel out: remove them", token_.offset};
    }
    advance();
    const auto inner = unary_operand();
    --depth_;
    return add({ConditionNode::Kind::negate, {}, {inner}});
  }

  std::size_t compare() {
    const bool operand = is_operand(token_);
    const auto left = primary();
    if (!is_comparison(token_)) return left;
    if (!operand) {
      throw Mistake{std::string(describe(token_)) + " compares values, not conditions",
                    "compare ${...} references and 'text'; join conditions with && and ||",
                    token_.offset};
    }
    const auto kind = token_.kind == Token::Kind::equal ? ConditionNode::Kind::equal
                                                        : ConditionNode::Kind::not_equal;
    advance();
    if (!is_operand(token_)) {
      throw Mistake{"expected a value to compare with, got " + std::string(describe(token_)),
                    "write a ${...} reference or 'quoted text'", token_.offset};
    }
    const auto right = primary();
    if (is_comparison(token_)) {
      throw Mistake{"comparisons do not chain", "join comparisons with && or ||", token_.offset};
    }
    return add({kind, {}, {left, right}});
  }

  std::size_t primary() {
    if (token_.kind == Token::Kind::reference) {
      out_.references.push_back({token_.text, token_.offset});
      const auto node = add({ConditionNode::Kind::reference, token_.text, {}});
      advance();
      return node;
    }
    if (token_.kind == Token::Kind::literal) {
      const auto node = add({ConditionNode::Kind::literal, token_.text, {}});
      advance();
      return node;
    }
    if (token_.kind == Token::Kind::open) {
      const auto open = token_.offset;
      if (++depth_ > kMaxConditionDepth) {
        throw Mistake{"parentheses nest more than " + std::to_string(kMaxConditionDepth) + " deep",
                      "simplify the condition", open};
      }
      advance();
      const auto inner = any();
      if (token_.kind != Token::Kind::close) {
        throw Mistake{"'(' is not closed", "add a ')'", open};
      }
      --depth_;
      advance();
      return inner;
    }
    throw Mistake{"expected a value or '(', got " + std::string(describe(token_)),
                  token_.kind == Token::Kind::end ? "complete the condition"
                                                  : "write a ${...} reference or 'quoted text'",
                  token_.offset};
  }

  Lexer lexer_;
  ParsedCondition& out_;
  Token token_{};
  int depth_ = 0;
};

bool evaluate(const ParsedCondition& condition, std::size_t at,
              const std::function<std::string(std::string_view)>& value_of) {
  const auto& node = condition.nodes[at];
  const auto value = [&](std::size_t child) {
    const auto& operand = condition.nodes[child];
    return operand.kind == ConditionNode::Kind::reference ? value_of(operand.text) : operand.text;
  };
  switch (node.kind) {
    case ConditionNode::Kind::reference:
    case ConditionNode::Kind::literal:
      return is_truthy(value(at));
    case ConditionNode::Kind::equal:
      return value(node.children[0]) == value(node.children[1]);
    case ConditionNode::Kind::not_equal:
      return value(node.children[0]) != value(node.children[1]);
    case ConditionNode::Kind::negate:
      return !evaluate(condition, node.children[0], value_of);
    case ConditionNode::Kind::all:
      return std::ranges::all_of(node.children,
                                 [&](std::size_t c) { return evaluate(condition, c, value_of); });
    case ConditionNode::Kind::any:
      return std::ranges::any_of(node.children,
                                 [&](std::size_t c) { return evaluate(condition, c, value_of); });
  }
  return false;
}

}  // namespace

ParsedCondition parse_condition(std::string_view text) {
  ParsedCondition parsed;
  try {
    Parser(text, parsed).parse();
  } catch (const Mistake& mistake) {
    parsed = {};
    parsed.error = mistake.error;
    parsed.hint = mistake.hint;
    parsed.error_offset = mistake.offset;
  }
  return parsed;
}

bool evaluate_condition(const ParsedCondition& condition,
                        const std::function<std::string(std::string_view)>& value_of) {
  if (!condition.ok() || condition.nodes.empty()) return false;
  return evaluate(condition, condition.root, value_of);
}

}  // namespace lockstep::config
