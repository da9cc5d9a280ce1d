// The stage kinds every registry has, written on the public stage API like a plugin's:
// `parallel` (the default) and `sequential`.
#pragma once

#include <vector>

#include "lockstep/plugin/stage.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::vector<RegisteredStageKind> builtin_stage_kinds();
// The kind of a stage that names none (also in a Pipeline built in code).
const RegisteredStageKind& builtin_parallel();

}  // namespace lockstep
