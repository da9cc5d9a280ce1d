// Interpolation of scalars of the YAML tree, each error reported where the bad reference is.
#pragma once

#include <optional>
#include <string>

#include "config/interpolate.hpp"
#include "config/yaml_source.hpp"
#include "lockstep/plugin/diagnostics.hpp"

namespace lockstep::config {

// The scalar's text with its references replaced; nullopt after reporting an error.
std::optional<std::string> resolve_scalar(const YamlNode& scalar, const Scope& scope,
                                          Diagnostics& diagnostics);

// The same through a whole value; a null becomes an empty plain scalar.
std::optional<RawValue> resolve_value(const YamlNode& node, const Scope& scope,
                                      Diagnostics& diagnostics);

// True when some scalar in `node` refers to ${item...}, ${index} or ${iteration}.
bool refers_to_instance(const YamlNode& node);

// Replaces the references of every scalar in `node`, in place, for the readers of the schema:
// they then check the final text, and show the written one in messages (YamlNode::written). A
// scalar with a bad reference is reported here and marked YamlNode::unresolved.
void substitute_in_place(YamlNode& node, const Scope& scope, Diagnostics& diagnostics);

// True when some scalar in `node` is marked unresolved.
bool has_unresolved(const YamlNode& node);

}  // namespace lockstep::config
