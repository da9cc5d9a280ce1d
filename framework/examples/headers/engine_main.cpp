// engine_main — the usage example of <lockstep/engine.hpp>, as a whole program: it includes only
// the engine's umbrella header and returns non-zero when the round did not succeed.
// check_usage.py (ctest example.header_usage_compiled) keeps the header's comment equal to it.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
// clang-format off
#include <lockstep/engine.hpp>
int main() {
  lockstep::Dispatcher pool(2);                      // 2 workers, a queue of 4,094
  for (int i = 0; i < 100; ++i) pool.dispatch([i] { /* work */ });
  lockstep::BatchResult round = pool.wait();        // the barrier: all 100 have ended
  return round.ok() ? 0 : 1;
}
// clang-format on
