#include "config/schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <vector>

namespace lockstep::config {

std::string written_as(const YamlNode& scalar) {
  return scalar.written.empty() ? "" : " (from " + scalar.written + ")";
}

std::string quoted_value(const YamlNode& scalar) {
  return "'" + scalar.text + "'" + written_as(scalar);
}

std::string field(std::string_view key, std::string_view owner) {
  return "'" + std::string(key) + "'" + std::string(owner);
}

void check_keys(const YamlNode& map, std::initializer_list<std::string_view> known,
                std::string_view owner, Diagnostics& diagnostics) {
  std::vector<std::string> names(known.begin(), known.end());
  for (const auto& entry : map.entries) {
    if (std::ranges::find(known, entry.key) != known.end()) continue;
    auto hint = did_you_mean(entry.key, names);
    if (hint.empty()) {
      hint = "known keys: ";
      for (std::size_t i = 0; i < names.size(); ++i) hint += (i ? ", " : "") + names[i];
    }
    diagnostics.error(entry.key_where, "unknown key '" + entry.key + "'" + std::string(owner),
                      std::move(hint));
  }
}

const YamlNode* require_key(const YamlNode& map, std::string_view key, std::string_view owner,
                            Diagnostics& diagnostics) {
  if (const auto* value = map.find(key)) return value;
  diagnostics.error(map.where,
                    "missing required key '" + std::string(key) + "'" + std::string(owner));
  return nullptr;
}

bool expect(const YamlNode& node, YamlNode::Kind kind, std::string_view what,
            Diagnostics& diagnostics) {
  if (node.kind == kind) return true;
  diagnostics.error(node.where, std::string(what) + " must be " + std::string(describe(kind)) +
                                    ", not " + std::string(describe(node.kind)));
  return false;
}

std::optional<std::string> read_scalar(const YamlNode& node, std::string_view what,
                                       Diagnostics& diagnostics) {
  if (!expect(node, YamlNode::Kind::scalar, what, diagnostics)) return std::nullopt;
  if (node.unresolved) return std::nullopt;
  return node.text;
}

namespace {

std::string quoted_hint(const YamlNode& node) {
  if (!node.quoted) return "";
  // A reference in a flow map ({ ... }) must be quoted, or its braces end the map.
  if (!node.written.empty()) {
    return "remove the quotes: a quoted value is a string; a { ... } map, where a reference needs "
           "them, must then be written one key a line";
  }
  return "remove the quotes: a quoted value is a string";
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

}  // namespace

std::optional<std::int64_t> read_integer(const YamlNode& node, std::string_view what,
                                         Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* first = text->data();
  const char* last = text->data() + text->size();
  if (first != last && *first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, value);
  if (!node.quoted && ec == std::errc::result_out_of_range && end == last) {
    diagnostics.error(node.where, std::string(what) + " must be from " +
                                      std::to_string(std::numeric_limits<std::int64_t>::min()) +
                                      " to " +
                                      std::to_string(std::numeric_limits<std::int64_t>::max()) +
                                      ", got " + *text + written_as(node));
    return std::nullopt;
  }
  if (node.quoted || text->empty() || ec != std::errc{} || end != last) {
    diagnostics.error(node.where,
                      std::string(what) + " must be an integer, got " + quoted_value(node),
                      quoted_hint(node));
    return std::nullopt;
  }
  return value;
}

std::optional<int> read_count(const YamlNode& node, std::string_view what, int min,
                              Diagnostics& diagnostics, int max, std::string_view max_hint) {
  auto value = read_integer(node, what, diagnostics);
  if (!value) return std::nullopt;
  if (*value < min) {
    diagnostics.error(node.where, std::string(what) + " must be at least " + std::to_string(min) +
                                      ", got " + node.text + written_as(node));
    return std::nullopt;
  }
  if (*value > max) {
    diagnostics.error(node.where,
                      std::string(what) + " must be at most " + std::to_string(max) + ", got " +
                          node.text + written_as(node),
                      std::string(max_hint));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<Duration> read_duration(const YamlNode& node, std::string_view what, bool positive,
                                      Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  auto value = parse_duration(*text);
  if (!value) {
    diagnostics.error(node.where,
                      std::string(what) + " must be a duration, got " + quoted_value(node),
                      "write it like 250ms, 5s, 2m, 1h30m");
    return std::nullopt;
  }
  if (*value > kMaxDuration) {
    diagnostics.error(node.where, std::string(what) + " must be at most " +
                                      format_duration(kMaxDuration) + ", got " + *text +
                                      written_as(node));
    return std::nullopt;
  }
  if (positive && *value <= Duration::zero()) {
    diagnostics.error(
        node.where, std::string(what) + " must be longer than 0, got " + *text + written_as(node));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_boolean(const YamlNode& node, std::string_view what,
                                 Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  const auto lower = lowercase(*text);
  if (!node.quoted && (lower == "true" || lower == "yes" || lower == "on")) return true;
  if (!node.quoted && (lower == "false" || lower == "no" || lower == "off")) return false;
  diagnostics.error(node.where,
                    std::string(what) + " must be true or false, got " + quoted_value(node),
                    quoted_hint(node));
  return std::nullopt;
}

std::optional<std::string> read_name(const YamlNode& node, std::string_view what,
                                     Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  const bool valid = !text->empty() && std::ranges::all_of(*text, [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
  if (!valid) {
    diagnostics.error(node.where, std::string(what) + " " + quoted_value(node) + " is not valid",
                      "use letters, digits, '_' and '-'");
    return std::nullopt;
  }
  return text;
}

std::string first_defined_at(const SourceLocation& where) {
  return "first defined at " + std::to_string(where.line) + ":" + std::to_string(where.column);
}

}  // namespace lockstep::config
