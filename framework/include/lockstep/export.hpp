// lockstep/export.hpp — LOCKSTEP_API marks what liblockstep exports to plugins and programs.
//
//   class LOCKSTEP_API Cancelled : public std::exception { ... };
//
// Plugins are built with hidden visibility. A type whose identity must be the same on both sides
// of a plugin boundary (an exception type the framework catches, say) is marked LOCKSTEP_API and
// has its key function defined in liblockstep, so there is exactly one type_info for it.
#pragma once

#define LOCKSTEP_API __attribute__((visibility("default")))
