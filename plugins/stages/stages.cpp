// The stages plugin's manifest. Pipelines list it (`plugins: [stages]`) and then say
// `kind: stages.race`, `stages.batches`, `stages.canary` or `stages.rate_limit` (or the bare
// name when no other plugin has a kind of that name).
#include <lockstep/plugin.hpp>

#include "kinds.hpp"

LOCKSTEP_PLUGIN("stages", lockstep::kVersionString, [](lockstep::Registry& registry) {
  lockstep::stages::add_race(registry);
  lockstep::stages::add_batches(registry);
  lockstep::stages::add_canary(registry);
  lockstep::stages::add_rate_limit(registry);
})
