#include "run/run_services.hpp"

namespace lockstep::run {

void RunServices::observer_failed(const char* what) noexcept {
  try {
    std::lock_guard lock(failures_mutex_);
    if (failures_++ == 0) first_failure_ = what;
  } catch (...) {  // no memory for the message: the count is enough
  }
}

std::vector<std::string> RunServices::observer_warnings() const {
  std::lock_guard lock(failures_mutex_);
  if (failures_ == 0) return {};
  return {"an observer threw: " + first_failure_ + " (" + std::to_string(failures_) +
          (failures_ == 1 ? " time" : " times") + "; the run went on without that event)"};
}

}  // namespace lockstep::run
