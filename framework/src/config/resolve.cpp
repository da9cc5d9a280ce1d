#include "config/resolve.hpp"

#include <algorithm>
#include <utility>

namespace lockstep::config {

std::optional<std::string> resolve_scalar(const YamlNode& scalar, const Scope& scope,
                                          Diagnostics& diagnostics) {
  auto result = interpolate(scalar.text, scope);
  if (result.failed()) {
    if (!result.error.empty()) {
      diagnostics.error(position_in(scalar, static_cast<std::size_t>(result.error_offset)),
                        std::move(result.error), std::move(result.hint));
    }
    return std::nullopt;
  }
  return std::move(result.text);
}

std::optional<RawValue> resolve_value(const YamlNode& node, const Scope& scope,
                                      Diagnostics& diagnostics) {
  RawValue raw;
  raw.where = node.where;
  bool ok = true;
  switch (node.kind) {
    case YamlNode::Kind::null:
      break;
    case YamlNode::Kind::scalar: {
      raw.quoted = node.quoted;
      auto text = resolve_scalar(node, scope, diagnostics);
      if (!text) return std::nullopt;
      raw.text = std::move(*text);
      break;
    }
    case YamlNode::Kind::list:
      raw.kind = RawValue::Kind::list;
      for (const auto& item : node.items) {
        auto value = resolve_value(item, scope, diagnostics);
        if (value) raw.items.push_back(std::move(*value));
        ok = ok && value.has_value();
      }
      break;
    case YamlNode::Kind::map:
      raw.kind = RawValue::Kind::map;
      for (const auto& entry : node.entries) {
        auto value = resolve_value(entry.value, scope, diagnostics);
        if (value) raw.entries.push_back({entry.key, std::move(*value), entry.key_where});
        ok = ok && value.has_value();
      }
      break;
  }
  if (!ok) return std::nullopt;
  return raw;
}

bool refers_to_instance(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::null:
      return false;
    case YamlNode::Kind::scalar:
      return config::refers_to_instance(std::string_view(node.text));
    case YamlNode::Kind::list:
      for (const auto& item : node.items) {
        if (refers_to_instance(item)) return true;
      }
      return false;
    case YamlNode::Kind::map:
      for (const auto& entry : node.entries) {
        if (refers_to_instance(entry.value)) return true;
      }
      return false;
  }
  return false;
}

void substitute_in_place(YamlNode& node, const Scope& scope, Diagnostics& diagnostics) {
  for (auto& item : node.items) substitute_in_place(item, scope, diagnostics);
  for (auto& entry : node.entries) substitute_in_place(entry.value, scope, diagnostics);
  if (!node.is_scalar() || node.text.find('$') == std::string::npos) return;
  auto result = interpolate(node.text, scope);
  if (result.failed()) {
    if (!result.error.empty()) {
      diagnostics.error(position_in(node, static_cast<std::size_t>(result.error_offset)),
                        std::move(result.error), std::move(result.hint));
    }
    node.unresolved = true;
    return;
  }
  if (result.text == node.text) return;
  if (result.references > 0) node.written = node.text;
  node.text = std::move(result.text);
  node.text_column = 0;  // the text is no longer the source's
}

bool has_unresolved(const YamlNode& node) {
  if (node.unresolved) return true;
  return std::ranges::any_of(node.items,
                             [](const YamlNode& item) { return has_unresolved(item); }) ||
         std::ranges::any_of(node.entries,
                             [](const YamlEntry& entry) { return has_unresolved(entry.value); });
}

}  // namespace lockstep::config
