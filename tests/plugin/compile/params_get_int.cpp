// Must not compile: an integer parameter is read as std::int64_t, never as int. The test expects
// the one error of Params::get's static_assert, naming the supported types.
#include "lockstep/plugin.hpp"

int times(const lockstep::Params& params) { return params.get<int>("times"); }
