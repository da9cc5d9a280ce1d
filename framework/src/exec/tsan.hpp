// ThreadSanitizer cannot see the synchronisation inside Debian's libtbb (it is not instrumented),
// so it reports the task objects that oneTBB recycles between threads as races. lockstep passes no
// data through oneTBB tasks (jobs travel through its own queue, whose atomics TSan sees); these
// annotations hide only oneTBB's own bookkeeping of a task_arena::enqueue from TSan.
#pragma once

#include "lockstep/export.hpp"

#if defined(__SANITIZE_THREAD__)
#define LOCKSTEP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOCKSTEP_TSAN 1
#endif
#endif

#if defined(LOCKSTEP_TSAN)
extern "C" {
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
}
#endif

namespace lockstep::inline LOCKSTEP_ABI::detail {

// Hands `object` over to the thread that will run a oneTBB task: everything this thread did
// before tsan_release happens before what the task does after tsan_acquire. oneTBB orders this
// itself; TSan just cannot see it.
inline void tsan_release([[maybe_unused]] void* object) noexcept {
#if defined(LOCKSTEP_TSAN)
  __tsan_release(object);
#endif
}
inline void tsan_acquire([[maybe_unused]] void* object) noexcept {
#if defined(LOCKSTEP_TSAN)
  __tsan_acquire(object);
#endif
}

// While alive, TSan ignores this thread's memory accesses.
class TsanIgnoreScope {
 public:
#if defined(LOCKSTEP_TSAN)
  TsanIgnoreScope() noexcept {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~TsanIgnoreScope() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
#endif
  TsanIgnoreScope(const TsanIgnoreScope&) = delete;
  TsanIgnoreScope& operator=(const TsanIgnoreScope&) = delete;
#if !defined(LOCKSTEP_TSAN)
  TsanIgnoreScope() noexcept = default;
#endif
};

}  // namespace lockstep::detail
