#include "config/yaml_source.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
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
  if (scalar.text_column == 0 && scalar.block_line > 0 && offset <= scalar.text.size()) {
    const std::string_view before(scalar.text.data(), offset);
    const auto lines = std::ranges::count(before, '\n');
    const auto line_start = before.rfind('\n');
    const auto column = line_start == std::string_view::npos ? offset : offset - line_start - 1;
    return {scalar.where.file, scalar.block_line + static_cast<int>(lines),
            scalar.block_indent + static_cast<int>(column) + 1};
  }
  if (scalar.text_column == 0) return scalar.where;
  return {scalar.where.file, scalar.where.line, scalar.text_column + static_cast<int>(offset)};
}

namespace {

// Limits of one document, aliases expanded: nesting (a stack overflow), values, and bytes of
// text. yaml-cpp shares the node an alias names, but the tree below is a copy, so without a bound
// in bytes a file of a few aliases of one large scalar could ask for gigabytes.
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 250'000;
constexpr std::size_t kMaxTextBytes = std::size_t{32} << 20;

// Thrown out of yaml-cpp's parser to stop it at a limit, once the error is reported.
struct StopParsing {};

// What a node and everything in it cost: checked against the limits when an alias copies it.
struct Cost {
  std::size_t nodes = 0;
  std::size_t bytes = 0;
  int depth = 0;
};

// Builds the tree from yaml-cpp's events: one node per event, an alias a copy of its anchor's
// node, each map's duplicate keys reported (and the later one dropped).
class TreeBuilder final : public YAML::EventHandler {
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

  std::optional<YamlNode> take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& /*mark*/) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode node;
    node.where = locate(mark);
    charge(mark, 1, 0);
    add(std::move(node), anchor, {1, 0, 0});
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YamlNode node{.kind = YamlNode::Kind::scalar, .text = value};
    node.where = locate(mark);
    node.quoted = tag != "?";  // "?" is a plain scalar; "!" a quoted one; else an explicit tag
    node.text_column = find_text_column(node);
    if (node.text_column == 0) find_literal_block(node);
    charge(mark, 1, value.size());
    add(std::move(node), anchor, {1, value.size(), 0});
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(YamlNode::Kind::list, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(YamlNode::Kind::map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto where = locate(mark);
    if (anchor >= anchors_.size() || !anchors_[anchor]) {
      // yaml-cpp names the anchor of a node still open: the node would contain itself.
      limit(where, "an alias (*name) inside the node its anchor names",
            "a node cannot contain itself: move the alias out of it");
    }
    const auto& [node, cost] = *anchors_[anchor];
    if (static_cast<int>(open_.size()) + cost.depth > kMaxDepth) {
      limit(where,
            "this alias nests the document deeper than " + std::to_string(kMaxDepth) + " levels",
            "an alias (*name) copies what its anchor names: less nesting");
    }
    if (nodes_ + cost.nodes > kMaxNodes || bytes_ + cost.bytes > kMaxTextBytes) {
      limit(where,
            "this alias expands the document past " +
                (nodes_ + cost.nodes > kMaxNodes
                     ? std::to_string(kMaxNodes) + " values"
                     : std::to_string(kMaxTextBytes >> 20) + " MiB of text"),
            "an alias (*name) copies what its anchor names: are aliases repeating a large part "
            "of the document?");
    }
    nodes_ += cost.nodes;
    bytes_ += cost.bytes;
    YamlNode copy = node;
    add(std::move(copy), 0, cost);
  }

 private:
  struct Open {
    YamlNode node;
    YAML::anchor_t anchor;
    std::size_t nodes_before;
    std::size_t bytes_before;
    int depth;  // of what is inside, so far
    // A map's key waiting for its value, and the keys seen (key -> index of its entry).
    std::optional<YamlEntry> key{};
    bool skip_value = false;  // the key was no scalar: its value is dropped with it
    std::unordered_map<std::string, std::size_t> seen{};
  };

  [[noreturn]] void limit(const SourceLocation& where, std::string message, std::string hint) {
    diagnostics_.error(where, std::move(message), std::move(hint));
    throw StopParsing{};
  }

  // Counts a node made from the text itself (not through an alias).
  void charge(const YAML::Mark& mark, std::size_t nodes, std::size_t bytes) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > kMaxNodes) {
      limit(locate(mark), "the document has more than " + std::to_string(kMaxNodes) + " values",
            "split the pipeline, or let a fan-out (foreach) make the instances");
    }
  }

  void open(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    const auto where = locate(mark);
    if (static_cast<int>(open_.size()) >= kMaxDepth) {
      limit(where, "the document nests deeper than " + std::to_string(kMaxDepth) + " levels",
            "a pipeline needs a handful of levels");
    }
    charge(mark, 1, 0);
    YamlNode node{.kind = kind};
    node.where = where;
    if (anchor != 0) remember(anchor, std::nullopt);  // open: an alias to it is a cycle
    open_.push_back({std::move(node), anchor, nodes_ - 1, bytes_, 0});
  }

  void close() {
    Open done = std::move(open_.back());
    open_.pop_back();
    add(std::move(done.node), done.anchor,
        {nodes_ - done.nodes_before, bytes_ - done.bytes_before, done.depth + 1});
  }

  void remember(YAML::anchor_t anchor, std::optional<std::pair<YamlNode, Cost>> node) {
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    anchors_[anchor] = std::move(node);
  }

  void add(YamlNode node, YAML::anchor_t anchor, Cost cost) {
    if (anchor != 0) remember(anchor, std::pair(node, cost));
    if (open_.empty()) {
      if (node.is_null() && node.where.line > 1) node.where = {file_, 1, 1};
      root_ = std::move(node);
      return;
    }
    auto& parent = open_.back();
    parent.depth = std::max(parent.depth, cost.depth);
    if (parent.node.is_list()) {
      settle_null(node, parent.node.where);
      parent.node.items.push_back(std::move(node));
    } else if (!parent.key && !parent.skip_value) {
      add_key(parent, std::move(node));
    } else if (parent.skip_value) {
      parent.skip_value = false;
    } else {
      add_value(parent, std::move(node));
    }
  }

  void add_key(Open& map, YamlNode key) {
    if (!key.is_scalar()) {
      diagnostics_.error(key.where,
                         "a key must be a scalar, not " + std::string(key.is_map()    ? "a map"
                                                                      : key.is_list() ? "a list"
                                                                                      : "nothing"));
      map.skip_value = true;
      return;
    }
    map.key = YamlEntry{std::move(key.text), key.where, {}};
  }

  void add_value(Open& map, YamlNode value) {
    YamlEntry entry = std::move(*map.key);
    map.key.reset();
    if (const auto [at, added] = map.seen.emplace(entry.key, map.node.entries.size()); !added) {
      const auto& earlier = map.node.entries[at->second];
      diagnostics_.error(entry.key_where, "duplicate key '" + entry.key + "'",
                         "first defined at " + std::to_string(earlier.key_where.line) + ":" +
                             std::to_string(earlier.key_where.column));
      return;
    }
    settle_null(value, entry.key_where);
    entry.value = std::move(value);
    map.node.entries.push_back(std::move(entry));
  }

  // An empty value ("key:") is positioned at the next token by yaml-cpp: the key's position (or
  // the list's) says more.
  static void settle_null(YamlNode& node, const SourceLocation& owner) {
    if (node.is_null() && node.where.line > owner.line && owner.line > 0) node.where = owner;
  }

  SourceLocation locate(const YAML::Mark& mark) const {
    if (mark.line < 0 || mark.column < 0) return {file_, 0, 0};
    return {file_, mark.line + 1, mark.column + 1};
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

  // A `|` block whose every line is in the source as it is, indented alike: where it starts.
  void find_literal_block(YamlNode& scalar) const {
    const auto header = static_cast<std::size_t>(scalar.where.line);  // the next line, 0-based
    if (header < 1 || header > lines_.size() || scalar.where.column < 1) return;
    const auto line = lines_[header - 1];
    const auto column = static_cast<std::size_t>(scalar.where.column - 1);
    if (column >= line.size() || line[column] != '|') return;
    std::string_view text = scalar.text;
    if (text.ends_with('\n')) text.remove_suffix(1);
    if (text.empty() || header >= lines_.size()) return;
    const auto first = lines_[header];
    const auto indent = first.find_first_not_of(' ');
    if (indent == std::string_view::npos || indent == 0) return;
    std::size_t k = 0;
    for (std::size_t start = 0; start <= text.size(); ++k) {
      auto end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const auto want = text.substr(start, end - start);
      if (header + k >= lines_.size()) return;
      const auto source = lines_[header + k];
      const bool same = want.empty() ? source.find_first_not_of(' ') == std::string_view::npos
                                     : source.size() == indent + want.size() &&
                                           source.substr(indent) == want &&
                                           source.find_first_not_of(' ') >= indent;
      if (!same) return;
      start = end + 1;
    }
    scalar.block_line = static_cast<int>(header) + 1;
    scalar.block_indent = static_cast<int>(indent);
  }

  const std::string& file_;
  Diagnostics& diagnostics_;
  std::vector<std::string_view> lines_;
  std::vector<Open> open_;
  std::vector<std::optional<std::pair<YamlNode, Cost>>> anchors_;  // by yaml-cpp's anchor id
  std::optional<YamlNode> root_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
};

