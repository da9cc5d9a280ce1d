// lockstep/version.hpp — the library's version, for plugins and embedders to check.
//
//   static_assert(lockstep::kVersionMajor == 0);
//   std::printf("built against lockstep %s\n", lockstep::kVersionString);
#pragma once

#include <cstdint>

#include "lockstep/export.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 2;
inline constexpr int kVersionPatch = 0;
inline constexpr const char* kVersionString = "0.2.0";

// Bumped whenever anything a plugin compiles against changes incompatibly; a plugin built for
// another ABI version is refused at load (see export.hpp). 2: ParamSpec gained rule(). 3: the
// inline namespace abi_v3; StageContext::name(), StageInstance::job as a
// position; ParamSpec gained shell_code(). 4: JobContext::output of a list; JobType::outputs.
inline constexpr std::uint32_t kPluginAbiVersion = LOCKSTEP_ABI_VERSION;

}  // namespace lockstep
