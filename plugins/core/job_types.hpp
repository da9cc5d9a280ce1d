// The job types of the core plugin: each file of this directory registers one of them.
#pragma once

#include <lockstep/plugin.hpp>

namespace lockstep::core {

void add_noop(Registry& registry);
void add_sleep(Registry& registry);
void add_fail(Registry& registry);
void add_command(Registry& registry);
void add_echo(Registry& registry);
void add_output(Registry& registry);
void add_output_list(Registry& registry);
void add_write_file(Registry& registry);

}  // namespace lockstep::core