// Finds a second document: its start is an error, since a pipeline file holds one.
class SecondDocument final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    start = mark;
    throw StopParsing{};
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::optional<YAML::Mark> start;
};

SourceLocation where_of(const YAML::Mark& mark, const std::string& file) {
  return {file, mark.line >= 0 ? mark.line + 1 : 0, mark.column >= 0 ? mark.column + 1 : 0};
}

// The first NUL byte of the text, which YAML cannot hold (yaml-cpp would read past it).
std::optional<SourceLocation> find_nul(std::string_view text, const std::string& file) {
  const auto at = text.find('\0');
  if (at == std::string_view::npos) return std::nullopt;
  const auto line_start = text.rfind('\n', at);
  const auto line = std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  const auto column = line_start == std::string_view::npos ? at : at - line_start - 1;
  return SourceLocation{file, static_cast<int>(line) + 1, static_cast<int>(column) + 1};
}

}  // namespace

std::optional<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                                   Diagnostics& diagnostics) {
  if (auto nul = find_nul(text, file)) {
    diagnostics.error(std::move(*nul), "a NUL byte: a pipeline is text",
                      "is this a binary file, or text saved as UTF-16?");
    return std::nullopt;
  }
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  TreeBuilder builder(text, file, diagnostics);
  try {
    if (!parser.HandleNextDocument(builder)) return YamlNode{.where = {file, 1, 1}};
    SecondDocument second;
    try {
      parser.HandleNextDocument(second);
    } catch (const StopParsing&) {
    }
    if (second.start) {
      diagnostics.error(where_of(*second.start, file), "a second YAML document starts here",
                        "a pipeline file holds one document: remove the '---' and what follows, "
                        "or make them a file of their own");
      return std::nullopt;
    }
  } catch (const StopParsing&) {
    return std::nullopt;  // a limit, reported: the rest would only echo it
  } catch (const YAML::Exception& e) {
    diagnostics.error(where_of(e.mark, file), "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  auto root = builder.take_root();
  if (!root) return YamlNode{.where = {file, 1, 1}};
  return root;
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
