// lockstep/plugin/manifest.hpp — LOCKSTEP_PLUGIN: how a shared library declares itself a plugin.
// Plugin authors include <lockstep/plugin.hpp>, which brings this header and the rest of the API.
//
//   LOCKSTEP_PLUGIN("hello", "1.0.0", [](lockstep::Registry& registry) {
//     registry.add_job<Greet>();  // pipelines say "hello.greet"
//   })
//
// The macro exports one C symbol, `lockstep_plugin_manifest`: a pointer to the manifest below.
// The loader finds it with dlsym (through Boost.DLL), so a plugin's own compile needs no Boost.
#pragma once

#include <cstdint>

#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/plugin/registry.hpp"
#include "lockstep/version.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// What a plugin exports. abi_version comes first and stays first in every version: the loader
// reads it, and nothing else, before it knows the layout of the rest.
struct PluginManifest {
  std::uint32_t abi_version;
  const char* lockstep_version;  // the version the plugin was built against
  const char* name;              // [a-z0-9_]+: the prefix of its job types
  const char* version;           // the plugin's own version
  void (*register_plugin)(Registry&);
};

}  // namespace lockstep

// Exports the plugin's manifest as the C symbol `lockstep_plugin_manifest`. Use it once per
// plugin, at namespace scope. REGISTER is a function or captureless lambda taking Registry&.
#define LOCKSTEP_PLUGIN(NAME, VERSION, REGISTER)                                          \
  namespace {                                                                             \
  void lockstep_register_plugin(::lockstep::Registry& registry) { (REGISTER)(registry); } \
  const ::lockstep::PluginManifest lockstep_plugin_manifest_v1 = {                        \
      ::lockstep::kPluginAbiVersion, ::lockstep::kVersionString, NAME, VERSION,           \
      &lockstep_register_plugin};                                                         \
  }                                                                                       \
  extern "C" __attribute__((visibility("default"))) const void* const                     \
      lockstep_plugin_manifest = &lockstep_plugin_manifest_v1;
