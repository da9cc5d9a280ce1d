// Typed values read out of the YAML tree. Each reader reports what is wrong with the value (at
// its position) and returns nullopt, so that the caller skips what depends on it and goes on.
// `what` names the value for messages: "'workers' in bulkhead 'io'".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::config {

// "'workers' in bulkhead 'io'": `key` quoted, followed by `owner` (" in bulkhead 'io'" or "").
std::string field(std::string_view key, std::string_view owner);

// "'ten'", or "'ten' (from ${vars.n})" when references made it: a scalar's value for messages.
std::string quoted_value(const YamlNode& scalar);
// " (from ${vars.n})" when references made the scalar's text, else "".
std::string written_as(const YamlNode& scalar);

// Every key of `map` that is not `known` is an error ("unknown key 'worker' in bulkhead 'io'").
void check_keys(const YamlNode& map, std::initializer_list<std::string_view> known,
                std::string_view owner, Diagnostics& diagnostics);

// The value of a required key, or an error at the map.
const YamlNode* require_key(const YamlNode& map, std::string_view key, std::string_view owner,
                            Diagnostics& diagnostics);

// False, with "WHAT must be a list, not a map", when `node` is not of `kind`.
bool expect(const YamlNode& node, YamlNode::Kind kind, std::string_view what,
            Diagnostics& diagnostics);

// Every reader returns nullopt, and reports nothing more, for a scalar whose references could
// not be resolved (YamlNode::unresolved): that error is reported already.
std::optional<std::string> read_scalar(const YamlNode& node, std::string_view what,
                                       Diagnostics& diagnostics);
std::optional<std::int64_t> read_integer(const YamlNode& node, std::string_view what,
                                         Diagnostics& diagnostics);
// An integer of at least `min` and at most `max` (an int's largest by default); past `max`,
// `max_hint` says why there is a bound.
std::optional<int> read_count(const YamlNode& node, std::string_view what, int min,
                              Diagnostics& diagnostics, int max = std::numeric_limits<int>::max(),
                              std::string_view max_hint = {});
// A duration; zero is refused when `positive`.
std::optional<Duration> read_duration(const YamlNode& node, std::string_view what, bool positive,
                                      Diagnostics& diagnostics);
std::optional<bool> read_boolean(const YamlNode& node, std::string_view what,
                                 Diagnostics& diagnostics);
// A name of stages, jobs, bulkheads, axes: [A-Za-z0-9_-]+.
std::optional<std::string> read_name(const YamlNode& node, std::string_view what,
                                     Diagnostics& diagnostics);

// "first defined at 3:5": the hint of every duplicate.
std::string first_defined_at(const SourceLocation& where);

}  // namespace lockstep::config
