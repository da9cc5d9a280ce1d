// The stage kinds of the stages plugin: each of race.cpp, batches.cpp, canary.cpp and
// rate_limit.cpp registers one of them.
#pragma once

#include <lockstep/plugin.hpp>

namespace lockstep::stages {

void add_race(Registry& registry);
void add_batches(Registry& registry);
void add_canary(Registry& registry);
void add_rate_limit(Registry& registry);

}  // namespace lockstep::stages
