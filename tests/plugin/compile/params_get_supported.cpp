// Must compile without a warning: Params::get with each type a parameter's value can have.
#include <cstdint>
#include <string>

#include "lockstep/plugin.hpp"

std::size_t read_all(const lockstep::Params& params) {
  const std::string& name = params.get<std::string>("name");
  const std::int64_t times = params.get<std::int64_t>("times");
  const double ratio = params.get<double>("ratio");
  const bool verbose = params.get<bool>("verbose");
  const lockstep::Duration timeout = params.get<lockstep::Duration>("timeout");
  const lockstep::StringList& files = params.get<lockstep::StringList>("files");
  const lockstep::StringMap& env = params.get<lockstep::StringMap>("env");
  return name.size() + static_cast<std::size_t>(times) + static_cast<std::size_t>(ratio) +
         (verbose ? 1U : 0U) + static_cast<std::size_t>(timeout.count()) + files.size() +
         env.size();
}
