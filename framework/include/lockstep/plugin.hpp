// lockstep/plugin.hpp — the one header a plugin includes: job types, registry, manifest macro.
//
//   #include <lockstep/plugin.hpp>
//
//   class Greet final : public lockstep::Job {
//    public:
//     static lockstep::JobType type() {
//       return {"greet", "Logs a greeting",
//               {lockstep::ParamSpec::string("name").doc("who to greet").default_value("world")}};
//     }
//     explicit Greet(const lockstep::Params& p) : name_(p.get<std::string>("name")) {}
//     void run(lockstep::JobContext& ctx) override { ctx.log().info("hello, ", name_); }
//    private:
//     std::string name_;
//   };
//
//   LOCKSTEP_PLUGIN("hello", "1.0.0", [](lockstep::Registry& registry) {
//     registry.add_job<Greet>();                    // pipelines say "hello.greet"
//   })
//
// Build it with one CMake line, `lockstep_add_plugin(hello SOURCES hello.cpp)`: it makes
// lockstep-hello.so, with hidden visibility, where `lockstep` finds plugins by name.
#pragma once

#include <boost/dll/alias.hpp>

#include <cstdint>

#include "lockstep/job.hpp"
#include "lockstep/params.hpp"
#include "lockstep/registry.hpp"
#include "lockstep/version.hpp"

namespace lockstep {

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

// Exports the plugin's manifest as the Boost.DLL alias `lockstep_plugin_manifest`. Use it once per
// plugin, at namespace scope. REGISTER is a function or captureless lambda taking Registry&.
#define LOCKSTEP_PLUGIN(NAME, VERSION, REGISTER)                                          \
  namespace {                                                                             \
  void lockstep_register_plugin(::lockstep::Registry& registry) { (REGISTER)(registry); } \
  const ::lockstep::PluginManifest lockstep_plugin_manifest_v1 = {                        \
      ::lockstep::kPluginAbiVersion, ::lockstep::kVersionString, NAME, VERSION,           \
      &lockstep_register_plugin};                                                         \
  }                                                                                       \
  BOOST_DLL_ALIAS(lockstep_plugin_manifest_v1, lockstep_plugin_manifest)
