// lockstep/lockstep.hpp — everything an embedder of the engine needs, in one include.
//
//   #include <lockstep/lockstep.hpp>
//   int main() {
//     lockstep::Dispatcher pool(2);
//     pool.dispatch([] { std::puts("hello from a bulkhead"); });
//     return pool.finalize().ok() ? 0 : 1;
//   }
#pragma once

#include "lockstep/batch.hpp"
#include "lockstep/bulkhead.hpp"
#include "lockstep/cancel_token.hpp"
#include "lockstep/dispatcher.hpp"
#include "lockstep/engine.hpp"
#include "lockstep/job_state.hpp"
#include "lockstep/task.hpp"
#include "lockstep/version.hpp"
