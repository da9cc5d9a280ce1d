// lockstep/version.hpp — the library's version, for plugins and embedders to check.
//
//   static_assert(lockstep::kVersionMajor == 0);
//   std::printf("built against lockstep %s\n", lockstep::kVersionString);
#pragma once

#include <cstdint>

namespace lockstep {

inline constexpr int kVersionMajor = 0;
inline constexpr int kVersionMinor = 2;
inline constexpr int kVersionPatch = 0;
inline constexpr const char* kVersionString = "0.2.0";

// Bumped whenever anything a plugin compiles against changes incompatibly; a plugin built for
// another ABI version is refused at load. 2: ParamSpec gained rule(). 3: ParamSpec gained
// shell_code().
inline constexpr std::uint32_t kPluginAbiVersion = 3;

}  // namespace lockstep
