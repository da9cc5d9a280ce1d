// lockstep/plugin.hpp — all a plugin includes: jobs, their parameter specs, stage kinds, the
// registry and the LOCKSTEP_PLUGIN manifest macro. No Boost, no YAML in a plugin's compile.
//
//   class Greet final : public lockstep::Job {
//    public:
//     static lockstep::JobType type() {
//       return {"greet", "Logs a greeting",
//               {lockstep::ParamSpec::string("name").doc("who to greet").default_value("world")}};
//     }
//     explicit Greet(const lockstep::Params& p) : name_(p.get<std::string>("name")) {}
//     void run(lockstep::JobContext& ctx) override { ctx.log().info("hello, ", name_); }
//
//    private:
//     std::string name_;
//   };
//
//   LOCKSTEP_PLUGIN("hello", "1.0.0", [](lockstep::Registry& registry) {
//     registry.add_job<Greet>();  // pipelines say "hello.greet"
//   })
//
// Build it with one CMake line, `lockstep_add_plugin(hello SOURCES hello.cpp)`: it makes
// lockstep-hello.so, with hidden visibility, where `lockstep` finds plugins by name.
// docs/plugins.md walks through it; tests/out_of_tree/wordcount is such a plugin, built by a test.
#pragma once

#include "lockstep/engine.hpp"
#include "lockstep/plugin/diagnostics.hpp"
#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/manifest.hpp"
#include "lockstep/plugin/params.hpp"
#include "lockstep/plugin/process_groups.hpp"
#include "lockstep/plugin/registry.hpp"
#include "lockstep/plugin/stage.hpp"
