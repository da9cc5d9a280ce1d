// lockstep/plugin/params.hpp — what a job type declares about its parameters, and the checked
// values.
//
//   static lockstep::JobType type() {
//     using lockstep::ParamSpec;
//     return {"greet", "Logs a greeting",
//             {ParamSpec::string("name").doc("who to greet").default_value("world"),
//              ParamSpec::integer("times").doc("how often").range(1, 10).default_value(1),
//              ParamSpec::string("tone").one_of({"warm", "formal"}).default_value("warm")}};
//   }
//   explicit Greet(const lockstep::Params& p)
//       : name_(p.get<std::string>("name")), times_(p.get<std::int64_t>("times")) {}
//
// Every job's parameters are checked against its type's specs before anything runs: an unknown
// name (with a did-you-mean), a missing required one, a wrong type, a value out of range or not
// allowed are each an error with the position of the offending value.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

using Duration = std::chrono::nanoseconds;
using StringList = std::vector<std::string>;
using StringMap = std::map<std::string, std::string, std::less<>>;

enum class ParamType : unsigned char {
  string,       // any text
  integer,      // 64-bit signed
  number,       // double; an integer is accepted
  boolean,      // true/false (also yes/no, on/off)
  duration,     // "250ms", "5s", "2m", "1h30m"
  string_list,  // [a, b, c]
  string_map,   // {KEY: value, ...}
};
// "list of strings": for messages to people.
LOCKSTEP_API std::string_view to_string(ParamType type) noexcept;
// "string_list": the enumerator's name, for programs (JSON).
LOCKSTEP_API std::string_view identifier(ParamType type) noexcept;

// Alternatives in ParamType order.
using ParamValue =
    std::variant<std::string, std::int64_t, double, bool, Duration, StringList, StringMap>;
LOCKSTEP_API ParamType type_of(const ParamValue& value) noexcept;
// The value as a user would write it: 5s, [a, b], {K: v}.
LOCKSTEP_API std::string to_string(const ParamValue& value);

class LOCKSTEP_API ParamSpec {
 public:
  static ParamSpec string(std::string name) { return {std::move(name), ParamType::string}; }
  static ParamSpec integer(std::string name) { return {std::move(name), ParamType::integer}; }
  static ParamSpec number(std::string name) { return {std::move(name), ParamType::number}; }
  static ParamSpec boolean(std::string name) { return {std::move(name), ParamType::boolean}; }
  static ParamSpec duration(std::string name) { return {std::move(name), ParamType::duration}; }
  static ParamSpec string_list(std::string name) {
    return {std::move(name), ParamType::string_list};
  }
  static ParamSpec string_map(std::string name) { return {std::move(name), ParamType::string_map}; }

  ParamSpec& doc(std::string text) {
    doc_ = std::move(text);
    return *this;
  }
  ParamSpec& required() {
    required_ = true;
    return *this;
  }
  // Must be of the parameter's type (checked when the type is registered).
  ParamSpec& default_value(ParamValue value) {
    default_ = std::move(value);
    return *this;
  }
  ParamSpec& default_value(const char* text) {
    return default_value(ParamValue(std::string(text)));
  }
  // An integer literal: without this, default_value(0) would pick the const char* overload.
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  ParamSpec& default_value(I number) {
    return default_value(ParamValue(static_cast<std::int64_t>(number)));
  }
  // Allowed values of a string, or of each element of a string list.
  ParamSpec& one_of(std::vector<std::string> allowed) {
    allowed_ = std::move(allowed);
    return *this;
  }
  // Inclusive bounds of an integer or number, or of a duration in seconds.
  ParamSpec& min(double bound) {
    min_ = bound;
    return *this;
  }
  ParamSpec& max(double bound) {
    max_ = bound;
    return *this;
  }
  ParamSpec& range(double low, double high) { return min(low).max(high); }
  // A string that is shell code, a command line a shell runs: each ${...} in it becomes exactly
  // one value for the shell, quoted for where it stands ('...', "..." or neither), whatever bytes
  // it holds; ${raw:NAME} pastes a value as shell code (and `lockstep validate` warns when data
  // from outside the pipeline reaches one).
  ParamSpec& shell_code() {
    shell_code_ = true;
    return *this;
  }
  // A rule on the value alone, beyond its type, bounds and allowed values (a program that must
  // exist, say): returns what is wrong ("must name ..."), or "" when all is well. It runs
  // wherever the value is checked, so the error has the value's position; a value that differs
  // per instance is checked on the sample instances and again when each instance is made.
  ParamSpec& rule(std::function<std::string(const ParamValue&)> check) {
    rule_ = std::move(check);
    return *this;
  }

