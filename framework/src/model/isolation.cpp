#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

std::string_view to_string(Isolation isolation) noexcept {
  return isolation == Isolation::process ? "process" : "thread";
}

}  // namespace lockstep
