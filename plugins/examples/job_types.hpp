// The job types of the examples plugin: each of heat_relax.cpp, count_words.cpp and
// merge_counts.cpp registers one of them.
#pragma once

#include <lockstep/plugin.hpp>

namespace lockstep::examples {

void add_heat_relax(Registry& registry);
void add_count_words(Registry& registry);
void add_merge_counts(Registry& registry);

}  // namespace lockstep::examples
