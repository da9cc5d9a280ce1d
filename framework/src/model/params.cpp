#include "lockstep/plugin/params.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

struct TypeNames {
  std::string_view identifier;  // for programs
  std::string_view prose;       // for people
};

// In ParamType order.
constexpr TypeNames kTypeNames[] = {
    {"string", "string"},
    {"integer", "integer"},
    {"number", "number"},
    {"boolean", "boolean"},
    {"duration", "duration"},
    {"string_list", "list of strings"},
    {"string_map", "map of strings"},
};

}  // namespace

std::string_view to_string(ParamType type) noexcept {
  return kTypeNames[static_cast<std::size_t>(type)].prose;
}

std::string_view identifier(ParamType type) noexcept {
  return kTypeNames[static_cast<std::size_t>(type)].identifier;
}

ParamType type_of(const ParamValue& value) noexcept {
  return static_cast<ParamType>(value.index());
}

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// clang before 17 does not deduce an aggregate's template arguments (C++20 P1816) by itself.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string format_number(double value) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::to_string(value);
}

}  // namespace

std::string to_string(const ParamValue& value) {
  return std::visit(Overloaded{
                        [](const std::string& text) { return text; },
                        [](std::int64_t number) { return std::to_string(number); },
                        [](double number) { return format_number(number); },
                        [](bool flag) { return std::string(flag ? "true" : "false"); },
                        [](Duration duration) { return format_duration(duration); },
                        [](const StringList& list) {
                          std::string text = "[";
                          for (const auto& item : list)
                            text += (text.size() > 1 ? ", " : "") + item;
                          return text + "]";
                        },
                        [](const StringMap& map) {
                          std::string text = "{";
                          for (const auto& [key, item] : map) {
                            text += (text.size() > 1 ? ", " : "") + key + ": " + item;
                          }
                          return text + "}";
                        },
                    },
                    value);
}

// ---- Params ----------------------------------------------------------------------------------

void Params::set(std::string name, ParamValue value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

const ParamValue* Params::find(std::string_view name) const noexcept {
  auto found = values_.find(name);
  return found == values_.end() ? nullptr : &found->second;
}

const ParamValue& Params::require(std::string_view name) const {
  if (const auto* value = find(name)) return *value;
  throw std::logic_error("parameter '" + std::string(name) +
                         "' has no value: declare it with a default, or make it required");
}

void Params::throw_type_mismatch(std::string_view name, const ParamValue& actual,
                                 const ParamValue& wanted) {
  throw std::logic_error("parameter '" + std::string(name) + "' holds a value of type " +
                         std::string(to_string(type_of(actual))) + ", read as type " +
                         std::string(to_string(type_of(wanted))));
}

// ---- durations -------------------------------------------------------------------------------

std::optional<Duration> parse_duration(std::string_view text) {
  using namespace std::chrono;
  if (text == "0") return Duration::zero();
  if (text.empty()) return std::nullopt;
  double total_ns = 0;
  while (!text.empty()) {
    double amount = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec != std::errc{} || amount < 0 || !std::isfinite(amount)) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    std::size_t unit_length = 0;
    while (unit_length < text.size() &&
           !std::isdigit(static_cast<unsigned char>(text[unit_length])) &&
           text[unit_length] != '.') {
      ++unit_length;
    }
    auto unit = text.substr(0, unit_length);
    text.remove_prefix(unit_length);
    double scale = 0;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\u00b5s")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return std::nullopt;
    total_ns += amount * scale;
  }
  if (total_ns > 9.2e18) return Duration::max();
  return Duration(static_cast<Duration::rep>(std::llround(total_ns)));
}

std::string format_duration(Duration duration) {
  using namespace std::chrono;
  if (duration == Duration::zero()) return "0s";
  std::string text = duration < Duration::zero() ? "-" : "";
  auto rest = duration < Duration::zero() ? -duration : duration;
  auto take = [&](Duration unit, const char* suffix) {
    if (rest >= unit) {
      text += std::to_string(rest / unit) + suffix;
      rest %= unit;
    }
  };
  take(hours(1), "h");
  take(minutes(1), "m");
  take(seconds(1), "s");
  take(milliseconds(1), "ms");
  take(microseconds(1), "us");
  take(nanoseconds(1), "ns");
  return text;
}

// ---- validation ------------------------------------------------------------------------------

