// `if:` expressions of stages and jobs: parsed here (positions for every mistake), checked by the
// loader (config/condition_reader.hpp), evaluated at load time when they read only vars and env,
// else by the runner once the stages they read have ended.
//
//   ${vars.mode} == 'fast' && !${env.CI}
//   (${outputs.probe.check.ready} || ${vars.force}) && ${vars.target} != 'none'
//
// Operands are ${...} references and quoted literals ('text' or "text"; numbers and the words
// true/false/yes/no/on/off may go unquoted). `==` and `!=` compare two operands as text; an
// operand alone is true when it is truthy as `repeat.until` reads it (is_truthy()). `!` applies to
// the operand or parenthesised expression after it; it binds tighter than `&&`, which binds
// tighter than `||`.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/interpolate.hpp"  // kOutputsPrefix
#include "lockstep/export.hpp"

namespace lockstep::config {

struct ConditionNode {
  enum class Kind : unsigned char {
    reference,  // text: the name inside ${...}
    literal,    // text: the value
    equal,      // children: two operands
    not_equal,
    negate,  // children: one
    all,     // children: two or more, joined by &&
    any,     // ... by ||
  };
  Kind kind = Kind::literal;
  std::string text{};
  std::vector<std::size_t> children{};  // indices into ParsedCondition::nodes
};

// A ${...} of the expression: its name ("vars.mode") and where its '$' is.
struct ConditionReference {
  std::string name{};
  std::size_t offset = 0;
};

struct ParsedCondition {
  std::vector<ConditionNode> nodes{};
  std::size_t root = 0;
  std::vector<ConditionReference> references{};
  std::string error{};  // empty when the expression is well formed
  std::string hint{};
  std::size_t error_offset = 0;  // where in the text the mistake is

  bool ok() const noexcept { return error.empty(); }
};

// How deep parentheses may nest: a bound on the parser's and the evaluator's recursion.
inline constexpr int kMaxConditionDepth = 64;

LOCKSTEP_INTERNAL_API ParsedCondition parse_condition(std::string_view text);

// The value of a well-formed expression, each reference's value given by `value_of(name)`.
LOCKSTEP_INTERNAL_API bool evaluate_condition(
    const ParsedCondition& condition,
    const std::function<std::string(std::string_view name)>& value_of);

}  // namespace lockstep::config
