// The worker side of process isolation: what `lockstep-worker` runs (tools/worker/main.cpp).
// It answers lockstep's hello by loading the plugins named in it, then runs one attempt at a
// time as lockstep asks (run/worker_protocol.hpp). When lockstep goes away, however it goes,
// the worker's end of the socket reads end of file and the worker kills its own process group:
// itself and whatever its jobs started.
#pragma once

#include "lockstep/export.hpp"

namespace lockstep::run {

// Serves on `fd` until lockstep closes it; returns the process's exit status. `progress_fd` is the
// page lockstep reads a batch's progress from after a crash (run/worker_protocol.hpp), or -1.
LOCKSTEP_INTERNAL_API int serve_worker(int fd, int progress_fd = -1);

}  // namespace lockstep::run
