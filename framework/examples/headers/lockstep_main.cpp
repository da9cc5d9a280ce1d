// lockstep_main — the usage example of <lockstep/lockstep.hpp>, the umbrella of the whole API, as
// a whole program: it returns non-zero when the round did not succeed.
// check_usage.py (ctest example.header_usage_compiled) keeps the header's comment equal to it.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
// clang-format off
#include <lockstep/lockstep.hpp>
int main() {
  lockstep::Registry registry;                 // the plugin API
  lockstep::Dispatcher pool(2);                // the engine
  pool.dispatch([&registry] { registry.plugins(); });
  return pool.wait().ok() ? lockstep::kExitOk : lockstep::kExitFailures;  // pipelines
}
// clang-format on
