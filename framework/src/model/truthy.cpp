#include <algorithm>
#include <cctype>
#include <string>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

bool is_truthy(std::string_view value) noexcept {
  constexpr std::string_view kTruthy[] = {"true", "yes", "on", "1"};
  return std::ranges::any_of(kTruthy, [value](std::string_view word) {
    return std::ranges::equal(value, word, [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
  });
}

}  // namespace lockstep
