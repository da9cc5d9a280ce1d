#include "config/yaml_source.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace lockstep::config {

const YamlNode* YamlNode::find(std::string_view key) const noexcept {
  for (const auto& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

std::string_view describe(YamlNode::Kind kind) noexcept {
  switch (kind) {
    case YamlNode::Kind::null:
      return "nothing";
    case YamlNode::Kind::scalar:
      return "a scalar";
    case YamlNode::Kind::list:
      return "a list";
    case YamlNode::Kind::map:
      return "a map";
  }
  return "a value";
}

SourceLocation position_in(const YamlNode& scalar, std::size_t offset) {
  if (scalar.text_column == 0) return scalar.where;
  return {scalar.where.file, scalar.where.line, scalar.text_column + static_cast<int>(offset)};
}

namespace {

// Aliases can nest a document exponentially ("billion laughs") or, in yaml-cpp, in a cycle: both
// limits turn that into an error instead of a hang or a stack overflow.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 250'000;

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, const std::string& file, Diagnostics& diagnostics)
      : file_(file), diagnostics_(diagnostics) {
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  YamlNode build(const YAML::Node& node, const SourceLocation& fallback, int depth) {
    YamlNode result;
    result.where = locate(node.Mark(), fallback);
    if (depth > kMaxDepth || ++nodes_ > kMaxNodes) {
      if (!too_big_) {
        diagnostics_.error(result.where, "the document nests too deeply or is too large",
                           "are aliases (*name) expanding it?");
      }
      too_big_ = true;
      return result;
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        result.kind = YamlNode::Kind::scalar;
        result.text = node.Scalar();
        result.quoted = node.Tag() != "?";
        result.text_column = find_text_column(result);
        break;
      case YAML::NodeType::Sequence:
        result.kind = YamlNode::Kind::list;
        for (const auto& item : node) result.items.push_back(build(item, result.where, depth + 1));
        break;
      case YAML::NodeType::Map:
        result.kind = YamlNode::Kind::map;
        {
          // Key -> index of its entry: duplicates found in linear time on any size of map.
          std::unordered_map<std::string, std::size_t> seen;
          for (const auto& pair : node) add_entry(result, seen, pair.first, pair.second, depth);
        }
        break;
      default:
        // An empty value ("key:") is positioned at the next token by yaml-cpp: the key's
        // position, given as the fallback, says more.
        if (result.where.line > fallback.line && fallback.line > 0) result.where = fallback;
        break;
    }
    return result;
  }

 private:
  SourceLocation locate(const YAML::Mark& mark, const SourceLocation& fallback) const {
    if (mark.line < 0 || mark.column < 0) return fallback;
    return {file_, mark.line + 1, mark.column + 1};
  }

  void add_entry(YamlNode& map, std::unordered_map<std::string, std::size_t>& seen,
                 const YAML::Node& key, const YAML::Node& value, int depth) {
    auto key_where = locate(key.Mark(), map.where);
    if (!key.IsScalar()) {
      diagnostics_.error(
          key_where, "a key must be a scalar, not " + std::string(key.IsMap()        ? "a map"
                                                                  : key.IsSequence() ? "a list"
                                                                                     : "nothing"));
      return;
    }
    const std::string& name = key.Scalar();
    if (const auto [at, added] = seen.emplace(name, map.entries.size()); !added) {
      const auto& earlier = map.entries[at->second];
      diagnostics_.error(key_where, "duplicate key '" + name + "'",
                         "first defined at " + std::to_string(earlier.key_where.line) + ":" +
                             std::to_string(earlier.key_where.column));
      return;
    }
    map.entries.push_back({name, key_where, build(value, key_where, depth + 1)});
  }

  int find_text_column(const YamlNode& scalar) const {
    if (scalar.where.line < 1 || static_cast<std::size_t>(scalar.where.line) > lines_.size()) {
      return 0;
    }
    auto line = lines_[static_cast<std::size_t>(scalar.where.line - 1)];
    auto column = static_cast<std::size_t>(scalar.where.column - 1);
    if (column < line.size() && (line[column] == '"' || line[column] == '\'')) {
      const char quote = line[column];
      const auto after = column + 1 + scalar.text.size();
      if (line.substr(column + 1, scalar.text.size()) == scalar.text && after < line.size() &&
          line[after] == quote) {
        return static_cast<int>(column) + 2;
      }
      return 0;
    }
    if (!scalar.quoted && line.substr(column, scalar.text.size()) == scalar.text) {
      return static_cast<int>(column) + 1;
    }
    return 0;
  }

  const std::string& file_;
  Diagnostics& diagnostics_;
  std::vector<std::string_view> lines_;
  std::size_t nodes_ = 0;
  bool too_big_ = false;
};

}  // namespace

std::optional<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                                   Diagnostics& diagnostics) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    SourceLocation where{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                         e.mark.column >= 0 ? e.mark.column + 1 : 0};
    diagnostics.error(std::move(where), "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  TreeBuilder builder(text, file, diagnostics);
  return builder.build(root, {file, 1, 1}, 0);
}

RawValue to_raw(const YamlNode& node) {
  RawValue raw;
  raw.where = node.where;
  switch (node.kind) {
    case YamlNode::Kind::null:
    case YamlNode::Kind::scalar:
      raw.kind = RawValue::Kind::scalar;
      raw.text = node.text;
      raw.quoted = node.quoted;
      break;
    case YamlNode::Kind::list:
      raw.kind = RawValue::Kind::list;
      for (const auto& item : node.items) raw.items.push_back(to_raw(item));
      break;
    case YamlNode::Kind::map:
      raw.kind = RawValue::Kind::map;
      for (const auto& entry : node.entries) {
        raw.entries.push_back({entry.key, to_raw(entry.value), entry.key_where});
      }
      break;
  }
  return raw;
}

}  // namespace lockstep::config
