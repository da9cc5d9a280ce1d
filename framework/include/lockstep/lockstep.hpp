// lockstep/lockstep.hpp — the whole public API: the engine, the plugin API and pipelines. Prefer
// the umbrella of your audience: <lockstep/engine.hpp> (the engine alone: needs only oneTBB),
// <lockstep/plugin.hpp> (plugin authors), <lockstep/pipeline.hpp> (running pipelines).
//
//   #include <lockstep/lockstep.hpp>
//   int main() {
//     lockstep::Registry registry;                 // the plugin API
//     lockstep::Dispatcher pool(2);                // the engine
//     pool.dispatch([&registry] { registry.plugins(); });
//     return pool.wait().ok() ? lockstep::kExitOk : lockstep::kExitFailures;  // pipelines
//   }
#pragma once

#include "lockstep/engine.hpp"
#include "lockstep/pipeline.hpp"
#include "lockstep/plugin.hpp"
