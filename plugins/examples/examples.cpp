// The examples plugin's manifest. Pipelines list it (`plugins: [examples]`) and then say
// `examples.heat_relax`, `examples.count_words`, `examples.merge_counts`.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

LOCKSTEP_PLUGIN("examples", lockstep::kVersionString, [](lockstep::Registry& registry) {
  lockstep::examples::add_heat_relax(registry);
  lockstep::examples::add_count_words(registry);
  lockstep::examples::add_merge_counts(registry);
})
