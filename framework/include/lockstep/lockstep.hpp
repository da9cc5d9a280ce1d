// lockstep/lockstep.hpp — the whole public API: the engine, the plugin API and pipelines. Prefer
// the umbrella of your audience: <lockstep/engine.hpp> (the engine alone: needs only oneTBB),
// <lockstep/plugin.hpp> (plugin authors), <lockstep/pipeline.hpp> (running pipelines).
//
//   #include <lockstep/lockstep.hpp>
//   lockstep::Dispatcher pool(2);
#pragma once

#include "lockstep/engine.hpp"
#include "lockstep/pipeline.hpp"
#include "lockstep/plugin.hpp"
