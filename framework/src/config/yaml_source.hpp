// YAML text → a tree of positioned values, as the schema checks read it. yaml-cpp 0.7 keeps
// duplicate keys silently and forgets which scalars were quoted; this tree reports the first and
// records the second, and nothing above this file includes yaml-cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::config {

struct YamlEntry;

struct LOCKSTEP_INTERNAL_API YamlNode {
  enum class Kind : unsigned char { null, scalar, list, map };
  Kind kind = Kind::null;
  std::string text{};   // a scalar's text
  bool quoted = false;  // quoted, a block scalar or explicitly tagged: always a string
  // 1-based column where `text` appears verbatim in the source (a scalar on one line without
  // escapes), so that a mistake inside it can be pointed at exactly; 0 when it does not.
  int text_column = 0;
  // For a literal block scalar (`|`) whose lines appear verbatim in the source: the line of its
  // first text line and their indentation, so that a mistake in a multi-line shell command is
  // pointed at too; 0 otherwise.
  int block_line = 0;
  int block_indent = 0;
  // Set by substitute_references(): the scalar as written when it had ${...} references, which
  // messages about its value show ("got 'ten' (from ${vars.n})"); `unresolved` when one of them
  // could not be resolved, an error reported already, so that readers skip the value silently.
  std::string written{};
  bool unresolved = false;
  std::vector<YamlNode> items{};
  // in written order; a duplicate key is reported and dropped. No initializer for clang: it
  // instantiates the destructor of vector<YamlEntry> there, before YamlEntry is complete; GCC
  // needs one for designated initializers (-Wmissing-field-initializers).
#ifdef __clang__
  std::vector<YamlEntry> entries;
#else
  std::vector<YamlEntry> entries{};
#endif
  SourceLocation where{};

  const YamlNode* find(std::string_view key) const noexcept;
  bool is_null() const noexcept { return kind == Kind::null; }
  bool is_scalar() const noexcept { return kind == Kind::scalar; }
  bool is_list() const noexcept { return kind == Kind::list; }
  bool is_map() const noexcept { return kind == Kind::map; }
};

struct YamlEntry {
  std::string key;
  SourceLocation key_where{};
  YamlNode value{};
};

// "a map", "a list", "a scalar", "nothing (null)": for "must be a list, not a map".
std::string_view describe(YamlNode::Kind kind) noexcept;

// Where the character at `offset` of a scalar's text is: exact when the scalar has a
// text_column or is a verbatim literal block, else the scalar's start.
LOCKSTEP_INTERNAL_API SourceLocation position_in(const YamlNode& scalar, std::size_t offset);

// Parses `text`, which must hold one document. Syntax errors, duplicate keys and limits go to
// `diagnostics` (file `file`); returns nullopt after a syntax error, a NUL byte, a second document
// or a limit (nesting, values, or text that aliases copy): what was read would only give
// follow-on errors.
LOCKSTEP_INTERNAL_API std::optional<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                                   Diagnostics& diagnostics);

// The node as validate_params() takes it; a null becomes an empty plain scalar.
RawValue to_raw(const YamlNode& node);

}  // namespace lockstep::config
