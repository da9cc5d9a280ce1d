// tools/cli/plugin_render.hpp — `lockstep plugins` output: the loaded plugins, their job types and
// every parameter spec, as aligned text for people or as one JSON document for programs; or, for
// `lockstep plugins core.output`, only the job types and stage kinds named.
//
//   write_plugins_text(std::cout, registry);
//   write_plugins_json(std::cout, registry, loader.dirs());
//   write_declaration_text(std::cout, registry, registry.lookup_declaration("core.output"));
//
// JSON shape (every key always present; null or [] when a spec leaves it out):
//   {"lockstep_version": "0.2.0", "plugin_abi": 1, "search_dirs": ["..."],
//    "plugins": [{"name": "core", "version": "0.1.0", "lockstep_version": "0.2.0",
//                 "path": "/.../lockstep-core.so",          (null: registered by the program)
//                 "job_types": [{"name": "core.sleep", "doc": "...",
//                                "params": [{"name": "duration", "type": "duration",
//                                            "required": true, "default": null, "allowed": [],
//                                            "min": null, "max": null, "doc": "..."}]}]}]}
// `lockstep plugins core.output --json`: {"lockstep_version": "0.2.0", "job_types": [ENTRY],
// "stage_kinds": []}, each ENTRY shaped as above plus "plugin" (null for a built-in stage kind).
// "type" is one of string, integer, number, boolean, duration, string_list, string_map.
// Values are typed as in YAML: numbers and booleans as JSON numbers and booleans, a list of
// strings as an array, a map as an object, a duration (also its min and max) as text like "5s".
#pragma once

#include <filesystem>
#include <iosfwd>
#include <span>
#include <string>

#include "lockstep/plugin/registry.hpp"

namespace lockstep::cli {

void write_plugins_text(std::ostream& out, const Registry& registry);

void write_plugins_json(std::ostream& out, const Registry& registry,
                        std::span<const std::filesystem::path> search_dirs);

// One job type or stage kind (both, when they share the name), with where it comes from.
void write_declaration_text(std::ostream& out, const Registry& registry,
                            const DeclarationLookup& found);

void write_declarations_json(std::ostream& out, std::span<const DeclarationLookup> found);

// A bound of `spec` as a user writes it: "10", "0.5", or for a duration (bounds in seconds) "5s".
std::string format_bound(const ParamSpec& spec, double bound);

// The constraints on a parameter's value: "one of: a, b", "1..10", ">= 1s"; "" when it has none.
std::string describe_constraints(const ParamSpec& spec);

}  // namespace lockstep::cli