namespace {

std::string_view kind_name(const RawValue& value) {
  switch (value.kind) {
    case RawValue::Kind::scalar:
      return "a scalar";
    case RawValue::Kind::list:
      return "a list";
    case RawValue::Kind::map:
      return "a map";
  }
  return "a value";
}

std::string quoted_hint(const RawValue& raw) {
  return raw.quoted ? "remove the quotes: a quoted value is a string" : "";
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

class Checker {
 public:
  Checker(const ParamSpec& spec, std::string_view context, Diagnostics& diagnostics)
      : spec_(spec), context_(context), diagnostics_(diagnostics) {}

  std::optional<ParamValue> convert(const RawValue& raw) {
    switch (spec_.type()) {
      case ParamType::string: {
        auto text = scalar(raw);
        return text ? std::optional<ParamValue>(std::move(*text)) : std::nullopt;
      }
      case ParamType::integer:
        return integer(raw);
      case ParamType::number:
        return number(raw);
      case ParamType::boolean:
        return boolean(raw);
      case ParamType::duration:
        return duration(raw);
      case ParamType::string_list:
        return list(raw);
      case ParamType::string_map:
        return map(raw);
    }
    return std::nullopt;
  }

 private:
  void fail(const SourceLocation& where, const std::string& message, std::string hint = {}) {
    diagnostics_.error(where, std::string(context_) + "parameter '" + spec_.name() + "' " + message,
                       std::move(hint));
  }

  std::optional<std::string> scalar(const RawValue& raw) {
    if (raw.kind != RawValue::Kind::scalar) {
      fail(raw.where, "must be a " + std::string(to_string(spec_.type())) + ", not " +
                          std::string(kind_name(raw)));
      return std::nullopt;
    }
    return raw.text;
  }

  std::optional<ParamValue> integer(const RawValue& raw) {
    auto text = scalar(raw);
    if (!text) return std::nullopt;
    std::int64_t value = 0;
    const char* first = text->data();
    if (!text->empty() && text->front() == '+') ++first;
    auto [end, ec] = std::from_chars(first, text->data() + text->size(), value);
    if (raw.quoted || ec != std::errc{} || end != text->data() + text->size() || text->empty()) {
      fail(raw.where, "must be an integer, got '" + *text + "'", quoted_hint(raw));
      return std::nullopt;
    }
    if (!in_range(static_cast<double>(value), raw.where, *text)) return std::nullopt;
    return ParamValue(value);
  }

  std::optional<ParamValue> number(const RawValue& raw) {
    auto text = scalar(raw);
    if (!text) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (raw.quoted || ec != std::errc{} || end != text->data() + text->size() || text->empty() ||
        !std::isfinite(value)) {
      fail(raw.where, "must be a number, got '" + *text + "'", quoted_hint(raw));
      return std::nullopt;
    }
    if (!in_range(value, raw.where, *text)) return std::nullopt;
    return ParamValue(value);
  }

  std::optional<ParamValue> boolean(const RawValue& raw) {
    auto text = scalar(raw);
    if (!text) return std::nullopt;
    auto lower = lowercase(*text);
    if (!raw.quoted && (lower == "true" || lower == "yes" || lower == "on"))
      return ParamValue(true);
    if (!raw.quoted && (lower == "false" || lower == "no" || lower == "off")) {
      return ParamValue(false);
    }
    fail(raw.where, "must be true or false, got '" + *text + "'", quoted_hint(raw));
    return std::nullopt;
  }

  std::optional<ParamValue> duration(const RawValue& raw) {
    auto text = scalar(raw);
    if (!text) return std::nullopt;
    auto value = parse_duration(*text);
    if (!value) {
      fail(raw.where, "must be a duration, got '" + *text + "'",
           "write it like 250ms, 5s, 2m, 1h30m");
      return std::nullopt;
    }
    if (*value > kMaxDuration) {
      fail(raw.where, "must be at most " + format_duration(kMaxDuration) + ", got '" + *text + "'");
      return std::nullopt;
    }
    if (!in_range(std::chrono::duration<double>(*value).count(), raw.where, *text)) {
      return std::nullopt;
    }
    return ParamValue(*value);
  }

  std::optional<ParamValue> list(const RawValue& raw) {
    if (raw.kind != RawValue::Kind::list) {
      fail(raw.where, "must be a list of strings, not " + std::string(kind_name(raw)),
           raw.kind == RawValue::Kind::scalar ? "write [" + raw.text + "]" : "");
      return std::nullopt;
    }
    StringList values;
    bool ok = true;
    for (const auto& item : raw.items) {
      if (item.kind != RawValue::Kind::scalar) {
        fail(item.where, "must contain strings only, not " + std::string(kind_name(item)));
        ok = false;
      } else if (allowed(item.text, item.where)) {
        values.push_back(item.text);
      } else {
        ok = false;
      }
    }
    return ok ? std::optional<ParamValue>(std::move(values)) : std::nullopt;
  }

  std::optional<ParamValue> map(const RawValue& raw) {
    if (raw.kind != RawValue::Kind::map) {
      fail(raw.where, "must be a map of strings, not " + std::string(kind_name(raw)));
      return std::nullopt;
    }
    StringMap values;
    bool ok = true;
    for (const auto& entry : raw.entries) {
      if (entry.value.kind != RawValue::Kind::scalar) {
        fail(entry.value.where, "must map keys to strings; '" + entry.key + "' maps to " +
                                    std::string(kind_name(entry.value)));
        ok = false;
      } else {
        values.insert_or_assign(entry.key, entry.value.text);
      }
    }
    return ok ? std::optional<ParamValue>(std::move(values)) : std::nullopt;
  }

  bool in_range(double value, const SourceLocation& where, const std::string& text) {
    auto bound = [&](double b) {
      return spec_.type() == ParamType::duration
                 ? format_duration(
                       std::chrono::duration_cast<Duration>(std::chrono::duration<double>(b)))
                 : format_number(b);
    };
    if (spec_.min() && value < *spec_.min()) {
      fail(where, "must be at least " + bound(*spec_.min()) + ", got " + text);
      return false;
    }
    if (spec_.max() && value > *spec_.max()) {
      fail(where, "must be at most " + bound(*spec_.max()) + ", got " + text);
      return false;
    }
    return true;
  }

 public:
  bool allowed(const std::string& text, const SourceLocation& where) {
    const auto& choices = spec_.allowed();
    if (choices.empty() || std::ranges::find(choices, text) != choices.end()) return true;
    std::string list;
    for (const auto& choice : choices) list += (list.empty() ? "" : ", ") + choice;
    fail(where, "must be one of " + list + ", got '" + text + "'", did_you_mean(text, choices));
    return false;
  }

  bool obeys_rule(const ParamValue& value, const SourceLocation& where) {
    if (!spec_.rule()) return true;
    auto problem = spec_.rule()(value);
    if (problem.empty()) return true;
    fail(where, problem);
    return false;
  }

 private:
  const ParamSpec& spec_;
  std::string_view context_;
  Diagnostics& diagnostics_;
};

}  // namespace

Params validate_params(std::span<const ParamSpec> specs, std::span<const RawEntry> given,
                       const SourceLocation& where, std::string_view context,
                       Diagnostics& diagnostics) {
  Params params;
  std::vector<std::string> names;
  for (const auto& spec : specs) names.push_back(spec.name());

  std::vector<std::string_view> seen;
  for (const auto& entry : given) {
    auto spec = std::ranges::find_if(specs, [&](const auto& s) { return s.name() == entry.key; });
    const auto& key_where = entry.key_where.file.empty() ? entry.value.where : entry.key_where;
    if (spec == specs.end()) {
      std::string known;
      for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
      auto hint = did_you_mean(entry.key, names);
      if (hint.empty()) hint = known.empty() ? "it takes no parameters" : "known: " + known;
      diagnostics.error(key_where, std::string(context) + "unknown parameter '" + entry.key + "'",
                        hint);
      continue;
    }
    if (std::ranges::find(seen, entry.key) != seen.end()) {
      diagnostics.error(key_where,
                        std::string(context) + "parameter '" + entry.key + "' is given twice");
      continue;
    }
    seen.push_back(entry.key);
    Checker checker(*spec, context, diagnostics);
    auto value = checker.convert(entry.value);
    if (value && spec->type() == ParamType::string &&
        !checker.allowed(std::get<std::string>(*value), entry.value.where)) {
      value.reset();
    }
    if (value && !checker.obeys_rule(*value, entry.value.where)) value.reset();
    if (value) params.set(spec->name(), std::move(*value));
  }

  for (const auto& spec : specs) {
    if (std::ranges::find(seen, spec.name()) != seen.end()) continue;
    if (spec.is_required()) {
      diagnostics.error(where,
                        std::string(context) + "missing required parameter '" + spec.name() +
                            "' (" + std::string(to_string(spec.type())) + ")",
                        spec.doc());
    } else if (spec.default_value()) {
      params.set(spec.name(), *spec.default_value());
    }
  }
  return params;
}

}  // namespace lockstep
