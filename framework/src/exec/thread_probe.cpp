#include "exec/thread_probe.hpp"

#include <pthread.h>

#include <atomic>
#include <vector>

namespace lockstep::inline LOCKSTEP_ABI::detail {

namespace {

void* wait_for_release(void* release) {
  static_cast<std::atomic<bool>*>(release)->wait(false);
  return nullptr;
}

}  // namespace

int startable_threads(int count, std::size_t stack_bytes) noexcept {
  pthread_attr_t attributes;
  if (::pthread_attr_init(&attributes) != 0) return 0;
  if (stack_bytes > 0) ::pthread_attr_setstacksize(&attributes, stack_bytes);
  std::atomic<bool> release{false};
  std::vector<pthread_t> started;
  try {
    started.reserve(static_cast<std::size_t>(count));
  } catch (...) {
    ::pthread_attr_destroy(&attributes);
    return 0;
  }
  for (int i = 0; i < count; ++i) {
    pthread_t thread;
    if (::pthread_create(&thread, &attributes, &wait_for_release, &release) != 0) break;
    started.push_back(thread);
  }
  ::pthread_attr_destroy(&attributes);
  release.store(true);
  release.notify_all();
  for (auto thread : started) ::pthread_join(thread, nullptr);
  return static_cast<int>(started.size());
}

}  // namespace lockstep::detail
