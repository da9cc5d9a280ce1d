// The program of the find_package example: one include, one target, nothing else to set up.
#include <lockstep/engine.hpp>

#include <atomic>
#include <cstdio>

int main() {
  lockstep::Dispatcher pool(2);
  std::atomic<int> jobs{0};
  for (int i = 0; i < 10; ++i) pool.dispatch([&jobs] { ++jobs; });
  const bool ok = pool.finalize().ok() && jobs == 10;
  std::printf("consumer of lockstep %s: %s\n", lockstep::kVersionString,
              ok ? "ok" : "WRONG RESULT");
  return ok ? 0 : 1;
}