  const std::string& name() const noexcept { return name_; }
  ParamType type() const noexcept { return type_; }
  const std::string& doc() const noexcept { return doc_; }
  bool is_required() const noexcept { return required_; }
  const std::optional<ParamValue>& default_value() const noexcept { return default_; }
  const std::vector<std::string>& allowed() const noexcept { return allowed_; }
  std::optional<double> min() const noexcept { return min_; }
  std::optional<double> max() const noexcept { return max_; }
  const std::function<std::string(const ParamValue&)>& rule() const noexcept { return rule_; }
  bool is_shell_code() const noexcept { return shell_code_; }

 private:
  ParamSpec(std::string name, ParamType type) : name_(std::move(name)), type_(type) {}

  std::string name_;
  ParamType type_;
  std::string doc_;
  bool required_ = false;
  std::optional<ParamValue> default_;
  std::vector<std::string> allowed_;
  std::optional<double> min_;
  std::optional<double> max_;
  std::function<std::string(const ParamValue&)> rule_;
  bool shell_code_ = false;
};

// Whether T is one of ParamValue's alternatives: the types a parameter's value can have.
template <class T, class Variant = ParamValue>
inline constexpr bool is_param_value = false;
template <class T, class... Alternatives>
inline constexpr bool is_param_value<T, std::variant<Alternatives...>> =
    (std::same_as<T, Alternatives> || ...);

// Checked parameter values: every declared parameter that was given or has a default.
class LOCKSTEP_API Params {
 public:
  void set(std::string name, ParamValue value);

  bool has(std::string_view name) const noexcept { return values_.find(name) != values_.end(); }
  const ParamValue* find(std::string_view name) const noexcept;

  // The value of a declared parameter, as its declared type: std::string, std::int64_t, double,
  // bool, lockstep::Duration, StringList or StringMap (any other T does not compile). Throws
  // std::logic_error (naming the parameter and both types) when absent or of another type: a bug
  // in the job, not user input.
  template <class T>
  const T& get(std::string_view name) const {
    static_assert(is_param_value<T>,
                  "lockstep::Params::get<T>: T must be one of std::string, std::int64_t, double, "
                  "bool, lockstep::Duration, lockstep::StringList, lockstep::StringMap "
                  "(an integer parameter is get<std::int64_t>, not get<int>)");
    if constexpr (is_param_value<T>) {
      const auto& value = require(name);
      if (const T* typed = std::get_if<T>(&value)) return *typed;
      throw_type_mismatch(name, value, ParamValue(T{}));
    } else {
      std::abort();  // never compiled: the static_assert has stopped the build
    }
  }

  const std::map<std::string, ParamValue, std::less<>>& all() const noexcept { return values_; }

 private:
  const ParamValue& require(std::string_view name) const;
  [[noreturn]] static void throw_type_mismatch(std::string_view name, const ParamValue& actual,
                                               const ParamValue& wanted);

  std::map<std::string, ParamValue, std::less<>> values_;
};

// A value as the user wrote it, before it meets a spec: text, a list or a map, with positions.
// The config layer makes these from YAML; an embedder can build them by hand.
struct RawEntry;
struct RawValue {
  enum class Kind : unsigned char { scalar, list, map };
  Kind kind = Kind::scalar;
  std::string text{};             // a scalar's text
  bool quoted = false;            // a quoted scalar is always a string
  std::vector<RawValue> items{};  // a list's elements
  // a map's entries, in written order. No initializer for clang: it instantiates the destructor
  // of vector<RawEntry> there, before RawEntry is complete; GCC needs one for designated
  // initializers (-Wmissing-field-initializers).
#ifdef __clang__
  std::vector<RawEntry> entries;
#else
  std::vector<RawEntry> entries{};
#endif
  SourceLocation where{};

  static RawValue scalar(std::string text, SourceLocation where = {});
};

struct RawEntry {
  std::string key;
  RawValue value;
  SourceLocation key_where{};
};

// Defined once RawEntry is complete, for the same reason.
inline RawValue RawValue::scalar(std::string text, SourceLocation where) {
  return {Kind::scalar, std::move(text), false, {}, {}, std::move(where)};
}

// Checks `given` against `specs`. Every problem becomes an error in `diagnostics`, at the position
// of the value concerned (or `where` for a missing one), its message starting with `context`
// (e.g. "job 'fetch' (core.command): "). Returns the values, with defaults filled in.
LOCKSTEP_API Params validate_params(std::span<const ParamSpec> specs,
                                    std::span<const RawEntry> given, const SourceLocation& where,
                                    std::string_view context, Diagnostics& diagnostics);

// "250ms", "5s", "2m", "1h", "1h30m", "1m30.5s", "0"; nullopt when malformed. A well-formed
// duration longer than Duration can hold (about 292 years) is Duration::max().
LOCKSTEP_API std::optional<Duration> parse_duration(std::string_view text);
// The longest duration a pipeline or a parameter may give (100000h, some eleven years): a clock
// plus it never overflows. Longer ones are an error that says "at most 100000h".
inline constexpr Duration kMaxDuration = std::chrono::hours(100'000);
// The shortest such text for a duration: 1h30m, 250ms.
LOCKSTEP_API std::string format_duration(Duration duration);

}  // namespace lockstep
