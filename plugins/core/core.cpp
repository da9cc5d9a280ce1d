// The core plugin's manifest: `lockstep` always loads it, so pipelines can say `sleep` or
// `core.sleep` without listing any plugin.
#include <lockstep/plugin.hpp>

#include "job_types.hpp"

LOCKSTEP_PLUGIN("core", lockstep::kVersionString, [](lockstep::Registry& registry) {
  lockstep::core::add_noop(registry);
  lockstep::core::add_sleep(registry);
  lockstep::core::add_fail(registry);
  lockstep::core::add_command(registry);
  lockstep::core::add_echo(registry);
  lockstep::core::add_output(registry);
  lockstep::core::add_output_list(registry);
  lockstep::core::add_write_file(registry);
})
