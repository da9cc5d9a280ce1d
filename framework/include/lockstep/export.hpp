// lockstep/export.hpp — what liblockstep exports, and the ABI version its names carry.
//
//   namespace lockstep::inline LOCKSTEP_ABI {  // every public declaration lives here, e.g.
//   // class LOCKSTEP_API Cancelled : public std::exception { ... };
//   }
//   static_assert(std::is_same_v<lockstep::Cancelled, lockstep::LOCKSTEP_ABI::Cancelled>);
//
// The libraries are built with hidden visibility: only what is marked LOCKSTEP_API is exported.
// A type whose identity must be the same on both sides of a plugin boundary (an exception type
// the framework catches, say) is marked LOCKSTEP_API and has its key function defined in
// liblockstep, so there is exactly one type_info for it.
//
// The public API lives in the inline namespace lockstep::abi_vN (N = LOCKSTEP_ABI_VERSION): code
// says lockstep::Job, the linker sees lockstep::abi_v4::Job. A plugin built against another ABI
// then refers to names this lockstep does not have, and the loader says which ABI it was built
// for instead of failing on a symbol.
#pragma once

#define LOCKSTEP_API __attribute__((visibility("default")))
// Exported for lockstep's own tests and tools (framework/src headers they include), not an API:
// no promise holds for it from one version to the next.
#define LOCKSTEP_INTERNAL_API __attribute__((visibility("default")))

// Bumped whenever anything a plugin compiles against changes incompatibly. Only the tests define
// it (to build a plugin against a fake other ABI).
#ifndef LOCKSTEP_ABI_VERSION
#define LOCKSTEP_ABI_VERSION 4
#endif
#define LOCKSTEP_ABI_NAME_(version) abi_v##version
#define LOCKSTEP_ABI_NAME(version) LOCKSTEP_ABI_NAME_(version)
#define LOCKSTEP_ABI LOCKSTEP_ABI_NAME(LOCKSTEP_ABI_VERSION)
