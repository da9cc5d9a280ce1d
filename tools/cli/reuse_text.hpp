// Under MPI, `--resume`: rank 0 reads the earlier run's journal and plans what is reused; every
// other rank gets the same Reuse as text (Cluster::broadcast).
#pragma once

#include <optional>
#include <string>

#include "lockstep/pipeline/reuse.hpp"

namespace lockstep::cli {

std::string reuse_text(const Reuse& reuse);
// Nothing for a text reuse_text() did not write.
std::optional<Reuse> reuse_of(const std::string& text);

}  // namespace lockstep::cli
